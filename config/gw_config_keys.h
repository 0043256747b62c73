/* config/gw_config_keys.h: the key table, private to config/.
 *
 * gw_config_keys.c declares every key once (type, default, bounds,
 * reloadability, help) and answers what only the table knows: a key by
 * name, --help-config, which keys changed across a reload. gw_config.c
 * parses a file by walking it.
 */
#ifndef GW_CONFIG_KEYS_H
#define GW_CONFIG_KEYS_H

#include <stddef.h>

#include "gw_config.h"

G_BEGIN_DECLS

typedef enum {
    K_STRING,  /* char* */
    K_PATH,    /* char*, resolved against the config file's directory */
    K_UINT,    /* guint, bounded */
    K_DOUBLE,  /* double, bounded */
    K_BOOL,    /* gboolean */
    K_STRLIST, /* char**, ';'-separated */
    K_SPECIAL, /* parsed by its own code below */
} KeyType;

typedef struct {
    const char *group;
    const char *name;
    KeyType type;
    const char *def; /* default, as text; NULL: none */
    double min, max; /* bounds for numbers */
    gboolean required;
    gboolean reloadable; /* may change on SIGHUP without a restart */
    gboolean secret;     /* never printed */
    gssize offset;       /* into GwConfig, or -1 for K_SPECIAL */
    const char *help;
} KeyDef;

#define OFF(field) ((gssize)offsetof(GwConfig, field))

/* Keys that are gone. An old configuration that sets one is read, with a
 * warning naming what replaces it, never refused. */
typedef struct {
    const char *group;
    const char *name;
    const char *instead;
} DeprecatedKey;

extern const KeyDef gw_config_keys[];
extern const gsize gw_config_n_keys;

/* The key [group] name, or NULL. */
const KeyDef *gw_config_find_key(const char *group, const char *name);
/* Has the table a key in this group? */
gboolean gw_config_group_known(const char *group);
/* A key that is gone (read with a warning), or NULL. */
const DeprecatedKey *gw_config_find_deprecated(const char *group,
                                               const char *name);

G_END_DECLS

#endif
