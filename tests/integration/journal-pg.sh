#!/usr/bin/env bash
# journal-pg.sh: the journal's suites (tests/unit/unit journal
# journal_recordings) against a real PostgreSQL: a private cluster of
# tests/lib/pg.sh, a fresh database per test (tests/unit/jfix.c with
# JFIX_PG), the same assertions as on SQLite.  The tests that are SQLite's
# own (its file, pragmas, migrations) are named as left out, not counted.
. "$(dirname "$0")/../lib/api-lib.sh"
. "$SRCDIR/tests/lib/pg.sh"
api_need psql runuser
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
"$BUILDDIR/tests/unit/unit" journal journal_recordings >"$log" 2>&1
rc=$?
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
tap_done
