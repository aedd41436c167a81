/* profiler.c — see profiler.h. */
#include "profiler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "op.h"

#define SLOTS 1024
#define MAX_EVENTS (1 << 20) /* trace events kept (32 MiB); later ones are counted, not kept */

typedef struct {
    const mx_op_def *op;
    uint64_t ns, calls;
} entry;

typedef struct {
    const mx_op_def *op;
    uint64_t t0, dur;
    uint32_t tid;
} event;

static entry table[SLOTS];
static event *events;
static size_t n_events, cap_events, dropped_events;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int enabled = -1; /* -1: not yet read from MXCORE_PROFILE */
static atomic_int tracing;
static int from_env; /* MXCORE_PROFILE started it: print the table at exit */
static atomic_uint next_tid;
static _Thread_local uint32_t my_tid;
static char *dump_text; /* mx_profiler_dumps result, replaced per call */

bool mxi_profiling(void) {
    int e = atomic_load_explicit(&enabled, memory_order_relaxed);
    if (e < 0) {
        const char *v = getenv("MXCORE_PROFILE");
        int on = v && *v && *v != '0';
        int expect = -1;
        if (atomic_compare_exchange_strong(&enabled, &expect, on)) from_env = on;
        e = atomic_load(&enabled);
    }
    return e > 0;
}

uint64_t mxi_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void add_event(const mx_op_def *op, uint64_t t0, uint64_t ns) {
    if (!my_tid) my_tid = atomic_fetch_add(&next_tid, 1) + 1;
    if (n_events == cap_events) {
        size_t cap = cap_events ? cap_events * 2 : 4096;
        event *grown = cap <= MAX_EVENTS ? realloc(events, cap * sizeof *events) : NULL;
        if (!grown) {
            dropped_events++;
            return;
        }
        events = grown;
        cap_events = cap;
    }
    events[n_events++] = (event){op, t0, ns, my_tid};
}

void mxi_profile_add(const mx_op_def *op, uint64_t t0, uint64_t ns) {
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
    if (atomic_load_explicit(&tracing, memory_order_relaxed)) add_event(op, t0, ns);
    pthread_mutex_unlock(&lock);
}

static int by_time(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (!x->op || !y->op) return !x->op - !y->op; /* empty slots last */
    return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

/* The table as text, sorted by total time; caller holds the lock. */
static char *format_table(void) {
    entry sorted[SLOTS];
    memcpy(sorted, table, sizeof sorted);
    qsort(sorted, SLOTS, sizeof sorted[0], by_time);
    uint64_t total = 0;
    int n = 0;
    for (; n < SLOTS && sorted[n].op; n++) total += sorted[n].ns;
    size_t cap = 256 + (size_t)n * 96, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    len += (size_t)snprintf(s + len, cap - len, "mxcore profile (CPU kernel time per op)\n%-32s %10s %12s %10s %6s\n",
                            "op", "calls", "total ms", "mean us", "%");
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(s + len, cap - len, "%-32s %10llu %12.3f %10.2f %5.1f%%\n", sorted[i].op->name,
                                (unsigned long long)sorted[i].calls, sorted[i].ns / 1e6,
                                sorted[i].ns / 1e3 / (double)sorted[i].calls, total ? 100.0 * sorted[i].ns / total : 0);
    return s;
}

static void reset_locked(void) {
    memset(table, 0, sizeof table);
    n_events = 0;
    dropped_events = 0;
}

int mx_profiler_set_state(int running, int trace) {
    mxi_profiling(); /* settle the MXCORE_PROFILE default first */
    atomic_store(&tracing, running && trace);
    atomic_store(&enabled, running ? 1 : 0);
    return MX_OK;
}

int mx_profiler_dumps(int reset, const char **text) {
    if (!text) return mxi_error(MX_ERR_INVALID, "mx_profiler_dumps: text is NULL");
    pthread_mutex_lock(&lock);
    char *s = format_table();
    if (s) {
        free(dump_text);
        dump_text = s;
        if (reset) reset_locked();
    }
    pthread_mutex_unlock(&lock);
    if (!s) return mxi_error(MX_ERR_MEMORY, "mx_profiler_dumps: out of memory");
    *text = dump_text;
    return MX_OK;
}

int mx_profiler_dump_trace(const char *path, int reset) {
    if (!path || !*path) return mxi_error(MX_ERR_INVALID, "mx_profiler_dump_trace: empty path");
    FILE *f = fopen(path, "w");
    if (!f) return mxi_error(MX_ERR_IO, "mx_profiler_dump_trace: cannot write '%s'", path);
    pthread_mutex_lock(&lock);
    fprintf(f, "{\"displayTimeUnit\": \"ms\", \"otherData\": {\"dropped_events\": %zu}, \"traceEvents\": [",
            dropped_events);
    for (size_t i = 0; i < n_events; i++)
        fprintf(f, "%s\n{\"name\": \"%s\", \"cat\": \"operator\", \"ph\": \"X\", \"pid\": 0, \"tid\": %u, "
                   "\"ts\": %.3f, \"dur\": %.3f}",
                i ? "," : "", events[i].op->name, events[i].tid, events[i].t0 / 1e3, events[i].dur / 1e3);
    fprintf(f, "\n]}\n");
    if (reset) reset_locked();
    pthread_mutex_unlock(&lock);
    if (fclose(f) != 0) return mxi_error(MX_ERR_IO, "mx_profiler_dump_trace: error writing '%s'", path);
    return MX_OK;
}

__attribute__((destructor)) static void profile_report(void) {
    if (from_env && atomic_load(&enabled) == 1) {
        pthread_mutex_lock(&lock);
        char *s = format_table();
        pthread_mutex_unlock(&lock);
        if (s) fprintf(stderr, "\n%s", s);
        free(s);
    }
    free(events);
    free(dump_text);
}
