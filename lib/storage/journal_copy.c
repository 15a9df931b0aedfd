/*
 * journal_copy.c: copy a whole journal into an empty one, across backends.
 *
 * What `audio-api --migrate-journal FROM TO` runs when a deployment moves
 * from one host's SQLite file to a PostgreSQL database shared by several
 * hosts (or back).  Both schemas have the same tables and columns (sql/
 * and sql/pg/ say the same thing), so the copy walks a list of them: every
 * row of each, read in one read transaction of the source, written in one
 * write transaction of the target, ids and leases as they are, then the
 * cursor key (so list cursors handed out before stay valid) and the
 * target's sequences.  The counts are compared before the commit.  The
 * API must be stopped meanwhile: what the source gets after its read
 * began is not copied.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "journal_int.h"
#include "log.h"

/* A table to copy: its columns, and each column's kind (t text, i integer)
 * so the value is bound as it is stored. */
struct copy_table {
	const char	*name;
	const char	*cols;
	const char	*kinds;
	const char	*order;
};

static const struct copy_table copy_tables[] = {
	{ "sessions", "id, owner, codec, sample_rate, chunk_seconds,"
	    " user_agent, created_ms, updated_ms, chunk_count, total_bytes,"
	    " t_min_ms, t_max_ms, finalized, duration_ms, final_event_id,"
	    " revision, synced_revision, deleting_ms, presign_count,"
	    " finalized_ms, final_chunk_count, final_total_bytes,"
	    " manifest_etag, manifest_etag_revision, final_reason",
	    "tttiitiiiiiiiitiiiiiiitit", "id" },
	{ "chunks", "session_id, seq, key, t_start_ms, t_end_ms, bytes, md5,"
	    " sha256, uploaded_ms, verified, event_id, ack_chunk_count,"
	    " ack_total_bytes, ack_duration_ms, ack_revision, etag",
	    "titiiittiitiiiit", "session_id, seq" },
	{ "presigns", "session_id, seq, created_ms, expires_ms", "tiii",
	    "session_id, seq" },
	{ "outbox", "id, kind, session_id, detail_type, event_id, payload,"
	    " attempts, next_attempt_ms, lease_owner, lease_expires_ms, dead,"
	    " reason, created_ms", "itttttiitiiti", "id" },
	{ "deletions", "session_id, owner, event_id, phase, requested_ms,"
	    " recheck_ms, objects_deleted, attempts, next_attempt_ms,"
	    " lease_owner, lease_expires_ms, reason", "ttttiiiiitit",
	    "session_id" },
	{ "multipart_uploads", "upload_id, session_id, seq, key, size_bytes,"
	    " part_bytes, state, created_ms, abort_at_ms, attempts, reason,"
	    " finished_ms, sha256, part_sha256, write_once",
	    "ttitiitiiititti", "upload_id" },
	{ "sweep", "id, start_after, pass_started_ms, next_round_ms,"
	    " lease_owner, lease_expires_ms, passes, deleted, listed, orphans,"
	    " mismatched, last_listed, last_orphans, last_mismatched,"
	    " last_pass_ms", "itiitiiiiiiiiii", "id" },
	{ "sweep_claims", "session_id, seq, lease_owner, expires_ms", "titi",
	    "session_id, seq" },
	{ "multipart_intents", "id, session_id, seq, key, created_ms, next_ms,"
	    " attempts, reason", "ttitiiit", "id" },
};

#define COPY_NTABLES	(sizeof(copy_tables) / sizeof(copy_tables[0]))
#define COPY_MAX_COLS	32

/* SELECT count(*) FROM name into *n. */
static enum err
copy_count(struct journal *j, const char *name, int64_t *n, const char *func)
{
	struct journal_stmt *st;
	char sql[96];
	enum err e;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", name);
	if ((e = journal_prep_raw(j, sql, &st, func, JNOARGS)) != ERR_OK)
		return e;
	if ((e = journal_next(st, func, sql)) == ERR_OK)
		*n = journal_col_int64(st, 0);
	else if (e == ERR_NOT_FOUND)
		e = journal_norow(func, sql);
	journal_unstmt(st);
	return e;
}

/* INSERT INTO t (cols) VALUES (p1, ..., pn) in dst's parameter style. */
static enum err
copy_insert_sql(struct journal *dst, const struct copy_table *t, char *sql,
    size_t sqlsz)
{
	struct buf b;
	size_t i, n = strlen(t->kinds);

	buf_init_fixed(&b, sql, sqlsz);
	buf_addf(&b, "INSERT INTO %s (%s) VALUES (", t->name, t->cols);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, ", ");
		buf_addf(&b, "%c%d", dst->drv->param_char, (int)i + 1);
	}
	buf_adds(&b, ")");
	return buf_err(&b) != ERR_OK ? ERR_INTERNAL : ERR_OK;
}

/* Every row of t from src into dst; *rows grows by their number. */
static enum err
copy_table(struct journal *src, struct journal *dst,
    const struct copy_table *t, int64_t *rows, const char *func)
{
	struct journal_arg args[COPY_MAX_COLS];
	struct journal_stmt *in, *out;
	char sel[1024], ins[1536];
	size_t i, n = strlen(t->kinds);
	enum err e;

	snprintf(sel, sizeof(sel), "SELECT %s FROM %s ORDER BY %s", t->cols,
	    t->name, t->order);
	if (n > COPY_MAX_COLS ||
	    (e = copy_insert_sql(dst, t, ins, sizeof(ins))) != ERR_OK)
		return ERR_INTERNAL;
	/* The source's statement stays open while the target's run: each
	 * is its connection's own (JS_RAW of each). */
	if ((e = journal_prep_raw(src, sel, &in, func, JNOARGS)) != ERR_OK)
		return e;
	while ((e = journal_next(in, func, sel)) == ERR_OK) {
		for (i = 0; i < n; i++) {
			if (journal_col_null(in, (int)i))
				args[i] = JTEXT(NULL);
			else if (t->kinds[i] == 'i')
				args[i] = JINT(journal_col_int64(in, (int)i));
			else
				args[i] = JTEXT(journal_col_str(in, (int)i));
		}
		if ((e = journal_prep_raw(dst, ins, &out, func, args, n)) !=
		    ERR_OK)
			break;
		if ((e = journal_run(dst, out, func, ins)) != ERR_OK)
			break;
		(*rows)++;
	}
	journal_unstmt(in);
	return e == ERR_NOT_FOUND ? ERR_OK : e;
}

/* The cursor key (a blob) and the target's own bookkeeping. */
static enum err
copy_finish(struct journal *src, struct journal *dst, const char *func)
{
	unsigned char key[JOURNAL_CURSOR_KEY_BYTES];
	struct journal_stmt *st;
	char sql[128];
	enum err e;

	if ((e = journal_cursor_key(src, key)) != ERR_OK)
		return e;
	snprintf(sql, sizeof(sql), "UPDATE secrets SET value = %c1 WHERE"
	    " name = 'cursor'", dst->drv->param_char);
	if ((e = journal_prep_raw(dst, sql, &st, func,
	    JARGS(JBLOB(key, sizeof(key))))) == ERR_OK)
		e = journal_run(dst, st, func, "copy the cursor key");
	explicit_bzero(key, sizeof(key));
	if (e != ERR_OK)
		return e;
	/* New outbox ids go on after the copied ones. */
	return journal_exec(dst, JS_COPY_FINISH, func, "advance sequences",
	    JNOARGS);
}

static enum err
copy_tx(struct journal *src, struct journal *dst, int64_t *rows,
    const char *func)
{
	int64_t a, b;
	size_t i;
	enum err e;

	for (i = 0; i < COPY_NTABLES; i++) {
		if ((e = copy_count(dst, copy_tables[i].name, &a, func)) !=
		    ERR_OK)
			return e;
		if (a != 0) {
			log_msg(LOGL_ERROR, func, "the target journal's %s "
			    "holds %lld rows: copy into an empty journal only",
			    copy_tables[i].name, (long long)a);
			return ERR_CONFLICT;
		}
	}
	for (i = 0; i < COPY_NTABLES; i++)
		if ((e = copy_table(src, dst, &copy_tables[i], rows, func)) !=
		    ERR_OK)
			return e;
	if ((e = copy_finish(src, dst, func)) != ERR_OK)
		return e;
	for (i = 0; i < COPY_NTABLES; i++) {
		if ((e = copy_count(src, copy_tables[i].name, &a, func)) !=
		    ERR_OK ||
		    (e = copy_count(dst, copy_tables[i].name, &b, func)) !=
		    ERR_OK)
			return e;
		if (a != b) {
			log_msg(LOGL_ERROR, func, "%s: %lld rows in the source,"
			    " %lld in the copy", copy_tables[i].name,
			    (long long)a, (long long)b);
			return ERR_INTERNAL;
		}
	}
	return ERR_OK;
}

enum err
journal_copy(struct journal *src, struct journal *dst, int64_t *rows)
{
	int64_t n = 0;
	enum err e, e2;

	if (rows != NULL)
		*rows = 0;
	if ((e = journal_check(src, __func__)) != ERR_OK ||
	    (e = journal_check(dst, __func__)) != ERR_OK)
		return e;
	if (src == dst)
		return ERR_INVAL;
	if ((e = journal_begin(src, 0, __func__)) != ERR_OK)
		return e;
	if ((e = journal_begin(dst, 1, __func__)) == ERR_OK) {
		e = copy_tx(src, dst, &n, __func__);
		e = journal_end(dst, e, __func__);
	}
	e2 = journal_end(src, ERR_OK, __func__);
	if (e == ERR_OK)
		e = e2;
	if (e == ERR_OK && rows != NULL)
		*rows = n;
	return e;
}
