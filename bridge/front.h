/*
 * front.h: the bridge's own listener for plain ws:// (see front.c).
 */
#ifndef FRONT_H
#define FRONT_H

#include <libwebsockets.h>

#include "err.h"

struct front;

/* What /metrics shows of the listener. */
struct front_stats {
	uint64_t	pending;	/* heads being read now */
	uint64_t	shed;		/* dropped to make room (a flood) */
	uint64_t	timeouts;	/* heads that did not arrive in time */
};

/* Listen on addr:port and start the thread that reads request heads;
 * one client address may hold per_addr pending heads. */
enum err	 front_start(struct lws_context *ctx, const char *addr,
		    int port, int per_addr, struct front **out);

/* The counters; any thread; all zero for a NULL front. */
void		 front_stats(struct front *, struct front_stats *);

/* Service thread: hand every socket with a whole head to libwebsockets. */
void		 front_adopt(struct front *);

/* Stop accepting (the listening socket is closed); pending heads still
 * reach libwebsockets, which answers them 503 while draining. */
void		 front_stop_accepting(struct front *);

/* Stop the thread, close what is still pending. */
void		 front_free(struct front *);

#endif /* FRONT_H */
