/* tests/fuzz_fail.h: how a libFuzzer target reports a broken invariant.
 * abort(), not g_error(): libFuzzer keeps the input on SIGABRT, while
 * g_error() ends in G_BREAKPOINT's SIGTRAP, which libFuzzer does not
 * catch; the replay test (tests/fuzz_replay.c) fails with the message. */
#pragma once

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN G_GNUC_UNUSED
fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            fail("invariant failed: %s", #cond);                               \
    } while (0)
