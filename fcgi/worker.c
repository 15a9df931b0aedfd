/*
 * worker.c: one audio-api worker, the FastCGI accept loop.
 *
 * Signals are blocked all the time except inside epoll_pwait(2) (or
 * ppoll(2) on a kept-alive FastCGI connection), which waits for a
 * connection with them unblocked.  So a SIGTERM or SIGHUP that arrives while
 * a request is being served is only acted on once its reply is sent, and one
 * that arrives while idle wakes the worker at once: drain without races.
 *
 * The listening socket is non-blocking and a worker tries accept first:
 * under load a connection is waiting when the previous reply is sent, and
 * the request costs no wait call.  Only when accept says EAGAIN does the
 * worker flush its buffered log lines and wait; idle workers wait in
 * epoll_pwait(2) with EPOLLEXCLUSIVE, so a new connection wakes one of
 * them rather than the whole pool.  A busy worker that never waits lets its
 * pending signals in with a zero-timeout ppoll(2) at most every
 * WORKER_SIGNAL_CHECK_MS (the clock is read without a system call), so a
 * reload or a drain is seen within that even under full load.  (ppoll, not
 * epoll_pwait: with a zero timeout Linux's epoll_pwait returns before it
 * looks for signals and puts the old mask back with them still pending.)
 *
 * libfcgi is used only through its reentrant FCGX_* API.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"

#define WORKER_SIGNAL_CHECK_MS	100

volatile sig_atomic_t api_sig_term;
volatile sig_atomic_t api_sig_hup;

static void
worker_on_signal(int sig)
{
	if (sig == SIGHUP)
		api_sig_hup = 1;
	else
		api_sig_term = 1;
}

/* Install the handlers (no SA_RESTART) and block the signals; *waitmask
 * gets the mask to use while idle.  The delivery process uses it too. */
void
worker_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;

	daemon_block(worker_on_signal, sigs, sizeof(sigs) / sizeof(sigs[0]),
	    waitmask);
	/* A worker forked by the master must not inherit its handler. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

/* api_conf_reload()'s view of the app.  The listening socket and worker
 * count are the master's business. */
static void
worker_close_cb(void *arg)
{
	app_close(arg);
}

static enum err
worker_open_cb(void *arg, struct api_conf *conf)
{
	return app_open(arg, conf);
}

static void
worker_serve(FCGX_Request *fr, struct app *app)
{
	struct req r;

	if (req_init(&r, fr, app) != ERR_OK) {
		FCGX_FPrintF(fr->out, "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json\r\n\r\n"
		    "{\"error\":\"out of memory\",\"code\":\"out_of_memory\"}");
		return;
	}
	log_set_request_id(r.id);
	routes_handle(&r);
	/*
	 * libfcgi ends a connection with a lingering close: shutdown(2),
	 * then poll(2) and read(2) until the web server closes its side, so
	 * that bytes still arriving cannot make TCP answer with a reset that
	 * loses the reply.  Once the request's input has ended nothing more
	 * arrives, and a detached request is closed with close(2) alone:
	 * three system calls fewer per request.
	 */
	if (!fr->keepConnection && req_input_ended(&r))
		(void)FCGX_Detach(fr);
	log_info("%s %.*s %d", r.method, r.path_len, r.uri, r.status);
	req_free(&r);
	log_set_request_id(NULL);
}

/*
 * Stopping: serve the connections already queued on the listening socket
 * before leaving.  They were accepted by the kernel and the web server has
 * sent them their request; left in the queue they would be reset when the
 * last process holding the socket exits, and the web server would answer
 * them 500 itself.  The master has unlinked a unix socket's path by now,
 * so no new connection can join the queue and accept runs dry (EAGAIN:
 * the socket is non-blocking); over TCP new ones can keep coming, and the
 * drain_timeout bounds the wait.  A kept connection is closed
 * first: its next request would be waited for.
 */
static int
worker_drain_queue(FCGX_Request *fr, struct app *app, int64_t limit_ms)
{
	int64_t deadline = clock_mono_ms() + limit_ms;
	int n = 0;

	if (fr->ipcFd >= 0)
		FCGX_Free(fr, 1);
	while (clock_mono_ms() < deadline && FCGX_Accept_r(fr) >= 0) {
		worker_serve(fr, app);
		FCGX_Finish_r(fr);
		n++;
		if (fr->ipcFd >= 0)
			FCGX_Free(fr, 1);
	}
	if (n > 0)
		log_info("served %d queued requests while stopping", n);
	return n;
}

int
worker_run(int listen_fd, const char *conf_path, struct api_conf *conf)
{
	struct app app;
	FCGX_Request fr;
	struct pollfd pfd;
	struct epoll_event ev;
	sigset_t waitmask;
	const struct timespec zero = { 0, 0 };
	int flags, rc, status = 1, served = 0, ep = -1, idle = 1;
	int64_t now, checked = 0;

	memset(&app, 0, sizeof(app));
	worker_signals(&waitmask);
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		return 1;
	}
	if (FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("FCGX_InitRequest failed");
		return 1;
	}
	flags = fcntl(listen_fd, F_GETFL);
	if (flags == -1 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_error("cannot make the listening socket non-blocking: %s",
		    strerror(errno));
		goto out;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_error("epoll_create1: %s", strerror(errno));
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = listen_fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) == -1) {
		log_error("epoll_ctl: %s", strerror(errno));
		goto out;
	}
	if (app_open(&app, conf) != ERR_OK)
		goto out;
	log_info("worker ready");
	log_buffer(1);

	while (!api_sig_term) {
		if (api_sig_hup) {
			api_sig_hup = 0;
			api_conf_reload(conf, conf_path, worker_close_cb,
			    worker_open_cb, &app, "the app (serving 503s)");
			idle = 1;
			continue;
		}
		if (!idle && (now = clock_coarse_ms()) - checked >=
		    WORKER_SIGNAL_CHECK_MS) {
			/* Busy since the last look: let pending signals in. */
			checked = now;
			(void)ppoll(NULL, 0, &zero, &waitmask);
			if (api_sig_term || api_sig_hup)
				continue;
		}
		if (idle || fr.ipcFd >= 0) {
			log_flush();
			if (fr.ipcFd >= 0) {
				/* A kept FastCGI connection (web servers that
				 * keep them open) is read before the
				 * listener. */
				pfd.fd = fr.ipcFd;
				pfd.events = POLLIN;
				pfd.revents = 0;
				rc = ppoll(&pfd, 1, NULL, &waitmask);
			} else
				rc = epoll_pwait(ep, &ev, 1, -1, &waitmask);
			checked = clock_coarse_ms();
			if (rc == -1) {
				if (errno == EINTR)
					continue;
				log_error("waiting for requests: %s",
				    strerror(errno));
				goto out;
			}
		}
		rc = FCGX_Accept_r(&fr);
		if (rc < 0) {
			/* Nothing waiting (or the connection went away before
			 * we took it): wait for the next one. */
			idle = 1;
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
			    rc == -ECONNABORTED || rc == -ECONNRESET)
				continue;
			log_error("FCGX_Accept_r failed: %s", strerror(-rc));
			goto out;
		}
		idle = 0;
		worker_serve(&fr, &app);
		FCGX_Finish_r(&fr);
		served++;
	}
	if (api_sig_term) {
		/* Serving alone on a socket of its own: nobody else retires
		 * its path (see master_run). */
		if (conf->workers == 0)
			listen_retire(conf->listen);
		served += worker_drain_queue(&fr, &app, conf->drain_timeout);
	}
	status = 0;
	log_info("worker stopping after %d requests", served);
out:
	if (ep != -1)
		close(ep);
	FCGX_Free(&fr, 1);
	app_close(&app);
	/* The master's child leaves with _exit(), which runs no atexit. */
	log_buffer(0);
	return status;
}
