#!/usr/bin/env bash
# api-sweep.sh: the orphan sweep against the real stack (lighttpd, an
# audio-api pool with its delivery child, s3rver, the journal):
# tests/integration/sweep-test.js.  Time is driven by the config: upload
# URLs live 3 s, sweep_grace and sweep_min_age are 1 s and 2 s, a pass
# starts 1 s after the last, 3 keys a round.
# Ports: API_TEST_SWEEP_PORT (+1 for s3rver), else two of this test's block
# in tests/lib/ports.sh.  JOURNAL_BACKEND=postgresql runs it on PostgreSQL
# (api-sweep-pg.sh).
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir sweep
api_ports API_TEST_SWEEP_PORT
export WORKERS=2
export API_EXTRA_CONF="presign_expires = 3s
delete_recheck_margin = 1s
deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 1s
session_max_open = 0
sweep = dry-run
sweep_interval = 1s
sweep_min_age = 2s
sweep_grace = 1s
sweep_page_keys = 3"
trap api_stack_down EXIT INT TERM
api_stack_up
api_node sweep-test.js
