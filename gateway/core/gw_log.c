/* gw_log.c: the log threshold (gw_log.h). */
#include "gw_log.h"

GLogLevelFlags gw_log_threshold = G_LOG_LEVEL_MESSAGE;
