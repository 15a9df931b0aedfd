#!/usr/bin/env bash
# journal-pg-faults.sh: bad PostgreSQL journals and a journal that cannot
# answer in time, each refused with a clear message or answered 503, never
# a crash or a 500.
#
# One API host on a private cluster (devstack, JOURNAL_BACKEND=postgresql,
# journal_busy_timeout = 1s), then:
#   - `audio-api -n --connect` on its config: reachable, current;
#   - -n --connect with a wrong password, on a database without the schema
#     (needs migrating), on a schema newer than the program: each exits
#     non-zero with a message that says which, and never prints a password;
#   - -n alone on malformed DSNs: refused, naming `journal`;
#   - a session's row held by `SELECT ... FOR UPDATE` in an open transaction
#     of psql: its complete answers 503 with Retry-After and a JSON body
#     once the statement timeout passes; once the lock is released the same
#     complete answers 200.
. "$(dirname "$0")/../lib/api-lib.sh"
. "$SRCDIR/tests/lib/pg.sh"
api_need psql runuser curl jq
api_rundir journal-pg-faults
api_ports JOURNAL_PG_FAULTS_PORT
HOLDER=""
cleanup() {
	[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
	exec 3>&- 2>/dev/null
	api_stack_down
	pg_destroy >/dev/null 2>&1 || :
}
trap cleanup EXIT
trap 'exit 1' INT TERM
API=$BUILDDIR/fcgi/audio-api

export JOURNAL_BACKEND=postgresql WORKERS=2
export API_EXTRA_CONF="journal_busy_timeout = 1s"
api_stack_up >"$RUN_DIR/up.log" 2>&1 || {
	not_ok "devstack up on PostgreSQL" "$RUN_DIR/up.log"
	api_logs
	tap_done
	exit 1
}
pg_init
CONF=$RUN_DIR/audio-api.conf

# with_journal DSN: the stack's config with its journal line replaced.
with_journal() {
	awk -v j="$1" '/^journal = / { print "journal = " j; next } { print }' \
	    "$CONF" >"$RUN_DIR/check.conf"
	echo "$RUN_DIR/check.conf"
}
# check WHAT EXPECT-RC PATTERN [ENV...] -- ARGS: run audio-api ARGS with
# ENV; the exit status must be EXPECT-RC (0, or "non-zero") and the output
# match PATTERN (grep -E).
check() {
	local what=$1 want=$2 pat=$3 rc=0 out
	shift 3
	out=$(env "$@" 2>&1) || rc=$?
	if { [ "$want" = 0 ] && [ $rc = 0 ]; } ||
	    { [ "$want" != 0 ] && [ $rc != 0 ] && [ $rc -lt 128 ]; }; then
		if echo "$out" | grep -Eq "$pat"; then
			ok "$what (exit $rc): $(echo "$out" | grep -E "$pat" |
			    head -n 1)"
			return 0
		fi
	fi
	not_ok "$what: exit $rc" "$out"
}

check "-n --connect on the running host's journal" 0 \
    'reachable, schema version [0-9]+, current' \
    "$API" -f "$CONF" -n --connect

# A wrong password: a password file of its own with another password.
(umask 077 && sed 's/:[^:]*$/:not-the-password/' "$PGPASSFILE" \
    >"$RUN_DIR/wrong-pgpass")
check "-n --connect with a wrong password fails, saying so" non-zero \
    'password authentication failed' \
    PGPASSFILE="$RUN_DIR/wrong-pgpass" "$API" -f "$CONF" -n --connect
if env PGPASSFILE="$RUN_DIR/wrong-pgpass" "$API" -f "$CONF" -n --connect 2>&1 |
    grep -q not-the-password; then
	not_ok "the wrong password was printed"
else
	ok "the password is not printed"
fi

# A database without the schema: read-only, so nothing is created; the
# message says it needs migrating, and it still has no tables after.
pg_createdb empty
check "-n --connect on a database without the schema fails: needs migrating" \
    non-zero 'needs migrating' \
    "$API" -f "$(with_journal "$(pg_dsn empty)")" -n --connect
n=$(pg_admin -At -d empty -c "SELECT count(*) FROM pg_tables WHERE
    schemaname = 'public'")
if [ "$n" = 0 ]; then
	ok "the check created nothing in it"
else
	not_ok "the read-only check left $n tables"
fi

# A schema newer than the program: the running host's version plus one.
v=$(pg_admin -At -d "$PG_DB" -c "SELECT version FROM journal_schema")
pg_createdb newer
pg_admin -q -d newer -c "CREATE TABLE journal_schema (version integer NOT
    NULL); INSERT INTO journal_schema VALUES ($((v + 1)));
    ALTER TABLE journal_schema OWNER TO $PG_ROLE" >/dev/null
check "-n --connect on a schema newer than the program fails, saying so" \
    non-zero "newer than this program" \
    "$API" -f "$(with_journal "$(pg_dsn newer)")" -n --connect

# Malformed DSNs: -n alone (no network) refuses them, naming the key.
for dsn in 'postgresql://[::1' 'postgresql:host' \
    'postgresql://u@h/db?sslmode' 'postgresql:no_such_keyword=1' \
    'postgresql://u@h:notaport/db' 'postgresql:host=h port=54x2'; do
	check "-n refuses the malformed DSN '$dsn', naming journal" non-zero \
	    'journal' "$API" -f "$(with_journal "$dsn")" -n
done

# --- a statement timeout: the session's row held by another transaction
TOKEN=$("$DEVSTACK" token faults-user)
call() {
	curl -sS -o "$RUN_DIR/body" -D "$RUN_DIR/head" -w '%{http_code}' \
	    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	    -d "$2" "$API_URL$1"
}
call /sessions '{}' >/dev/null
SID=$(jq -r .sessionId "$RUN_DIR/body")
call "/sessions/$SID/chunks/presign" '{"seq":1,"tStartMs":0,"tEndMs":5000,"ext":"webm","sizeBytes":100,"contentType":"audio/webm"}' >/dev/null
cp "$RUN_DIR/body" "$RUN_DIR/presign.json"
head -c 100 /dev/urandom >"$RUN_DIR/chunk"
mapfile -t PUTH < <(jq -r '.headers|to_entries[]|"-H\n\(.key): \(.value)"' "$RUN_DIR/presign.json")
curl -fsS -X PUT "${PUTH[@]}" --upload-file "$RUN_DIR/chunk" \
    "$(jq -r .putUrl "$RUN_DIR/presign.json")" >/dev/null
COMPLETE="{\"seq\":1,\"objectKey\":\"$(jq -r .objectKey "$RUN_DIR/presign.json")\",\"bytes\":100,\"tStartMs\":0,\"tEndMs\":5000}"

# psql holds the row in an open transaction until told to commit (its
# stdin is a fifo this script keeps open).
mkfifo "$RUN_DIR/hold"
pg_admin -q -d "$PG_DB" <"$RUN_DIR/hold" >"$RUN_DIR/hold.out" 2>&1 &
HOLDER=$!
exec 3>"$RUN_DIR/hold"
echo "BEGIN; SELECT id FROM sessions WHERE id = '$SID' FOR UPDATE;" >&3
held=""
for _ in $(seq 1 100); do
	held=$(pg_admin -At -d postgres -c "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = '$PG_DB' AND state = 'idle in transaction'
	    AND query LIKE '%FOR UPDATE%'")
	[ "$held" = 1 ] && break
	sleep 0.1
done
[ "$held" = 1 ] || not_ok "psql did not take the row lock" "$RUN_DIR/hold.out"
code=$(call "/sessions/$SID/chunks/complete" "$COMPLETE")
ra=$(awk 'tolower($1) == "retry-after:" { print $2 }' "$RUN_DIR/head" | tr -d '\r')
if [ "$code" = 503 ] && [ -n "$ra" ] && jq -e '.code' "$RUN_DIR/body" >/dev/null; then
	ok "a complete behind a held row lock answers 503, Retry-After $ra, $(cat "$RUN_DIR/body")"
else
	not_ok "complete behind a held lock: $code, Retry-After '$ra'" "$(cat "$RUN_DIR/body")"
fi
echo "COMMIT;" >&3
exec 3>&-
wait "$HOLDER" || :
HOLDER=""
code=$(call "/sessions/$SID/chunks/complete" "$COMPLETE")
if [ "$code" = 200 ] && [ "$(jq -r .chunkCount "$RUN_DIR/body")" = 1 ]; then
	ok "the lock released, the same complete answers 200: $(cat "$RUN_DIR/body")"
else
	not_ok "complete after the lock: $code" "$(cat "$RUN_DIR/body")"
fi
tap_done
