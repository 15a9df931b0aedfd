/*
 * main.c: audio-bridge, the WebSocket-to-Riva daemon.
 *
 *   audio-bridge [-f|--config FILE]  run (config FILE, else $BRIDGE_CONFIG,
 *                                    else defaults and environment)
 *   audio-bridge -n|--check-config [-f FILE]   bridge_conf_validate() too
 *   audio-bridge --print-example     the commented config file
 *
 * The process is one libwebsockets service loop plus the Riva adapter's
 * gRPC thread and, for plain ws://, the listener thread of front.c.
 * SIGTERM/SIGINT only set a flag; the loop then stops accepting (closes
 * the listener, or answers 503 with TLS), asks every running recognition
 * to finish, relays
 * their finals, closes each connection with 1001 once its recognition is
 * over, and exits when none is left or drain_timeout has passed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <ev.h>
#include <libwebsockets.h>

#include "bridge.h"
#include "clock.h"
#include "cognito.h"
#include "daemon.h"
#include "front.h"
#include "log.h"
#include "riva.h"

struct bridge *bridge;

static struct bridge main_bridge;
static pthread_mutex_t main_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static lws_sorted_usec_list_t main_tick;
static struct ev_loop *main_loop;
static ev_prepare main_prepare;
static ev_check main_check;
static int main_closing;		/* drain timed out: closing the rest */
static uint64_t main_close_deadline_us;
static ev_async main_riva_async;
static int main_riva_async_on;		/* under main_ctx_lock */

static const struct lws_protocols main_protocols[] = {
	{ "audio-bridge", server_callback, sizeof(struct conn), 4096, 0, NULL,
	    0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/*
 * Riva adapter wakeup: runs on the gRPC thread.  libev's async watcher,
 * not lws_cancel_service(): that writes lws's pipe on every call, while
 * ev_async_send() writes the loop's eventfd only when the loop is asleep
 * in epoll_wait (and not at all when a send is already pending).  The
 * service loop is awake for most results at load, so most wakeups cost
 * no system call on either side.
 */
static void
main_wakeup(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&main_ctx_lock);
	if (main_riva_async_on)
		ev_async_send(main_loop, &main_riva_async);
	pthread_mutex_unlock(&main_ctx_lock);
}

static void
main_on_riva_async(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	server_poll_riva();
}

static void
main_lws_log(int level, const char *line)
{
	char buf[512];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* lws 4.1 reports every adopted socket at error level. */
	if (strstr(buf, "adopt_socket_readbuf: calling service") != NULL)
		return;
	log_msg(level == LLL_ERR ? LOGL_ERROR : LOGL_WARN, "lws", "%s", buf);
}

static void
main_begin_drain(void)
{
	struct conn *c;

	bridge->draining = 1;
	front_stop_accepting(bridge->front);
	bridge->drain_deadline_us = clock_mono_us() +
	    (uint64_t)bridge->conf.drain_timeout * 1000;
	log_info("shutting down: %llu connections, %llu recognitions to "
	    "finish within %lld ms", (unsigned long long)bridge->nconns,
	    (unsigned long long)bridge->m.sessions,
	    (long long)bridge->conf.drain_timeout);
	for (c = bridge->conns; c != NULL; c = c->next)
		session_drain(c);
}

/* Draining: stop the loop once every connection is gone, or close the
 * rest when drain_timeout has passed (and stop 500 ms later). */
static void
main_drain_step(uint64_t now)
{
	struct conn *c;

	if (bridge->nconns == 0 ||
	    (main_closing && now >= main_close_deadline_us)) {
		ev_break(main_loop, EVBREAK_ALL);
		return;
	}
	if (main_closing || now < bridge->drain_deadline_us)
		return;
	log_warn("drain timeout: closing %llu connections",
	    (unsigned long long)bridge->nconns);
	for (c = bridge->conns; c != NULL; c = c->next)
		session_close_later(c, BRIDGE_CLOSE_GOING_AWAY,
		    "server shutting down: drain timeout");
	main_closing = 1;
	main_close_deadline_us = now + 500000;
}

/*
 * Around each turn of the loop: hold the Riva thread's wakeups before it
 * waits, release them after every callback of the turn has run (lowest
 * priority), so one wakeup carries all the audio that turn read.
 */
static void
main_on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	riva_hold_signals(bridge->riva);
}

static void
main_on_check(struct ev_loop *loop, ev_check *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	riva_release_signals(bridge->riva);
}

/* Every 50 ms: timeouts, audio backpressure, Riva health refresh, and
 * SIGTERM (the handler only sets a flag). */
static void
main_on_tick(lws_sorted_usec_list_t *sul)
{
	uint64_t now = clock_mono_us();
	struct conn *c;

	if (daemon_stop && !bridge->draining)
		main_begin_drain();
	if (bridge->draining)
		main_drain_step(now);

	if (bridge->last_health_us == 0 || now - bridge->last_health_us >=
	    (uint64_t)bridge->conf.health_interval * 1000) {
		bridge->last_health_us = now;
		riva_health_check(bridge->riva, "", 0, NULL);
		riva_models_refresh(bridge->riva, 0);
	}
	for (c = bridge->conns; c != NULL; c = c->next)
		session_sweep(c, now);
	lws_sul_schedule(bridge->ctx, 0, sul, main_on_tick, 50 * LWS_US_PER_MS);
}

static struct lws_context *
main_context(const struct bridge_conf *cf)
{
	struct lws_context_creation_info info;
	int tls = cf->tls_cert_file[0] != '\0';

	static void *foreign[1];

	memset(&info, 0, sizeof(info));
	/*
	 * libev's epoll loop: lws's own poll() loop walks every socket on
	 * every turn, which at a thousand streams was most of our CPU.
	 */
	foreign[0] = main_loop;
	info.foreign_loops = foreign;
	/* Plain ws://: our own listener (front.c) hands sockets over. */
	info.port = tls ? (int)cf->port : CONTEXT_PORT_NO_LISTEN_SERVER;
	info.iface = tls ? cf->listen_address : NULL;
	info.protocols = main_protocols;
	info.gid = -1;
	info.uid = -1;
	info.max_http_header_data = LIMIT_TOKEN_BYTES + 2048;
	info.max_http_header_pool = 64;
	/* The 101 answer may echo a token offered as the only protocol. */
	info.pt_serv_buf_size = LIMIT_TOKEN_BYTES + 4096;
	info.timeout_secs = 10;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_LIBEV;
	if (tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cf->tls_cert_file;
		info.ssl_private_key_filepath = cf->tls_key_file;
	}
	return lws_create_context(&info);
}

static struct riva *
main_riva(const struct bridge_conf *cf)
{
	struct riva_opts o;
	enum err e = ERR_OK;
	struct riva *r;

	bridge_conf_riva(cf, &o);
	o.wakeup = main_wakeup;
	o.wakeup_arg = NULL;
	if ((r = riva_new(&o, &e)) == NULL)
		log_error("cannot set up the Riva channel to %s: %s",
		    cf->riva_target, err_strerror(e));
	return r;
}

static struct cognito *
main_cognito(const struct bridge_conf *cf)
{
	struct cognito_conf cc;
	struct cognito *cg = NULL;

	bridge_conf_cognito(cf, &cc);
	if (cognito_new(&cc, &cg) != ERR_OK)
		return NULL;
	/*
	 * The keys are fetched by a thread of the verifier's own, starting
	 * now: the upgrade check runs on the service loop and must never wait
	 * on the key server, and neither should start-up (until the keys are
	 * in, tokens get 503 and clients retry).
	 */
	if (cognito_refresh_in_background(cg) != ERR_OK) {
		cognito_free(cg);
		return NULL;
	}
	return cg;
}

static void
main_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("cannot raise the open file limit: %s",
			    strerror(errno));
	}
}

int
main(int argc, char **argv)
{
	const char *path;
	char errbuf[1024];
	int check, status = 1;

	if ((status = daemon_args(argc, argv, "audio-bridge", "BRIDGE_CONFIG",
	    bridge_conf_table, &path, &check)) != -1)
		return status;
	status = 1;
	log_init("audio-bridge", LOGL_INFO, 2);
	bridge = &main_bridge;
	if (bridge_conf_load(&bridge->conf, path, errbuf, sizeof(errbuf)) !=
	    ERR_OK) {
		fprintf(stderr, "audio-bridge: %s\n", errbuf);
		return 1;
	}
	if (check) {
		printf("audio-bridge: %s: config ok\n",
		    path != NULL ? path : "(defaults and environment)");
		bridge_conf_free(&bridge->conf);
		return 0;
	}
	log_init("audio-bridge", (enum log_level)bridge->conf.log_level, 2);
	snprintf(bridge->riva_target_public, sizeof(bridge->riva_target_public),
	    "%s", bridge->conf.riva_target);
	metrics_init(&bridge->m);
	main_raise_nofile();

	daemon_on_stop();

	lws_set_log_level(LLL_ERR, main_lws_log);
	if (bridge->conf.auth == BRIDGE_AUTH_REQUIRED &&
	    (bridge->cognito = main_cognito(&bridge->conf)) == NULL) {
		log_error("cannot set up JWT verification");
		goto out;
	}
	if ((main_loop = ev_loop_new(EVFLAG_AUTO)) == NULL) {
		log_error("cannot create the event loop");
		goto out;
	}
	if ((bridge->ctx = main_context(&bridge->conf)) == NULL) {
		log_error("cannot listen on %s:%lld",
		    bridge->conf.listen_address, (long long)bridge->conf.port);
		goto out;
	}
	ev_async_init(&main_riva_async, main_on_riva_async);
	ev_async_start(main_loop, &main_riva_async);
	pthread_mutex_lock(&main_ctx_lock);
	main_riva_async_on = 1;
	pthread_mutex_unlock(&main_ctx_lock);
	if (bridge->conf.tls_cert_file[0] == '\0' &&
	    front_start(bridge->ctx, bridge->conf.listen_address,
	    (int)bridge->conf.port,
	    (int)bridge->conf.front_pending_per_address, &bridge->front) != ERR_OK)
		goto out;
	if ((bridge->riva = main_riva(&bridge->conf)) == NULL)
		goto out;
	log_info("listening on %s://%s:%lld, riva %s, auth %s",
	    bridge->conf.tls_cert_file[0] ? "wss" : "ws",
	    bridge->conf.listen_address, (long long)bridge->conf.port,
	    bridge->conf.riva_target,
	    bridge->conf.auth == BRIDGE_AUTH_OFF ? "off" : "required");
	lws_sul_schedule(bridge->ctx, 0, &main_tick, main_on_tick, 1);

	ev_prepare_init(&main_prepare, main_on_prepare);
	ev_prepare_start(main_loop, &main_prepare);
	ev_check_init(&main_check, main_on_check);
	ev_set_priority(&main_check, EV_MINPRI);
	ev_check_start(main_loop, &main_check);
	ev_run(main_loop, 0);
	ev_check_stop(main_loop, &main_check);
	ev_prepare_stop(main_loop, &main_prepare);
	status = 0;
	log_info("stopped");
out:
	pthread_mutex_lock(&main_ctx_lock);
	main_riva_async_on = 0;	/* late wakeups are harmless now */
	pthread_mutex_unlock(&main_ctx_lock);
	if (main_loop != NULL)
		ev_async_stop(main_loop, &main_riva_async);
	front_free(bridge->front);	/* before the context it wakes */
	bridge->front = NULL;
	if (bridge->ctx != NULL) {
		lws_sul_cancel(&main_tick);
		/* Closing connections releases their Riva streams. */
		lws_context_destroy(bridge->ctx);
		bridge->ctx = NULL;
	}
	if (main_loop != NULL) {
		ev_loop_destroy(main_loop);
		main_loop = NULL;
	}
	riva_free(bridge->riva);
	cognito_free(bridge->cognito);
	bridge_conf_free(&bridge->conf);
	return status;
}
