// A pool of persistent worker threads for the addon's kernels (see thread-pool.c).
#ifndef FLOWS_THREAD_POOL_H
#define FLOWS_THREAD_POOL_H

#define POOL_MAX_THREADS 64

/** One task's share: body(context, index, count) for index 0 … count − 1. */
typedef void (*PoolTask)(void *context, int index, int count);

/**
 * Runs task(context, t, count) for t = 0 … count − 1, share 0 on the calling thread and the others
 * on the pool's workers (started on first use, kept for later calls), and returns when all are
 * done. count is at most POOL_MAX_THREADS; where a worker cannot be started, the caller runs its
 * share. One call at a time: concurrent callers wait, so a task must not itself call pool_run with
 * a count above 1 (it would wait for itself).
 */
void pool_run(int count, PoolTask task, void *context);

#endif
