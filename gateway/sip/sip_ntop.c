/* gateway/sip/sip_ntop.c: inet_ntop() for IPv4 without printf.
 *
 * Sofia formats the source address of every message it receives
 * (tport_deliver, and nta's Via checks after it) with inet_ntop(), and
 * glibc's IPv4 branch is sprintf("%u.%u.%u.%u"): ~9% of the instructions
 * of a SIP->XMPP message and ~1.3% of an XMPP->SIP one (callgrind,
 * tests/bench/bench_messages.sh --only a). Sofia calls it through its PLT,
 * so this definition, in the executable, is the one it reaches. IPv4 is
 * written digit by digit, with POSIX's and glibc's exact result (the
 * dotted decimal; ENOSPC and NULL when it does not fit in size, nothing
 * written); every other family goes to the C library's own.
 * tests/test_gateway_units.c (/sip/ntop) compares the two over every
 * octet value in every place, random addresses and every size. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

typedef const char *(*NtopFunc)(int, const void *, char *, socklen_t);

const char *
inet_ntop(int af, const void *restrict src, char *restrict dst,
          socklen_t size)
{
    static NtopFunc real;

    if (af == AF_INET) {
        const unsigned char *b = src;
        char tmp[sizeof "255.255.255.255"], *p = tmp;
        size_t n;

        for (int i = 0; i < 4; i++) {
            unsigned v = b[i];

            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
            *p++ = i < 3 ? '.' : '\0';
        }
        n = (size_t)(p - tmp); /* with the NUL */
        if (n > size) {
            errno = ENOSPC;
            return NULL;
        }
        memcpy(dst, tmp, n);
        return dst;
    }
    if (real == NULL)
        real = (NtopFunc)dlsym(RTLD_NEXT, "inet_ntop");
    if (real == NULL) {
        errno = EAFNOSUPPORT;
        return NULL;
    }
    return real(af, src, dst, size);
}
