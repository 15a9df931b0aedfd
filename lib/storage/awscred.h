/*
 * awscred.h: AWS credentials and the pure half of the standard chain.
 *
 * The chain is: environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), the shared credentials file (AWS_SHARED_CREDENTIALS_FILE
 * or ~/.aws/credentials, profile AWS_PROFILE or "default"), ECS container
 * credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against 169.254.170.2,
 * or AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN
 * or _TOKEN_FILE), then EC2 instance metadata with IMDSv2 tokens.
 *
 * This module holds the credential value and everything about it that needs
 * no I/O: checking keys, the INI parser for the credentials file, the JSON
 * document ECS and IMDS serve, the container URL rules, expiry arithmetic.
 * The adapter that reads files and talks HTTP is lib/storage/awscred_chain.c.
 *
 * A struct awscred holds a secret: never log its fields (log the source and
 * the access key id's last four characters at most), and wipe it with
 * awscred_clear() when done.
 */
#ifndef AWSCRED_H
#define AWSCRED_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"

enum awscred_source {
	AWSCRED_SOURCE_NONE = 0,
	AWSCRED_SOURCE_CONFIG,		/* given by the program's config */
	AWSCRED_SOURCE_ENV,
	AWSCRED_SOURCE_FILE,
	AWSCRED_SOURCE_CONTAINER,
	AWSCRED_SOURCE_IMDS,
};

struct awscred {
	char		access_key_id[LIMIT_AWS_KEY_ID_BYTES + 1];
	char		secret_access_key[LIMIT_AWS_SECRET_BYTES + 1];
	char		session_token[LIMIT_AWS_TOKEN_BYTES + 1];	/* "" if none */
	int64_t		expiration;	/* epoch seconds; 0: does not expire */
	enum awscred_source source;
};

/* The ECS task-role endpoint host for _RELATIVE_URI. */
#define AWSCRED_CONTAINER_HOST	"169.254.170.2"
/* IMDS default endpoint; AWS_EC2_METADATA_SERVICE_ENDPOINT overrides. */
#define AWSCRED_IMDS_ENDPOINT	"http://169.254.169.254"
/* Refresh temporary credentials this long before they expire. */
#define AWSCRED_REFRESH_MARGIN	300

/*
 * Fill *c from the given strings after checking them: key id 1..128
 * characters of [A-Za-z0-9_] (AWS ids are 16+; S3-compatible servers use
 * shorter ones), secret 1..128 printable non-space ASCII,
 * token (NULL or "" for none) printable non-space ASCII up to
 * LIMIT_AWS_TOKEN_BYTES.  ERR_NOT_FOUND if key id and secret are both
 * NULL/empty (this source has nothing), ERR_FIELD if one is missing or any
 * is malformed (the caller logs which source, never the value).  *c is
 * cleared on failure.
 */
enum err	awscred_set(struct awscred *c, const char *key_id,
		    const char *secret, const char *token, int64_t expiration,
		    enum awscred_source source);

/*
 * Parse a shared credentials file (INI: [profile] sections, key = value,
 * '#' and ';' comments) and take aws_access_key_id, aws_secret_access_key
 * and aws_session_token from the section named profile (NULL: "default").
 * Keys are matched case-insensitively, as the AWS CLI does; later
 * duplicates win.  ERR_NOT_FOUND if the profile is absent or has neither
 * key, ERR_FIELD if its values fail awscred_set(), ERR_CONFIG if a line is
 * neither a section, a key = value pair, a comment nor blank (*bad_line,
 * if not NULL, gets its 1-based number), ERR_TOO_LARGE past
 * LIMIT_AWS_CRED_FILE_BYTES or a line past LIMIT_CONF_LINE.
 */
enum err	awscred_parse_ini(const char *buf, size_t len,
		    const char *profile, struct awscred *c, size_t *bad_line);

/*
 * Parse the JSON credentials document served by ECS
 * ({"AccessKeyId","SecretAccessKey","Token","Expiration"}) or IMDS (the
 * same plus "Code":"Success").  Expiration is ISO 8601 UTC
 * ("2026-11-25T23:00:00Z", fractions allowed).  ERR_JSON if not a JSON
 * object, ERR_UPSTREAM if IMDS's Code is not "Success", ERR_FIELD if a
 * field is missing or malformed, ERR_TOO_LARGE past
 * LIMIT_AWS_CRED_DOC_BYTES.
 */
enum err	awscred_parse_json(const char *buf, size_t len,
		    enum awscred_source source, struct awscred *c);

/* Parse an ISO 8601 UTC timestamp ("YYYY-MM-DDTHH:MM:SS[.fff]Z" or with a
 * "+00:00" offset) to epoch seconds.  ERR_FIELD if malformed. */
enum err	awscred_parse_time(const char *s, int64_t *out);

/*
 * Work out the URL for container credentials from the values of
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI (either may be NULL
 * or ""; relative wins, as in the AWS SDKs).  A relative URI must start
 * with '/' and becomes http://169.254.170.2<uri>.  A full URI must be
 * https, or http to a loopback host (127.0.0.0/8, [::1], localhost) or to
 * the ECS/EKS agent addresses (169.254.170.2, 169.254.170.23,
 * [fd00:ec2::23]).  ERR_NOT_FOUND if neither is set, ERR_FIELD if the one
 * given breaks these rules or is too long, ERR_TOO_LARGE if url is short.
 */
enum err	awscred_container_url(const char *relative, const char *full,
		    char *url, size_t urlsz);

/*
 * Check an AWS_CONTAINER_AUTHORIZATION_TOKEN value (or the content of
 * _TOKEN_FILE, with one trailing newline already removed): printable ASCII,
 * no CR/LF, at most LIMIT_AWS_TOKEN_BYTES.  0 if fine, -1 otherwise.
 */
int		awscred_auth_token_ok(const char *token, size_t len);

/* Seconds these credentials stay valid after now: INT64_MAX if they do not
 * expire, 0 if they already have (never negative). */
int64_t		awscred_lifetime(const struct awscred *c, int64_t now);

/* 1 if the credentials must be fetched again: none held, or they expire
 * within margin seconds of now.  0 otherwise. */
int		awscred_stale(const struct awscred *c, int64_t now,
		    int64_t margin);

/*
 * The expiry to give a presigned URL signed now with these credentials:
 * want, cut to the credentials' remaining lifetime so the URL never outlives
 * them.  0 if they have expired.  The API returns this as
 * expiresInSeconds; callers refuse to presign with 0 (503).
 */
int64_t		awscred_cap_expires(const struct awscred *c, int64_t now,
		    int64_t want);

/* Name of a source for logs: "config", "env", "file", "container",
 * "imds" or "none". */
const char	*awscred_source_name(enum awscred_source);

/* Last four characters of the key id, for logs ("" for ids shorter than
 * eight characters, which four would give away). */
const char	*awscred_key_hint(const struct awscred *c);

/* Wipe *c (including the secret) so it holds nothing.  NULL is a no-op. */
void		awscred_clear(struct awscred *c);

#endif /* AWSCRED_H */
