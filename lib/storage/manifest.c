/*
 * manifest.c: render manifest.json and the event Detail payloads.
 *
 * The documents are written straight into one growing buffer in the old
 * system's field order, not built as a json-c tree first: a manifest is
 * rendered on every claim of a manifest write, and a tree costs about a
 * kilobyte of heap per chunk where the text costs under two hundred bytes,
 * which matters for the worker's RSS on long recordings.  Strings are
 * escaped per RFC 8259 (quote, backslash, control characters) and any byte
 * sequence that is not valid UTF-8 becomes U+FFFD, so the output is always
 * valid JSON whatever the input.  No I/O and no clock here: the journal
 * reads the data in one transaction and passes it in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manifest.h"

/* 9999-12-31T23:59:59.999Z */
#define MANIFEST_MS_MAX	253402300799999LL

/* An output buffer; oom latches the first allocation failure so callers
 * check once at the end. */
struct manifest_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};

char *
manifest_iso8601(int64_t ms, char *buf, size_t bufsz)
{
	struct tm tm;
	time_t secs;
	int64_t msec;

	if (buf == NULL || bufsz == 0)
		return buf;
	if (ms < 0)
		ms = 0;
	if (ms > MANIFEST_MS_MAX)
		ms = MANIFEST_MS_MAX;
	secs = (time_t)(ms / 1000);
	msec = ms % 1000;
	if (gmtime_r(&secs, &tm) == NULL) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)msec);
	return buf;
}

static int
manifest_grow(struct manifest_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom)
		return -1;
	if (more <= b->cap - b->len)
		return 0;
	cap = b->cap > 0 ? b->cap : 256;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void
manifest_raw(struct manifest_buf *b, const char *s, size_t n)
{
	if (manifest_grow(b, n + 1) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
manifest_lit(struct manifest_buf *b, const char *s)
{
	manifest_raw(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if the
 * bytes there are not one (bad lead, truncated, overlong, surrogate, or
 * above U+10FFFF). */
static size_t
manifest_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* A JSON string, quoted and escaped. */
static void
manifest_str(struct manifest_buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, run, k;
	char esc[6];

	manifest_raw(b, "\"", 1);
	while (i < n) {
		/* Copy the longest run that needs no escaping at once. */
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			manifest_raw(b, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		if (s[i] >= 0x80) {
			if ((k = manifest_utf8_len(s + i, n - i)) == 0) {
				manifest_lit(b, "\\ufffd");
				i++;
			} else {
				manifest_raw(b, (const char *)s + i, k);
				i += k;
			}
			continue;
		}
		switch (s[i]) {
		case '"':
			manifest_lit(b, "\\\"");
			break;
		case '\\':
			manifest_lit(b, "\\\\");
			break;
		case '\n':
			manifest_lit(b, "\\n");
			break;
		case '\r':
			manifest_lit(b, "\\r");
			break;
		case '\t':
			manifest_lit(b, "\\t");
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0x0f];
			manifest_raw(b, esc, sizeof(esc));
			break;
		}
		i++;
	}
	manifest_raw(b, "\"", 1);
}

/* ,"name": -- first says whether this is the first member. */
static void
manifest_name(struct manifest_buf *b, const char *name, int first)
{
	if (!first)
		manifest_raw(b, ",", 1);
	manifest_raw(b, "\"", 1);
	manifest_lit(b, name);
	manifest_raw(b, "\":", 2);
}

static void
manifest_field_str(struct manifest_buf *b, const char *name, const char *v,
    int first)
{
	manifest_name(b, name, first);
	manifest_str(b, v);
}

static void
manifest_field_int(struct manifest_buf *b, const char *name, int64_t v,
    int first)
{
	char num[24];
	int len;

	manifest_name(b, name, first);
	len = snprintf(num, sizeof(num), "%lld", (long long)v);
	manifest_raw(b, num, (size_t)len);
}

static void
manifest_field_time(struct manifest_buf *b, const char *name, int64_t ms,
    int first)
{
	char buf[MANIFEST_ISO8601_BYTES];

	manifest_field_str(b, name, manifest_iso8601(ms, buf, sizeof(buf)),
	    first);
}

/* Hand the text to the caller, or free it on failure. */
static enum err
manifest_finish(struct manifest_buf *b, char **out, size_t *outlen)
{
	if (b->oom || b->p == NULL) {
		free(b->p);
		return ERR_NOMEM;
	}
	*out = b->p;
	if (outlen != NULL)
		*outlen = b->len;
	return ERR_OK;
}

static int
manifest_chunk_cmp(const void *a, const void *b)
{
	const struct manifest_chunk *ca = *(const struct manifest_chunk *const *)a;
	const struct manifest_chunk *cb = *(const struct manifest_chunk *const *)b;

	if (ca->seq < cb->seq)
		return -1;
	return ca->seq > cb->seq;
}

static void
manifest_chunk(struct manifest_buf *b, const struct manifest_chunk *c)
{
	manifest_raw(b, "{", 1);
	manifest_field_int(b, "seq", c->seq, 1);
	manifest_field_str(b, "key", c->key, 0);
	manifest_field_int(b, "tStartMs", c->t_start_ms, 0);
	manifest_field_int(b, "tEndMs", c->t_end_ms, 0);
	manifest_field_int(b, "bytes", c->bytes, 0);
	manifest_field_time(b, "uploadedAt", c->uploaded_ms, 0);
	if (c->md5 != NULL && c->md5[0] != '\0')
		manifest_field_str(b, "md5", c->md5, 0);
	if (c->sha256 != NULL && c->sha256[0] != '\0')
		manifest_field_str(b, "sha256", c->sha256, 0);
	manifest_raw(b, "}", 1);
}

enum err
manifest_render(const struct manifest *m, char **out, size_t *outlen)
{
	const struct manifest_chunk **order = NULL;
	struct manifest_buf b = { NULL, 0, 0, 0 };
	enum err e = ERR_INVAL;
	size_t i;

	if (out != NULL)
		*out = NULL;
	if (m == NULL || out == NULL || m->session_id == NULL ||
	    m->user_id == NULL || m->codec == NULL ||
	    (m->nchunks > 0 && m->chunks == NULL))
		goto out;
	for (i = 0; i < m->nchunks; i++)
		if (m->chunks[i].key == NULL)
			goto out;
	if (m->nchunks > 0) {
		if ((order = calloc(m->nchunks, sizeof(*order))) == NULL) {
			e = ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < m->nchunks; i++)
			order[i] = &m->chunks[i];
		qsort(order, m->nchunks, sizeof(*order), manifest_chunk_cmp);
		for (i = 1; i < m->nchunks; i++)
			if (order[i]->seq == order[i - 1]->seq)
				goto out;
	}
	/* About 180 bytes per chunk plus its key; one allocation mostly. */
	manifest_grow(&b, 512 + m->nchunks * 256);
	manifest_raw(&b, "{", 1);
	manifest_field_str(&b, "sessionId", m->session_id, 1);
	manifest_field_str(&b, "userId", m->user_id, 0);
	manifest_field_str(&b, "codec", m->codec, 0);
	manifest_field_int(&b, "sampleRate", m->sample_rate, 0);
	manifest_name(&b, "chunks", 0);
	manifest_raw(&b, "[", 1);
	for (i = 0; i < m->nchunks; i++) {
		if (i > 0)
			manifest_raw(&b, ",", 1);
		manifest_chunk(&b, order[i]);
	}
	manifest_raw(&b, "]", 1);
	manifest_name(&b, "final", 0);
	manifest_lit(&b, m->final ? "true" : "false");
	manifest_field_time(&b, "createdAt", m->created_ms, 0);
	manifest_field_time(&b, "updatedAt", m->updated_ms, 0);
	manifest_field_int(&b, "totalBytes", m->total_bytes, 0);
	manifest_field_int(&b, "durationMs", m->duration_ms, 0);
	manifest_field_int(&b, "revision", m->revision, 0);
	manifest_raw(&b, "}", 1);
	e = manifest_finish(&b, out, outlen);
out:
	free(order);
	return e;
}

enum err
manifest_render_chunk_event(const struct manifest_chunk_event *ev, char **out,
    size_t *outlen)
{
	struct manifest_buf b = { NULL, 0, 0, 0 };

	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->chunk_key == NULL ||
	    ev->event_id == NULL)
		return ERR_INVAL;
	manifest_raw(&b, "{", 1);
	manifest_field_str(&b, "userId", ev->user_id, 1);
	manifest_field_str(&b, "sessionId", ev->session_id, 0);
	manifest_field_int(&b, "chunkSeq", ev->chunk_seq, 0);
	manifest_field_str(&b, "chunkKey", ev->chunk_key, 0);
	manifest_field_int(&b, "bytes", ev->bytes, 0);
	manifest_field_time(&b, "timestamp", ev->timestamp_ms, 0);
	manifest_field_str(&b, "eventId", ev->event_id, 0);
	manifest_raw(&b, "}", 1);
	return manifest_finish(&b, out, outlen);
}

enum err
manifest_render_final_event(const struct manifest_final_event *ev, char **out,
    size_t *outlen)
{
	struct manifest_buf b = { NULL, 0, 0, 0 };

	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->manifest_key == NULL ||
	    ev->event_id == NULL)
		return ERR_INVAL;
	manifest_raw(&b, "{", 1);
	manifest_field_str(&b, "userId", ev->user_id, 1);
	manifest_field_str(&b, "sessionId", ev->session_id, 0);
	manifest_field_str(&b, "manifestKey", ev->manifest_key, 0);
	manifest_field_int(&b, "chunkCount", ev->chunk_count, 0);
	manifest_field_int(&b, "totalBytes", ev->total_bytes, 0);
	manifest_field_int(&b, "durationMs", ev->duration_ms, 0);
	manifest_field_time(&b, "timestamp", ev->timestamp_ms, 0);
	manifest_field_str(&b, "eventId", ev->event_id, 0);
	manifest_raw(&b, "}", 1);
	return manifest_finish(&b, out, outlen);
}

enum err
manifest_render_deleted_event(const struct manifest_deleted_event *ev,
    char **out, size_t *outlen)
{
	struct manifest_buf b = { NULL, 0, 0, 0 };

	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->event_id == NULL)
		return ERR_INVAL;
	manifest_raw(&b, "{", 1);
	manifest_field_str(&b, "userId", ev->user_id, 1);
	manifest_field_str(&b, "sessionId", ev->session_id, 0);
	manifest_field_int(&b, "chunkCount", ev->chunk_count, 0);
	manifest_field_int(&b, "totalBytes", ev->total_bytes, 0);
	manifest_field_int(&b, "objectsDeleted", ev->objects_deleted, 0);
	manifest_field_time(&b, "requestedAt", ev->requested_ms, 0);
	manifest_field_time(&b, "timestamp", ev->timestamp_ms, 0);
	manifest_field_str(&b, "eventId", ev->event_id, 0);
	manifest_raw(&b, "}", 1);
	return manifest_finish(&b, out, outlen);
}
