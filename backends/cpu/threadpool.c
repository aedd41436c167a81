/* threadpool.c — the one intra-op thread pool. Workers block on a condition
 * variable when idle (no spinning: on shared 2-vCPU machines spinning workers
 * made timings swing by orders of magnitude). Size from MXCORE_NUM_THREADS,
 * default: online cores. BLAS threads are capped to the same number and BLAS
 * is only called from the caller's thread, so the two never oversubscribe. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "cpu.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    pthread_t *threads;
    int n_workers;         /* threads besides the caller */
    uint64_t generation;   /* bumped for each job */
    mxi_range_fn fn;
    void *ctx;
    int64_t n, chunk;
    atomic_llong next;     /* next chunk start */
    int active;            /* workers still running the current job */
    int stop;
} pool_t;

static pool_t pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int in_worker;
static int requested_threads;

extern void mxi_blas_set_threads(int n);

static void run_chunks(void) {
    for (;;) {
        int64_t b = atomic_fetch_add(&pool.next, pool.chunk);
        if (b >= pool.n) break;
        int64_t e = b + pool.chunk < pool.n ? b + pool.chunk : pool.n;
        pool.fn(pool.ctx, b, e);
    }
}

static void *worker(void *arg) {
    (void)arg;
    in_worker = 1;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.stop && pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.lock);
        if (pool.stop) break;
        seen = pool.generation;
        pthread_mutex_unlock(&pool.lock);
        run_chunks();
        pthread_mutex_lock(&pool.lock);
        if (--pool.active == 0) pthread_cond_signal(&pool.done);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

static void start_workers(int total) {
    pool.n_workers = total - 1;
    pool.stop = 0;
    if (pool.n_workers <= 0) return;
    pool.threads = calloc((size_t)pool.n_workers, sizeof(pthread_t));
    for (int i = 0; i < pool.n_workers; i++) {
        if (pthread_create(&pool.threads[i], NULL, worker, NULL) != 0) {
            pool.n_workers = i; /* run with what we got */
            break;
        }
    }
}

static void stop_workers(void) {
    pthread_mutex_lock(&pool.lock);
    pool.stop = 1;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.n_workers; i++) pthread_join(pool.threads[i], NULL);
    free(pool.threads);
    pool.threads = NULL;
    pool.n_workers = 0;
}

static int default_threads(void) {
    const char *env = getenv("MXCORE_NUM_THREADS");
    if (env && atoi(env) > 0) return atoi(env);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void pool_init(void) {
    if (!requested_threads) requested_threads = default_threads();
    start_workers(requested_threads);
    mxi_blas_set_threads(requested_threads);
}

__attribute__((destructor)) static void pool_shutdown(void) {
    if (pool.threads) stop_workers();
}

int mxi_num_threads(void) {
    pthread_once(&pool_once, pool_init);
    return pool.n_workers + 1;
}

void mxi_set_num_threads_internal(int n) {
    pthread_once(&pool_once, pool_init);
    pthread_mutex_lock(&submit_lock);
    stop_workers();
    requested_threads = n;
    start_workers(n);
    mxi_blas_set_threads(n);
    pthread_mutex_unlock(&submit_lock);
}

void mxi_parallel_for(int64_t n, int64_t grain, mxi_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    pthread_once(&pool_once, pool_init);
    if (n <= grain || pool.n_workers == 0 || in_worker || pthread_mutex_trylock(&submit_lock) != 0) {
        /* small, nested, or pool busy with another caller thread: run inline */
        fn(ctx, 0, n);
        return;
    }
    int total = pool.n_workers + 1;
    int64_t chunks = n / grain;
    if (chunks > total * 4) chunks = total * 4;
    if (chunks < 1) chunks = 1;
    pthread_mutex_lock(&pool.lock);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.chunk = (n + chunks - 1) / chunks;
    atomic_store(&pool.next, 0);
    pool.active = pool.n_workers;
    pool.generation++;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    in_worker = 1; /* the caller works too; nested loops inside run inline */
    run_chunks();
    in_worker = 0;
    pthread_mutex_lock(&pool.lock);
    while (pool.active > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&submit_lock);
}
