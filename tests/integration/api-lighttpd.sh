#!/usr/bin/env bash
# api-lighttpd.sh: every route's success and error paths, cross-user
# isolation, CORS and presigned PUTs (real curl, tampered ones refused by
# s3rver), through lighttpd mod_fastcgi in front of an audio-api pool.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir lighttpd
api_ports API_TEST_LIGHTTPD_PORT
export WORKERS=4
trap api_stack_down EXIT INT TERM
api_stack_up
api_node api-test.js routes

# lighttpd itself refuses a body over server.max-request-size (1 MiB) with
# 413, as the shipped conf/lighttpd-pool.conf does, before any worker reads
# it (no token needed to send one, so the pool must not be the one to say
# no).
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$RUN_DIR/big.json"
seen() { cat "$RUN_DIR"/log/audio-api*.log | grep -c 'POST /api/audio/sessions 413' || true; }
before=$(seen)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary @"$RUN_DIR/big.json" \
    "$API_URL/sessions")
sleep 1.5	# the workers' access lines are flushed within a second
if [ "$code" = 413 ] && [ "$(seen)" = "$before" ]; then
	ok "a 2 MiB body is refused 413 by lighttpd, not the pool"
else
	not_ok "a 2 MiB body is refused 413 by lighttpd (got $code)"
	api_logs
fi
tap_done
