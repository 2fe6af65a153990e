// A pool of worker threads that spin between jobs. Inference runs hundreds of short parallel regions
// per forward pass (a 10-token text query: ~100 regions of 20–300 µs). libdispatch wakes its workers
// through the kernel, and for regions this short the caller has usually done all the work before a
// worker arrives, so a second core gave the text query nothing. Spinning workers start within ~1 µs.
#include "CTensorKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

// A plain load loop, without PAUSE: the spin is bounded (below), and under KVM a PAUSE loop can trigger
// pause-loop exits that hand the vCPU back to the host in the middle of a forward pass.
#define cpu_relax() __asm__ volatile("" ::: "memory")

// How long an idle worker spins before it sleeps: long enough to bridge the gaps inside a forward
// pass, short enough not to hold a core away from other work (ffmpeg while indexing video) for long.
#define SPIN_NANOSECONDS 300000L

// Chunks are claimed, not assigned: `claim` holds the job's generation (high bits) and the next
// unclaimed chunk (low 16 bits). When ffmpeg or another process holds the worker's core, the caller
// runs the worker's chunks itself instead of spinning until the worker is scheduled again.
#define CHUNK_BITS 16

typedef struct {
    long workers;
    atomic_long generation;  // bumped once per job
    atomic_long claim;
    atomic_long completed;   // chunks of the current job finished
    atomic_long sleepers;
    atomic_int busy;         // one job at a time; other callers fall back
    pthread_mutex_t lock;
    pthread_cond_t wake;
    cs_parallel_body body;
    void *context;
    long count;
} worker_pool;

static worker_pool pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static long requested_threads = 1;

static long monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000L + now.tv_nsec;
}

// Runs unclaimed chunks of job `generation` until none is left. A worker that arrives after the job
// ended (or after the next one began) finds the generation changed and claims nothing, so the job's
// fields are only read while the caller is still waiting for the claimed chunk.
static void run_chunks(long generation) {
    for (;;) {
        long state = atomic_load_explicit(&pool.claim, memory_order_acquire);
        if ((state >> CHUNK_BITS) != generation) return;
        long index = state & ((1L << CHUNK_BITS) - 1);
        if (index >= pool.count) return;
        if (!atomic_compare_exchange_weak(&pool.claim, &state, state + 1)) continue;
        pool.body(pool.context, index);
        atomic_fetch_add_explicit(&pool.completed, 1, memory_order_release);
    }
}

static void *worker_main(void *argument) {
    (void)argument;
    long seen = 0;  // workers start before the first job is published, whenever they get scheduled
    for (;;) {
        long deadline = monotonic_nanoseconds() + SPIN_NANOSECONDS;
        long current;
        for (long spins = 0; (current = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen; spins++) {
            cpu_relax();
            if ((spins & 255) == 255 && monotonic_nanoseconds() > deadline) {
                pthread_mutex_lock(&pool.lock);
                atomic_fetch_add(&pool.sleepers, 1);
                while ((current = atomic_load(&pool.generation)) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
                atomic_fetch_sub(&pool.sleepers, 1);
                pthread_mutex_unlock(&pool.lock);
                break;
            }
        }
        seen = current;
        run_chunks(current);
    }
    return NULL;
}

static void start_workers(void) {
    long started = 0;
    for (long index = 1; index < requested_threads; index++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, NULL) != 0) break;
        pthread_detach(thread);
        started++;
    }
    pool.workers = started;
}

int cs_parallel_run(long threads, long count, cs_parallel_body body, void *context) {
    if (count <= 0) return 1;
    if (requested_threads == 1 && threads > 1) requested_threads = threads;  // read once by start_workers
    pthread_once(&pool_once, start_workers);
    int expected = 0;
    if (pool.workers == 0 || count >= (1L << CHUNK_BITS) || !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) return 0;
    pool.body = body;
    pool.context = context;
    pool.count = count;
    atomic_store(&pool.completed, 0);
    long generation = atomic_load(&pool.generation) + 1;
    atomic_store(&pool.claim, generation << CHUNK_BITS);
    atomic_store(&pool.generation, generation);  // sequentially consistent with the sleepers check below
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    run_chunks(generation);
    while (atomic_load_explicit(&pool.completed, memory_order_acquire) < count) cpu_relax();
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
    return 1;
}
