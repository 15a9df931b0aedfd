/*
 * err.h: the one project-wide error enum.
 *
 * Every module reports failure as an enum err.  The table in err.c maps each
 * value to a human string, the HTTP status the API answers with, and a stable
 * machine-readable code string that clients may switch on.  Add new values at
 * the end of their group; never renumber or rename a code string.
 */
#ifndef ERR_H
#define ERR_H

enum err {
	ERR_OK = 0,
	ERR_NOMEM,		/* 500 out_of_memory */
	ERR_INTERNAL,		/* 500 internal_error: a bug */
	ERR_INVAL,		/* 400 invalid_argument: bad value from outside */
	ERR_JSON,		/* 400 malformed_json */
	ERR_FIELD,		/* 400 invalid_field: names the field */
	ERR_TOO_LARGE,		/* 413 too_large: body, chunk, token or count */
	ERR_MEDIA_TYPE,		/* 415 unsupported_media_type */
	ERR_AUTH,		/* 401 unauthorized: missing or bad token */
	ERR_NOT_FOUND,		/* 404 not_found: route, session or object */
	ERR_METHOD,		/* 405 method_not_allowed */
	ERR_CONFLICT,		/* 409 conflict: state does not allow it */
	ERR_MISMATCH,		/* 422 object_mismatch: stored object differs */
	ERR_UPSTREAM,		/* 502 upstream_error: S3/peer answered badly */
	ERR_UNAVAILABLE,	/* 503 unavailable: peer or journal down */
	ERR_CONFIG,		/* config file or value wrong (startup only) */
	ERR_IO,			/* local I/O failed */
	ERR_CRYPTO,		/* OpenSSL refused an operation */
	ERR_OBJECT_MISSING,	/* 409 object_missing: HEAD found nothing */
	ERR_RATE_LIMITED,	/* 429 rate_limited: a per-user limit */
	ERR_BUSY,		/* 503 busy: held by other work, retry soon */
	ERR__MAX
};

/* Human-readable description; never NULL. */
const char	*err_strerror(enum err);
/* HTTP status to answer with (500 for errors that never reach a client). */
int		 err_http_status(enum err);
/* Stable snake_case code for JSON bodies and metrics labels; never NULL. */
const char	*err_code(enum err);

#endif /* ERR_H */
