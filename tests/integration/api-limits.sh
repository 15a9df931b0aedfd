#!/usr/bin/env bash
# api-limits.sh: the per-user limits on creating sessions
# (user_open_sessions, user_sessions_per_hour) and on presigns per session
# (session_presigns_per_minute), through lighttpd and a pool of 4 workers:
# 429 with Retry-After and a body naming the limit, exact under concurrent
# requests spread over the workers, other users and sessions unaffected.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir limits
api_ports API_TEST_LIMITS_PORT
export WORKERS=4
export AUDIO_API_USER_OPEN_SESSIONS=3 AUDIO_API_USER_SESSIONS_PER_HOUR=5
export AUDIO_API_SESSION_PRESIGNS_PER_MINUTE=6
trap api_stack_down EXIT INT TERM
api_stack_up
api_node api-test.js limits
