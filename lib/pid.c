/*
 * pid.c: the process id, cached (see pid.h for why).
 *
 * The atfork handler is registered on the first call, before any fork the
 * cached value could go stale across; a child forked before that first
 * call reads its own id on its own first call.  fork() is the only way
 * this program makes processes that run our code (no vfork or raw clone).
 */
#include <pthread.h>
#include <unistd.h>

#include "pid.h"

static pid_t pid_cached;

static void
pid_forked(void)
{
	pid_cached = getpid();
}

pid_t
pid_self(void)
{
	if (pid_cached == 0) {
		(void)pthread_atfork(NULL, NULL, pid_forked);
		pid_cached = getpid();
	}
	return pid_cached;
}
