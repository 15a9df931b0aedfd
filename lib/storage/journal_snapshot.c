/*
 * journal_snapshot.c: one session and all its chunks, read by one
 * statement so the revision and the chunk list agree even inside a write
 * transaction that holds no lock on the session (the deliverer's
 * manifest_write claim in journal_outbox.c): what a manifest is rendered
 * from (also the API's GET and the recordings view in journal_recording.c).
 */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"

void
journal_snapshot_free(struct journal_snapshot *snap)
{
	size_t i;

	if (snap == NULL)
		return;
	for (i = 0; i < snap->nchunks; i++) {
		free((char *)snap->chunks[i].key);
		free((char *)snap->chunks[i].md5);
		free((char *)snap->chunks[i].sha256);
		free((char *)snap->chunks[i].etag);
	}
	free(snap->chunks);
	free(snap);
}

/* Where JS_SNAPSHOT's chunk columns start, after the session's. */
#define SNAP_CHUNK	(JOURNAL_SEQ_COL)

/* Append the chunk row st is on to snap (growing its array if need be). */
static enum err
journal_snapshot_chunk(struct journal_snapshot *snap, size_t *cap,
    struct journal_stmt *st)
{
	struct manifest_chunk *c, *grown;

	if (snap->nchunks == *cap) {
		/* Cannot happen: chunk_count is of the same state. */
		*cap = *cap * 2 + 16;
		grown = realloc(snap->chunks, *cap * sizeof(*c));
		if (grown == NULL)
			return ERR_NOMEM;
		snap->chunks = grown;
	}
	c = &snap->chunks[snap->nchunks];
	memset(c, 0, sizeof(*c));
	snap->nchunks++;
	c->seq = journal_col_int64(st, SNAP_CHUNK);
	c->t_start_ms = journal_col_int64(st, SNAP_CHUNK + 2);
	c->t_end_ms = journal_col_int64(st, SNAP_CHUNK + 3);
	c->bytes = journal_col_int64(st, SNAP_CHUNK + 4);
	c->uploaded_ms = journal_col_int64(st, SNAP_CHUNK + 5);
	if ((c->key = journal_col_dup(st, SNAP_CHUNK + 1)) == NULL ||
	    (!journal_col_null(st, SNAP_CHUNK + 6) &&
	    (c->md5 = journal_col_dup(st, SNAP_CHUNK + 6)) == NULL) ||
	    (!journal_col_null(st, SNAP_CHUNK + 7) &&
	    (c->sha256 = journal_col_dup(st, SNAP_CHUNK + 7)) == NULL) ||
	    (!journal_col_null(st, SNAP_CHUNK + 8) &&
	    (c->etag = journal_col_dup(st, SNAP_CHUNK + 8)) == NULL))
		return ERR_NOMEM;
	return ERR_OK;
}

enum err
journal_snapshot_tx(struct journal *j, const char *owner,
    const char *session_id, struct journal_snapshot **out, const char *func)
{
	struct journal_snapshot *snap = NULL;
	struct journal_stmt *st = NULL;
	const char *o;
	size_t cap = 0;
	enum err e;

	*out = NULL;
	if ((snap = calloc(1, sizeof(*snap))) == NULL)
		return ERR_NOMEM;
	if ((e = journal_first(j, JS_SNAPSHOT, &st, func, "read snapshot",
	    JARGS(JTEXT(session_id)))) != ERR_OK)
		goto out;
	if ((o = journal_col_str(st, 1)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if (owner != NULL && strcmp(o, owner) != 0) {
		e = ERR_NOT_FOUND;
		goto out;
	}
	journal_session_cols(st, &snap->session);
	cap = snap->session.chunk_count > 0 ?
	    (size_t)snap->session.chunk_count : 0;
	if (cap > 0 && (snap->chunks = calloc(cap,
	    sizeof(*snap->chunks))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	/* No chunk: one row whose chunk columns are NULL. */
	if (!journal_col_null(st, SNAP_CHUNK)) {
		do {
			if ((e = journal_snapshot_chunk(snap, &cap, st)) !=
			    ERR_OK)
				goto out;
		} while ((e = journal_next(st, func, "read snapshot")) ==
		    ERR_OK);
		if (e != ERR_NOT_FOUND)
			goto out;
		e = ERR_OK;
	}
	snap->m.session_id = snap->session.id;
	snap->m.user_id = snap->session.owner;
	snap->m.codec = snap->session.codec;
	snap->m.sample_rate = snap->session.sample_rate;
	snap->m.final = snap->session.finalized;
	snap->m.created_ms = snap->session.created_ms;
	snap->m.updated_ms = snap->session.updated_ms;
	snap->m.total_bytes = snap->session.total_bytes;
	snap->m.duration_ms = snap->session.duration_ms;
	snap->m.revision = snap->session.revision;
	snap->m.chunks = snap->chunks;
	snap->m.nchunks = snap->nchunks;
	journal_unstmt(st);
	st = NULL;
	/* A statement of its own (the session's column lists stay as they
	 * are); the caller's transaction makes it the same state. */
	if ((e = journal_first(j, JS_SESSION_FINAL_REASON, &st, func,
	    "read final reason", JARGS(JTEXT(session_id)))) == ERR_OK) {
		journal_col_text(st, 0, snap->final_reason,
		    sizeof(snap->final_reason));
		if (snap->final_reason[0] != '\0')
			snap->m.final_reason = snap->final_reason;
	} else if (e == ERR_NOT_FOUND)
		e = ERR_OK;
out:
	if (st != NULL)
		journal_unstmt(st);
	if (e != ERR_OK) {
		journal_snapshot_free(snap);
		return e;
	}
	*out = snap;
	return ERR_OK;
}

enum err
journal_read_snapshot(struct journal *j, const char *owner,
    const char *session_id, struct journal_snapshot **out)
{
	enum err e;

	if (out != NULL)
		*out = NULL;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (session_id == NULL || out == NULL)
		return ERR_INVAL;
	if ((e = journal_begin(j, 0, __func__)) != ERR_OK)
		return e;
	e = journal_snapshot_tx(j, owner, session_id, out, __func__);
	e = journal_end(j, e, __func__);
	if (e != ERR_OK) {
		journal_snapshot_free(*out);
		*out = NULL;
	}
	return e;
}

const struct manifest *
journal_snapshot_manifest(const struct journal_snapshot *snap)
{
	return snap != NULL ? &snap->m : NULL;
}

const struct journal_session *
journal_snapshot_session(const struct journal_snapshot *snap)
{
	return snap != NULL ? &snap->session : NULL;
}
