/*
 * s3key.h: S3 object keys for audio chunks and manifests.
 *
 * Keys are built exactly as the system we replace built them:
 *
 *   users/{sub}/audio/sessions/{sid}/chunks/{seq}-{tStartMs}-{tEndMs}.{ext}
 *   users/{sub}/audio/sessions/{sid}/manifest.json
 *
 * with seq zero-padded to at least 5 digits and the times to at least 6
 * (wider numbers are written in full).  Nothing is rewritten: a part with a
 * byte outside its allowed set is refused, so no key can leave the user's
 * prefix ("..", "/", "%2f", NUL, bytes >= 0x80 are all outside every set):
 *
 *   sub         [A-Za-z0-9_-]   1..LIMIT_SUB_BYTES
 *   session id  [A-Za-z0-9_-]   1..LIMIT_SESSION_ID_BYTES
 *   extension   [a-z0-9]        1..LIMIT_EXT_BYTES
 *   numbers     0..INT64_MAX (negative refused)
 *
 * Every string is passed with an explicit length so that an embedded NUL is
 * seen and refused.  Nothing here checks that tEndMs >= tStartMs: that is
 * the API's rule, not the key format's.
 */
#ifndef S3KEY_H
#define S3KEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"

/* A buffer of this size holds any key this module builds. */
#define S3KEY_SIZE	(LIMIT_S3_KEY_BYTES + 1)

struct s3key_parts {
	const char	*sub;
	size_t		 sub_len;
	const char	*session;
	size_t		 session_len;
	int64_t		 seq;		/* chunk keys only */
	int64_t		 t_start_ms;	/* chunk keys only */
	int64_t		 t_end_ms;	/* chunk keys only */
	const char	*ext;		/* chunk keys only */
	size_t		 ext_len;
};

enum s3key_kind {
	S3KEY_CHUNK = 1,
	S3KEY_MANIFEST,
};

/* Each returns 1 if the part is acceptable, 0 if not. */
int		s3key_valid_sub(const char *, size_t);
int		s3key_valid_session(const char *, size_t);
int		s3key_valid_ext(const char *, size_t);

/*
 * Write the chunk key for `p` into out[0..outsz) NUL-terminated, its length
 * in *outlen if outlen is not NULL.  Returns ERR_OK, ERR_INVAL (a part
 * fails its check) or ERR_TOO_LARGE (does not fit outsz).  out is an empty
 * string on failure when outsz > 0.
 */
enum err	s3key_chunk(const struct s3key_parts *p, char *out, size_t outsz,
		    size_t *outlen);
/* The manifest key; only sub and session of `p` are used.  As above. */
enum err	s3key_manifest(const struct s3key_parts *p, char *out,
		    size_t outsz, size_t *outlen);
/* The session prefix "users/{sub}/audio/sessions/{sid}/" (trailing
 * slash included); only sub and session are used.  As above. */
enum err	s3key_prefix(const struct s3key_parts *p, char *out,
		    size_t outsz, size_t *outlen);

/*
 * Split key[0..len) into *p and *kind.  Succeeds only if building the key
 * back from the parts gives exactly the same bytes (so "00001" for a wide
 * field, a leading '+', or an upper-case extension are refused).  String
 * pointers in *p point into `key`.  Returns ERR_OK or ERR_INVAL.
 */
enum err	s3key_parse(const char *key, size_t len, struct s3key_parts *p,
		    enum s3key_kind *kind);

#endif /* S3KEY_H */
