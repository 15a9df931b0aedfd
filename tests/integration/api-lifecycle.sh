#!/usr/bin/env bash
# api-lifecycle.sh: what the server does to sessions on its own (abandoned
# sessions, retention, the orphan sweep) through lighttpd in front of an
# audio-api pool, against s3rver and the EventBridge stand-in
# (tests/integration/lifecycle-test.js).  Time is driven by the config: a
# session idle for 3 s is abandoned, upload URLs live 1 s, the delivery
# loop looks every 200 ms; retention is driven by moving a session's
# creation two days back in the journal.
# Ports: API_TEST_LIFECYCLE_PORT (+1 for s3rver), else two of this test's
# block in tests/lib/ports.sh.  JOURNAL_BACKEND=postgresql runs it on
# PostgreSQL (api-lifecycle-pg.sh).
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir lifecycle
api_ports API_TEST_LIFECYCLE_PORT
export WORKERS=2
export LIFECYCLE_MAX_OPEN_MS=5000
export API_EXTRA_CONF="presign_expires = 4s
session_max_open = 5s
lifecycle_interval = 200ms
retention_days = 1
delete_recheck_margin = 1s
deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 1s"
trap api_stack_down EXIT INT TERM
api_stack_up
api_node lifecycle-test.js abandoned
api_node lifecycle-test.js retention
