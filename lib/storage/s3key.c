/*
 * s3key.c: build and split the S3 keys of audio chunks and manifests.
 *
 * The key layout is fixed by the system we replace (see s3key.h).  Every
 * part is checked against a small allowed set rather than escaped or
 * rewritten, so a key built here always stays under users/{sub}/ and the
 * same parts always give the same key.  s3key_parse() splits a key and then
 * rebuilds it, so it accepts exactly the keys s3key_chunk() and
 * s3key_manifest() can produce.
 */
#include <inttypes.h>
#include <string.h>

#include "s3key.h"

#define S3KEY_T_USERS	"users/"
#define S3KEY_T_SESSIONS	"/audio/sessions/"
#define S3KEY_T_CHUNKS	"chunks/"
#define S3KEY_T_MANIFEST	"manifest.json"

static int
s3key_id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int
s3key_valid_id(const char *s, size_t len, size_t max)
{
	size_t i;

	if (s == NULL || len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!s3key_id_char((unsigned char)s[i]))
			return 0;
	return 1;
}

int
s3key_valid_sub(const char *s, size_t len)
{
	return s3key_valid_id(s, len, LIMIT_SUB_BYTES);
}

int
s3key_valid_session(const char *s, size_t len)
{
	return s3key_valid_id(s, len, LIMIT_SESSION_ID_BYTES);
}

int
s3key_valid_ext(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len > LIMIT_EXT_BYTES)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* Write the prefix and the given tail format; the lengths have been
 * checked, so %.*s cannot be cut short by a NUL. */
/*
 * Keys are written with memcpy and a digit loop rather than snprintf: a
 * chunk key is made on every presign and complete, and printf's format
 * machinery cost more than the rest of the key's checks.  s3key_put()
 * keeps counting past the end of out, so too small a buffer is told by
 * the count, as with snprintf.
 */
struct s3key_out {
	char	*p;
	size_t	 n;
	size_t	 sz;
};

static void
s3key_put(struct s3key_out *o, const char *s, size_t len)
{
	if (o->n + len < o->sz)
		memcpy(o->p + o->n, s, len);
	o->n += len;
}

/* v (>= 0) in decimal, zero-padded to width digits at least. */
static void
s3key_put_num(struct s3key_out *o, int64_t v, int width)
{
	char d[24];
	size_t i = sizeof(d);
	uint64_t u = (uint64_t)v;

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (sizeof(d) - i < (size_t)width)
		d[--i] = '0';
	s3key_put(o, d + i, sizeof(d) - i);
}

static enum err
s3key_emit(const struct s3key_parts *p, const char *tail, size_t tail_len,
    char *out, size_t outsz, size_t *outlen)
{
	struct s3key_out o = { out, 0, outsz };

	if (outsz == 0)
		return ERR_TOO_LARGE;
	s3key_put(&o, S3KEY_T_USERS, sizeof(S3KEY_T_USERS) - 1);
	s3key_put(&o, p->sub, p->sub_len);
	s3key_put(&o, S3KEY_T_SESSIONS, sizeof(S3KEY_T_SESSIONS) - 1);
	s3key_put(&o, p->session, p->session_len);
	s3key_put(&o, "/", 1);
	s3key_put(&o, tail, tail_len);
	if (o.n >= outsz) {
		out[0] = '\0';
		return ERR_TOO_LARGE;
	}
	out[o.n] = '\0';
	if (outlen != NULL)
		*outlen = o.n;
	return ERR_OK;
}

static enum err
s3key_check_ids(const struct s3key_parts *p, char *out, size_t outsz)
{
	if (outsz > 0)
		out[0] = '\0';
	if (p == NULL || !s3key_valid_sub(p->sub, p->sub_len) ||
	    !s3key_valid_session(p->session, p->session_len))
		return ERR_INVAL;
	return ERR_OK;
}

enum err
s3key_prefix(const struct s3key_parts *p, char *out, size_t outsz,
    size_t *outlen)
{
	enum err rc;

	if ((rc = s3key_check_ids(p, out, outsz)) != ERR_OK)
		return rc;
	return s3key_emit(p, "", 0, out, outsz, outlen);
}

enum err
s3key_manifest(const struct s3key_parts *p, char *out, size_t outsz,
    size_t *outlen)
{
	enum err rc;

	if ((rc = s3key_check_ids(p, out, outsz)) != ERR_OK)
		return rc;
	return s3key_emit(p, S3KEY_T_MANIFEST, sizeof(S3KEY_T_MANIFEST) - 1,
	    out, outsz, outlen);
}

enum err
s3key_chunk(const struct s3key_parts *p, char *out, size_t outsz,
    size_t *outlen)
{
	char tail[128];
	struct s3key_out t = { tail, 0, sizeof(tail) };
	enum err rc;

	if ((rc = s3key_check_ids(p, out, outsz)) != ERR_OK)
		return rc;
	if (p->seq < 0 || p->t_start_ms < 0 || p->t_end_ms < 0 ||
	    !s3key_valid_ext(p->ext, p->ext_len))
		return ERR_INVAL;
	/* chunks/SSSSS-TTTTTT-TTTTTT.ext */
	s3key_put(&t, S3KEY_T_CHUNKS, sizeof(S3KEY_T_CHUNKS) - 1);
	s3key_put_num(&t, p->seq, 5);
	s3key_put(&t, "-", 1);
	s3key_put_num(&t, p->t_start_ms, 6);
	s3key_put(&t, "-", 1);
	s3key_put_num(&t, p->t_end_ms, 6);
	s3key_put(&t, ".", 1);
	s3key_put(&t, p->ext, p->ext_len);
	if (t.n >= sizeof(tail))
		return ERR_INTERNAL;
	return s3key_emit(p, tail, t.n, out, outsz, outlen);
}

/* Decimal digits at s[0..len) as a non-negative int64; -1 on anything
 * else (empty, sign, non-digit, overflow).  Canonical form (width and
 * leading zeros) is checked by rebuilding the key, not here. */
static int
s3key_number(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Index of the first byte c in s[from..len), or len. */
static size_t
s3key_find(const char *s, size_t from, size_t len, char c)
{
	while (from < len && s[from] != c)
		from++;
	return from;
}

enum err
s3key_parse(const char *key, size_t len, struct s3key_parts *p,
    enum s3key_kind *kind)
{
	char again[S3KEY_SIZE];
	struct s3key_parts q;
	size_t pos, end, dash1, dash2, dot, againlen;
	const size_t ul = sizeof(S3KEY_T_USERS) - 1;
	const size_t sl = sizeof(S3KEY_T_SESSIONS) - 1;
	const size_t cl = sizeof(S3KEY_T_CHUNKS) - 1;
	const size_t ml = sizeof(S3KEY_T_MANIFEST) - 1;
	enum s3key_kind k;
	enum err rc;

	memset(&q, 0, sizeof(q));
	if (key == NULL || len > LIMIT_S3_KEY_BYTES || len < ul ||
	    memcmp(key, S3KEY_T_USERS, ul) != 0)
		return ERR_INVAL;
	pos = ul;
	end = s3key_find(key, pos, len, '/');
	q.sub = key + pos;
	q.sub_len = end - pos;
	pos = end;
	if (len - pos < sl || memcmp(key + pos, S3KEY_T_SESSIONS, sl) != 0)
		return ERR_INVAL;
	pos += sl;
	end = s3key_find(key, pos, len, '/');
	if (end == len)
		return ERR_INVAL;
	q.session = key + pos;
	q.session_len = end - pos;
	pos = end + 1;

	if (len - pos == ml && memcmp(key + pos, S3KEY_T_MANIFEST, ml) == 0) {
		k = S3KEY_MANIFEST;
		rc = s3key_manifest(&q, again, sizeof(again), &againlen);
	} else {
		if (len - pos < cl ||
		    memcmp(key + pos, S3KEY_T_CHUNKS, cl) != 0)
			return ERR_INVAL;
		pos += cl;
		dash1 = s3key_find(key, pos, len, '-');
		dash2 = s3key_find(key, dash1 + (dash1 < len), len, '-');
		dot = s3key_find(key, dash2 + (dash2 < len), len, '.');
		if (dot >= len ||
		    s3key_number(key + pos, dash1 - pos, &q.seq) == -1 ||
		    s3key_number(key + dash1 + 1, dash2 - dash1 - 1,
		    &q.t_start_ms) == -1 ||
		    s3key_number(key + dash2 + 1, dot - dash2 - 1,
		    &q.t_end_ms) == -1)
			return ERR_INVAL;
		q.ext = key + dot + 1;
		q.ext_len = len - dot - 1;
		k = S3KEY_CHUNK;
		rc = s3key_chunk(&q, again, sizeof(again), &againlen);
	}
	if (rc != ERR_OK || againlen != len || memcmp(again, key, len) != 0)
		return ERR_INVAL;
	if (p != NULL)
		*p = q;
	if (kind != NULL)
		*kind = k;
	return ERR_OK;
}
