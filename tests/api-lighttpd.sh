#!/usr/bin/env bash
# api-lighttpd.sh: every route's success and error paths, cross-user
# isolation, CORS and presigned PUTs (real curl, tampered ones refused by
# s3rver), through lighttpd mod_fastcgi in front of an audio-api pool.
. "$(dirname "$0")/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir lighttpd
api_ports "${API_TEST_LIGHTTPD_PORT:-18010}"
export WORKERS=4
cleanup() { "$DEVSTACK" down >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
"$DEVSTACK" up
api_env
if ! node "$SRCDIR/tests/api-test.js" routes; then
	api_logs
	exit 1
fi
