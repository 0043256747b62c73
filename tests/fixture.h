/* tests/fixture.h: reading test vectors from tests/data/<dir>/, for the
 * table tests of the cores. */
#pragma once

#include <glib.h>
#include <string.h>

/* tests/data/<dir>/<name> (transfer full) */
static inline char *
gw_fixture_path(const char *dir, const char *name)
{
    return g_test_build_filename(G_TEST_DIST, "data", dir, name, NULL);
}

/* The file's bytes, NUL-terminated; a missing fixture fails the test. */
static inline char *
gw_fixture_read(const char *dir, const char *name, gsize *len)
{
    g_autofree char *path = gw_fixture_path(dir, name);
    g_autoptr(GError) error = NULL;
    char *data = NULL;

    if (!g_file_get_contents(path, &data, len, &error))
        g_error("fixture %s/%s: %s", dir, name, error->message);
    return data;
}
