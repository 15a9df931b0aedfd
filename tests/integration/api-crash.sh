#!/usr/bin/env bash
# api-crash.sh: the crash windows of the storage lifecycle (issue 13) on the
# real stack: lighttpd -> `audio-api --workers 2` (whose master runs the
# delivery loop), s3rver behind tests/tools/s3-fault-proxy.js (which holds
# calls on demand and stands in for AbortMultipartUpload and
# ListMultipartUploads, the two multipart calls s3rver lacks).  A worker or
# the deliverer is killed at the point that matters (the fault hook of
# fcgi/deliver.c, AUDIO_API_FAULT_DIR, or kill -9 while the proxy holds
# its S3 call) and the test checks that nothing is left behind or lost.
# Scenarios: tests/integration/crash-test.js.  api-crash-pg.sh runs it with
# the journal on PostgreSQL.
# Ports: CRASH_TEST_PORT (then the next two), else three of this test's
# block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir crash
port_env API_PORT CRASH_TEST_PORT 3
export API_PORT S3_PORT=$((API_PORT + 1))
export S3_API_PORT=$((API_PORT + 2))
export WORKERS=2 EVENTS_MODE=discard
export API_LOG_LEVEL=${API_LOG_LEVEL:-info}
export FAULT_DIR=$RUN_DIR/faults AUDIO_API_FAULT_DIR=$RUN_DIR/faults
# Time is driven by the config: a session idle 6 s is abandoned, URLs live
# 2 s, finished multipart rows are purged after 3 s, the sweep deletes an
# orphan 1 s old whose URL ran out, a pass a second after the last; an
# intent of CreateMultipartUpload is resolved 11 s after it was made
# (devstack's s3_timeout 3 s + s3_connect_timeout 1 s, journal_busy_timeout
# 2 s, + 5 s).
export API_EXTRA_CONF="multipart_max_bytes = 64m
journal_busy_timeout = 2s
multipart_part_bytes = 5m
presign_expires = 2s
finalize_grace = 0
session_max_open = 6s
lifecycle_interval = 200ms
multipart_purge_after = 3s
sweep = on
sweep_interval = 1s
sweep_min_age = 1s
sweep_grace = 0
sweep_page_keys = 20
deliver_poll = 100ms
deliver_lease = 8s
deliver_backoff_base = 200ms
deliver_backoff_max = 1s"
mkdir -p "$FAULT_DIR"
trap api_stack_down EXIT INT TERM

api_proxy_stack_up
api_node crash-test.js
