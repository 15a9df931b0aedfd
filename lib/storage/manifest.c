/*
 * manifest.c: render manifest.json and the event Detail payloads.
 *
 * The documents are written straight into one growing buffer in the old
 * system's field order, not built as a json-c tree first: a manifest is
 * rendered on every claim of a manifest write, and a tree costs about a
 * kilobyte of heap per chunk where the text costs under two hundred bytes,
 * which matters for the worker's RSS on long recordings.  Strings are
 * escaped by buf_add_json() (lib/buf.h: RFC 8259, DEL escaped, invalid
 * UTF-8 as \ufffd), so the output is always valid JSON whatever the input.
 * No I/O and no clock here: the journal reads the data in one transaction
 * and passes it in; times are rendered by clock_iso8601().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "manifest.h"

/* ,"name": -- first says whether this is the first member. */
static void
manifest_name(struct buf *b, const char *name, int first)
{
	if (!first)
		buf_add(b, ",", 1);
	buf_add(b, "\"", 1);
	buf_adds(b, name);
	buf_add(b, "\":", 2);
}

static void
manifest_field_str(struct buf *b, const char *name, const char *v,
    int first)
{
	manifest_name(b, name, first);
	buf_add_jsons(b, v);
}

static void
manifest_field_int(struct buf *b, const char *name, int64_t v,
    int first)
{
	manifest_name(b, name, first);
	buf_addf(b, "%lld", (long long)v);
}

static void
manifest_field_time(struct buf *b, const char *name, int64_t ms,
    int first)
{
	char buf[CLOCK_ISO8601_BYTES];

	manifest_field_str(b, name, clock_iso8601(ms, buf, sizeof(buf)),
	    first);
}

/* Hand the text to the caller, or free it on failure. */
static enum err
manifest_finish(struct buf *b, char **out, size_t *outlen)
{
	size_t len = b->len;

	if ((*out = buf_take(b)) == NULL)
		return ERR_NOMEM;
	if (outlen != NULL)
		*outlen = len;
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
manifest_chunk(struct buf *b, const struct manifest_chunk *c)
{
	buf_add(b, "{", 1);
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
	if (c->etag != NULL && c->etag[0] != '\0')
		manifest_field_str(b, "etag", c->etag, 0);
	buf_add(b, "}", 1);
}

enum err
manifest_render(const struct manifest *m, char **out, size_t *outlen)
{
	const struct manifest_chunk **order = NULL;
	struct buf b;
	enum err e = ERR_INVAL;
	size_t i;

	buf_init(&b);
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
	buf_grow(&b, 512 + m->nchunks * 256);
	buf_add(&b, "{", 1);
	manifest_field_str(&b, "sessionId", m->session_id, 1);
	manifest_field_str(&b, "userId", m->user_id, 0);
	manifest_field_str(&b, "codec", m->codec, 0);
	manifest_field_int(&b, "sampleRate", m->sample_rate, 0);
	manifest_name(&b, "chunks", 0);
	buf_add(&b, "[", 1);
	for (i = 0; i < m->nchunks; i++) {
		if (i > 0)
			buf_add(&b, ",", 1);
		manifest_chunk(&b, order[i]);
	}
	buf_add(&b, "]", 1);
	manifest_name(&b, "final", 0);
	buf_adds(&b, m->final ? "true" : "false");
	if (m->final && m->final_reason != NULL && m->final_reason[0] != '\0')
		manifest_field_str(&b, "finalReason", m->final_reason, 0);
	manifest_field_time(&b, "createdAt", m->created_ms, 0);
	manifest_field_time(&b, "updatedAt", m->updated_ms, 0);
	manifest_field_int(&b, "totalBytes", m->total_bytes, 0);
	manifest_field_int(&b, "durationMs", m->duration_ms, 0);
	manifest_field_int(&b, "revision", m->revision, 0);
	buf_add(&b, "}", 1);
	e = manifest_finish(&b, out, outlen);
out:
	free(order);
	return e;
}

enum err
manifest_render_chunk_event(const struct manifest_chunk_event *ev, char **out,
    size_t *outlen)
{
	struct buf b;

	buf_init(&b);
	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->chunk_key == NULL ||
	    ev->event_id == NULL)
		return ERR_INVAL;
	buf_add(&b, "{", 1);
	manifest_field_str(&b, "userId", ev->user_id, 1);
	manifest_field_str(&b, "sessionId", ev->session_id, 0);
	manifest_field_int(&b, "chunkSeq", ev->chunk_seq, 0);
	manifest_field_str(&b, "chunkKey", ev->chunk_key, 0);
	manifest_field_int(&b, "bytes", ev->bytes, 0);
	manifest_field_time(&b, "timestamp", ev->timestamp_ms, 0);
	manifest_field_str(&b, "eventId", ev->event_id, 0);
	buf_add(&b, "}", 1);
	return manifest_finish(&b, out, outlen);
}

enum err
manifest_render_final_event(const struct manifest_final_event *ev, char **out,
    size_t *outlen)
{
	struct buf b;

	buf_init(&b);
	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->manifest_key == NULL ||
	    ev->event_id == NULL)
		return ERR_INVAL;
	buf_add(&b, "{", 1);
	manifest_field_str(&b, "userId", ev->user_id, 1);
	manifest_field_str(&b, "sessionId", ev->session_id, 0);
	manifest_field_str(&b, "manifestKey", ev->manifest_key, 0);
	manifest_field_int(&b, "chunkCount", ev->chunk_count, 0);
	manifest_field_int(&b, "totalBytes", ev->total_bytes, 0);
	manifest_field_int(&b, "durationMs", ev->duration_ms, 0);
	manifest_field_time(&b, "timestamp", ev->timestamp_ms, 0);
	manifest_field_str(&b, "eventId", ev->event_id, 0);
	if (ev->reason != NULL && ev->reason[0] != '\0')
		manifest_field_str(&b, "reason", ev->reason, 0);
	buf_add(&b, "}", 1);
	return manifest_finish(&b, out, outlen);
}

enum err
manifest_render_deleted_event(const struct manifest_deleted_event *ev,
    char **out, size_t *outlen)
{
	struct buf b;

	buf_init(&b);
	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->event_id == NULL)
		return ERR_INVAL;
	buf_add(&b, "{", 1);
	manifest_field_str(&b, "userId", ev->user_id, 1);
	manifest_field_str(&b, "sessionId", ev->session_id, 0);
	manifest_field_int(&b, "chunkCount", ev->chunk_count, 0);
	manifest_field_int(&b, "totalBytes", ev->total_bytes, 0);
	manifest_field_int(&b, "objectsDeleted", ev->objects_deleted, 0);
	manifest_field_time(&b, "requestedAt", ev->requested_ms, 0);
	manifest_field_time(&b, "timestamp", ev->timestamp_ms, 0);
	manifest_field_str(&b, "eventId", ev->event_id, 0);
	buf_add(&b, "}", 1);
	return manifest_finish(&b, out, outlen);
}
