/*
 * front.h: the bridge's own listener for plain ws:// (see front.c).
 */
#ifndef FRONT_H
#define FRONT_H

#include <libwebsockets.h>

#include "err.h"

struct front;

/* Listen on addr:port and start the thread that reads request heads. */
enum err	 front_start(struct lws_context *ctx, const char *addr,
		    int port, struct front **out);

/* Service thread: hand every socket with a whole head to libwebsockets. */
void		 front_adopt(struct front *);

/* Stop accepting (the listening socket is closed); pending heads still
 * reach libwebsockets, which answers them 503 while draining. */
void		 front_stop_accepting(struct front *);

/* Stop the thread, close what is still pending. */
void		 front_free(struct front *);

#endif /* FRONT_H */
