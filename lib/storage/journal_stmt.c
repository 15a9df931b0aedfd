/*
 * journal_stmt.c: the few helpers every journal file runs its statements
 * through, whichever driver is underneath.
 *
 * They fold what each call would otherwise spell out: run a statement by
 * id with a typed argument list, check the code, release it; read one row
 * or one integer; BEGIN and COMMIT or ROLLBACK, so a failing call never
 * leaves a transaction open.  The driver (journal_sqlite.c, journal_pg.c)
 * does the engine's part; the string helpers sit here because every file
 * needs them.
 */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "log.h"
#include "pid.h"
#include "utf8.h"

/* ------------------------------------------------------------ errors */

enum err
journal_norow(const char *func, const char *what)
{
	log_msg(LOGL_ERROR, func, "journal %s: no row", what);
	return ERR_INTERNAL;
}

/* A connection inherited across fork() would share the parent's socket or
 * corrupt SQLite's locking state; refuse it loudly. */
enum err
journal_check(struct journal *j, const char *func)
{
	if (j == NULL || j->db == NULL) {
		log_msg(LOGL_ERROR, func, "journal not open");
		return ERR_INTERNAL;
	}
	if (j->pid != pid_self()) {
		log_msg(LOGL_ERROR, func,
		    "journal connection opened by pid %ld used by pid %ld; "
		    "open it after fork()", (long)j->pid, (long)pid_self());
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

/* -------------------------------------------------------- statements */

enum err
journal_prep(struct journal *j, enum journal_stmt_id id,
    struct journal_stmt **out, const char *func,
    const struct journal_arg *args, size_t nargs)
{
	struct journal_stmt *st = &j->stmt[id];
	enum err e;

	*out = NULL;
	st->j = j;
	st->id = id;
	if ((e = j->drv->prep(j, st, j->drv->sql[id], args, nargs, func)) !=
	    ERR_OK)
		return e;
	*out = st;
	return ERR_OK;
}

enum err
journal_prep_raw(struct journal *j, const char *sql, struct journal_stmt **out,
    const char *func, const struct journal_arg *args, size_t nargs)
{
	struct journal_stmt *st = &j->stmt[JS_RAW];
	enum err e;

	*out = NULL;
	st->j = j;
	st->id = JS_RAW;
	if ((e = j->drv->prep(j, st, sql, args, nargs, func)) != ERR_OK)
		return e;
	*out = st;
	return ERR_OK;
}

enum err
journal_next(struct journal_stmt *st, const char *func, const char *what)
{
	return st->j->drv->next(st, func, what);
}

void
journal_unstmt(struct journal_stmt *st)
{
	if (st != NULL)
		st->j->drv->release(st);
}

enum err
journal_run(struct journal *j, struct journal_stmt *st, const char *func,
    const char *what)
{
	enum err e;

	(void)j;
	while ((e = journal_next(st, func, what)) == ERR_OK)
		;
	journal_unstmt(st);
	return e == ERR_NOT_FOUND ? ERR_OK : e;
}

enum err
journal_exec(struct journal *j, enum journal_stmt_id id, const char *func,
    const char *what, const struct journal_arg *args, size_t nargs)
{
	struct journal_stmt *st;
	enum err e;

	if ((e = journal_prep(j, id, &st, func, args, nargs)) != ERR_OK)
		return e;
	return journal_run(j, st, func, what);
}

enum err
journal_first(struct journal *j, enum journal_stmt_id id,
    struct journal_stmt **out, const char *func, const char *what,
    const struct journal_arg *args, size_t nargs)
{
	struct journal_stmt *st;
	enum err e;

	*out = NULL;
	if ((e = journal_prep(j, id, &st, func, args, nargs)) != ERR_OK)
		return e;
	if ((e = journal_next(st, func, what)) == ERR_OK) {
		*out = st;
		return ERR_OK;
	}
	journal_unstmt(st);
	return e;
}

enum err
journal_int64(struct journal *j, enum journal_stmt_id id, const char *func,
    const char *what, int64_t *v, int *found, const struct journal_arg *args,
    size_t nargs)
{
	struct journal_stmt *st;
	enum err e;

	if (found != NULL)
		*found = 0;
	e = journal_first(j, id, &st, func, what, args, nargs);
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	if (!journal_col_null(st, 0)) {
		*v = journal_col_int64(st, 0);
		if (found != NULL)
			*found = 1;
	}
	journal_unstmt(st);
	return ERR_OK;
}

int64_t
journal_changes(struct journal *j)
{
	return j->drv->changes(j);
}

enum err
journal_begin(struct journal *j, int write, const char *func)
{
	enum err e;

	if ((e = j->drv->begin(j, write, func)) == ERR_OK)
		j->in_tx = 1;
	return e;
}

enum err
journal_end(struct journal *j, enum err e, const char *func)
{
	if (!j->in_tx)
		return e;
	if (e == ERR_OK)
		e = j->drv->commit(j, func);
	if (e != ERR_OK)
		j->drv->rollback(j, func);
	j->in_tx = 0;
	return e;
}

enum err
journal_end_clear(struct journal *j, enum err e, const char *func, void *out,
    size_t size)
{
	if ((e = journal_end(j, e, func)) != ERR_OK)
		memset(out, 0, size);
	return e;
}

/* The rows of journal_claim_due(), then the claims; *n kept. */
static enum err
journal_claim_due_tx(struct journal *j, const struct journal_due *d,
    size_t max, size_t *n, const char *func, const char *what,
    enum journal_stmt_id id, const struct journal_arg *args, size_t nargs)
{
	struct journal_stmt *st;
	size_t nrows = 0, i;
	enum err e;
	int kept;

	if ((e = journal_prep(j, id, &st, func, args, nargs)) != ERR_OK)
		return e;
	while (nrows < max && (e = journal_next(st, func, what)) == ERR_OK)
		d->row(st, nrows++, d->arg);
	if (e == ERR_NOT_FOUND)
		e = ERR_OK;
	/* Released before the claims: they run statements of their own. */
	journal_unstmt(st);
	for (i = 0; e == ERR_OK && i < nrows; i++) {
		e = d->claim(j, i, *n, &kept, d->arg);
		if (e == ERR_OK && kept)
			(*n)++;
	}
	return e;
}

enum err
journal_claim_due(struct journal *j, const struct journal_due *d, size_t max,
    size_t *n, const char *func, const char *what, enum journal_stmt_id id,
    const struct journal_arg *args, size_t nargs)
{
	enum err e;

	*n = 0;
	if ((e = journal_begin(j, 1, func)) != ERR_OK)
		return e;
	e = journal_claim_due_tx(j, d, max, n, func, what, id, args, nargs);
	if ((e = journal_end(j, e, func)) != ERR_OK) {
		if (d->drop != NULL)
			d->drop(*n, d->arg);
		*n = 0;
	}
	return e;
}

/* ----------------------------------------------------------- columns */

int
journal_col_null(struct journal_stmt *st, int i)
{
	return st->j->drv->col_null(st, i);
}

int64_t
journal_col_int64(struct journal_stmt *st, int i)
{
	return st->j->drv->col_int64(st, i);
}

int
journal_col_int(struct journal_stmt *st, int i)
{
	return (int)st->j->drv->col_int64(st, i);
}

const char *
journal_col_str(struct journal_stmt *st, int i)
{
	return st->j->drv->col_str(st, i, NULL);
}

int
journal_col_blob(struct journal_stmt *st, int i, void *dst, size_t len)
{
	return st->j->drv->col_blob(st, i, dst, len);
}

void
journal_col_text(struct journal_stmt *st, int i, char *dst, size_t dstsz)
{
	const char *s = journal_col_str(st, i);

	journal_copy_cut(dst, dstsz, s != NULL ? s : "");
}

char *
journal_col_dup(struct journal_stmt *st, int i)
{
	const char *s;
	size_t len = 0;
	char *d;

	if ((s = st->j->drv->col_str(st, i, &len)) == NULL)
		return NULL;
	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* ----------------------------------------------------------- strings */

int
journal_str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t len;

	if (src == NULL)
		src = "";
	len = strlen(src);
	if (len >= dstsz) {
		if (dstsz > 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

void
journal_copy_cut(char *dst, size_t dstsz, const char *src)
{
	size_t len;

	if (src == NULL)
		src = "";
	len = utf8_cut(src, strlen(src), dstsz - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
journal_str_ok(const char *s, size_t maxlen)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= maxlen;
}

int
journal_opt_ok(const char *s, size_t maxlen)
{
	return s == NULL || strlen(s) <= maxlen;
}

const char *
journal_opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}
