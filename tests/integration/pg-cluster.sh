#!/usr/bin/env bash
# pg-cluster.sh: the private PostgreSQL cluster of tests/lib/pg.sh, which
# the PostgreSQL suites and the local stack stand on: it starts as an
# unprivileged user on a unix socket only, the API's role connects through
# the DSN with the password from PGPASSFILE alone, the password is on no
# process's command line, in no log and not in the DSN, the cluster comes
# back with a bare `pg_ctl -D "$PGDATA" start` as it was (data and
# settings), and a crash (kill -9) loses no committed row.
. "$(dirname "$0")/../lib/api-lib.sh"
. "$SRCDIR/tests/lib/pg.sh"
api_need psql runuser ps
api_rundir pg-cluster
cleanup() {
	[ -n "${PS_WATCH:-}" ] && kill "$PS_WATCH" 2>/dev/null
	pg_destroy >/dev/null 2>&1 || :
}
trap cleanup EXIT INT TERM

# Every process's command line, sampled while the cluster is set up and
# used: the password must not show up in any of them.
PS_LOG=$RUN_DIR/ps.log
(while :; do ps -eo args >>"$PS_LOG"; sleep 0.05; done) &
PS_WATCH=$!

if pg_setup; then
	ok "initdb and start as $PG_USER, role and database created"
else
	not_ok "initdb and start as $PG_USER" "$RUN_DIR/pg/initdb.log"
	tap_done
	exit 1
fi
DSN=$(pg_dsn)
diag "DSN $DSN"

owner=$(stat -c %U "$PGDATA")
pm_user=$(ps -o user= -p "$(pg_pid)" | tr -d ' ')
if [ "$owner" = "$PG_USER" ] && [ "$pm_user" = "$PG_USER" ] &&
    { [ "$(id -u)" != 0 ] || [ "$PG_USER" != root ]; }; then
	ok "the data directory and the postmaster belong to $PG_USER"
else
	not_ok "the cluster's owner" "data: $owner postmaster: $pm_user"
fi

mode=$(stat -c %a "$PGPASSFILE")
if [ "$mode" = 600 ] && [ "$(stat -c %U "$PGPASSFILE")" = "$(id -un)" ]; then
	ok "PGPASSFILE is 0600 and ours"
else
	not_ok "PGPASSFILE mode" "$(ls -l "$PGPASSFILE")"
fi

# Unix socket only: no TCP listener of the postmaster.
if [ -S "$PG_SOCKDIR/.s.PGSQL.$PG_PORT" ] &&
    ! ss -Htlnp 2>/dev/null | grep -q "pid=$(pg_pid),"; then
	ok "listens on $PG_SOCKDIR only, no TCP"
else
	not_ok "unix socket only" "$(ss -Htlnp 2>/dev/null | grep postgres)"
fi

out=$(psql -X -q -At "$DSN" -c 'SELECT current_user, current_database()' 2>&1)
if [ "$out" = "$PG_ROLE|$PG_DB" ]; then
	ok "psql connects as $PG_ROLE through the DSN and PGPASSFILE"
else
	not_ok "psql through the DSN" "$out"
fi

out=$(PGPASSFILE=/dev/null psql -X -q -At -w "$DSN" -c 'SELECT 1' 2>&1 || :)
case "$out" in
*"password"*) ok "without PGPASSFILE the role is refused (a password is needed)" ;;
*) not_ok "without PGPASSFILE" "$out" ;;
esac

psql -X -q "$DSN" -v ON_ERROR_STOP=1 \
    -c 'CREATE TABLE t (n integer PRIMARY KEY)' \
    -c 'INSERT INTO t SELECT generate_series(1, 1000)' >/dev/null
pg_kill
if ! pg_running && pg_start &&
    [ "$(psql -X -At "$DSN" -c 'SELECT count(*) FROM t')" = 1000 ]; then
	ok "kill -9 of the whole cluster, then start: every committed row is there"
else
	not_ok "crash and recovery" "$RUN_DIR/pg/log/postgresql.log"
fi

# A bare pg_ctl start brings back the same cluster with the same settings.
pg_stop
if pg_running; then
	not_ok "pg_stop" "$(pg_pid) still runs"
else
	ok "pg_stop stops it"
fi
if (cd / && if [ "$(id -u)" = 0 ]; then
	runuser -u "$PG_USER" -- "$PG_CTL" -D "$PGDATA" -w -s start
else
	"$PG_CTL" -D "$PGDATA" -w -s start
fi) >/dev/null 2>&1 &&
    [ "$(psql -X -At "$DSN" -c 'SHOW listen_addresses' -c 'SHOW fsync' \
	-c 'SELECT count(*) FROM t' | tr '\n' ' ')" = " on 1000 " ]; then
	ok "pg_ctl -D \$PGDATA start brings it back as it was (socket, fsync on, data)"
else
	not_ok "bare pg_ctl start" "$RUN_DIR/pg/log/postgresql.log"
fi

if pg_createdb scratch1 &&
    [ "$(psql -X -At "$(pg_dsn scratch1)" -c 'SELECT current_database()')" = scratch1 ]; then
	ok "pg_createdb makes a database the role owns"
else
	not_ok "pg_createdb"
fi

# pg_setup again on a cluster whose PGPASSFILE is gone: a new password,
# the same role and data.
old_pw=$(cut -d: -f5 "$PGPASSFILE")
rm -f "$PGPASSFILE"
if pg_setup && [ "$(cut -d: -f5 "$PGPASSFILE")" != "$old_pw" ] &&
    [ "$(psql -X -At "$DSN" -c 'SELECT count(*) FROM t')" = 1000 ]; then
	ok "pg_setup again: a new password for the same role, the data kept"
else
	not_ok "pg_setup on an existing cluster" "$RUN_DIR/pg/log/postgresql.log"
fi

kill "$PS_WATCH" 2>/dev/null
wait "$PS_WATCH" 2>/dev/null || :
PS_WATCH=
pw=$(cut -d: -f5 "$PGPASSFILE")
samples=$(grep -c '^COMMAND' "$PS_LOG" || :)
if [ "${#pw}" -ge 16 ] && [ "$samples" -ge 5 ] &&
    ! grep -qF "$pw" "$PS_LOG" && ! grep -rqF "$pw" "$RUN_DIR/pg/log" &&
    [ "${DSN#*"$pw"}" = "$DSN" ]; then
	ok "the password is in no command line ($samples ps samples), log or DSN"
else
	not_ok "password leak" "pw length ${#pw}, $samples ps samples"
fi

tap_done
