#!/usr/bin/env bash
# journal-pgbouncer.sh: the PostgreSQL journal through pgbouncer in
# transaction pooling, where one client's transactions may run on any
# server connection.  The driver is meant to work there: unnamed statements
# only (PQexecParams), its settings SET LOCAL inside each transaction.
#
# A private cluster (tests/lib/pg.sh), pgbouncer on a unix socket in front
# of it (pool_mode = transaction, SCRAM to both sides, the password in its
# auth file and PGPASSFILE only), then:
#   - the journal suites (tests/unit/unit journal journal_recordings) with
#     JFIX_PG at pgbouncer: the per-test databases through its wildcard
#     entry, the admin statements through it too;
#   - one API host (devstack, 4 workers) whose journal is pgbouncer's
#     `audio` pool of 2 server connections (AUDIO_API_JOURNAL): 8 clients
#     complete chunks of one session and every answer is checked
#     (tests/bench/bench-journal.js hot), then 8 clients complete chunks of
#     sessions of their own, and
#     PostgreSQL never sees more than the pool's 2 connections from them.
. "$(dirname "$0")/../lib/api-lib.sh"
. "$SRCDIR/tests/lib/pg.sh"
PGBOUNCER=${PGBOUNCER:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}
api_need psql runuser "$PGBOUNCER"
api_rundir journal-pgbouncer
api_ports JOURNAL_PGBOUNCER_PORT
BPID=""
cleanup() {
	api_stack_down
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null
	pg_destroy >/dev/null 2>&1 || :
}
trap cleanup EXIT INT TERM

if ! pg_setup >"$RUN_DIR/pg-setup.log" 2>&1; then
	not_ok "start a private PostgreSQL" "$RUN_DIR/pg-setup.log"
	tap_done
	exit 1
fi
pg_admin -q -c "ALTER ROLE $PG_ROLE CREATEDB" >/dev/null

# pgbouncer's files beside the cluster's, owned by the cluster's user
# (pgbouncer will not run as root).  The socket's name is .s.PGSQL.6432 in
# BDIR; there is no TCP listener.
BDIR=$(dirname "$PGDATA")/bouncer
BPORT=6432
mkdir -p "$BDIR"
pw=$(cut -d: -f5 "$PGPASSFILE")
(umask 077 && printf '"%s" "%s"\n' "$PG_ROLE" "$pw" >"$BDIR/userlist.txt")
printf '%s:%s:*:%s:%s\n' "$BDIR" "$BPORT" "$PG_ROLE" "$pw" >>"$PGPASSFILE"
pw=
cat >"$BDIR/pgbouncer.ini" <<EOF
[databases]
; the API's journal: 2 server connections for every client of it
$PG_DB = host=$PG_SOCKDIR port=$PG_PORT dbname=$PG_DB pool_size=2
; the suites' per-test databases
* = host=$PG_SOCKDIR port=$PG_PORT

[pgbouncer]
listen_port = $BPORT
unix_socket_dir = $BDIR
auth_type = scram-sha-256
auth_file = $BDIR/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
logfile = $BDIR/pgbouncer.log
pidfile = $BDIR/pgbouncer.pid
EOF
[ "$(id -u)" = 0 ] && chown -R "$PG_USER" "$BDIR"
if ! pg_as "$PGBOUNCER" -d "$BDIR/pgbouncer.ini" >"$RUN_DIR/pgbouncer.out" 2>&1; then
	not_ok "start pgbouncer" "$RUN_DIR/pgbouncer.out"
	tap_done
	exit 1
fi
for _ in $(seq 1 100); do
	[ -S "$BDIR/.s.PGSQL.$BPORT" ] && [ -s "$BDIR/pgbouncer.pid" ] && break
	sleep 0.1
done
BPID=$(cat "$BDIR/pgbouncer.pid" 2>/dev/null || :)
if [ -n "$BPID" ] && kill -0 "$BPID" 2>/dev/null; then
	ok "pgbouncer up in transaction pooling on $BDIR/.s.PGSQL.$BPORT"
else
	not_ok "pgbouncer did not start" "$BDIR/pgbouncer.log"
	tap_done
	exit 1
fi

# --- the journal suites through pgbouncer
export JFIX_PG="host=$BDIR port=$BPORT user=$PG_ROLE dbname=$PG_DB"
export PGPASSFILE
log=$RUN_DIR/unit.log
rc=0
"$BUILDDIR/tests/unit/unit" journal journal_recordings >"$log" 2>&1 || rc=$?
ran=$(awk '$1 == "tests" { print $3 }' "$log")
failed=$(awk '$1 == "tests" { print $5 }' "$log")
if [ "$rc" = 0 ] && [ "${ran:-0}" -ge 20 ] && [ "$failed" = 0 ]; then
	ok "journal suites pass through pgbouncer: $(grep -E '^ +tests' "$log" |
	    tr -s ' ')"
else
	not_ok "journal suites through pgbouncer" "$log"
fi
# They went through it: pgbouncer logged their logins to the per-test
# databases.
n=$(grep -c 'login attempt: db=jfix_' "$BDIR/pgbouncer.log" || :)
if [ "${n:-0}" -ge 20 ]; then
	ok "the suites' journals were reached through pgbouncer ($n logins)"
else
	not_ok "logins to the per-test databases through pgbouncer: ${n:-0}" \
	    "$BDIR/pgbouncer.log"
fi

# --- an API host whose journal is pgbouncer's pool of 2
export JOURNAL_BACKEND=postgresql WORKERS=4
before=$(wc -l <"$BDIR/pgbouncer.log")
export AUDIO_API_JOURNAL="postgresql://$PG_ROLE@/$PG_DB?host=$BDIR&port=$BPORT"
api_stack_up >"$RUN_DIR/up.log" 2>&1 || {
	not_ok "devstack up with the journal at pgbouncer" "$RUN_DIR/up.log"
	api_logs
	tap_done
	exit 1
}
h=$(curl -sS "$API_URL/healthz")
if echo "$h" | grep -q postgresql; then
	ok "the host is up on the journal through pgbouncer: $h"
else
	not_ok "healthz" "$h"
fi
# The most server connections the API's role had to the journal while the
# load ran, sampled every 50 ms.
peak() {
	local max=0 n
	while [ ! -f "$RUN_DIR/load-done" ]; do
		n=$(pg_admin -At -d postgres -c "SELECT count(*) FROM
		    pg_stat_activity WHERE datname = '$PG_DB' AND
		    usename = '$PG_ROLE'" 2>/dev/null || echo 0)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.05
	done
	echo "$max" >"$RUN_DIR/peak"
}
peak &
PEAKPID=$!
drive() {
	BJ_URLS=$API_URL BJ_CLIENTS=$2 BJ_COMPLETES=$3 \
	    node "$SRCDIR/tests/bench/bench-journal.js" "$1"
}
rc=0
out=$(drive hot 8 40 2>&1) || rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '"correct":true'; then
	ok "8 clients, one session, 40 completes through pgbouncer: every answer correct, retries identical: $out"
else
	not_ok "hot session through pgbouncer" "$out"
fi
rc=0
out=$(drive spread 8 40 2>&1) || rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '"ok":40'; then
	ok "8 clients on sessions of their own, 40 completes through pgbouncer: $out"
else
	not_ok "spread load through pgbouncer" "$out"
fi
touch "$RUN_DIR/load-done"
wait "$PEAKPID" || :
clients=$(tail -n +"$((before + 1))" "$BDIR/pgbouncer.log" |
    grep -c "login attempt: db=$PG_DB user=$PG_ROLE" || :)
if [ "$(cat "$RUN_DIR/peak")" -le 2 ] && [ "${clients:-0}" -ge 5 ]; then
	ok "$clients client logins to the journal (4 workers, the deliverer), never more than $(cat "$RUN_DIR/peak") server connections (pool_size = 2)"
else
	not_ok "pooling: peak $(cat "$RUN_DIR/peak") server connections, $clients client logins"
fi
if grep -Eq 'prepared statement|unsupported startup parameter' \
    "$BDIR/pgbouncer.log" "$RUN_DIR"/log/*.log; then
	not_ok "errors of a pooling mismatch in the logs" \
	    "$(grep -E 'prepared statement|unsupported startup parameter' \
	    "$BDIR/pgbouncer.log" "$RUN_DIR"/log/*.log | head -5)"
else
	ok "no prepared-statement or startup-parameter errors in pgbouncer's or the API's logs"
fi
tap_done
