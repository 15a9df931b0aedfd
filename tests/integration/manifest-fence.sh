#!/usr/bin/env bash
# manifest-fence.sh: the conditional manifest write (issue 17, item 4) on
# the real stack: lighttpd -> `audio-api --workers 2` (whose master runs
# the delivery loop), s3rver behind tests/tools/s3-fault-proxy.js, which
# enforces If-Match / If-None-Match as S3 does (s3rver ignores them) and
# can hold a write in flight or lose its answer.  Scenarios
# (tests/integration/manifest-fence-test.js): the first write creates,
# the next ones match; a write held past its writer's lease while another
# deliverer writes newer revisions is refused and changes nothing, and a
# poller never sees the manifest go backwards; a manifest changed or
# deleted behind the API's back is detected and converged; a write whose
# answer was lost is found in S3 and recorded; with manifest_fence = off
# no condition is sent, and the held write then does put S3 back (what
# the fence is for).
# make check runs it on SQLite; JOURNAL_BACKEND=postgresql runs the same on
# a private PostgreSQL (tests/lib/pg.sh, through devstack.sh).
# Ports: FENCE_TEST_PORT (then the next two), else three of this test's
# block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir fence
port_env API_PORT FENCE_TEST_PORT 3
export API_PORT S3_PORT=$((API_PORT + 1))
export S3_API_PORT=$((API_PORT + 2))
export WORKERS=2 EVENTS_MODE=discard
export API_LOG_LEVEL=${API_LOG_LEVEL:-warn}
# devstack's s3_timeout is 3 s: a held write's client gives up then, as
# a writer whose request is stuck in the network does.
export API_EXTRA_CONF="deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 1s
deliver_lease = 5s"
trap api_stack_down EXIT INT TERM

api_proxy_stack_up
api_node manifest-fence-test.js
