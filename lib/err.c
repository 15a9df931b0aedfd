/*
 * err.c: strings, HTTP statuses and stable codes for enum err.
 *
 * One table, indexed by the enum, so that adding an error without its row is
 * caught by the static assertion below rather than by a client.
 */
#include <stddef.h>

#include "err.h"

struct err_row {
	const char	*message;
	int		 status;
	const char	*code;
};

static const struct err_row err_table[] = {
	[ERR_OK] = { "success", 200, "ok" },
	[ERR_NOMEM] = { "out of memory", 500, "out_of_memory" },
	[ERR_INTERNAL] = { "internal error", 500, "internal_error" },
	[ERR_INVAL] = { "invalid argument", 400, "invalid_argument" },
	[ERR_JSON] = { "malformed JSON", 400, "malformed_json" },
	[ERR_FIELD] = { "invalid field", 400, "invalid_field" },
	[ERR_TOO_LARGE] = { "too large", 413, "too_large" },
	[ERR_MEDIA_TYPE] = { "unsupported media type", 415,
	    "unsupported_media_type" },
	[ERR_AUTH] = { "missing or invalid credentials", 401, "unauthorized" },
	[ERR_NOT_FOUND] = { "not found", 404, "not_found" },
	[ERR_METHOD] = { "method not allowed", 405, "method_not_allowed" },
	[ERR_CONFLICT] = { "conflict with current state", 409, "conflict" },
	[ERR_MISMATCH] = { "stored object does not match", 422,
	    "object_mismatch" },
	[ERR_UPSTREAM] = { "upstream service failed", 502, "upstream_error" },
	[ERR_UNAVAILABLE] = { "service unavailable", 503, "unavailable" },
	[ERR_CONFIG] = { "configuration error", 500, "config_error" },
	[ERR_IO] = { "I/O error", 500, "io_error" },
	[ERR_CRYPTO] = { "cryptographic operation failed", 500,
	    "crypto_error" },
	[ERR_OBJECT_MISSING] = { "object not found in storage", 409,
	    "object_missing" },
	[ERR_RATE_LIMITED] = { "too many requests", 429, "rate_limited" },
	[ERR_BUSY] = { "busy; retry in a few seconds", 503, "busy" },
};

_Static_assert(sizeof(err_table) / sizeof(err_table[0]) == ERR__MAX,
    "err_table must have one row per enum err value");

static const struct err_row *
err_row(enum err e)
{
	if ((unsigned)e >= ERR__MAX || err_table[e].message == NULL)
		return &err_table[ERR_INTERNAL];
	return &err_table[e];
}

const char *
err_strerror(enum err e)
{
	return err_row(e)->message;
}

int
err_http_status(enum err e)
{
	return err_row(e)->status;
}

const char *
err_code(enum err e)
{
	return err_row(e)->code;
}
