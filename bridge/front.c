/*
 * front.c: the listening socket for plain ws://, owned by the bridge.
 *
 * libwebsockets 4.1 refuses a Sec-WebSocket-Protocol list longer than 127
 * bytes, and a browser that cannot put its JWT in the URL puts it there
 * (about 1 KiB).  So for plain ws:// (the usual setup behind Apache,
 * lighttpd or another TLS-terminating proxy) the bridge accepts the
 * connections itself: one thread reads each request head, bounded in size
 * (FRONT_HEAD_MAX) and time (FRONT_HEAD_TIMEOUT_MS), has lib/realtime/wshead.c move
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
 *
 * A flood of sockets that send nothing must not lock real clients out.
 * The table of pending heads is bounded, so, like nginx and HAProxy under
 * a slowloris, the thread never stops accepting: a new connection first
 * gets a read at once (a real client's head is usually there already and
 * leaves the table at once); when the table is full the oldest pending
 * connection is shed, and one address may hold only front_pending_per_address
 * entries (beyond it, its own oldest is shed), so one host cannot push
 * others out.  Over half full, heads get FRONT_HEAD_BUSY_MS instead of
 * the usual 10 s.  Sheds and head time-outs are counted for /metrics.
 */
#define _GNU_SOURCE		/* accept4, pipe2 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "front.h"
#include "limit.h"
#include "log.h"
#include "riva.h"
#include "wshead.h"

#define FRONT_PENDING_MAX	LIMIT_FRONT_PENDING	/* heads read at once */
#define FRONT_HEAD_MAX		(LIMIT_TOKEN_BYTES + 2048)
#define FRONT_HEAD_TIMEOUT_MS	10000
#define FRONT_HEAD_BUSY_MS	2000	/* over half full */
#define FRONT_BUF_START		2048
#define FRONT_SHED_LOG_US	10000000	/* one warning per 10 s */

/* A connection whose head is still arriving. */
struct front_conn {
	int		 fd;
	uint64_t	 accepted_us;
	uint64_t	 deadline_us;
	unsigned char	 addr[16];	/* the peer's IP (v4: 4 bytes) */
	unsigned char	 alen;
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
	int			 per_addr;	/* pending heads per address */

	/* Counters the thread bumps and the service thread reads. */
	uint64_t		 shed;		/* __atomic */
	uint64_t		 timeouts;	/* __atomic */
	uint64_t		 pending;	/* __atomic */
	uint64_t		 shed_logged_us;
	uint64_t		 shed_since_log;

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

/* The peer's IP address, the key of the per-address limit. */
static void
front_peer(struct front_conn *c, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	c->alen = 0;
	if (ss->ss_family == AF_INET) {
		memcpy(c->addr, &in4->sin_addr, 4);
		c->alen = 4;
	} else if (ss->ss_family == AF_INET6) {
		memcpy(c->addr, &in6->sin6_addr, 16);
		c->alen = 16;
	}
}

static int
front_same_peer(const struct front_conn *a, const struct front_conn *b)
{
	return a->alen == b->alen && memcmp(a->addr, b->addr, a->alen) == 0;
}

/*
 * Make room for a connection from the peer in *nc: shed that peer's
 * oldest pending head when it holds its share, else the oldest of all
 * when the table is full.  A client that sends its head at once never
 * waits in the table long enough to be the oldest.
 */
static void
front_make_room(struct front *f, const struct front_conn *nc, uint64_t now)
{
	int i, n = 0, mine = -1, oldest = -1;

	for (i = 0; i < f->nconns; i++) {
		if (front_same_peer(&f->conns[i], nc)) {
			n++;
			if (mine < 0 || f->conns[i].accepted_us <
			    f->conns[mine].accepted_us)
				mine = i;
		}
		if (oldest < 0 || f->conns[i].accepted_us <
		    f->conns[oldest].accepted_us)
			oldest = i;
	}
	if (n >= f->per_addr)
		i = mine;
	else if (f->nconns >= FRONT_PENDING_MAX)
		i = oldest;
	else
		return;
	close(f->conns[i].fd);
	front_drop(f, i);
	__atomic_add_fetch(&f->shed, 1, __ATOMIC_RELAXED);
	f->shed_since_log++;
	if (now - f->shed_logged_us >= FRONT_SHED_LOG_US) {
		log_warn("shed %llu idle connection(s) whose request head had "
		    "not arrived (%d pending, %d per address at most)",
		    (unsigned long long)f->shed_since_log, f->nconns,
		    f->per_addr);
		f->shed_logged_us = now;
		f->shed_since_log = 0;
	}
}

/*
 * Accept everything the kernel has queued.  Never stop accepting: a full
 * table sheds its oldest entry instead, so sockets that send nothing
 * cannot keep real clients in the kernel's backlog.  Each new socket is
 * read at once, which takes a real client's head out of the table before
 * it can be shed.
 */
static void
front_accept(struct front *f)
{
	struct sockaddr_storage ss;
	struct front_conn nc, *c;
	socklen_t slen;
	uint64_t now;
	int fd, budget;

	/* Bounded, so heads already pending are read between batches. */
	for (budget = FRONT_PENDING_MAX; budget > 0; budget--) {
		slen = sizeof(ss);
		fd = accept4(f->lfd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		now = clock_mono_us();
		memset(&nc, 0, sizeof(nc));
		nc.fd = fd;
		nc.accepted_us = now;
		nc.deadline_us = now + (uint64_t)(f->nconns >=
		    FRONT_PENDING_MAX / 2 ? FRONT_HEAD_BUSY_MS :
		    FRONT_HEAD_TIMEOUT_MS) * 1000;
		front_peer(&nc, &ss);
		front_make_room(f, &nc, now);
		nc.cap = FRONT_BUF_START;
		if ((nc.buf = malloc(nc.cap)) == NULL) {
			close(fd);
			continue;
		}
		c = &f->conns[f->nconns++];
		*c = nc;
		front_read(f, f->nconns - 1);
	}
}

static void *
front_main(void *arg)
{
	struct front *f = arg;
	struct pollfd *pfd = f->pfd;
	uint64_t now, next, busy_deadline;
	int i, n, timeout, base, quit, stop, busy;
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
		pfd[1].fd = f->lfd;
		pfd[1].events = POLLIN;
		base = 2;
		now = clock_mono_us();
		next = now + 1000000;
		busy = f->nconns >= FRONT_PENDING_MAX / 2;
		for (i = 0; i < f->nconns; i++) {
			/* Under pressure every head gets the short time. */
			busy_deadline = f->conns[i].accepted_us +
			    (uint64_t)FRONT_HEAD_BUSY_MS * 1000;
			if (busy && f->conns[i].deadline_us > busy_deadline)
				f->conns[i].deadline_us = busy_deadline;
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
		now = clock_mono_us();
		for (i = f->nconns - 1; i >= 0; i--) {
			if (pfd[base + i].revents != 0)
				front_read(f, i);
			else if (f->conns[i].deadline_us <= now) {
				close(f->conns[i].fd);
				front_drop(f, i);
				__atomic_add_fetch(&f->timeouts, 1,
				    __ATOMIC_RELAXED);
			}
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN))
			front_accept(f);
		__atomic_store_n(&f->pending, (uint64_t)f->nconns,
		    __ATOMIC_RELAXED);
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
    int per_addr, struct front **out)
{
	struct front *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ERR_NOMEM;
	f->ctx = ctx;
	f->per_addr = per_addr > 0 ? per_addr : LIMIT_FRONT_PER_ADDR_DEFAULT;
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
front_stats(struct front *f, struct front_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (f == NULL)
		return;
	st->pending = __atomic_load_n(&f->pending, __ATOMIC_RELAXED);
	st->shed = __atomic_load_n(&f->shed, __ATOMIC_RELAXED);
	st->timeouts = __atomic_load_n(&f->timeouts, __ATOMIC_RELAXED);
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
