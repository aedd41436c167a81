/* handles.c — open-addressing hash set of live handle pointers (see
 * handles.h). One mutex: lookups are a few tens of nanoseconds uncontended. */
#include "handles.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "mxcore/mxcore.h"

#define TOMBSTONE ((uintptr_t)1)

static uintptr_t *slots;
static size_t cap, used, live; /* used counts live + tombstones */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t hash(uintptr_t p) {
    p ^= p >> 33;
    p *= 0xff51afd7ed558ccdULL;
    p ^= p >> 33;
    return (size_t)p;
}

static int rehash(size_t new_cap) {
    uintptr_t *ns = calloc(new_cap, sizeof *ns);
    if (!ns) return MX_ERR_MEMORY;
    for (size_t i = 0; i < cap; i++) {
        uintptr_t p = slots[i];
        if (p <= TOMBSTONE) continue;
        size_t j = hash(p) & (new_cap - 1);
        while (ns[j]) j = (j + 1) & (new_cap - 1);
        ns[j] = p;
    }
    free(slots);
    slots = ns;
    cap = new_cap;
    used = live;
    return MX_OK;
}

int mxi_handles_add(const void *ptr) {
    uintptr_t p = (uintptr_t)ptr;
    pthread_mutex_lock(&lock);
    if ((used + 1) * 2 > cap) {
        size_t nc = cap ? cap : 1024;
        while ((live + 1) * 4 > nc) nc *= 2;
        if (rehash(nc > cap ? nc : cap) != MX_OK) {
            pthread_mutex_unlock(&lock);
            return MX_ERR_MEMORY;
        }
    }
    size_t j = hash(p) & (cap - 1);
    while (slots[j] > TOMBSTONE) j = (j + 1) & (cap - 1);
    if (!slots[j]) used++;
    slots[j] = p;
    live++;
    pthread_mutex_unlock(&lock);
    return MX_OK;
}

static size_t find(uintptr_t p) {
    if (!cap) return SIZE_MAX;
    size_t j = hash(p) & (cap - 1);
    while (slots[j]) {
        if (slots[j] == p) return j;
        j = (j + 1) & (cap - 1);
    }
    return SIZE_MAX;
}

void mxi_handles_remove(const void *ptr) {
    pthread_mutex_lock(&lock);
    size_t j = find((uintptr_t)ptr);
    if (j != SIZE_MAX) {
        slots[j] = TOMBSTONE;
        live--;
    }
    pthread_mutex_unlock(&lock);
}

bool mxi_handles_contains(const void *ptr) {
    pthread_mutex_lock(&lock);
    bool r = find((uintptr_t)ptr) != SIZE_MAX;
    pthread_mutex_unlock(&lock);
    return r;
}

__attribute__((destructor)) static void handles_free(void) {
    free(slots);
    slots = NULL;
    cap = used = live = 0;
}
