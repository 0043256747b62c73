/* gateway/core/pool.c: see pool.h. */
#include "pool.h"

#include <string.h>
#include <sys/mman.h>

/* Under AddressSanitizer the pool tells it which bytes are handed out, so
 * an overflow past the size asked for, or a use after free, is still
 * caught in pooled records. */
#if defined(__SANITIZE_ADDRESS__)
#define GW_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_POOL_ASAN 1
#endif
#endif
#ifdef GW_POOL_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

#define GRAIN 32
#define MAX_SLOT 1024
#define N_CLASSES (MAX_SLOT / GRAIN)
#define CHUNK_BYTES (64 * 1024)

typedef struct Slot {
    struct Slot *next;
} Slot;

typedef struct {
    Slot *free;   /* freed slots of this class */
    char *bump;   /* the rest of the newest chunk */
    gsize left;
} SizeClass;

static SizeClass classes[N_CLASSES];
static GwPoolStats stats;

static guint
class_of(gsize size)
{
    return (guint)((MAX(size, 1) + GRAIN - 1) / GRAIN - 1);
}

gpointer
gw_pool_alloc0(gsize size)
{
    SizeClass *c;
    gsize slot;
    char *p;

    if (size > MAX_SLOT)
        return g_malloc0(size);
    c = &classes[class_of(size)];
    slot = (class_of(size) + 1) * GRAIN;
    if (c->free != NULL) {
        p = (char *)c->free;
        c->free = c->free->next;
    } else {
        if (c->left < slot) {
            void *m = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m == MAP_FAILED)
                g_error("gw_pool: cannot map %d bytes", CHUNK_BYTES);
            ASAN_POISON_MEMORY_REGION(m, CHUNK_BYTES);
            c->bump = m;
            c->left = CHUNK_BYTES;
            stats.mapped += CHUNK_BYTES;
        }
        p = c->bump;
        c->bump += slot;
        c->left -= slot;
    }
    stats.in_use += slot;
    ASAN_POISON_MEMORY_REGION(p, slot);
    ASAN_UNPOISON_MEMORY_REGION(p, size);
    memset(p, 0, size);
    return p;
}

void
gw_pool_free(gpointer p, gsize size)
{
    SizeClass *c;
    Slot *s = p;

    if (p == NULL)
        return;
    if (size > MAX_SLOT) {
        g_free(p);
        return;
    }
    c = &classes[class_of(size)];
    ASAN_POISON_MEMORY_REGION(p, (class_of(size) + 1) * GRAIN);
    ASAN_UNPOISON_MEMORY_REGION(p, sizeof *s); /* the free-list link */
    s->next = c->free;
    c->free = s;
    stats.in_use -= (class_of(size) + 1) * GRAIN;
}

char *
gw_pool_strdup(const char *s)
{
    gsize n;
    char *p;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    p = gw_pool_alloc0(n);
    memcpy(p, s, n);
    return p;
}

void
gw_pool_free_str(char *s)
{
    if (s != NULL)
        gw_pool_free(s, strlen(s) + 1);
}

void
gw_pool_get_stats(GwPoolStats *out)
{
    *out = stats;
}
