/*
 * recordings.c: the routes that show a user's recordings as a whole.
 *
 *   GET    /sessions?limit=&cursor=  recordings_list()
 *   GET    /sessions/{id}?urls=0     recordings_get()
 *   DELETE /sessions/{id}            recordings_delete()
 *
 * The list pages newest first by (createdAt, sessionId) with an opaque,
 * HMAC'd cursor (lib/storage/cursor.c), so paging is stable while sessions come and
 * go.  GET gives the manifest with a presigned GET URL per chunk for
 * playback and `missing`, the seqs presigned but never completed, so a
 * client can resume.  DELETE only records the intent in the journal and
 * answers 202: the delivery loop (deliver_delete.c) deletes the objects,
 * announces RecordingDeleted, purges the journal rows and, once every
 * upload URL issued for the session has expired, looks for late uploads.
 * Another user's session is answered exactly like a missing one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "clock.h"
#include "cursor.h"
#include "journal.h"
#include "log.h"
#include "manifest.h"
#include "query.h"
#include "s3key.h"
#include "xalloc.h"

static const char *
recordings_state(const struct journal_session *s)
{
	if (s->deleting_ms != 0)
		return "deleting";
	return s->finalized ? "final" : "open";
}

/* The fields a session has in the list and in GET. */
static json_object *
recordings_session(const struct journal_session *s)
{
	char t[CLOCK_ISO8601_BYTES];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "sessionId", json_object_new_string(s->id));
	json_object_object_add(o, "state",
	    json_object_new_string(recordings_state(s)));
	json_object_object_add(o, "createdAt", json_object_new_string(
	    clock_iso8601(s->created_ms, t, sizeof(t))));
	json_object_object_add(o, "updatedAt", json_object_new_string(
	    clock_iso8601(s->updated_ms, t, sizeof(t))));
	json_object_object_add(o, "codec", json_object_new_string(s->codec));
	json_object_object_add(o, "sampleRate",
	    json_object_new_int(s->sample_rate));
	req_add_totals(o, s->chunk_count, s->total_bytes, &s->duration_ms);
	return o;
}

/* Parse ?name= as an integer in [min, max]; 0 absent, 1 set, -1 answered
 * (400 naming the parameter). */
static int
recordings_int_param(struct req *r, const char *name, int64_t min,
    int64_t max, int64_t *out)
{
	const char *v;
	char msg[96];
	size_t len, i;
	int64_t n = 0;
	int got;

	got = query_get(req_param(r, "QUERY_STRING"), name, &v, &len);
	if (got == 0)
		return 0;
	for (i = 0; got > 0 && i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > max) {
			got = -1;
			break;
		}
		n = n * 10 + (v[i] - '0');
	}
	if (got < 0 || len == 0 || n < min || n > max) {
		snprintf(msg, sizeof(msg), "%s must be an integer from %lld "
		    "to %lld, given once", name, (long long)min,
		    (long long)max);
		req_error(r, ERR_FIELD, msg, name, NULL);
		return -1;
	}
	*out = n;
	return 1;
}

/* The journal's cursor key, read once per process. */
static enum err
recordings_cursor_key(struct journal *j, unsigned char *key)
{
	static unsigned char cached[JOURNAL_CURSOR_KEY_BYTES];
	static int have;
	enum err rc;

	if (!have) {
		if ((rc = journal_cursor_key(j, cached)) != ERR_OK)
			return rc;
		have = 1;
	}
	memcpy(key, cached, sizeof(cached));
	return ERR_OK;
}

/* ---------------------------------------------------------------- list */

void
recordings_list(struct req *r)
{
	unsigned char key[JOURNAL_CURSOR_KEY_BYTES];
	struct journal_session *rows = NULL;
	struct journal_list_pos pos, next;
	struct journal *j;
	const char *cv;
	char cursor[CURSOR_SIZE];
	size_t n = 0, i, clen;
	int64_t limit = r->app->conf->list_limit;
	json_object *o, *a;
	enum err rc;
	int got;

	if (recordings_int_param(r, "limit", 1, LIMIT_LIST_MAX, &limit) < 0)
		return;
	if ((j = req_journal(r)) == NULL)
		return;
	if ((rc = recordings_cursor_key(j, key)) != ERR_OK) {
		req_journal_error(r, rc, NULL);
		return;
	}
	got = query_get(req_param(r, "QUERY_STRING"), "cursor", &cv, &clen);
	if (got < 0 || (got > 0 && cursor_decode(key, sizeof(key), r->sub, cv,
	    clen, &pos) != ERR_OK)) {
		req_error(r, ERR_FIELD, "cursor is not one this API gave you "
		    "(pass nextCursor back unchanged)", "cursor", NULL);
		goto out;
	}
	/* One row more than asked says whether a next page exists. */
	rows = xcalloc((size_t)limit + 1, sizeof(*rows));
	rc = journal_list_sessions(j, r->sub, got > 0 ? &pos : NULL, rows,
	    (size_t)limit + 1, &n);
	if (rc != ERR_OK) {
		req_journal_error(r, rc, NULL);
		goto out;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < n && i < (size_t)limit; i++)
		json_object_array_add(a, recordings_session(&rows[i]));
	json_object_object_add(o, "sessions", a);
	if (n > (size_t)limit) {
		memset(&next, 0, sizeof(next));
		next.created_ms = rows[limit - 1].created_ms;
		snprintf(next.id, sizeof(next.id), "%s", rows[limit - 1].id);
		if (cursor_encode(key, sizeof(key), r->sub, &next, cursor,
		    sizeof(cursor)) != ERR_OK) {
			json_object_put(o);
			req_error(r, ERR_INTERNAL, "cannot make a cursor", NULL,
			    NULL);
			goto out;
		}
		json_object_object_add(o, "nextCursor",
		    json_object_new_string(cursor));
	} else
		json_object_object_add(o, "nextCursor", NULL);
	req_reply(r, 200, o);
out:
	free(rows);
}

/* ----------------------------------------------------------------- get */

void
recordings_get(struct req *r)
{
	struct journal_snapshot *snap = NULL;
	const struct journal_session *s;
	const struct manifest *m;
	struct s3key_parts p;
	struct journal *j;
	int64_t *missing = NULL, urls = 1;
	size_t nmissing = 0, i;
	long expires = (long)(r->app->conf->playback_expires / 1000), e;
	char mkey[S3KEY_SIZE], t[CLOCK_ISO8601_BYTES], *url = NULL;
	json_object *o, *a, *c;
	enum err rc;

	if (recordings_int_param(r, "urls", 0, 1, &urls) < 0)
		return;
	if ((j = req_journal(r)) == NULL)
		return;
	rc = journal_read_recording(j, r->sub, r->session_id, &snap, &missing,
	    &nmissing);
	if (rc != ERR_OK) {
		req_journal_error(r, rc, NULL);
		return;
	}
	s = journal_snapshot_session(snap);
	m = journal_snapshot_manifest(snap);
	memset(&p, 0, sizeof(p));
	p.sub = r->sub;
	p.sub_len = strlen(r->sub);
	p.session = r->session_id;
	p.session_len = strlen(r->session_id);
	if (s3key_manifest(&p, mkey, sizeof(mkey), NULL) != ERR_OK) {
		req_error(r, ERR_INTERNAL, "cannot build the manifest key", NULL,
		    NULL);
		goto out;
	}
	/* Objects of a session being deleted are going: no URLs for them. */
	if (s->deleting_ms != 0)
		urls = 0;
	o = recordings_session(s);
	json_object_object_add(o, "chunkSeconds",
	    json_object_new_int(s->chunk_seconds));
	json_object_object_add(o, "final",
	    json_object_new_boolean(s->finalized));
	json_object_object_add(o, "revision",
	    json_object_new_int64(s->revision));
	json_object_object_add(o, "manifestKey", json_object_new_string(mkey));
	a = json_object_new_array();
	for (i = 0; i < m->nchunks; i++) {
		const struct manifest_chunk *mc = &m->chunks[i];

		c = json_object_new_object();
		json_object_object_add(c, "seq", json_object_new_int64(mc->seq));
		json_object_object_add(c, "key", json_object_new_string(mc->key));
		json_object_object_add(c, "tStartMs",
		    json_object_new_int64(mc->t_start_ms));
		json_object_object_add(c, "tEndMs",
		    json_object_new_int64(mc->t_end_ms));
		json_object_object_add(c, "bytes",
		    json_object_new_int64(mc->bytes));
		json_object_object_add(c, "uploadedAt", json_object_new_string(
		    clock_iso8601(mc->uploaded_ms, t, sizeof(t))));
		if (mc->md5 != NULL && mc->md5[0] != '\0')
			json_object_object_add(c, "md5",
			    json_object_new_string(mc->md5));
		if (mc->sha256 != NULL && mc->sha256[0] != '\0')
			json_object_object_add(c, "sha256",
			    json_object_new_string(mc->sha256));
		if (urls) {
			e = expires;
			rc = s3_presign_get(r->app->s3, mc->key, &e, &url);
			if (rc != ERR_OK) {
				json_object_put(c);
				json_object_put(a);
				json_object_put(o);
				req_error(r, ERR_UNAVAILABLE, "no AWS "
				    "credentials to sign playback URLs with; "
				    "try again later, or ask with ?urls=0",
				    NULL, NULL);
				goto out;
			}
			json_object_object_add(c, "url",
			    json_object_new_string(url));
			free(url);
			url = NULL;
			if (e < expires)
				expires = e;
		}
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "chunks", a);
	if (urls)
		json_object_object_add(o, "urlExpiresInSeconds",
		    json_object_new_int64(expires));
	a = json_object_new_array();
	for (i = 0; i < nmissing; i++)
		json_object_array_add(a, json_object_new_int64(missing[i]));
	json_object_object_add(o, "missing", a);
	req_reply(r, 200, o);
out:
	free(missing);
	journal_snapshot_free(snap);
}

/* -------------------------------------------------------------- delete */

void
recordings_delete(struct req *r)
{
	struct journal_delete_result d;
	struct journal *j;
	char t[CLOCK_ISO8601_BYTES];
	json_object *o;
	enum err rc;

	if ((j = req_journal(r)) == NULL)
		return;
	rc = journal_delete_session(j, r->sub, r->session_id,
	    r->app->conf->presign_expires, API_PRESIGN_SLACK_MS(r->app->conf),
	    r->app->conf->delete_recheck_margin, journal_clock_ms(j), &d);
	if (rc != ERR_OK) {
		req_journal_error(r, rc, NULL);
		return;
	}
	if (!d.replayed)
		log_info("session %s: deletion accepted (late uploads "
		    "looked for at %s)", r->session_id,
		    clock_iso8601(d.recheck_ms, t, sizeof(t)));
	o = json_object_new_object();
	json_object_object_add(o, "sessionId",
	    json_object_new_string(r->session_id));
	json_object_object_add(o, "state", json_object_new_string("deleting"));
	json_object_object_add(o, "requestedAt", json_object_new_string(
	    clock_iso8601(d.requested_ms, t, sizeof(t))));
	json_object_object_add(o, "eventId",
	    json_object_new_string(d.event_id));
	req_reply(r, 202, o);
}
