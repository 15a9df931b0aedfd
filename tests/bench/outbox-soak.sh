#!/usr/bin/env bash
# outbox-soak.sh: the soak test of durable delivery, run by hand (not in
# make check):
#
#   tests/bench/outbox-soak.sh [SECONDS]      default 180
#
# Starts the real stack (lighttpd -> `audio-api --workers 4` with the
# delivery child, s3rver behind tests/tools/s3-fault-proxy.js, the EventBridge
# stand-in, the SQLite journal), drives SOAK_RECORDERS (default 8)
# simulated recorders for SECONDS (sessions of 3-12 chunks, 80% finalized,
# completes retried on 5xx like a real client) while injecting a random
# fault every 3-10 s: S3 manifest writes failing, S3 down, EventBridge
# 5xx/throttling/partial/slow, kill -9 of the delivery child or of a worker,
# a crash right after a commit.  Then it
# waits (at most 60 s) for the invariant: every chunk in the journal is in
# its S3 manifest, every committed event in the log at least once, nothing
# else, the outbox empty; and prints the figures.  Build first (make, make
# tests/tools/jwtmint).  Ports: SOAK_PORT, SOAK_S3_PORT (by default the
# next one), SOAK_PROXY_PORT (the one after), else three of its block in
# tests/lib/ports.sh.
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl pgrep "$JWTMINT"
seconds=${1:-180}
api_rundir soak
port_env API_PORT SOAK_PORT 3
export API_PORT S3_PORT=${SOAK_S3_PORT:-$((API_PORT + 1))}
export S3_API_PORT=${SOAK_PROXY_PORT:-$((API_PORT + 2))}
export WORKERS=${WORKERS:-4}
export API_LOG_LEVEL=${API_LOG_LEVEL:-warn}
export FAULT_DIR=$RUN_DIR/faults AUDIO_API_FAULT_DIR=$RUN_DIR/faults
export API_EXTRA_CONF="deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 2s
deliver_lease = 5s
events_timeout = 2s"
mkdir -p "$FAULT_DIR"
trap api_stack_down EXIT INT TERM
api_proxy_stack_up
api_node outbox-test.js soak "$seconds"
