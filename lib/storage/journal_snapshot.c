/*
 * journal_snapshot.c: one session and all its chunks, read in one read
 * transaction so the revision and the chunk list agree: what a manifest is
 * rendered from (the API's GET, the deliverer's manifest_write claim in
 * journal_outbox.c, the recordings view in journal_recording.c).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

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
	}
	free(snap->chunks);
	free(snap);
}

/* Append the chunk row st is on to snap (growing its array if need be). */
static enum err
journal_snapshot_chunk(struct journal_snapshot *snap, size_t *cap,
    sqlite3_stmt *st)
{
	struct manifest_chunk *c, *grown;

	if (snap->nchunks == *cap) {
		/* Cannot happen inside one transaction; be safe. */
		*cap = *cap * 2 + 16;
		grown = realloc(snap->chunks, *cap * sizeof(*c));
		if (grown == NULL)
			return ERR_NOMEM;
		snap->chunks = grown;
	}
	c = &snap->chunks[snap->nchunks];
	memset(c, 0, sizeof(*c));
	snap->nchunks++;
	c->seq = sqlite3_column_int64(st, 0);
	c->t_start_ms = sqlite3_column_int64(st, 2);
	c->t_end_ms = sqlite3_column_int64(st, 3);
	c->bytes = sqlite3_column_int64(st, 4);
	c->uploaded_ms = sqlite3_column_int64(st, 5);
	if ((c->key = journal_col_dup(st, 1)) == NULL ||
	    (sqlite3_column_type(st, 6) != SQLITE_NULL &&
	    (c->md5 = journal_col_dup(st, 6)) == NULL) ||
	    (sqlite3_column_type(st, 7) != SQLITE_NULL &&
	    (c->sha256 = journal_col_dup(st, 7)) == NULL))
		return ERR_NOMEM;
	return ERR_OK;
}

enum err
journal_snapshot_tx(struct journal *j, const char *owner,
    const char *session_id, struct journal_snapshot **out, const char *func)
{
	struct journal_snapshot *snap = NULL;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	enum err e;
	int rc;

	*out = NULL;
	if ((snap = calloc(1, sizeof(*snap))) == NULL)
		return ERR_NOMEM;
	if ((e = journal_session_row(j, owner, session_id, &snap->session,
	    NULL, func)) != ERR_OK)
		goto out;
	cap = snap->session.chunk_count > 0 ?
	    (size_t)snap->session.chunk_count : 0;
	if (cap > 0 && (snap->chunks = calloc(cap,
	    sizeof(*snap->chunks))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if ((e = journal_prep(j, JS_CHUNK_LIST, &st, func,
	    JARGS(JTEXT(session_id)))) != ERR_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((e = journal_snapshot_chunk(snap, &cap, st)) != ERR_OK)
			goto out;
	if (rc != SQLITE_DONE) {
		e = journal_sqlerr(j, rc, func, "list chunks");
		goto out;
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
out:
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
