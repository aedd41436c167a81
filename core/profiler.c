/* profiler.c — see profiler.h. */
#include "profiler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "op.h"

#define SLOTS 1024

typedef struct {
    const mx_op_def *op;
    uint64_t ns, calls;
} entry;

static entry table[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int enabled = -1;

bool mxi_profiling(void) {
    if (enabled < 0) {
        const char *e = getenv("MXCORE_PROFILE");
        enabled = e && *e && *e != '0';
    }
    return enabled;
}

uint64_t mxi_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void mxi_profile_add(const mx_op_def *op, uint64_t ns) {
    size_t h = ((uintptr_t)op >> 4) % SLOTS;
    pthread_mutex_lock(&lock);
    for (size_t k = 0; k < SLOTS; k++) {
        entry *e = &table[(h + k) % SLOTS];
        if (e->op == op || !e->op) {
            e->op = op;
            e->ns += ns;
            e->calls++;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

static int by_time(const void *a, const void *b) {
    const entry *x = a, *y = b;
    return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

__attribute__((destructor)) static void profile_report(void) {
    if (enabled != 1) return;
    qsort(table, SLOTS, sizeof table[0], by_time);
    uint64_t total = 0;
    for (int i = 0; i < SLOTS && table[i].op; i++) total += table[i].ns;
    fprintf(stderr, "\nmxcore profile (kernel time per op, MXCORE_PROFILE=1)\n%-32s %10s %12s %10s %6s\n", "op", "calls",
            "total ms", "mean us", "%");
    for (int i = 0; i < SLOTS && table[i].op; i++)
        fprintf(stderr, "%-32s %10llu %12.2f %10.2f %5.1f%%\n", table[i].op->name, (unsigned long long)table[i].calls,
                table[i].ns / 1e6, table[i].ns / 1e3 / (double)table[i].calls, total ? 100.0 * table[i].ns / total : 0);
}
