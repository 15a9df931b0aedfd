/*
 * s3xml.c: read ListObjectsV2, DeleteObjects, CreateMultipartUpload and
 * CompleteMultipartUpload answers, write the DeleteObjects and
 * CompleteMultipartUpload bodies (see s3xml.h).
 *
 * The reader looks for elements by their exact tags between the root's
 * tags; S3 writes no attributes, CDATA or comments inside them.  Text is
 * entity-decoded (the five XML entities and numeric references); anything
 * else with '&' or '<' in text is refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hex.h"
#include "s3xml.h"

/* Find needle in [p, end); NULL if absent. */
static const char *
s3xml_find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	while (p != NULL && (size_t)(end - p) >= n) {
		const char *q = memchr(p, needle[0], (size_t)(end - p) - n + 1);

		if (q == NULL)
			return NULL;
		if (memcmp(q, needle, n) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

/* Append code point cp as UTF-8; 0 if it is not a valid scalar value. */
static int
s3xml_utf8(unsigned long cp, char *out, size_t *o)
{
	if (cp < 0x20 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	if (cp < 0x80)
		out[(*o)++] = (char)cp;
	else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
	return 1;
}

/*
 * Decode the text [p, end) into out (room for max bytes plus the NUL).
 * -1 on a bad entity, a raw '<', a control character or overflow.
 */
static int
s3xml_text(const char *p, const char *end, char *out, size_t max)
{
	static const struct { const char *name; char c; } ent[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	unsigned long cp;
	size_t o = 0, i, n;
	int base, digits;

	while (p < end) {
		/* Room for the longest thing one step writes (a 4-byte
		 * UTF-8 sequence) only where an entity is decoded. */
		if (o + (*p == '&' ? 4 : 1) > max)
			return -1;
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '<')
			return -1;
		if (*p != '&') {
			out[o++] = *p++;
			continue;
		}
		p++;
		for (i = 0; i < sizeof(ent) / sizeof(ent[0]); i++) {
			n = strlen(ent[i].name);
			if ((size_t)(end - p) >= n &&
			    memcmp(p, ent[i].name, n) == 0)
				break;
		}
		if (i < sizeof(ent) / sizeof(ent[0])) {
			out[o++] = ent[i].c;
			p += strlen(ent[i].name);
			continue;
		}
		if (p >= end || *p != '#')
			return -1;
		p++;
		base = 10;
		if (p < end && (*p == 'x' || *p == 'X')) {
			base = 16;
			p++;
		}
		cp = 0;
		for (digits = 0; p < end && *p != ';'; p++, digits++) {
			int d = hex_digit((unsigned char)*p);

			if (d < 0 || d >= base)
				return -1;
			if (digits >= 8)
				return -1;
			cp = cp * (unsigned long)base + (unsigned long)d;
		}
		if (p >= end || digits == 0 || !s3xml_utf8(cp, out, &o))
			return -1;
		p++;
	}
	out[o] = '\0';
	return (int)o;
}

/* The text of the first <tag>...</tag> in [p, end): its bounds in *ts and *te
 * and 1; 0 if absent; -1 if unterminated. */
static int
s3xml_elem(const char *p, const char *end, const char *tag,
    const char **ts, const char **te)
{
	char open[48], close[48];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = s3xml_find(p, end, open)) == NULL)
		return 0;
	a += strlen(open);
	if ((b = s3xml_find(a, end, close)) == NULL)
		return -1;
	*ts = a;
	*te = b;
	return 1;
}

/* The <IsTruncated> of [p, end): *truncated 1 when it is "true", left
 * alone when there is none; -1 if it is malformed. */
static int
s3xml_truncated(const char *p, const char *end, int *truncated)
{
	const char *ts, *te;
	char flag[8];
	int got;

	if ((got = s3xml_elem(p, end, "IsTruncated", &ts, &te)) < 0)
		return -1;
	if (got == 1) {
		if (s3xml_text(ts, te, flag, sizeof(flag) - 1) < 0)
			return -1;
		*truncated = strcmp(flag, "true") == 0;
	}
	return 0;
}

void
s3xml_list_free(struct s3xml_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nkeys; i++)
		free(l->keys[i]);
	free(l->keys);
	free(l->sizes);
	free(l->modified_ms);
	free(l->etags);
	memset(l, 0, sizeof(*l));
}

/* n decimal digits at s as a number; -1 if one is not a digit. */
static int64_t
s3xml_digits(const char *s, int n)
{
	int64_t v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * S3's LastModified, "YYYY-MM-DDTHH:MM:SS[.fff]Z" (ISO 8601 in UTC, as S3
 * and s3rver write it), as epoch milliseconds; -1 if it is not that.
 */
static int64_t
s3xml_time(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	int64_t y, mo, d, h, mi, sec, ms = 0, f;
	size_t i, n = strlen(s);

	if (n < sizeof(shape))		/* the shape and 'Z' */
		return -1;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] != 'd' && s[i] != shape[i])
			return -1;
	y = s3xml_digits(s, 4);
	mo = s3xml_digits(s + 5, 2);
	d = s3xml_digits(s + 8, 2);
	h = s3xml_digits(s + 11, 2);
	mi = s3xml_digits(s + 14, 2);
	sec = s3xml_digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	i = sizeof(shape) - 1;
	if (s[i] == '.') {
		/* Milliseconds from the first three fraction digits. */
		for (i++, f = 100; s[i] >= '0' && s[i] <= '9'; i++, f /= 10)
			ms += (s[i] - '0') * f;
	}
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return -1;
	return ((clock_days(y, mo, d) * 24 + h) * 60 + mi) * 60000 +
	    sec * 1000 + ms;
}

/* The optional Size, LastModified and ETag of the <Contents> [cs, ce)
 * into entry i of out; -1 when one is there but malformed. */
static int
s3xml_object(const char *cs, const char *ce, struct s3xml_list *out,
    size_t i)
{
	const char *ts, *te;
	char text[S3XML_ETAG_MAX + 1];
	int got;

	out->sizes[i] = -1;
	out->modified_ms[i] = -1;
	out->etags[i][0] = '\0';
	if ((got = s3xml_elem(cs, ce, "Size", &ts, &te)) < 0)
		return -1;
	if (got == 1) {
		if (te - ts < 1 || te - ts > 18 ||
		    (out->sizes[i] = s3xml_digits(ts, (int)(te - ts))) < 0)
			return -1;
	}
	if ((got = s3xml_elem(cs, ce, "LastModified", &ts, &te)) < 0)
		return -1;
	if (got == 1 && (s3xml_text(ts, te, text, 40) < 0 ||
	    (out->modified_ms[i] = s3xml_time(text)) < 0))
		return -1;
	if ((got = s3xml_elem(cs, ce, "ETag", &ts, &te)) < 0)
		return -1;
	if (got == 1 && s3xml_text(ts, te, out->etags[i], S3XML_ETAG_MAX) < 0)
		return -1;
	return 0;
}

enum err
s3xml_list_parse(const char *buf, size_t len, struct s3xml_list *out)
{
	const char *p, *end, *ts, *te, *cs, *ce;
	char key[LIMIT_S3_KEY_BYTES + 1];
	enum err e = ERR_INVAL;
	int got;

	if (out == NULL)
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return ERR_INVAL;
	if (s3xml_elem(buf, buf + len, "ListBucketResult", &p, &end) != 1) {
		/* S3 writes the root with an xmlns attribute. */
		p = s3xml_find(buf, buf + len, "<ListBucketResult");
		end = s3xml_find(buf, buf + len, "</ListBucketResult>");
		if (p == NULL || end == NULL || end < p)
			return ERR_INVAL;
	}
	if ((out->keys = calloc(LIMIT_S3_DELETE_BATCH, sizeof(char *))) ==
	    NULL || (out->sizes = calloc(LIMIT_S3_DELETE_BATCH,
	    sizeof(int64_t))) == NULL || (out->modified_ms = calloc(
	    LIMIT_S3_DELETE_BATCH, sizeof(int64_t))) == NULL ||
	    (out->etags = calloc(LIMIT_S3_DELETE_BATCH,
	    sizeof(*out->etags))) == NULL) {
		s3xml_list_free(out);
		return ERR_NOMEM;
	}
	for (cs = p; (got = s3xml_elem(cs, end, "Contents", &cs, &ce)) == 1;
	    cs = ce) {
		if (out->nkeys == LIMIT_S3_DELETE_BATCH ||
		    s3xml_elem(cs, ce, "Key", &ts, &te) != 1 ||
		    s3xml_text(ts, te, key, LIMIT_S3_KEY_BYTES) <= 0 ||
		    s3xml_object(cs, ce, out, out->nkeys) < 0)
			goto fail;
		if ((out->keys[out->nkeys] = strdup(key)) == NULL) {
			e = ERR_NOMEM;
			goto fail;
		}
		out->nkeys++;
	}
	if (got < 0)
		goto fail;
	if (s3xml_truncated(p, end, &out->truncated) < 0)
		goto fail;
	if ((got = s3xml_elem(p, end, "NextContinuationToken", &ts,
	    &te)) < 0)
		goto fail;
	if (got == 1 && s3xml_text(ts, te, out->next_token,
	    S3XML_TOKEN_MAX) < 0)
		goto fail;
	if (out->truncated && out->next_token[0] == '\0')
		goto fail;
	return ERR_OK;
fail:
	s3xml_list_free(out);
	return e;
}

/* Append s[0..n) to the growing buffer; -1 on out of memory. */
static int
s3xml_put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	char *grown;

	if (*len + n + 1 > *cap) {
		size_t want = (*cap + n + 1) * 2;

		if ((grown = realloc(*buf, want)) == NULL)
			return -1;
		*buf = grown;
		*cap = want;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Append text t XML-escaped; -1 on out of memory. */
static int
s3xml_put_text(char **buf, size_t *len, size_t *cap, const char *t)
{
	char ent[8];
	int bad = 0;

	for (; *t != '\0' && !bad; t++) {
		switch (*t) {
		case '&':
			bad |= s3xml_put(buf, len, cap, "&amp;", 5);
			break;
		case '<':
			bad |= s3xml_put(buf, len, cap, "&lt;", 4);
			break;
		case '>':
			bad |= s3xml_put(buf, len, cap, "&gt;", 4);
			break;
		case '"':
			bad |= s3xml_put(buf, len, cap, "&quot;", 6);
			break;
		default:
			if ((unsigned char)*t < 0x20) {
				snprintf(ent, sizeof(ent), "&#%d;", *t);
				bad |= s3xml_put(buf, len, cap, ent,
				    strlen(ent));
			} else
				bad |= s3xml_put(buf, len, cap, t, 1);
		}
	}
	return bad;
}

enum err
s3xml_delete_body(char *const *keys, size_t n, char **out, size_t *len)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Quiet>true</Quiet>";
	char *buf = NULL;
	size_t blen = 0, cap = 0, i;
	int bad = 0;

	if (out == NULL || len == NULL)
		return ERR_INVAL;
	*out = NULL;
	*len = 0;
	if (keys == NULL || n == 0 || n > LIMIT_S3_DELETE_BATCH)
		return ERR_INVAL;
	bad |= s3xml_put(&buf, &blen, &cap, head, sizeof(head) - 1);
	for (i = 0; i < n && !bad; i++) {
		bad |= s3xml_put(&buf, &blen, &cap, "<Object><Key>", 13);
		bad |= s3xml_put_text(&buf, &blen, &cap, keys[i]);
		bad |= s3xml_put(&buf, &blen, &cap, "</Key></Object>", 15);
	}
	bad |= s3xml_put(&buf, &blen, &cap, "</Delete>", 9);
	if (bad) {
		free(buf);
		return ERR_NOMEM;
	}
	*out = buf;
	*len = blen;
	return ERR_OK;
}

enum err
s3xml_delete_result(const char *buf, size_t len, size_t *errors, char *code,
    size_t codesz)
{
	const char *p, *end, *es, *ee, *ts, *te;
	char tmp[128];
	int got;

	if (errors == NULL || code == NULL || codesz == 0)
		return ERR_INVAL;
	*errors = 0;
	code[0] = '\0';
	if (buf == NULL)
		return ERR_INVAL;
	p = s3xml_find(buf, buf + len, "<DeleteResult");
	end = s3xml_find(buf, buf + len, "</DeleteResult>");
	if (p == NULL)
		return ERR_INVAL;
	/* An empty result may be written self-closed. */
	if (end == NULL || end < p)
		return s3xml_find(p, buf + len, "/>") != NULL ? ERR_OK :
		    ERR_INVAL;
	for (es = p; (got = s3xml_elem(es, end, "Error", &es, &ee)) == 1;
	    es = ee) {
		if (*errors == 0 && s3xml_elem(es, ee, "Code", &ts, &te) == 1 &&
		    s3xml_text(ts, te, tmp, sizeof(tmp) - 1) >= 0)
			snprintf(code, codesz, "%s", tmp);
		(*errors)++;
	}
	return got < 0 ? ERR_INVAL : ERR_OK;
}

/* The bounds of root's content in [buf, buf + len): S3 writes the root
 * with an xmlns attribute.  0 if absent or unterminated. */
static int
s3xml_root(const char *buf, size_t len, const char *root, const char **p,
    const char **end)
{
	char open[48], close[48];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s", root);
	snprintf(close, sizeof(close), "</%s>", root);
	if ((a = s3xml_find(buf, buf + len, open)) == NULL)
		return 0;
	a += strlen(open);
	/* "<Error" must not match "<ErrorDocument": the tag ends here. */
	if (a >= buf + len || (*a != '>' && *a != ' '))
		return 0;
	if ((a = memchr(a, '>', (size_t)(buf + len - a))) == NULL)
		return 0;
	a++;
	if ((b = s3xml_find(a, buf + len, close)) == NULL)
		return 0;
	*p = a;
	*end = b;
	return 1;
}

enum err
s3xml_upload_id(const char *buf, size_t len, char *id, size_t cap)
{
	const char *p, *end, *ts, *te;
	char tmp[S3XML_UPLOAD_ID_MAX + 1];
	int n, i;

	if (id == NULL || cap == 0)
		return ERR_INVAL;
	id[0] = '\0';
	if (buf == NULL || !s3xml_root(buf, len,
	    "InitiateMultipartUploadResult", &p, &end) ||
	    s3xml_elem(p, end, "UploadId", &ts, &te) != 1)
		return ERR_INVAL;
	n = s3xml_text(ts, te, tmp, S3XML_UPLOAD_ID_MAX);
	if (n <= 0 || (size_t)n >= cap)
		return ERR_INVAL;
	for (i = 0; i < n; i++)
		if (tmp[i] <= ' ' || tmp[i] > '~')
			return ERR_INVAL;
	memcpy(id, tmp, (size_t)n + 1);
	return ERR_OK;
}

void
s3xml_uploads_free(struct s3xml_uploads *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->u[i].key);
		free(l->u[i].upload_id);
	}
	free(l->u);
	memset(l, 0, sizeof(*l));
}

enum err
s3xml_uploads_parse(const char *buf, size_t len, struct s3xml_uploads *out)
{
	const char *p, *end, *cs, *ce, *ts, *te;
	char key[LIMIT_S3_KEY_BYTES + 1], id[S3XML_UPLOAD_ID_MAX + 1];
	enum err e = ERR_INVAL;
	int got, n, i;

	if (out == NULL)
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (buf == NULL || !s3xml_root(buf, len, "ListMultipartUploadsResult",
	    &p, &end))
		return ERR_INVAL;
	if ((out->u = calloc(S3XML_UPLOADS_MAX, sizeof(*out->u))) == NULL)
		return ERR_NOMEM;
	/* "<Upload>" matches neither <UploadIdMarker> nor <UploadId>. */
	for (cs = p; (got = s3xml_elem(cs, end, "Upload", &cs, &ce)) == 1;
	    cs = ce) {
		if (out->n == S3XML_UPLOADS_MAX ||
		    s3xml_elem(cs, ce, "Key", &ts, &te) != 1 ||
		    s3xml_text(ts, te, key, LIMIT_S3_KEY_BYTES) <= 0 ||
		    s3xml_elem(cs, ce, "UploadId", &ts, &te) != 1 ||
		    (n = s3xml_text(ts, te, id, S3XML_UPLOAD_ID_MAX)) <= 0)
			goto fail;
		for (i = 0; i < n; i++)
			if (id[i] <= ' ' || id[i] > '~')
				goto fail;
		if ((out->u[out->n].key = strdup(key)) == NULL ||
		    (out->u[out->n].upload_id = strdup(id)) == NULL) {
			free(out->u[out->n].key);
			out->u[out->n].key = NULL;
			e = ERR_NOMEM;
			goto fail;
		}
		out->n++;
	}
	if (got < 0)
		goto fail;
	/* After the last upload: no <Upload> holds an <IsTruncated>. */
	if (s3xml_truncated(p, end, &out->truncated) < 0)
		goto fail;
	return ERR_OK;
fail:
	s3xml_uploads_free(out);
	return e;
}

enum err
s3xml_complete_body(const struct s3xml_part *parts, size_t n, char **out,
    size_t *len)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<CompleteMultipartUpload "
	    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
	char *buf = NULL, num[48];
	size_t blen = 0, cap = 0, i;
	int bad = 0;

	if (out == NULL || len == NULL)
		return ERR_INVAL;
	*out = NULL;
	*len = 0;
	if (parts == NULL || n == 0 || n > S3XML_PARTS_MAX)
		return ERR_INVAL;
	for (i = 0; i < n; i++)
		if (parts[i].etag == NULL || parts[i].etag[0] == '\0' ||
		    parts[i].number < 1 || parts[i].number > S3XML_PARTS_MAX)
			return ERR_INVAL;
	bad |= s3xml_put(&buf, &blen, &cap, head, sizeof(head) - 1);
	for (i = 0; i < n && !bad; i++) {
		snprintf(num, sizeof(num), "<Part><PartNumber>%d</PartNumber>"
		    "<ETag>", parts[i].number);
		bad |= s3xml_put(&buf, &blen, &cap, num, strlen(num));
		bad |= s3xml_put_text(&buf, &blen, &cap, parts[i].etag);
		bad |= s3xml_put(&buf, &blen, &cap, "</ETag>", 7);
		if (parts[i].checksum_sha256 != NULL) {
			bad |= s3xml_put(&buf, &blen, &cap, "<ChecksumSHA256>",
			    16);
			bad |= s3xml_put_text(&buf, &blen, &cap,
			    parts[i].checksum_sha256);
			bad |= s3xml_put(&buf, &blen, &cap, "</ChecksumSHA256>",
			    17);
		}
		bad |= s3xml_put(&buf, &blen, &cap, "</Part>", 7);
	}
	bad |= s3xml_put(&buf, &blen, &cap, "</CompleteMultipartUpload>", 26);
	if (bad) {
		free(buf);
		return ERR_NOMEM;
	}
	*out = buf;
	*len = blen;
	return ERR_OK;
}

enum err
s3xml_complete_result(const char *buf, size_t len, char *etag, size_t cap,
    char *code, size_t codesz)
{
	const char *p, *end, *ts, *te;
	char tmp[LIMIT_S3_ETAG_BYTES + 1];
	int got;

	if (etag == NULL || cap == 0 || code == NULL || codesz == 0)
		return ERR_INVAL;
	etag[0] = '\0';
	code[0] = '\0';
	if (buf == NULL)
		return ERR_INVAL;
	if (s3xml_root(buf, len, "CompleteMultipartUploadResult", &p, &end)) {
		if ((got = s3xml_elem(p, end, "ETag", &ts, &te)) < 0)
			return ERR_INVAL;
		if (got == 1) {
			if (s3xml_text(ts, te, tmp, LIMIT_S3_ETAG_BYTES) < 0)
				return ERR_INVAL;
			snprintf(etag, cap, "%s", tmp);
		}
		return ERR_OK;
	}
	if (s3xml_root(buf, len, "Error", &p, &end)) {
		snprintf(code, codesz, "Error");
		if (s3xml_elem(p, end, "Code", &ts, &te) == 1 &&
		    s3xml_text(ts, te, tmp, sizeof(tmp) - 1) > 0)
			snprintf(code, codesz, "%s", tmp);
		return ERR_OK;
	}
	return ERR_INVAL;
}
