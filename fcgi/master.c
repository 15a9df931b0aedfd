/*
 * master.c: the prefork master of `audio-api --workers N`.
 *
 * The master only supervises.  It keeps every signal it cares about blocked
 * and waits for them in ppoll(2), so handlers merely set flags and nothing
 * runs in signal context.  It forks the workers (which open SQLite, curl and
 * the JWKS cache themselves, after the fork), restarts any that die with an
 * exponential backoff for ones that die young, re-reads the config on
 * SIGHUP and forwards the signal (workers reload between requests), and on
 * SIGTERM/SIGINT stops forking, forwards SIGTERM and waits up to
 * drain_timeout for in-flight requests before it SIGKILLs what is left.
 *
 * The delivery loop (deliver.c) runs as one extra supervised child, in
 * the slot after the workers' (kids[cap]), unless deliver_child = no.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"

#define MASTER_YOUNG_MS		5000	/* dying sooner counts as a failure */
#define MASTER_BACKOFF_MIN_MS	100

struct master_child {
	pid_t		 pid;		/* 0: not running */
	int64_t		 started_ms;
	int64_t		 restart_at_ms;
	int		 fails;		/* consecutive young deaths */
};

static volatile sig_atomic_t master_sig_chld;

static void
master_on_signal(int sig)
{
	if (sig == SIGCHLD)
		master_sig_chld = 1;
	else if (sig == SIGHUP)
		api_sig_hup = 1;
	else
		api_sig_term = 1;
}

static void
master_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

	daemon_block(master_on_signal, sigs, sizeof(sigs) / sizeof(sigs[0]),
	    waitmask);
}

static void
master_spawn(struct master_child *c, int listen_fd, const char *conf_path,
    struct api_conf *conf, pid_t master, int deliverer)
{
	pid_t pid;

	if ((pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		c->restart_at_ms = clock_mono_ms() + 1000;
		return;
	}
	if (pid == 0) {
		struct sigaction sa;

		/* The pid cached for log lines and the journal (lib/pid.c) is
		 * this child's already: its atfork handler refreshed it. */
		/* Die with the master, never outlive it as an orphan pool. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master)
			_exit(0);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &sa, NULL);
		api_sig_term = api_sig_hup = 0;
		if (deliverer) {
			/* Named apart from the workers in ps and /proc. */
			(void)prctl(PR_SET_NAME, "audio-deliver");
			close(listen_fd);
			_exit(deliver_run(conf_path, conf));
		}
		_exit(worker_run(listen_fd, conf_path, conf));
	}
	c->pid = pid;
	c->started_ms = clock_mono_ms();
}

/* Reap every dead child and schedule its restart. */
static void
master_reap(struct master_child *kids, size_t n, int64_t backoff_max,
    int stopping)
{
	pid_t pid;
	size_t i;
	int st;
	int64_t now, delay;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		now = clock_mono_ms();
		for (i = 0; i < n && kids[i].pid != pid; i++)
			;
		if (i == n)
			continue;
		kids[i].pid = 0;
		if (stopping) {
			log_info("worker %ld exited", (long)pid);
			continue;
		}
		if (WIFSIGNALED(st))
			log_error("worker %ld killed by signal %d", (long)pid,
			    WTERMSIG(st));
		else
			log_warn("worker %ld exited with status %d", (long)pid,
			    WEXITSTATUS(st));
		if (now - kids[i].started_ms < MASTER_YOUNG_MS)
			kids[i].fails++;
		else
			kids[i].fails = 0;
		delay = 0;
		if (kids[i].fails > 0) {
			delay = MASTER_BACKOFF_MIN_MS;
			for (int k = 1; k < kids[i].fails && delay < backoff_max;
			    k++)
				delay *= 2;
			if (delay > backoff_max)
				delay = backoff_max;
			log_warn("restarting worker slot %zu in %lld ms", i,
			    (long long)delay);
		}
		kids[i].restart_at_ms = now + delay;
	}
}

static void
master_signal_all(struct master_child *kids, size_t n, int sig)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kids[i].pid > 0)
			(void)kill(kids[i].pid, sig);
}

static size_t
master_alive(const struct master_child *kids, size_t n)
{
	size_t i, alive = 0;

	for (i = 0; i < n; i++)
		if (kids[i].pid > 0)
			alive++;
	return alive;
}

static void
master_wait(const sigset_t *waitmask, int64_t ms)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	(void)ppoll(NULL, 0, &ts, waitmask);
}

/* Reload the config; on success apply the new worker count (growing at
 * once, shrinking by stopping the highest slots) and forward SIGHUP. */
static size_t
master_reload(const char *conf_path, struct api_conf *conf,
    struct master_child *kids, size_t n, size_t cap)
{
	struct api_conf fresh;
	int64_t cli = conf->workers_cli;
	char *listen = conf->listen;
	size_t want, i;

	memset(&fresh, 0, sizeof(fresh));
	if (api_conf_load(&fresh, conf_path) != ERR_OK) {
		log_error("reload refused, keeping the running config");
		api_conf_free(&fresh);
		return n;
	}
	/* The socket is already open: keep what it was opened with.  The
	 * command line's --workers wins over the file, as at start; a file
	 * that now says 0 keeps the running count (this is a master). */
	conf->listen = NULL;
	api_conf_free(conf);
	free(fresh.listen);
	fresh.listen = listen;
	fresh.workers_cli = cli;
	if (cli > 0)
		fresh.workers = cli;
	else if (fresh.workers == 0)
		fresh.workers = (int64_t)n;
	*conf = fresh;
	log_init("audio-api", (enum log_level)conf->log_level, 2);
	want = conf->workers > (int64_t)cap ? cap : (size_t)conf->workers;
	for (i = want; i < n; i++)
		if (kids[i].pid > 0)
			(void)kill(kids[i].pid, SIGTERM);
	master_signal_all(kids, want < n ? want : n, SIGHUP);
	if (kids[cap].pid > 0)
		(void)kill(kids[cap].pid, conf->deliver_child ? SIGHUP :
		    SIGTERM);
	for (i = n; i < want; i++)
		kids[i].restart_at_ms = 0;
	log_info("config reloaded, %zu workers", want);
	return want;
}

int
master_run(int listen_fd, const char *conf_path, struct api_conf *conf)
{
	struct master_child *kids = NULL;
	sigset_t waitmask;
	size_t n, i, cap = 256;
	int64_t now, next, deadline;
	pid_t self = getpid();
	int status = 1;

	if ((kids = calloc(cap + 1, sizeof(*kids))) == NULL) {
		log_error("out of memory");
		return 1;
	}
	master_signals(&waitmask);
	n = (size_t)conf->workers;
	log_info("master %ld starting %zu workers", (long)self, n);

	while (!api_sig_term) {
		if (master_sig_chld) {
			master_sig_chld = 0;
			master_reap(kids, cap + 1, conf->restart_backoff_max,
			    0);
		}
		if (api_sig_hup) {
			api_sig_hup = 0;
			n = master_reload(conf_path, conf, kids, n, cap);
		}
		now = clock_mono_ms();
		next = -1;
		for (i = 0; i < n; i++) {
			if (kids[i].pid > 0)
				continue;
			if (kids[i].restart_at_ms <= now)
				master_spawn(&kids[i], listen_fd, conf_path, conf,
				    self, 0);
			if (kids[i].pid == 0 &&
			    (next == -1 || kids[i].restart_at_ms < next))
				next = kids[i].restart_at_ms;
		}
		if (conf->deliver_child && kids[cap].pid == 0) {
			if (kids[cap].restart_at_ms <= now)
				master_spawn(&kids[cap], listen_fd, conf_path,
				    conf, self, 1);
			if (kids[cap].pid == 0 &&
			    (next == -1 || kids[cap].restart_at_ms < next))
				next = kids[cap].restart_at_ms;
		}
		if (master_sig_chld || api_sig_hup || api_sig_term)
			continue;
		if (next == -1)
			(void)ppoll(NULL, 0, NULL, &waitmask);
		else
			master_wait(&waitmask, next - clock_mono_ms());
	}

	log_info("draining %zu workers (up to %lld ms)",
	    master_alive(kids, cap + 1), (long long)conf->drain_timeout);
	listen_retire(conf->listen);
	master_signal_all(kids, cap + 1, SIGTERM);
	deadline = clock_mono_ms() + conf->drain_timeout;
	for (;;) {
		master_sig_chld = 0;
		master_reap(kids, cap + 1, conf->restart_backoff_max, 1);
		if (master_alive(kids, cap + 1) == 0)
			break;
		now = clock_mono_ms();
		if (now >= deadline) {
			log_warn("drain timeout: killing %zu workers",
			    master_alive(kids, cap + 1));
			master_signal_all(kids, cap + 1, SIGKILL);
			while (master_alive(kids, cap + 1) > 0) {
				pid_t pid = waitpid(-1, NULL, 0);

				if (pid == -1)
					break;
				for (i = 0; i <= cap; i++)
					if (kids[i].pid == pid)
						kids[i].pid = 0;
			}
			break;
		}
		if (!master_sig_chld)
			master_wait(&waitmask, deadline - now < 200 ?
			    deadline - now : 200);
	}
	status = 0;
	log_info("master stopped");
	free(kids);
	return status;
}
