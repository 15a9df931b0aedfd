/*
 * migrate.c: `audio-api --migrate-journal FROM TO`, moving a journal to
 * another backend (an SQLite file into a PostgreSQL database when a
 * deployment grows to several hosts, or back).
 *
 * FROM is opened read-only and must be at this program's schema (start
 * audio-api on it once if it is older); TO is created or migrated to the
 * current schema and must be empty.  journal_copy() does the rest in one
 * transaction of TO.  A password never goes on a command line: TO or FROM
 * carrying one is refused (use PGPASSFILE or PGPASSWORD).  Stop the API
 * and its delivery first.
 */
#include <stdio.h>

#include "api.h"
#include "journal.h"
#include "log.h"

/* The journal at target, or NULL (said on stderr). */
static struct journal *
migrate_open(const char *target, unsigned flags, const char *role)
{
	struct journal_options o = { 0, 0, flags };
	struct journal *j = NULL;
	char where[512];
	enum err e;

	journal_target_describe(target, where, sizeof(where));
	if (journal_target_has_password(target)) {
		fprintf(stderr, "audio-api: --migrate-journal: %s %s carries a "
		    "password: never on a command line; put it in PGPASSFILE "
		    "or PGPASSWORD\n", role, where);
		return NULL;
	}
	if ((e = journal_open_with(&j, target, &o)) != ERR_OK) {
		fprintf(stderr, "audio-api: --migrate-journal: cannot open %s "
		    "%s: %s (see the line above)\n", role, where,
		    e == ERR_CONFIG ? "malformed, or a newer schema" :
		    "unreachable, or not at the current schema");
		return NULL;
	}
	return j;
}

int
migrate_journal(const char *from, const char *to)
{
	struct journal *src = NULL, *dst = NULL;
	char a[512], b[512];
	int64_t rows = 0;
	enum err e;
	int status = 1;

	journal_target_describe(from, a, sizeof(a));
	journal_target_describe(to, b, sizeof(b));
	if ((src = migrate_open(from, JOURNAL_READONLY, "FROM")) == NULL ||
	    (dst = migrate_open(to, 0, "TO")) == NULL)
		goto out;
	if ((e = journal_copy(src, dst, &rows)) != ERR_OK) {
		fprintf(stderr, "audio-api: --migrate-journal: %s into %s "
		    "failed: %s (nothing was written; see the line above)\n",
		    a, b, e == ERR_CONFLICT ? "the target is not empty" :
		    err_code(e));
		goto out;
	}
	printf("audio-api: copied %lld rows from %s (%s) into %s (%s)\n",
	    (long long)rows, a, journal_driver_name(src), b,
	    journal_driver_name(dst));
	status = 0;
out:
	journal_close(src);
	journal_close(dst);
	return status;
}
