/*
 * jsonparse.h: the one strict JSON entry point for untrusted input.
 *
 * Every parser of JSON from outside (request bodies via jsonv, WebSocket
 * messages, JWT headers and claims, the JWKS, AWS credential documents,
 * EventBridge answers) calls jsonparse_object() or jsonparse_value()
 * instead of setting up a json_tokener, so all of them refuse the same
 * things the same way:
 *   - more than max_bytes (ERR_TOO_LARGE);
 *   - anything RFC 8259 does not allow, which json-c accepts even in
 *     strict mode: NaN and Infinity, single quotes, "1.", lone UTF-16
 *     surrogates, invalid UTF-8, raw control characters or NUL;
 *   - duplicate member names at any depth (json-c keeps the last one);
 *   - NUL (\u0000) in a member name (json-c keys are C strings);
 *   - nesting deeper than LIMIT_JSON_DEPTH;
 *   - trailing bytes other than blanks after the value;
 * all ERR_JSON, with a one-line reason naming the offset in `why`.
 * ERR_NOMEM when json-c cannot allocate.
 */
#ifndef JSONPARSE_H
#define JSONPARSE_H

#include <stddef.h>

#include <json-c/json.h>

#include "err.h"

/*
 * Parse buf[0..len) as one JSON value.  On ERR_OK *out is the tree (the
 * caller owns it: json_object_put()), NULL for the text "null"; otherwise
 * *out is NULL and why (if not NULL) holds the reason.
 */
enum err	jsonparse_value(const char *buf, size_t len, size_t max_bytes,
		    json_object **out, char *why, size_t whysz);

/* The same, and the value must be an object ("top level must be a JSON
 * object", ERR_JSON, otherwise). */
enum err	jsonparse_object(const char *buf, size_t len, size_t max_bytes,
		    json_object **out, char *why, size_t whysz);

/* The string member `name` of object o (borrowed from the tree), or NULL
 * if o is not an object, or the member is absent or not a string; *len
 * (if not NULL) is its length in bytes (it may hold \u0000). */
const char	*jsonparse_str(json_object *o, const char *name, size_t *len);

#endif /* JSONPARSE_H */
