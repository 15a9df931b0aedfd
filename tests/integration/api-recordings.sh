#!/usr/bin/env bash
# api-recordings.sh: the recordings routes (list with cursors, GET with
# playback URLs and `missing`, DELETE and its tombstone, HEAD and OPTIONS
# on every route) through lighttpd in front of an audio-api pool, against
# s3rver and the EventBridge stand-in.  Upload URLs live 4 s here, so the
# tombstone's look for late uploads comes within the test.
# Ports: API_TEST_RECORDINGS_PORT (+1 for s3rver), else two of this test's
# block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir recordings
api_ports API_TEST_RECORDINGS_PORT
export WORKERS=4
export API_EXTRA_CONF="presign_expires = 4s
delete_recheck_margin = 1s
deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 1s"
trap api_stack_down EXIT INT TERM
api_stack_up
api_node recordings-test.js
