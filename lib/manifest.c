/*
 * manifest.c: render manifest.json and the event Detail payloads.
 *
 * json-c builds the documents (it escapes strings and keeps the insertion
 * order of keys, so the output has the old system's field order); this file
 * only maps plain structs to fields.  No I/O and no clock here: the journal
 * reads the data in one transaction and passes it in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "manifest.h"

/* 9999-12-31T23:59:59.999Z */
#define MANIFEST_MS_MAX	253402300799999LL

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

/* Add key -> value to obj; a NULL value (allocation failed) is an error.
 * json_object_object_add() takes the value's reference even on failure. */
static int
manifest_add(struct json_object *obj, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -1;
	return json_object_object_add(obj, key, v) == 0 ? 0 : -1;
}

static int
manifest_add_str(struct json_object *obj, const char *key, const char *s)
{
	return manifest_add(obj, key, json_object_new_string(s));
}

static int
manifest_add_int(struct json_object *obj, const char *key, int64_t v)
{
	return manifest_add(obj, key, json_object_new_int64(v));
}

static int
manifest_add_time(struct json_object *obj, const char *key, int64_t ms)
{
	char buf[MANIFEST_ISO8601_BYTES];

	return manifest_add_str(obj, key,
	    manifest_iso8601(ms, buf, sizeof(buf)));
}

/* Serialise obj into a malloc'd copy. */
static enum err
manifest_finish(struct json_object *obj, char **out, size_t *outlen)
{
	const char *s;
	size_t len = 0;
	char *copy;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return ERR_NOMEM;
	if ((copy = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	*out = copy;
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

static struct json_object *
manifest_chunk_json(const struct manifest_chunk *c)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (manifest_add_int(o, "seq", c->seq) != 0 ||
	    manifest_add_str(o, "key", c->key) != 0 ||
	    manifest_add_int(o, "tStartMs", c->t_start_ms) != 0 ||
	    manifest_add_int(o, "tEndMs", c->t_end_ms) != 0 ||
	    manifest_add_int(o, "bytes", c->bytes) != 0 ||
	    manifest_add_time(o, "uploadedAt", c->uploaded_ms) != 0 ||
	    (c->md5 != NULL && c->md5[0] != '\0' &&
	    manifest_add_str(o, "md5", c->md5) != 0) ||
	    (c->sha256 != NULL && c->sha256[0] != '\0' &&
	    manifest_add_str(o, "sha256", c->sha256) != 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

enum err
manifest_render(const struct manifest *m, char **out, size_t *outlen)
{
	const struct manifest_chunk **order = NULL;
	struct json_object *root = NULL, *arr = NULL, *c;
	enum err e = ERR_NOMEM;
	size_t i;

	if (out != NULL)
		*out = NULL;
	if (m == NULL || out == NULL || m->session_id == NULL ||
	    m->user_id == NULL || m->codec == NULL ||
	    (m->nchunks > 0 && m->chunks == NULL)) {
		e = ERR_INVAL;
		goto out;
	}
	for (i = 0; i < m->nchunks; i++) {
		if (m->chunks[i].key == NULL) {
			e = ERR_INVAL;
			goto out;
		}
	}
	if (m->nchunks > 0) {
		if ((order = calloc(m->nchunks, sizeof(*order))) == NULL)
			goto out;
		for (i = 0; i < m->nchunks; i++)
			order[i] = &m->chunks[i];
		qsort(order, m->nchunks, sizeof(*order), manifest_chunk_cmp);
		for (i = 1; i < m->nchunks; i++) {
			if (order[i]->seq == order[i - 1]->seq) {
				e = ERR_INVAL;
				goto out;
			}
		}
	}
	if ((root = json_object_new_object()) == NULL)
		goto out;
	if (manifest_add_str(root, "sessionId", m->session_id) != 0 ||
	    manifest_add_str(root, "userId", m->user_id) != 0 ||
	    manifest_add_str(root, "codec", m->codec) != 0 ||
	    manifest_add_int(root, "sampleRate", m->sample_rate) != 0)
		goto out;
	if ((arr = json_object_new_array_ext((int)(m->nchunks < 1024 ?
	    m->nchunks : 1024))) == NULL)
		goto out;
	if (json_object_object_add(root, "chunks", arr) != 0) {
		json_object_put(arr);
		goto out;
	}
	for (i = 0; i < m->nchunks; i++) {
		if ((c = manifest_chunk_json(order[i])) == NULL)
			goto out;
		if (json_object_array_add(arr, c) != 0) {
			json_object_put(c);
			goto out;
		}
	}
	if (manifest_add(root, "final",
	    json_object_new_boolean(m->final ? 1 : 0)) != 0 ||
	    manifest_add_time(root, "createdAt", m->created_ms) != 0 ||
	    manifest_add_time(root, "updatedAt", m->updated_ms) != 0 ||
	    manifest_add_int(root, "totalBytes", m->total_bytes) != 0 ||
	    manifest_add_int(root, "durationMs", m->duration_ms) != 0 ||
	    manifest_add_int(root, "revision", m->revision) != 0)
		goto out;
	e = manifest_finish(root, out, outlen);
out:
	json_object_put(root);
	free(order);
	return e;
}

enum err
manifest_render_chunk_event(const struct manifest_chunk_event *ev, char **out,
    size_t *outlen)
{
	struct json_object *o = NULL;
	enum err e = ERR_NOMEM;

	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->chunk_key == NULL ||
	    ev->event_id == NULL) {
		e = ERR_INVAL;
		goto out;
	}
	if ((o = json_object_new_object()) == NULL)
		goto out;
	if (manifest_add_str(o, "userId", ev->user_id) != 0 ||
	    manifest_add_str(o, "sessionId", ev->session_id) != 0 ||
	    manifest_add_int(o, "chunkSeq", ev->chunk_seq) != 0 ||
	    manifest_add_str(o, "chunkKey", ev->chunk_key) != 0 ||
	    manifest_add_int(o, "bytes", ev->bytes) != 0 ||
	    manifest_add_time(o, "timestamp", ev->timestamp_ms) != 0 ||
	    manifest_add_str(o, "eventId", ev->event_id) != 0)
		goto out;
	e = manifest_finish(o, out, outlen);
out:
	json_object_put(o);
	return e;
}

enum err
manifest_render_final_event(const struct manifest_final_event *ev, char **out,
    size_t *outlen)
{
	struct json_object *o = NULL;
	enum err e = ERR_NOMEM;

	if (out != NULL)
		*out = NULL;
	if (ev == NULL || out == NULL || ev->user_id == NULL ||
	    ev->session_id == NULL || ev->manifest_key == NULL ||
	    ev->event_id == NULL) {
		e = ERR_INVAL;
		goto out;
	}
	if ((o = json_object_new_object()) == NULL)
		goto out;
	if (manifest_add_str(o, "userId", ev->user_id) != 0 ||
	    manifest_add_str(o, "sessionId", ev->session_id) != 0 ||
	    manifest_add_str(o, "manifestKey", ev->manifest_key) != 0 ||
	    manifest_add_int(o, "chunkCount", ev->chunk_count) != 0 ||
	    manifest_add_int(o, "totalBytes", ev->total_bytes) != 0 ||
	    manifest_add_int(o, "durationMs", ev->duration_ms) != 0 ||
	    manifest_add_time(o, "timestamp", ev->timestamp_ms) != 0 ||
	    manifest_add_str(o, "eventId", ev->event_id) != 0)
		goto out;
	e = manifest_finish(o, out, outlen);
out:
	json_object_put(o);
	return e;
}
