#!/usr/bin/env bash
# api-pool.sh: the prefork pool under stress, behind lighttpd: 8 workers
# completing 500 chunks of one session concurrently (all in the journal and
# in the S3 manifest), kill -9 of a worker under load, SIGHUP reload, S3
# stopped mid-run (clean 503s, nothing accepted lost), SIGTERM drain.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir pool
api_ports API_TEST_POOL_PORT
export WORKERS=8
export API_LOG_LEVEL=warn
cleanup() {
	# The drain check stops the master itself; S3 may have been restarted
	# by the outage check (its pid file is kept current).
	[ -f "$RUN_DIR/s3rver.pid" ] && kill -CONT "$(cat "$RUN_DIR/s3rver.pid")" 2>/dev/null
	api_stack_down
}
trap cleanup EXIT INT TERM
api_stack_up
api_node api-test.js pool
