/* bench_jsdp.c: libjsdp translations per second, both directions, text to
 * text (SDP -> model -> Jingle XML text; Jingle XML text -> model -> SDP),
 * on a WebRTC audio+video BUNDLE offer with 8 candidates and on a classic
 * desk-phone offer; peak RSS; then StanzaJS's own conversion of the same
 * files (tests/bench/node, `npm ci` first if node_modules is missing) and
 * the ratio.
 *
 *   bench_jsdp [--seconds S] [--no-node]
 *
 * Figures, not a test: nothing here fails on speed.
 */
#include "jsdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifndef JSDP_BENCH_DATA
#define JSDP_BENCH_DATA "tests/data/jsdp/bench"
#endif
#ifndef JSDP_BENCH_NODE
#define JSDP_BENCH_NODE "tests/bench/node"
#endif

typedef struct {
    const char *name;
    char *sdp;
    char *xml;
    double c_rate[2]; /* 0: sdp-to-jingle, 1: jingle-to-sdp; per CPU second */
    double c_best[2]; /* best round, per CPU second */
    double c_wall[2]; /* median wall-clock rate */
    double js_rate[2];
    char *js_note[2];
} Input;

static const char *const directions[] = {"sdp-to-jingle", "jingle-to-sdp"};

static gboolean
sdp_to_jingle(const char *sdp)
{
    JsdpSdpParseParams pp = {JSDP_ROLE_INITIATOR, JSDP_CLASSIC_RAW_UDP};
    JsdpJinglePrintParams jp = {.action = "session-initiate", .sid = "bench1"};
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(sdp, -1, &pp, NULL);
    g_autofree char *xml = s ? jsdp_session_to_jingle_string(s, &jp, NULL) : NULL;

    return xml != NULL;
}

static gboolean
jingle_to_sdp(const char *xml)
{
    JsdpSdpPrintParams sp = {.author = JSDP_ROLE_INITIATOR, .session_id = 1, .session_version = 1};
    g_autoptr(JsdpSession) s = jsdp_session_from_jingle_string(xml, -1, NULL);
    g_autofree char *sdp = s ? jsdp_session_to_sdp(s, &sp, NULL) : NULL;

    return sdp != NULL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs fn for `seconds` of wall time in 20 rounds and rates each round by
 * the CPU time it used (calls per CPU-second: the cost on one core, which a
 * busy shared machine distorts much less than wall time).  Returns the
 * median round; *best gets the best round and *wall the median wall-clock
 * rate (what this machine gave just now). */
static double
measure(gboolean (*fn)(const char *), const char *input, double seconds, double *best,
        double *wall)
{
    double cpu_rates[20], wall_rates[20];

    for (int i = 0; i < 200; i++) /* warm up */
        if (!fn(input))
            g_error("translation failed");
    for (guint r = 0; r < G_N_ELEMENTS(cpu_rates); r++) {
        gint64 start = g_get_monotonic_time(), now;
        double cpu0 = cpu_seconds();
        guint64 n = 0;
        do {
            for (int i = 0; i < 64; i++)
                fn(input);
            n += 64;
            now = g_get_monotonic_time();
        } while (now - start < (gint64)(seconds / G_N_ELEMENTS(cpu_rates) * G_USEC_PER_SEC));
        cpu_rates[r] = (double)n / MAX(cpu_seconds() - cpu0, 1e-9);
        wall_rates[r] = (double)n / ((double)(now - start) / G_USEC_PER_SEC);
    }
    qsort(cpu_rates, G_N_ELEMENTS(cpu_rates), sizeof(double), cmp_double);
    qsort(wall_rates, G_N_ELEMENTS(wall_rates), sizeof(double), cmp_double);
    *best = cpu_rates[G_N_ELEMENTS(cpu_rates) - 1];
    *wall = (wall_rates[9] + wall_rates[10]) / 2;
    return (cpu_rates[9] + cpu_rates[10]) / 2;
}

static char *
load(const char *dir, const char *name, const char *suffix)
{
    g_autofree char *path = g_strdup_printf("%s/%s%s", dir, name, suffix);
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, &error))
        g_error("%s", error->message);
    return text;
}

static const char *
load_average(void)
{
    static char text[64];
    g_autofree char *s = NULL;

    if (!g_file_get_contents("/proc/loadavg", &s, NULL, NULL))
        return "?";
    g_strlcpy(text, s, sizeof(text));
    g_strchomp(text);
    return text;
}

static gboolean
run(const char *const *argv, const char *cwd, char **out)
{
    g_autoptr(GError) error = NULL;
    int status = 0;

    if (!g_spawn_sync(cwd, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, out, NULL, &status, &error)) {
        fprintf(stderr, "bench_jsdp: %s: %s\n", argv[0], error->message);
        return FALSE;
    }
    return g_spawn_check_wait_status(status, NULL);
}

/* StanzaJS figures for the same files, from tests/bench/node. */
static void
run_stanza(Input *inputs, guint n, guint iterations, long *js_rss)
{
    g_autofree char *modules = g_build_filename(JSDP_BENCH_NODE, "node_modules", NULL);
    g_autofree char *iters = g_strdup_printf("%u", iterations);
    const char *npm[] = {"npm", "ci", "--no-audit", "--no-fund", NULL};
    const char *node[] = {"node", "bench_stanza.js", JSDP_BENCH_DATA, iters, NULL};
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_test(modules, G_FILE_TEST_IS_DIR)) {
        printf("(running npm ci in %s)\n", JSDP_BENCH_NODE);
        if (!run(npm, JSDP_BENCH_NODE, NULL)) {
            printf("StanzaJS: npm ci failed; no comparison\n");
            return;
        }
    }
    if (!run(node, JSDP_BENCH_NODE, &out)) {
        printf("StanzaJS: node bench_stanza.js failed; no comparison\n");
        return;
    }
    lines = g_strsplit(out, "\n", 0);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", 5);
        if (g_strv_length(f) >= 3 && strcmp(f[1], "peak-rss") == 0)
            *js_rss = atol(f[2]);
        if (g_strv_length(f) < 4)
            continue;
        for (guint k = 0; k < n; k++) {
            for (guint d = 0; d < 2; d++) {
                if (strcmp(f[1], inputs[k].name) != 0 || strcmp(f[2], directions[d]) != 0)
                    continue;
                if (strcmp(f[3], "n/a") == 0)
                    inputs[k].js_note[d] = g_strdup(f[4] ? f[4] : "failed");
                else
                    inputs[k].js_rate[d] = g_ascii_strtod(f[3], NULL);
            }
        }
    }
}

int
main(int argc, char **argv)
{
    Input inputs[] = {{.name = "webrtc-av-bundle-8cand"}, {.name = "deskphone-polycom-offer"}};
    double seconds = 2.0;
    gboolean node = TRUE;
    long js_rss = 0;
    struct rusage ru;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = g_ascii_strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--no-node") == 0)
            node = FALSE;
    }
    printf("libjsdp, one thread, text to text, %.1f s per figure in 20 rounds, rated by CPU time\n"
           "(translations per CPU-second); load average now: %s\n",
           seconds, load_average());
    for (guint k = 0; k < G_N_ELEMENTS(inputs); k++) {
        inputs[k].sdp = load(JSDP_BENCH_DATA, inputs[k].name, ".sdp");
        inputs[k].xml = load(JSDP_BENCH_DATA, inputs[k].name, ".jingle.xml");
        inputs[k].c_rate[0] = measure(sdp_to_jingle, inputs[k].sdp, seconds, &inputs[k].c_best[0],
                                      &inputs[k].c_wall[0]);
        inputs[k].c_rate[1] = measure(jingle_to_sdp, inputs[k].xml, seconds, &inputs[k].c_best[1],
                                      &inputs[k].c_wall[1]);
        for (guint d = 0; d < 2; d++)
            printf("  %-26s %-14s %8.0f/CPU-s median, %8.0f best round, wall-clock %8.0f/s\n",
                   inputs[k].name, directions[d], inputs[k].c_rate[d], inputs[k].c_best[d],
                   inputs[k].c_wall[d]);
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS %ld KiB\n", ru.ru_maxrss);
    if (!node) {
        printf("StanzaJS comparison skipped (--no-node)\n");
        return 0;
    }
    run_stanza(inputs, G_N_ELEMENTS(inputs), 4000, &js_rss);
    {
        const char *ver[] = {"node", "--version", NULL};
        g_autofree char *v = NULL;
        run(ver, NULL, &v);
        printf("StanzaJS 12.22.1 (node %s), same files, same machine:\n", v ? g_strstrip(v) : "?");
    }
    for (guint k = 0; k < G_N_ELEMENTS(inputs); k++) {
        for (guint d = 0; d < 2; d++) {
            if (inputs[k].js_rate[d] > 0)
                printf("  %-26s %-14s %8.0f translations per CPU-second  libjsdp/StanzaJS = %.1fx\n",
                       inputs[k].name, directions[d], inputs[k].js_rate[d],
                       inputs[k].c_rate[d] / inputs[k].js_rate[d]);
            else
                printf("  %-26s %-14s        n/a (StanzaJS: %s)\n", inputs[k].name, directions[d],
                       inputs[k].js_note[d] ? inputs[k].js_note[d] : "no figure");
        }
    }
    if (js_rss > 0)
        printf("  node peak RSS %ld KiB\n", js_rss);
    printf("StanzaJS handles only WebRTC-style SDP (it needs a=setup/ICE): the desk-phone offer has no\n"
           "StanzaJS figure.\n");
    for (guint k = 0; k < G_N_ELEMENTS(inputs); k++) {
        g_free(inputs[k].sdp);
        g_free(inputs[k].xml);
        g_free(inputs[k].js_note[0]);
        g_free(inputs[k].js_note[1]);
    }
    return 0;
}
