/* handles.c — see handles.h. */
#include "handles.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_HANDLES (8u << 20) /* live + quarantined structs (8M) */
#define QUARANTINE 1024

static char *region;             /* capacity * slot bytes, reserved lazily */
static const size_t slot = MXI_HANDLE_SLOT;
static atomic_size_t used;       /* slots handed out from the region so far */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* FIFO of freed slots, linked through the slot's last pointer-sized word
 * (tensor structs keep their tag in the first word) */
static char *free_head, *free_tail;
static size_t free_len;

static size_t capacity; /* slots in the region */

static void reserve(void) {
    /* address space only (pages appear on first touch); where the system
     * refuses a large reservation (strict overcommit) settle for less */
    for (size_t n = MAX_HANDLES; n >= (64u << 10); n /= 2) {
        void *p = mmap(NULL, n * slot, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED) {
            region = p;
            capacity = n;
            return;
        }
    }
}

static char **next_of(char *s) { return (char **)(s + slot - sizeof(char *)); }

void *mxi_handle_alloc(void) {
    pthread_once(&once, reserve);
    if (!region) return NULL;
    char *s = NULL;
    pthread_mutex_lock(&lock);
    if (free_len > QUARANTINE) {
        s = free_head;
        free_head = *next_of(s);
        if (!free_head) free_tail = NULL;
        free_len--;
    }
    pthread_mutex_unlock(&lock);
    if (!s) {
        size_t i = atomic_fetch_add(&used, 1);
        if (i >= capacity) {
            atomic_fetch_sub(&used, 1);
            return NULL;
        }
        s = region + i * slot;
    }
    memset(s, 0, slot);
    return s;
}

void mxi_handle_free(void *p) {
    char *s = p;
    *next_of(s) = NULL;
    pthread_mutex_lock(&lock);
    if (free_tail) *next_of(free_tail) = s;
    else free_head = s;
    free_tail = s;
    free_len++;
    pthread_mutex_unlock(&lock);
}

bool mxi_handle_in_pool(const void *p) {
    const char *s = p;
    if (!region || s < region) return false;
    size_t off = (size_t)(s - region);
    return off / slot < atomic_load_explicit(&used, memory_order_acquire) && off % slot == 0;
}
