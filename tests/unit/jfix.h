/*
 * jfix.h: the journal test fixture, shared by the journal's suites
 * (test_journal.c, test_journal_recordings.c): a temp directory per suite,
 * a fresh journal file per test, an independent look at the file through
 * plain SQLite, and the session/chunk/claim every test starts from.  With
 * JFIX_PG set, a fresh PostgreSQL database per test instead (jfix.c).
 */
#ifndef JFIX_H
#define JFIX_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define T0	1764093000000LL		/* a fixed "now" for the tests */
#define OWNER	"user-a"
#define OTHER	"user-b"

/* Suite init: make the temp directory (under $TMPDIR) and log at error
 * only, as name (conflicts are logged at info; expected failures still
 * show).  0 or -1, as CUnit wants. */
int		jfix_init(const char *name);
/* Suite clean-up: log as the runner again and remove the directory. */
int		jfix_clean(void);
/* JFIX_PG's value, or NULL: the suites run on SQLite files. */
const char	*jfix_pg(void);
/* A fresh database path (or PostgreSQL target) for one test. */
void		jfix_path(char *buf, size_t bufsz);
/* A side file name..slot in the suite's directory (for child processes'
 * reports), fresh for each test's journal. */
void		jfix_side(char *buf, size_t bufsz, const char *name, int slot);
/* journal_open() with a 5 s busy timeout; NULL on failure. */
struct journal	*jfix_open(const char *path);
/* Column 0 of sql's first row, read through plain SQLite (read-only) or
 * libpq, not through the journal; -1 on any failure. */
int64_t		jfix_count(const char *path, const char *sql);
/* Run sql on the database behind the journal's back; 0 or -1. */
int		jfix_exec(const char *path, const char *sql);
/* The schema version as the database records it. */
int64_t		jfix_version(const char *path);
/* PRAGMA integrity_check answers "ok" (always 1 on PostgreSQL). */
int		jfix_integrity_ok(const char *path);
/* Create session id of owner at created_ms (webm/opus, 48 kHz, 5 s). */
enum err	jfix_session(struct journal *, const char *id, const char *owner,
		    int64_t created_ms);
/* Chunk seq with a predictable key (written into key) and times. */
struct journal_chunk jfix_chunk(int64_t seq, char *key, size_t keysz);
/* Complete jfix_chunk(seq) in OWNER's session sid at now; r may be NULL. */
enum err	jfix_complete(struct journal *, const char *sid, int64_t seq,
		    int64_t now, struct journal_complete_result *r);
/* A claim by owner at now for kind, with a 30 s lease. */
struct journal_claim jfix_claim(const char *owner, int64_t now,
		    enum journal_outbox_kind kind);

#endif /* JFIX_H */
