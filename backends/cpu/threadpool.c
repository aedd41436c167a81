/* threadpool.c — the one intra-op thread pool.
 *
 * Idle workers spin for a short, bounded time (SPIN_NS, 100 us) and then
 * block on a condition variable. Blocking matters on shared 2-vCPU machines:
 * OpenMP-style workers that spin for hundreds of milliseconds made timings
 * swing by orders of magnitude there. The short spin matters too: waking a
 * blocked thread costs tens of microseconds on a VM, more than a
 * 100k-element kernel takes, so back-to-back parallel ops (a training step)
 * find the workers still awake while a pool left alone sleeps almost at once.
 * 100 us covers the Python-side gaps between kernels of an eager training
 * step (30-80 us measured); 30 us did not, and the seed MLP at batch 32 ran
 * 1.3x slower with it.
 *
 * The caller never waits for a worker to wake up: chunks are claimed from a
 * shared counter, the caller claims too, and a worker joins a job only while
 * it is open (`joined`, below). When the caller has run out of chunks it
 * closes the job and waits only for workers that joined, so a job submitted
 * while the workers sleep runs on the caller alone instead of paying their
 * wake-up latency (measured: SGD update on 80k floats 47 -> 17 us).
 *
 * Size from MXCORE_NUM_THREADS, default: online cores. The BLAS runs
 * single-threaded on panels this pool hands out, so the two never
 * oversubscribe. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cpu.h"

#define SPIN_NS 100000 /* how long an idle worker (or the waiting caller) spins */
#define JOB_CLOSED (1 << 30) /* bit of pool.joined: no more workers may join */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    pthread_t *threads;
    int n_workers;             /* threads besides the caller */
    atomic_uint_fast64_t gen;  /* bumped for each job (seq_cst: pairs with sleepers) */
    atomic_int sleepers;       /* workers blocked (or about to block) on `wake` */
    atomic_int caller_waiting; /* the submitting thread blocked on `done` */
    mxi_range_fn fn;
    void *ctx;
    int64_t n, chunk;
    atomic_llong next;         /* next chunk start */
    atomic_int joined;         /* workers inside the current job, | JOB_CLOSED once closed */
    atomic_int stop;
} pool_t;

static pool_t pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
                      .wake = PTHREAD_COND_INITIALIZER,
                      .done = PTHREAD_COND_INITIALIZER,
                      .joined = JOB_CLOSED}; /* no job open yet */
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int in_worker;
static int requested_threads;

extern void mxi_blas_set_threads(int n);

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Spin until cond(arg) holds or SPIN_NS pass; returns whether it held. */
static bool spin_until(bool (*cond)(uint64_t), uint64_t arg) {
    uint64_t t0 = now_ns();
    for (int i = 0;; i++) {
        if (cond(arg)) return true;
        cpu_relax();
        if ((i & 63) == 63 && now_ns() - t0 > SPIN_NS) return cond(arg);
    }
}

static bool new_job(uint64_t seen) { return atomic_load(&pool.gen) != seen || atomic_load(&pool.stop); }
static bool job_done(uint64_t unused) {
    (void)unused;
    return atomic_load(&pool.joined) == JOB_CLOSED;
}

/* Enter the open job, if any. Joining whichever job is open is correct even
 * if it is newer than the one that woke us: its fields are all set before it
 * opens (the submitter stores `joined` = 0 last) and stay until it closes
 * with nobody inside. */
static bool join_job(void) {
    int v = atomic_load(&pool.joined);
    while (!(v & JOB_CLOSED))
        if (atomic_compare_exchange_weak(&pool.joined, &v, v + 1)) return true;
    return false;
}

static void run_chunks(void) {
    for (;;) {
        int64_t b = atomic_fetch_add(&pool.next, pool.chunk);
        if (b >= pool.n) break;
        int64_t e = b + pool.chunk < pool.n ? b + pool.chunk : pool.n;
        pool.fn(pool.ctx, b, e);
    }
}

static void *worker(void *arg) {
    in_worker = 1;
    /* the generation current when this worker was created (read by the
     * creator, before any job it must run was published) */
    uint64_t seen = (uint64_t)(uintptr_t)arg;
    for (;;) {
        if (!spin_until(new_job, seen)) {
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleepers, 1);
            /* re-check after announcing: a submitter that bumped gen before
             * seeing sleepers > 0 is seen here (both are seq_cst) */
            while (!new_job(seen)) pthread_cond_wait(&pool.wake, &pool.lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.lock);
        }
        if (atomic_load(&pool.stop)) break;
        seen = atomic_load(&pool.gen);
        if (!join_job()) continue;
        run_chunks();
        if (atomic_fetch_sub(&pool.joined, 1) == JOB_CLOSED + 1 && atomic_load(&pool.caller_waiting)) {
            pthread_mutex_lock(&pool.lock);
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.lock);
        }
    }
    return NULL;
}

static void start_workers(int total) {
    pool.n_workers = total - 1;
    atomic_store(&pool.stop, 0);
    if (pool.n_workers <= 0) return;
    pool.threads = calloc((size_t)pool.n_workers, sizeof(pthread_t));
    for (int i = 0; i < pool.n_workers; i++) {
        if (pthread_create(&pool.threads[i], NULL, worker, (void *)(uintptr_t)atomic_load(&pool.gen)) != 0) {
            pool.n_workers = i; /* run with what we got */
            break;
        }
    }
}

static void stop_workers(void) {
    pthread_mutex_lock(&pool.lock);
    atomic_store(&pool.stop, 1);
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
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.chunk = (n + chunks - 1) / chunks;
    atomic_store(&pool.next, 0);
    atomic_store(&pool.joined, 0);  /* opens the job: fields above are set */
    atomic_fetch_add(&pool.gen, 1); /* wakes workers (seq_cst) */
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    in_worker = 1; /* the caller works too; nested loops inside run inline */
    run_chunks();
    in_worker = 0;
    /* all chunks are claimed: close the job, then wait only for joiners */
    atomic_fetch_or(&pool.joined, JOB_CLOSED);
    if (!spin_until(job_done, 0)) {
        pthread_mutex_lock(&pool.lock);
        atomic_store(&pool.caller_waiting, 1);
        while (atomic_load(&pool.joined) != JOB_CLOSED) pthread_cond_wait(&pool.done, &pool.lock);
        atomic_store(&pool.caller_waiting, 0);
        pthread_mutex_unlock(&pool.lock);
    }
    pthread_mutex_unlock(&submit_lock);
}
