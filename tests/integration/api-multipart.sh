#!/usr/bin/env bash
# api-multipart.sh: chunks over the single-PUT limit (issue 13) on the real
# stack: lighttpd -> `audio-api --workers 2` (whose master runs the
# delivery loop), s3rver behind tests/tools/s3-fault-proxy.js, which
# passes the multipart calls s3rver has (CreateMultipartUpload,
# UploadPart, CompleteMultipartUpload: s3rver checks their SigV4) and
# stands in for the one it lacks (AbortMultipartUpload, signature still
# checked by s3rver).  Scenarios: tests/integration/multipart-test.js.
# make check runs it on SQLite and, through api-multipart-pg.sh, on a
# private PostgreSQL (tests/lib/pg.sh, through devstack.sh).
# Ports: MULTIPART_TEST_PORT (then the next two), else three of this
# test's block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir multipart
port_env API_PORT MULTIPART_TEST_PORT 3
export API_PORT S3_PORT=$((API_PORT + 1))
export S3_API_PORT=$((API_PORT + 2))
export WORKERS=2 EVENTS_MODE=discard
export API_LOG_LEVEL=${API_LOG_LEVEL:-info}
# 5 MiB single PUTs (the default), multipart up to 64 MiB in 5 MiB parts;
# the abort's retries come within the test.
export API_EXTRA_CONF="multipart_max_bytes = 64m
multipart_part_bytes = 5m
finalize_grace = 60s
deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 500ms
deliver_max_attempts = 3"
trap api_stack_down EXIT INT TERM

api_proxy_stack_up
api_node multipart-test.js all
# require_checksums and require_write_once on multipart chunks: the
# stack restarted behind the same proxy.
"$DEVSTACK" down >/dev/null
API_EXTRA_CONF="$API_EXTRA_CONF
require_checksums = on
require_write_once = on"
api_stack_up
api_node multipart-test.js require
