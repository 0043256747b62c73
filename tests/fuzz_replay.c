/* Replays libFuzzer corpora without libFuzzer: every file named on the
 * command line (or found in a directory named there) is fed once to
 * LLVMFuzzerTestOneInput. Lets ctest run every fuzz target's corpus and
 * crash fixtures in every build, gcc included. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
    gchar *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;

    if (!g_file_get_contents(path, &data, &len, &error)) {
        fprintf(stderr, "fuzz_replay: %s\n", error->message);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    g_free(data);
    return 0;
}

static int
replay(const char *path, guint *count)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;
        int rc = 0;

        if (dir == NULL)
            return 1;
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rc |= replay(child, count);
        }
        return rc;
    }
    (*count)++;
    return replay_file(path);
}

int
main(int argc, char **argv)
{
    guint count = 0;
    int rc = 0;

    for (int i = 1; i < argc; i++)
        rc |= replay(argv[i], &count);
    printf("fuzz_replay: %u inputs replayed\n", count);
    return rc;
}
