#!/usr/bin/env bash
# outbox-faults.sh: the fault tests of durable delivery (issue 4), on the
# real stack: lighttpd -> `audio-api --workers 3` (whose master also runs
# the delivery loop), s3rver behind tests/tools/s3-fault-proxy.js, the EventBridge
# stand-in, the SQLite journal.  Scenarios (tests/integration/outbox-test.js faults):
# a crash between commit and the immediate manifest write; S3 manifest
# writes failing, then S3 down, then back (manifests catch up within a
# bound); EventBridge 5xx/503/throttling/partial failures (only failed
# entries retried), stuck delivery turning /healthz 503, a validation error
# parked dead and requeued with `audio-api --outbox`; kill -9 of the
# delivery child mid-batch (the batch in flight is sent again, same
# eventIds); the journal's disk full (a 16 MiB tmpfs; needs root, reported as SKIP
# otherwise).  Each ends with the invariant (see outbox-test.js).
# Ports: OUTBOX_TEST_PORT, OUTBOX_TEST_S3_PORT (by default the next one),
# OUTBOX_TEST_PROXY_PORT (the one after), else three of this test's block
# in tests/lib/ports.sh; the stand-in takes a free port.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl pgrep "$JWTMINT"
api_rundir outbox
port_env API_PORT OUTBOX_TEST_PORT 3
export API_PORT S3_PORT=${OUTBOX_TEST_S3_PORT:-$((API_PORT + 1))}
export S3_API_PORT=${OUTBOX_TEST_PROXY_PORT:-$((API_PORT + 2))}
export WORKERS=3
export API_LOG_LEVEL=${API_LOG_LEVEL:-warn}
export FAULT_DIR=$RUN_DIR/faults AUDIO_API_FAULT_DIR=$RUN_DIR/faults
export DISKFULL_DIR=
export API_EXTRA_CONF="deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 2s
deliver_lease = 5s
events_timeout = 2s
health_outbox_stuck = 3s"
mkdir -p "$FAULT_DIR"
cleanup() {
	api_stack_down
	if [ -n "$DISKFULL_DIR" ]; then
		umount "$DISKFULL_DIR" 2>/dev/null || true
	fi
}
trap cleanup EXIT INT TERM

# The journal on a small tmpfs of its own, for the disk-full scenario
# (SQLite's: with JOURNAL_BACKEND=postgresql the journal is a database).
if [ "${JOURNAL_BACKEND:-sqlite}" = sqlite ] && [ "$(id -u)" = 0 ] &&
	mkdir -p "$RUN_DIR/jfs" &&
	mount -t tmpfs -o size=16m tmpfs "$RUN_DIR/jfs" 2>/dev/null; then
	DISKFULL_DIR=$RUN_DIR/jfs
	export JOURNAL_PATH=$DISKFULL_DIR/journal.db
fi

api_proxy_stack_up
api_node outbox-test.js faults
