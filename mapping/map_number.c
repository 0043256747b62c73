/* mapping/map_number.c: telephone numbers to E.164 ("+" and 1..15 digits).
 *
 * Two inputs, one output:
 *
 *   RFC 3966 telephone-subscriber (tel: URIs, sip: user parts with
 *   user=phone):
 *     tel:+1-555-123-4567                    -> +15551234567
 *     tel:7042;phone-context=+1-555-123      -> +15551237042 (context
 *                                               digits, then local digits)
 *     tel:555-0100   (no phone-context)      -> refused, unless a default
 *                                               country code is configured;
 *                                               then read as dialled
 *     tel:7042;phone-context=example.com     -> no e.164 form: refused
 *     tel:+15551234567;ext=12                -> refused: e.164 has no room
 *                                               for extensions/subaddresses
 *   Dialled numbers, as people type them (visual separators " -.()"):
 *     +1 (555) 123-4567                      -> +15551234567
 *     0044 20 7946 0000   (intl prefix 00)   -> +442079460000
 *     011 44 20 7946 0000 (intl prefix 011)  -> +442079460000
 *     (555) 555-0100      (country code 1)   -> +15555550100
 *     020 7946 0000 (cc 44, national 0)      -> +442079460000
 *
 * The international prefix is tried before the national (trunk) prefix,
 * so "00" and "0" can be configured together.
 */
#include "map_private.h"

#include <string.h>

static gboolean
all_digits(const char *s, gsize min, gsize max)
{
    gsize n = strlen(s);

    if (n < min || n > max)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
    return TRUE;
}

static gboolean
plan_value(const char *value, const char *key, gsize max, char **out,
           GError **error)
{
    char q[MAP_QUOTE_SIZE];

    *out = NULL;
    if (value == NULL || value[0] == '\0')
        return TRUE;
    if (!all_digits(value, 1, max)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "[mapping] %s: '%s' is not 1 to %" G_GSIZE_FORMAT " digits",
                    key, map_quote(q, value), max);
        return FALSE;
    }
    *out = g_strdup(value);
    return TRUE;
}

gboolean
map_number_plan_init(MapNumberPlan *plan, const MapConfig *config,
                     GError **error)
{
    const char *cc = config->default_country_code;
    char q[MAP_QUOTE_SIZE];

    memset(plan, 0, sizeof *plan);
    if (cc != NULL && cc[0] == '+')
        cc++;
    if (!plan_value(cc, "default_country_code", 3, &plan->country_code,
                    error) ||
        !plan_value(config->international_prefix, "international_prefix", 4,
                    &plan->intl_prefix, error) ||
        !plan_value(config->national_prefix, "national_prefix", 4,
                    &plan->national_prefix, error)) {
        map_number_plan_clear(plan);
        return FALSE;
    }
    if (plan->country_code != NULL && plan->country_code[0] == '0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "[mapping] default_country_code: '%s' starts with 0",
                    map_quote(q, cc));
        map_number_plan_clear(plan);
        return FALSE;
    }
    if (plan->intl_prefix == NULL)
        plan->intl_prefix = g_strdup("00");
    return TRUE;
}

void
map_number_plan_clear(MapNumberPlan *plan)
{
    g_clear_pointer(&plan->country_code, g_free);
    g_clear_pointer(&plan->intl_prefix, g_free);
    g_clear_pointer(&plan->national_prefix, g_free);
}

gboolean
map_number_is_e164(const char *s)
{
    return s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
           all_digits(s + 1, 1, 15);
}

gboolean
map_number_looks_global(const char *s)
{
    return s[0] == '+' && all_digits(s + 1, 1, G_MAXSIZE);
}

/* digits -> "+digits", checked against E.164. */
static char *
finish_e164(const char *digits, const char *what, GError **error)
{
    char q[MAP_QUOTE_SIZE];
    gsize n = strlen(digits);

    if (n == 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "number '%s' has no digits after its prefix",
                    map_quote(q, what));
        return NULL;
    }
    if (n > 15) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "number '%s' has more than 15 digits (e.164)",
                    map_quote(q, what));
        return NULL;
    }
    if (digits[0] == '0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "number '%s' does not start with a country code",
                    map_quote(q, what));
        return NULL;
    }
    return g_strconcat("+", digits, NULL);
}

static gboolean
is_visual_separator(char c)
{
    return c == '-' || c == '.' || c == '(' || c == ')';
}

char *
map_number_dialled(const MapNumberPlan *plan, const char *dialled,
                   GError **error)
{
    g_autoptr(GString) digits = g_string_new(NULL);
    char q[MAP_QUOTE_SIZE];
    gboolean plus = FALSE;
    const char *rest;

    for (const char *p = dialled; *p != '\0'; p++) {
        if (g_ascii_isdigit(*p)) {
            g_string_append_c(digits, *p);
        } else if (*p == '+' && digits->len == 0 && !plus) {
            plus = TRUE;
        } else if (*p != ' ' && *p != '\t' && !is_visual_separator(*p)) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "number '%s' is not a phone number: unexpected "
                        "character",
                        map_quote(q, dialled));
            return NULL;
        }
        if (digits->len > MAP_MAX_INPUT)
            break;
    }
    if (digits->len == 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "number '%s' has no digits", map_quote(q, dialled));
        return NULL;
    }
    if (plus)
        return finish_e164(digits->str, dialled, error);
    if (g_str_has_prefix(digits->str, plan->intl_prefix))
        return finish_e164(digits->str + strlen(plan->intl_prefix), dialled,
                           error);
    if (plan->country_code == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "number '%s' has no country code and no "
                    "default_country_code is configured",
                    map_quote(q, dialled));
        return NULL;
    }
    rest = digits->str;
    if (plan->national_prefix != NULL &&
        g_str_has_prefix(rest, plan->national_prefix))
        rest += strlen(plan->national_prefix);
    if (rest[0] == '\0')
        return finish_e164("", dialled, error);
    {
        g_autofree char *full = g_strconcat(plan->country_code, rest, NULL);

        return finish_e164(full, dialled, error);
    }
}

/* Digits of an RFC 3966 phonedigit run (DIGIT / visual-separator), with
 * at least one digit; NULL if anything else is there. */
static char *
phonedigits(const char *s, gsize len)
{
    g_autoptr(GString) out = g_string_sized_new(len);

    for (gsize i = 0; i < len; i++) {
        if (g_ascii_isdigit(s[i]))
            g_string_append_c(out, s[i]);
        else if (!is_visual_separator(s[i]))
            return NULL;
    }
    if (out->len == 0)
        return NULL;
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Looks at the telephone-subscriber parameters. Sets *context (borrowed
 * into a copy the caller frees). */
static gboolean
scan_params(const char *number, const char *params, char **context,
            GError **error)
{
    g_auto(GStrv) list = NULL;
    char q[MAP_QUOTE_SIZE];

    *context = NULL;
    if (params == NULL)
        return TRUE;
    list = g_strsplit(params, ";", -1);
    for (guint i = 0; list[i] != NULL; i++) {
        const char *eq = strchr(list[i], '=');
        gsize n = eq ? (gsize)(eq - list[i]) : strlen(list[i]);

        if (n == 0) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "number '%s' has an empty parameter",
                        map_quote(q, number));
            g_clear_pointer(context, g_free);
            return FALSE;
        }
        if (n == 13 && g_ascii_strncasecmp(list[i], "phone-context", n) == 0) {
            if (eq == NULL || eq[1] == '\0' || *context != NULL) {
                g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                            "number '%s' has a bad phone-context",
                            map_quote(q, number));
                g_clear_pointer(context, g_free);
                return FALSE;
            }
            *context = g_strdup(eq + 1);
        } else if ((n == 3 && g_ascii_strncasecmp(list[i], "ext", n) == 0) ||
                   (n == 4 && g_ascii_strncasecmp(list[i], "isub", n) == 0)) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                        "number '%s' has an extension or subaddress, which "
                        "e.164 cannot carry",
                        map_quote(q, number));
            g_clear_pointer(context, g_free);
            return FALSE;
        }
        /* other parameters (RFC 3966 extensions) do not change the number */
    }
    return TRUE;
}

char *
map_number_subscriber(const MapNumberPlan *plan, const char *number,
                      const char *params, GError **error)
{
    g_autofree char *context = NULL;
    g_autofree char *digits = NULL;
    char q[MAP_QUOTE_SIZE];

    if (!scan_params(number, params, &context, error))
        return NULL;
    if (number[0] == '+') {
        digits = phonedigits(number + 1, strlen(number + 1));
        if (digits == NULL || context != NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "number '%s' is not a valid global number%s",
                        map_quote(q, number),
                        context ? " (it takes no phone-context)" : "");
            return NULL;
        }
        return finish_e164(digits, number, error);
    }
    digits = phonedigits(number, strlen(number));
    if (digits == NULL) {
        /* hex digits, '*' and '#' are valid in local numbers, but have no
         * e.164 form; anything else is not a number at all */
        gboolean local = number[0] != '\0';

        for (const char *p = number; *p != '\0'; p++)
            local = local && (g_ascii_isxdigit(*p) || *p == '*' || *p == '#' ||
                              is_visual_separator(*p));
        g_set_error(error, MAP_ERROR,
                    local ? MAP_ERROR_NO_RULE : MAP_ERROR_MALFORMED,
                    local ? "local number '%s' cannot be written as e.164"
                          : "number '%s' is not a telephone number",
                    map_quote(q, number));
        return NULL;
    }
    if (context != NULL) {
        g_autofree char *prefix = NULL;
        g_autofree char *full = NULL;

        if (context[0] != '+') {
            g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                        "local number '%s' in a domain phone-context cannot "
                        "be written as e.164",
                        map_quote(q, number));
            return NULL;
        }
        prefix = phonedigits(context + 1, strlen(context + 1));
        if (prefix == NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "number '%s' has a bad phone-context",
                        map_quote(q, number));
            return NULL;
        }
        full = g_strconcat(prefix, digits, NULL);
        return finish_e164(full, number, error);
    }
    if (plan == NULL || plan->country_code == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "local number '%s' has no phone-context and no "
                    "default_country_code is configured",
                    map_quote(q, number));
        return NULL;
    }
    return map_number_dialled(plan, digits, error);
}
