/*
 * cursor.h: the opaque page cursor of GET /api/audio/sessions.
 *
 * A cursor names a place in one user's session list (journal_list_pos: the
 * last session's created_ms and id) so the next page continues strictly
 * after it, whatever was created or deleted meanwhile.  It is opaque to
 * the client: base64url of a version byte, the position and an HMAC-SHA256
 * (cut to 16 bytes) over the owner and the position, keyed with the
 * journal's own random key.  So a cursor cannot be forged, garbled into
 * another position, or replayed by another user: all are refused as
 * invalid (400 naming `cursor`).
 *
 * No I/O; the key is passed in.
 */
#ifndef CURSOR_H
#define CURSOR_H

#include <stddef.h>

#include "err.h"
#include "journal.h"

/* Longest cursor text (without the NUL); longer input is refused unread. */
#define CURSOR_MAX_LEN		256
#define CURSOR_SIZE		(CURSOR_MAX_LEN + 1)

/*
 * Encode pos for owner into out (CURSOR_SIZE bytes).  ERR_INVAL for an id
 * that is not a valid session id or a negative time; ERR_CRYPTO if HMAC
 * fails.
 */
enum err	cursor_encode(const unsigned char *key, size_t keylen,
		    const char *owner, const struct journal_list_pos *pos,
		    char *out, size_t outsz);

/*
 * Decode s[0..len) for owner into *pos.  ERR_INVAL for anything that is
 * not exactly a cursor this key made for this owner (bad base64url, wrong
 * length or version, an id that is not a valid session id, a MAC that does
 * not match); ERR_CRYPTO if HMAC fails.
 */
enum err	cursor_decode(const unsigned char *key, size_t keylen,
		    const char *owner, const char *s, size_t len,
		    struct journal_list_pos *pos);

#endif /* CURSOR_H */
