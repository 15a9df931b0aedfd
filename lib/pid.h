/*
 * pid.h: this process's id, read from the kernel once per process.
 *
 * glibc no longer caches getpid(2), and on a paravirtualised VM every
 * system call is dear: the log line's pid= and the journal's
 * opened-after-fork check asked the kernel on every request.  The cached
 * value is refreshed in the child of every fork() (pthread_atfork), so the
 * prefork master's workers, and tests that fork, see their own id.
 */
#ifndef PID_H
#define PID_H

#include <sys/types.h>

/* This process's id (getpid(2) on the first call and after a fork). */
pid_t	pid_self(void);

#endif /* PID_H */
