#!/usr/bin/env bash
# journal-pg.sh: the journal's suites (tests/unit/unit journal
# journal_recordings journal_fence journal_mpu journal_lifecycle) against a
# real PostgreSQL: a private cluster of tests/lib/pg.sh, a fresh database
# per test (tests/unit/jfix.c with JFIX_PG), the same assertions as on
# SQLite.  The tests that are SQLite's own (its file, pragmas, migrations)
# are named as left out, not counted.
. "$(dirname "$0")/../lib/api-lib.sh"
. "$SRCDIR/tests/lib/pg.sh"
api_need psql runuser sqlite3
api_rundir journal-pg
cleanup() { pg_destroy >/dev/null 2>&1 || :; }
trap cleanup EXIT INT TERM

if ! pg_setup >"$RUN_DIR/pg-setup.log" 2>&1; then
	not_ok "start a private PostgreSQL" "$RUN_DIR/pg-setup.log"
	tap_done
	exit 1
fi
ok "private PostgreSQL cluster up ($PG_SOCKDIR)"
# The suites make a database per test: the API's role may here (a scratch
# cluster); the shipped role needs no such right.
pg_admin -q -c "ALTER ROLE $PG_ROLE CREATEDB" >/dev/null

export JFIX_PG="host=$PG_SOCKDIR port=$PG_PORT user=$PG_ROLE dbname=$PG_DB"
export PGPASSFILE
log=$RUN_DIR/unit.log
rc=0
"$BUILDDIR/tests/unit/unit" journal journal_recordings journal_fence journal_mpu \
	journal_lifecycle \
	>"$log" 2>&1 || rc=$?
# CUnit's summary: "tests TOTAL RAN PASSED FAILED INACTIVE".
ran=$(awk '$1 == "tests" { print $3 }' "$log")
failed=$(awk '$1 == "tests" { print $5 }' "$log")
if [ "$rc" = 0 ] && [ "${ran:-0}" -ge 20 ] && [ "$failed" = 0 ]; then
	ok "journal suites pass on PostgreSQL: $(grep -E '^ +tests' "$log" |
	    tr -s ' ')"
else
	not_ok "journal suites on PostgreSQL" "$log"
fi
left=$(grep -c "is SQLite's own" "$log" || :)
diag "left out as SQLite's own: $left tests"
# Every journal the suites made was dropped again.
n=$(pg_admin -At -d postgres -c \
    "SELECT count(*) FROM pg_database WHERE datname LIKE 'jfix_%'")
if [ "$n" = 0 ]; then
	ok "the per-test databases were dropped"
else
	not_ok "per-test databases left behind: $n"
fi

# --- audio-api --migrate-journal: an SQLite journal (the schema from
# sql/, a few rows) into an empty PostgreSQL database.
API=$BUILDDIR/fcgi/audio-api
SRC=$RUN_DIR/from.db
n=0
for f in "$SRCDIR"/sql/[0-9][0-9][0-9]_*.sql; do
	sqlite3 "$SRC" <"$f"
	n=$((n + 1))
done
sqlite3 "$SRC" "PRAGMA user_version = $n;
INSERT INTO sessions (id, owner, codec, sample_rate, chunk_seconds,
 created_ms, updated_ms, chunk_count, total_bytes, t_min_ms, t_max_ms,
 revision) VALUES ('session-1', 'alice', 'webm/opus', 48000, 5, 1000, 2000,
 1, 4000, 0, 5000, 1);
UPDATE sessions SET manifest_etag = '\"e1\"', manifest_etag_revision = 1;
INSERT INTO chunks (session_id, seq, key, t_start_ms, t_end_ms, bytes,
 uploaded_ms) VALUES ('session-1', 1, 'users/alice/k1', 0, 5000, 4000, 2000);
INSERT INTO outbox (kind, session_id, next_attempt_ms, created_ms)
 VALUES ('manifest_write', 'session-1', 2000, 2000);"
pg_createdb moved >/dev/null
DSN=$(pg_dsn moved)
rc=0
out=$("$API" --migrate-journal "$SRC" "$DSN" 2>&1) || rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q 'copied 3 rows'; then
	ok "--migrate-journal copies an SQLite journal into PostgreSQL: $out"
else
	not_ok "--migrate-journal" "$out"
fi
got=$(psql -X -At "$DSN" -c "SELECT s.revision || ' ' || c.bytes || ' ' ||
    (SELECT count(*) FROM outbox) || ' ' || s.manifest_etag || ' ' ||
    s.manifest_etag_revision FROM sessions s JOIN chunks c ON
    c.session_id = s.id" 2>&1)
if [ "$got" = '1 4000 1 "e1" 1' ]; then
	ok "the copy holds the rows (revision, chunk, outbox, manifest ETag)"
else
	not_ok "rows in the copy" "$got"
fi
rc=0
out=$("$API" --migrate-journal "$SRC" "$DSN" 2>&1) || rc=$?
if [ $rc != 0 ] && echo "$out" | grep -q 'not empty'; then
	ok "a second copy into the same database is refused"
else
	not_ok "copy into a non-empty journal" "$out"
fi
# A password on the command line is refused and not echoed.
rc=0
out=$("$API" --migrate-journal "$SRC" \
    "postgresql://$PG_ROLE:sekrit-pw@/x?host=$PG_SOCKDIR" 2>&1) || rc=$?
if [ $rc != 0 ] && echo "$out" | grep -q PGPASSFILE &&
    ! echo "$out" | grep -q sekrit-pw; then
	ok "a password on the command line is refused, not echoed"
else
	not_ok "password on argv" "$out"
fi
rc=0
out=$("$API" --migrate-journal "$RUN_DIR/none/x.db" "$DSN" 2>&1) || rc=$?
if [ $rc != 0 ]; then
	ok "a source that cannot be opened fails"
else
	not_ok "missing source" "$out"
fi

tap_done
