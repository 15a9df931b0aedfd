/*
 * pool.c: the decoding threads of audio-recognizer.
 *
 * The completion-queue thread must never decode (a second of speech costs
 * a third of a second of CPU), so a stream with audio waiting is queued
 * here and one of `workers` threads runs server.c's work function on it.
 * The queue is a ring of stream pointers as long as max_streams: a stream
 * is in it at most once (server.c keeps a flag), so it never overflows.
 */
#include <pthread.h>
#include <stdlib.h>

#include "asr.h"
#include "log.h"
#include "xalloc.h"

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static struct server_stream **pool_ring;
static size_t pool_cap, pool_head, pool_len;
static pthread_t *pool_threads;
static int pool_nthreads, pool_stopping;
static void (*pool_work)(struct server_stream *);

static void *
pool_main(void *arg)
{
	struct server_stream *s;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while (pool_len == 0 && !pool_stopping)
			pthread_cond_wait(&pool_cond, &pool_lock);
		if (pool_len == 0) {
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
		s = pool_ring[pool_head];
		pool_head = (pool_head + 1) % pool_cap;
		pool_len--;
		pthread_mutex_unlock(&pool_lock);
		pool_work(s);
	}
}

enum err
pool_start(int n, size_t capacity, void (*work)(struct server_stream *))
{
	int i;

	pool_work = work;
	pool_cap = capacity;
	pool_ring = calloc(capacity, sizeof(*pool_ring));
	pool_threads = calloc((size_t)n, sizeof(*pool_threads));
	if (pool_ring == NULL || pool_threads == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (pthread_create(&pool_threads[i], NULL, pool_main, NULL) !=
		    0) {
			log_error("cannot start decoding thread %d", i + 1);
			pool_stop();
			return ERR_INTERNAL;
		}
		pool_nthreads++;
	}
	return ERR_OK;
}

void
pool_push(struct server_stream *s)
{
	pthread_mutex_lock(&pool_lock);
	if (pool_len == pool_cap) {
		/* server.c queues each stream once and has at most
		 * max_streams: a broken invariant, not an overload */
		pthread_mutex_unlock(&pool_lock);
		xalloc_bug("decode queue full");
	}
	pool_ring[(pool_head + pool_len) % pool_cap] = s;
	pool_len++;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
}

void
pool_stop(void)
{
	int i;

	pthread_mutex_lock(&pool_lock);
	pool_stopping = 1;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	for (i = 0; i < pool_nthreads; i++)
		pthread_join(pool_threads[i], NULL);
	pool_nthreads = 0;
	free(pool_threads);
	free(pool_ring);
	pool_threads = NULL;
	pool_ring = NULL;
}
