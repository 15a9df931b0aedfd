/*
 * daemon.h: the process plumbing the three programs share: the command
 * line of a daemon with a config file, and signal set-up.
 *
 * audio-bridge and audio-recognizer take the same options and stop the
 * same way (SIGTERM/SIGINT set a flag their loop reads); the prefork
 * master and the workers of audio-api block their signals and take them
 * only while they wait.  Each of those was written out in each program.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <signal.h>
#include <stddef.h>

#include "conf.h"

/* Set to 1 by SIGTERM and SIGINT once daemon_on_stop() has run. */
extern volatile sig_atomic_t daemon_stop;

/* SIGTERM and SIGINT set daemon_stop (no SA_RESTART), SIGPIPE is
 * ignored (a closed peer is an EPIPE where it is written to). */
void		daemon_on_stop(void);

/*
 * For a process that takes signals only while it waits: handler for each
 * of sigs[0..n) (no SA_RESTART), SIGPIPE ignored, sigs blocked; *waitmask
 * is the mask to wait with (ppoll, epoll_pwait): the one before, minus
 * sigs.
 */
void		daemon_block(void (*handler)(int), const int *sigs, size_t n,
		    sigset_t *waitmask);

/*
 * The command line of audio-bridge and audio-recognizer:
 *   -f, --config FILE     config file (else $<env>, else none: defaults
 *                         and environment)
 *   -n, --check-config    check the config and exit
 *       --print-example   print tab as a commented config and exit
 *   -h, --help
 * Returns -1 with *path (NULL: none) and *check set, for the caller to go
 * on; else the exit status to return now (0 after --print-example or
 * --help, 2 after a usage error, with the usage on stderr).
 */
int		daemon_args(int argc, char **argv, const char *prog,
		    const char *env, const struct conf_key *tab,
		    const char **path, int *check);

#endif /* DAEMON_H */
