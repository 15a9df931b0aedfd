/*
 * wshead.h: the head of a WebSocket upgrade request, as the bridge's
 * listener reads it before libwebsockets does.
 *
 * Browsers cannot set an Authorization header on a WebSocket, so a client
 * puts its JWT either in the URL (?token=) or in Sec-WebSocket-Protocol,
 * as an entry "bearer.<jwt>" or a bare "eyJ..." JWT.  libwebsockets 4.1
 * refuses any protocol list over 127 bytes, and a Cognito token is about
 * 1 KiB, so the listener moves such a token from the header into the URL
 * (where the upgrade check looks first) and leaves the other entries.
 * When the token was the only entry offered, the URL also gets
 * token_protocol=bearer|jwt, so the 101 answer can name it: a browser
 * fails a handshake whose answer names none of the protocols it offered.
 *
 * Nothing here verifies the token; it only moves bytes, and refuses a
 * head it cannot read or a token with bytes outside the JWT alphabet.
 */
#ifndef WSHEAD_H
#define WSHEAD_H

#include <stddef.h>

enum wshead_result {
	WSHEAD_NONE,		/* no token in Sec-WebSocket-Protocol (or the
				 * URL already has token=): pass the head on
				 * unchanged */
	WSHEAD_MOVED,		/* out holds the rewritten head */
	WSHEAD_BAD,		/* malformed request line or token */
	WSHEAD_TOO_LARGE	/* token over LIMIT_TOKEN_BYTES, or out too
				 * small */
};

/*
 * The length of the head in buf (through the empty line that ends it), or
 * 0 if buf does not hold a whole head yet.
 */
size_t	wshead_length(const char *buf, size_t len);

/*
 * Rewrite the head (hlen bytes, as wshead_length measured it) into out
 * (outcap bytes; hlen + WSHEAD_SLACK always suffices), moving a token out
 * of Sec-WebSocket-Protocol into the request target.  *outlen is set on
 * WSHEAD_MOVED.
 */
#define WSHEAD_SLACK	64
enum wshead_result wshead_move_token(const char *head, size_t hlen,
	    char *out, size_t outcap, size_t *outlen);

#endif /* WSHEAD_H */
