/*
 * front.c: the listening socket for plain ws://, owned by the bridge.
 *
 * libwebsockets 4.1 refuses a Sec-WebSocket-Protocol list longer than 127
 * bytes, and a browser that cannot put its JWT in the URL puts it there
 * (about 1 KiB).  So for plain ws:// (the usual setup behind Apache,
 * lighttpd or another TLS-terminating proxy) the bridge accepts the
 * connections itself: one thread reads each request head, bounded in size
 * (FRONT_HEAD_MAX) and time (FRONT_HEAD_TIMEOUT_MS), has lib/wshead.c move
 * a token from that header into the URL, and queues the socket with the
 * (rewritten) bytes it read.  The service thread then adopts the socket
 * into libwebsockets, which parses the head as if it had read it and runs
 * the usual upgrade check (?token= first).  Owning the listener also lets
 * SIGTERM close it, so a load balancer sees the port go away.
 *
 * With TLS configured, libwebsockets listens itself (it must do the
 * handshake), and a token in Sec-WebSocket-Protocol is not supported.
 *
 * The thread never verifies a token and never logs one; it answers only
 * heads it cannot pass on (too large: 431/413, malformed: 400).
 */
#define _GNU_SOURCE		/* accept4, pipe2 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"
#include "limit.h"
#include "log.h"
#include "riva.h"
#include "wshead.h"

#define FRONT_PENDING_MAX	512	/* heads being read at once */
#define FRONT_HEAD_MAX		(LIMIT_TOKEN_BYTES + 2048)
#define FRONT_HEAD_TIMEOUT_MS	10000
#define FRONT_BUF_START		2048

/* A connection whose head is still arriving. */
struct front_conn {
	int		 fd;
	uint64_t	 deadline_us;
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

/* A connection ready for libwebsockets, with the bytes read from it. */
struct front_ready {
	struct front_ready	*next;
	int			 fd;
	size_t			 len;
	char			 data[];
};

struct front {
	struct lws_context	*ctx;
	int			 lfd;		/* -1 once closed */
	int			 wake[2];	/* to the thread */
	pthread_t		 thread;
	int			 started;

	pthread_mutex_t		 lock;		/* guards the fields below */
	struct front_ready	*ready, **ready_tail;
	int			 stop_accepting;
	int			 quit;

	/* The thread's own. */
	struct front_conn	 conns[FRONT_PENDING_MAX];
	int			 nconns;
	struct pollfd		 pfd[FRONT_PENDING_MAX + 2];
};

static int
front_listen(const char *addr, int port)
{
	struct addrinfo hints, *res, *ai;
	char sport[16];
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(sport, sizeof(sport), "%d", port);
	if (getaddrinfo(addr != NULL && addr[0] != '\0' ? addr : NULL, sport,
	    &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Best effort: tell the client why, then close. */
static void
front_refuse(int fd, int status, const char *reason, const char *code,
    const char *message)
{
	char resp[512];
	int n;

	n = snprintf(resp, sizeof(resp), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n{\"error\":\"%s\",\"code\":\"%s\"}",
	    status, reason, strlen(message) + strlen(code) + 22, message,
	    code);
	if (n > 0 && (size_t)n < sizeof(resp))
		(void)send(fd, resp, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
front_drop(struct front *f, int i)
{
	struct front_conn *c = &f->conns[i];

	/* The head may hold a token: leave no copy behind. */
	explicit_bzero(c->buf, c->len);
	free(c->buf);
	f->conns[i] = f->conns[--f->nconns];
}

/* The head of conn i is whole: queue it for libwebsockets. */
static void
front_pass_on(struct front *f, int i, size_t hlen)
{
	struct front_conn *c = &f->conns[i];
	struct front_ready *r;
	size_t rest = c->len - hlen, olen = 0;
	enum wshead_result res;

	r = malloc(sizeof(*r) + hlen + WSHEAD_SLACK + rest);
	if (r == NULL) {
		close(c->fd);
		front_drop(f, i);
		return;
	}
	res = wshead_move_token(c->buf, hlen, r->data, hlen + WSHEAD_SLACK,
	    &olen);
	switch (res) {
	case WSHEAD_MOVED:
		break;
	case WSHEAD_NONE:
		memcpy(r->data, c->buf, hlen);
		olen = hlen;
		break;
	case WSHEAD_TOO_LARGE:
		front_refuse(c->fd, 413, "Payload Too Large", "too_large",
		    "token too large");
		goto done;
	default:
		front_refuse(c->fd, 400, "Bad Request", "invalid_argument",
		    "malformed request line or Sec-WebSocket-Protocol token");
		goto done;
	}
	memcpy(r->data + olen, c->buf + hlen, rest);
	r->len = olen + rest;
	r->fd = c->fd;
	r->next = NULL;
	pthread_mutex_lock(&f->lock);
	*f->ready_tail = r;
	f->ready_tail = &r->next;
	pthread_mutex_unlock(&f->lock);
	lws_cancel_service(f->ctx);
	r = NULL;
done:
	if (r != NULL) {
		explicit_bzero(r->data, hlen + WSHEAD_SLACK + rest);
		free(r);
	}
	front_drop(f, i);
}

/* Read what conn i has; pass its head on once whole. */
static void
front_read(struct front *f, int i)
{
	struct front_conn *c = &f->conns[i];
	size_t hlen;
	ssize_t n;
	char *nb;

	for (;;) {
		if (c->len == c->cap) {
			if (c->cap >= FRONT_HEAD_MAX) {
				front_refuse(c->fd, 431, "Request Header "
				    "Fields Too Large", "too_large",
				    "request head too large");
				front_drop(f, i);
				return;
			}
			c->cap = c->cap * 2 > FRONT_HEAD_MAX ? FRONT_HEAD_MAX :
			    c->cap * 2;
			if ((nb = realloc(c->buf, c->cap)) == NULL) {
				close(c->fd);
				front_drop(f, i);
				return;
			}
			c->buf = nb;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(c->fd);
			front_drop(f, i);
			return;
		}
		c->len += (size_t)n;
		if ((hlen = wshead_length(c->buf, c->len)) > 0) {
			front_pass_on(f, i, hlen);
			return;
		}
	}
}

static void
front_accept(struct front *f)
{
	struct front_conn *c;
	int fd;

	while (f->nconns < FRONT_PENDING_MAX) {
		fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		c = &f->conns[f->nconns];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline_us = riva_now_us() +
		    (uint64_t)FRONT_HEAD_TIMEOUT_MS * 1000;
		c->cap = FRONT_BUF_START;
		if ((c->buf = malloc(c->cap)) == NULL) {
			close(fd);
			continue;
		}
		f->nconns++;
	}
}

static void *
front_main(void *arg)
{
	struct front *f = arg;
	struct pollfd *pfd = f->pfd;
	uint64_t now, next;
	int i, n, timeout, base, quit, stop;
	char junk[64];

	for (;;) {
		pthread_mutex_lock(&f->lock);
		quit = f->quit;
		stop = f->stop_accepting;
		pthread_mutex_unlock(&f->lock);
		if (quit)
			break;
		if (stop && f->lfd >= 0) {
			close(f->lfd);
			f->lfd = -1;
		}
		pfd[0].fd = f->wake[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = f->lfd >= 0 && f->nconns < FRONT_PENDING_MAX ?
		    f->lfd : -1;
		pfd[1].events = POLLIN;
		base = 2;
		now = riva_now_us();
		next = now + 1000000;
		for (i = 0; i < f->nconns; i++) {
			pfd[base + i].fd = f->conns[i].fd;
			pfd[base + i].events = POLLIN;
			pfd[base + i].revents = 0;
			if (f->conns[i].deadline_us < next)
				next = f->conns[i].deadline_us;
		}
		timeout = next > now ? (int)((next - now) / 1000) + 1 : 0;
		n = poll(pfd, (nfds_t)(base + f->nconns), timeout);
		if (n < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (n <= 0)
			pfd[0].revents = pfd[1].revents = 0;
		if (pfd[0].revents & POLLIN)
			while (read(f->wake[0], junk, sizeof(junk)) > 0)
				;
		/* Walk down: front_drop() moves the last entry into i. */
		now = riva_now_us();
		for (i = f->nconns - 1; i >= 0; i--) {
			if (pfd[base + i].revents != 0)
				front_read(f, i);
			else if (f->conns[i].deadline_us <= now) {
				close(f->conns[i].fd);
				front_drop(f, i);
			}
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN))
			front_accept(f);
	}
	for (i = f->nconns - 1; i >= 0; i--) {
		close(f->conns[i].fd);
		front_drop(f, i);
	}
	return NULL;
}

static void
front_poke(struct front *f)
{
	char b = 1;

	(void)write(f->wake[1], &b, 1);
}

enum err
front_start(struct lws_context *ctx, const char *addr, int port,
    struct front **out)
{
	struct front *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ERR_NOMEM;
	f->ctx = ctx;
	f->ready_tail = &f->ready;
	f->wake[0] = f->wake[1] = -1;
	pthread_mutex_init(&f->lock, NULL);
	if ((f->lfd = front_listen(addr, port)) < 0) {
		log_error("cannot listen on %s:%d: %s", addr, port,
		    strerror(errno));
		front_free(f);
		return ERR_IO;
	}
	if (pipe2(f->wake, O_NONBLOCK | O_CLOEXEC) != 0 ||
	    pthread_create(&f->thread, NULL, front_main, f) != 0) {
		log_error("cannot start the listener thread");
		front_free(f);
		return ERR_INTERNAL;
	}
	f->started = 1;
	*out = f;
	return ERR_OK;
}

void
front_adopt(struct front *f)
{
	struct front_ready *r, *next;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	r = f->ready;
	f->ready = NULL;
	f->ready_tail = &f->ready;
	pthread_mutex_unlock(&f->lock);
	for (; r != NULL; r = next) {
		next = r->next;
		/* On failure lws closes the socket itself. */
		if (lws_adopt_socket_readbuf(f->ctx, r->fd, r->data,
		    r->len) == NULL)
			log_debug("a connection closed during adoption");
		explicit_bzero(r->data, r->len);
		free(r);
	}
}

void
front_stop_accepting(struct front *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop_accepting = 1;
	pthread_mutex_unlock(&f->lock);
	front_poke(f);
}

void
front_free(struct front *f)
{
	struct front_ready *r, *next;

	if (f == NULL)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->lock);
		f->quit = 1;
		pthread_mutex_unlock(&f->lock);
		front_poke(f);
		pthread_join(f->thread, NULL);
	}
	for (r = f->ready; r != NULL; r = next) {
		next = r->next;
		close(r->fd);
		explicit_bzero(r->data, r->len);
		free(r);
	}
	if (f->lfd >= 0)
		close(f->lfd);
	if (f->wake[0] >= 0)
		close(f->wake[0]);
	if (f->wake[1] >= 0)
		close(f->wake[1]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
