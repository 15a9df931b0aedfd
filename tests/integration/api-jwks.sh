#!/usr/bin/env bash
# api-jwks.sh: forged tokens must not make API workers wait on the key
# server.  The stack's JWKS URL points at tests/tools/slow-jwks.js, which answers
# in 3 s; 16 loops send tokens with a made-up kid and a garbage signature
# while valid requests are timed: their p99 must stay near the p99 without
# the flood, every forged token is refused at once (401, or 503 while a
# refetch is due), and the key server is asked at most once per 10 s for
# the whole host.  Before keys were fetched on a thread of their own and
# shared between workers, each worker refetched inline, under its cache
# lock, for a request with an unknown kid: valid requests queued behind a
# 3 s fetch.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir jwks
api_ports API_TEST_JWKS_PORT 3
export WORKERS=4
JWKS_PORT=${API_TEST_JWKS_SERVER_PORT:-$((API_PORT + 2))}
SLOW_PID=
cleanup() {
	api_stack_down
	[ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null
	true
}
trap cleanup EXIT INT TERM
node "$SRCDIR/tests/tools/slow-jwks.js" "$JWKS_PORT" "$RUN_DIR/jwks.json" 3000 \
    >"$RUN_DIR/slow-jwks.log" 2>&1 &
SLOW_PID=$!
for _ in $(seq 100); do
	grep -q '^listening' "$RUN_DIR/slow-jwks.log" && break
	sleep 0.05
done
export JWT_JWKS_URL=http://127.0.0.1:$JWKS_PORT/jwks.json
# The workers share the keys (and the S3 probe, the presign counts) through
# files in state_dir (fcgi/hoststate.c), here not the journal's directory:
# the one-fetch-per-host check holds only if every worker finds the file.
mkdir -p "$RUN_DIR/state"
export API_EXTRA_CONF="state_dir = $RUN_DIR/state"
# The stack turns the presign limit off; on (never reached) so its counts
# file is made too.
export AUDIO_API_SESSION_PRESIGNS_PER_MINUTE=1000000000
api_stack_up
export SLOW_JWKS_LOG=$RUN_DIR/slow-jwks.log
api_node api-test.js jwks

curl -s -o /dev/null "$API_URL/healthz"
if [ -s "$RUN_DIR/state/journal.db.jwks" ] &&
    [ -s "$RUN_DIR/state/journal.db.s3probe" ] &&
    [ -s "$RUN_DIR/state/journal.db.presigns" ] &&
    [ ! -e "$RUN_DIR/journal.db.jwks" ] &&
    [ ! -e "$RUN_DIR/journal.db.s3probe" ] &&
    [ ! -e "$RUN_DIR/journal.db.presigns" ]; then
	ok "the host's shared files are in state_dir"
else
	not_ok "the host's shared files are in state_dir" \
	    "$(ls -l "$RUN_DIR" "$RUN_DIR/state")"
	api_logs
fi
tap_done
