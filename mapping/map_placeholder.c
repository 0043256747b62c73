/* replaced by the mapping implementation */
#include "map.h"
G_DEFINE_QUARK(map-error-quark, map_error)
