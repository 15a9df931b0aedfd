/*
 * cognito.h: verify Cognito user pool tokens (ID and access JWTs).
 *
 * Both programs call cognito_verify() on every request / WebSocket upgrade.
 * Only RS256 is accepted: the header is decoded and its alg checked before
 * any key is looked up, and checked again where the signature is verified
 * (with OpenSSL and the cached key; libjwt 1.10 trusts the header's alg and
 * verifies nothing without a key, so it is not used, see cognito.c).
 * Keys come from the pool's JWKS through jwks_cache.h.  Claims checked: iss,
 * token_use, aud (id) or client_id (access), exp/nbf/iat with a leeway, and
 * a sub of a shape that is safe inside S3 keys (users/{sub}/...).
 *
 * A program fills struct cognito_conf from its config file (every field is
 * a plain string or number) and calls cognito_new() once at start-up.
 */
#ifndef COGNITO_H
#define COGNITO_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "jwks_cache.h"
#include "limit.h"

struct jwks_cache;

struct cognito_conf {
	/* https://cognito-idp.<region>.amazonaws.com/<pool-id>, no trailing
	 * slash; compared byte for byte with the iss claim. */
	const char	*issuer;
	/* NULL or "": <issuer>/.well-known/jwks.json.  file:// allowed. */
	const char	*jwks_url;
	/* App client ids, comma separated ("a,b"); at least one, at most
	 * LIMIT_CLIENT_IDS. */
	const char	*client_ids;
	/* Accepted token_use values: "id", "access" or "id,access". */
	const char	*token_use;
	long		 leeway;	  /* s, 0..LIMIT_JWT_LEEWAY_MAX */
	long		 jwks_ttl;	  /* s, LIMIT_JWKS_TTL_MIN..MAX */
	long		 jwks_timeout_ms; /* LIMIT_JWKS_TIMEOUT_MS_MIN..MAX */
	/* NULL: jwks_fetch_url() (libcurl).  A program may share fetches
	 * between its processes through its own (jwks_cache.h's contract). */
	jwks_fetch_fn	 jwks_fetch;
	void		*jwks_fetch_arg;
};

enum cognito_use {
	COGNITO_USE_ID = 1,
	COGNITO_USE_ACCESS = 2,
};

/* Who the token says the caller is.  Strings are always NUL-terminated;
 * username and email are "" when the token has none (access tokens carry
 * "username", ID tokens "cognito:username" and usually "email"). */
struct cognito_identity {
	char		 sub[LIMIT_SUB_BYTES + 1];
	char		 username[LIMIT_USERNAME_BYTES + 1];
	char		 email[LIMIT_EMAIL_BYTES + 1];
	enum cognito_use token_use;
	long long	 exp;		/* seconds since the epoch */
};

struct cognito;

/* Fill *conf with the defaults (leeway 0, TTL LIMIT_JWKS_TTL_DEFAULT,
 * timeout LIMIT_JWKS_TIMEOUT_MS_DEFAULT, token_use "id,access"); the
 * strings issuer and client_ids are left NULL for the caller. */
void		 cognito_conf_defaults(struct cognito_conf *);

/*
 * Check conf as cognito_new() does, without building anything: what a
 * program's config check (-n, start-up, reload) runs on its JWT keys.
 * With COGNITO_CHECK_FILES a file:// JWKS URL must also name a readable
 * file holding a key set jwks_parse() accepts (cognito_new() itself only
 * reads it later, and retries).  ERR_OK; or ERR_CONFIG with *field the
 * cognito_conf member at fault ("issuer", "jwks_url", "client_ids",
 * "token_use", "leeway", "jwks_ttl", "jwks_timeout_ms") and one line in
 * why saying what is wrong (no values: the caller may quote its own);
 * or ERR_NOMEM.
 */
#define COGNITO_CHECK_FILES	0x01
enum err	 cognito_conf_check(const struct cognito_conf *, unsigned flags,
		    const char **field, char *why, size_t whylen);

/*
 * Check conf and build a verifier with a JWKS cache that fetches with
 * libcurl.  conf's strings are copied.  Nothing is fetched yet.  Errors:
 * ERR_CONFIG (logged, naming the bad field), ERR_NOMEM.
 */
enum err	 cognito_new(const struct cognito_conf *, struct cognito **out);

/*
 * As cognito_new(), but with a caller-built key cache (tests inject fetch
 * and clock this way).  The verifier takes ownership of keys, also on
 * failure.
 */
enum err	 cognito_new_with_keys(const struct cognito_conf *,
		    struct jwks_cache *keys, struct cognito **out);

/* NULL is a no-op. */
void		 cognito_free(struct cognito *);

/*
 * Fetch the signing keys now, if none are held yet, instead of on the first
 * request (call it after fork, once per worker).  ERR_OK when keys are
 * held, ERR_UNAVAILABLE if the fetch failed (logged; requests will retry,
 * at most once per LIMIT_JWKS_REFETCH_SECONDS).  Failing here need not be
 * fatal: the pool may be reachable later.
 */
enum err	 cognito_prefetch(struct cognito *);

/*
 * From now on fetch the signing keys on a thread of the verifier's own:
 * cognito_verify() never waits on the network (for an event loop).  A
 * token whose kid the keys lack, while a fetch is allowed, then fails with
 * ERR_UNAVAILABLE (retry soon) instead of waiting for the fetch.
 */
enum err	 cognito_refresh_in_background(struct cognito *);

/*
 * Verify the compact token token[0..len) at wall-clock time now (normally
 * time(NULL)) and fill *id.  Returns:
 *   ERR_OK           *id filled;
 *   ERR_TOO_LARGE    token over LIMIT_TOKEN_BYTES;
 *   ERR_AUTH         anything wrong with the token itself;
 *   ERR_UNAVAILABLE  no signing keys could ever be fetched (not the
 *                    client's fault; a 503);
 *   ERR_NOMEM.
 * On every error *reason is a short static string that is safe to send to
 * the client ("token expired", "wrong issuer", ...); on ERR_OK it is "ok".
 * The token is never logged.  Thread-safe for one shared verifier.
 */
enum err	 cognito_verify(struct cognito *, const char *token, size_t len,
		    time_t now, struct cognito_identity *id,
		    const char **reason);

/*
 * Find the token in an Authorization header value "Bearer <token>" (scheme
 * case-insensitive, surrounding blanks ignored).  On ERR_OK *token and *len
 * point into header.  ERR_AUTH if header is NULL or not a bearer value.
 */
enum err	 cognito_bearer(const char *header, const char **token,
		    size_t *len);

/*
 * True if s[0..len) is a sub we accept: 1..LIMIT_SUB_BYTES characters from
 * [A-Za-z0-9_-] (Cognito subs are UUIDs).  It becomes part of S3 keys, so
 * nothing that could change a path is allowed.
 */
int		 cognito_sub_valid(const char *s, size_t len);

#endif /* COGNITO_H */
