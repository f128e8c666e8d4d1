// Persistent workers: creating a thread per call cost more than the work of a 200 000-value Adam
// update or of a 256 × 256 × 256 product (bench/results.md). Worker t waits on
// its own condition variable for a new generation of work, runs its share, and signals the caller.
#include "thread-pool.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

typedef struct {
  pthread_t handle;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  PoolTask task;
  void *context;
  int index, count;
  _Atomic unsigned generation, finished;
} Worker;

// How long a worker polls for the next task before it sleeps, and the caller for the workers'
// results: waking a sleeping thread costs a large part of a 256 × 256 × 256 product (bench/results.md),
// and the kernels of one training step follow each other closely.
#define SPIN_NANOSECONDS 200000

static int64_t now_nanoseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static Worker workers[POOL_MAX_THREADS];
static int worker_count = 0;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker_main(void *argument) {
  Worker *w = (Worker *)argument;
  unsigned seen = 0;
  for (;;) {
    // Poll first, then sleep on the condition variable.
    int64_t until = now_nanoseconds() + SPIN_NANOSECONDS;
    while (atomic_load_explicit(&w->generation, memory_order_acquire) == seen && now_nanoseconds() < until) sched_yield();
    if (atomic_load_explicit(&w->generation, memory_order_acquire) == seen) {
      pthread_mutex_lock(&w->lock);
      while (atomic_load(&w->generation) == seen) pthread_cond_wait(&w->wake, &w->lock);
      pthread_mutex_unlock(&w->lock);
    }
    seen = atomic_load_explicit(&w->generation, memory_order_acquire);
    w->task(w->context, w->index, w->count);
    atomic_store_explicit(&w->finished, seen, memory_order_release);
  }
  return NULL;
}

// Starts workers up to `wanted` (the caller holds pool_lock); returns how many there are.
static int ensure_workers(int wanted) {
  while (worker_count < wanted) {
    Worker *w = &workers[worker_count];
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->handle, NULL, worker_main, w) != 0) break;
    pthread_detach(w->handle);
    worker_count++;
  }
  return worker_count;
}

void pool_run(int count, PoolTask task, void *context) {
  if (count > POOL_MAX_THREADS) count = POOL_MAX_THREADS;
  if (count <= 1) {
    task(context, 0, 1);
    return;
  }
  pthread_mutex_lock(&pool_lock);
  int workers_used = ensure_workers(count - 1);
  if (workers_used > count - 1) workers_used = count - 1;
  for (int t = 1; t <= workers_used; t++) {
    Worker *w = &workers[t - 1];
    w->task = task;
    w->context = context;
    w->index = t;
    w->count = count;
    // The lock orders this with a worker that is about to sleep: it sees the new generation or is woken.
    pthread_mutex_lock(&w->lock);
    atomic_fetch_add_explicit(&w->generation, 1, memory_order_release);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
  }
  task(context, 0, count);
  // Shares no worker could take (thread creation failed) run here.
  for (int t = workers_used + 1; t < count; t++) task(context, t, count);
  for (int t = 1; t <= workers_used; t++) {
    Worker *w = &workers[t - 1];
    unsigned wanted = atomic_load(&w->generation);
    while (atomic_load_explicit(&w->finished, memory_order_acquire) != wanted) sched_yield();
  }
  pthread_mutex_unlock(&pool_lock);
}
