#!/usr/bin/env bash
# multihost.sh: several API hosts on one machine (tests/tools/devstack.sh
# DEVSTACK_HOSTS=2), each with its own lighttpd, worker pool and delivery
# child, sharing s3rver, the EventBridge stand-in and the JWKS
# (tests/integration/multihost-test.js).
#   baseline  each host on its own SQLite journal: a session created on A
#             is 404 on B (what a shared journal changes, so the rest can
#             fail)
# Ports: MULTIHOST_TEST_PORT (host A), the next one for s3rver and the one
# after for host B; else three of this test's block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir multihost
port_env API_PORT MULTIHOST_TEST_PORT 3
export API_PORT S3_PORT=$((API_PORT + 1)) API_PORT_2=$((API_PORT + 2))
export DEVSTACK_HOSTS=2
export WORKERS=${WORKERS:-3}
export API_LOG_LEVEL=${API_LOG_LEVEL:-warn}
trap api_stack_down EXIT INT TERM

diag "baseline: two hosts, a SQLite journal each"
export JOURNAL_BACKEND=sqlite
api_stack_up >/dev/null
api_node multihost-test.js baseline
api_stack_down
