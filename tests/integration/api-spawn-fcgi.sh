#!/usr/bin/env bash
# api-spawn-fcgi.sh: smoke runs with audio-api handed its socket on fd 0:
# forked by spawn-fcgi (lighttpd in front, external socket), then spawned
# by lighttpd itself through bin-path.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need spawn-fcgi lighttpd node curl openssl "$JWTMINT"
export WORKERS=2

# run_front FRONT PORT: one stack, one smoke run (subshell, so
# nothing one stack exports leaks into the next).
run_front() (
	api_rundir "$1"
	export FRONT=$1
	api_ports "$2"
	trap '"$DEVSTACK" down >/dev/null 2>&1 || true' EXIT INT TERM
	"$DEVSTACK" up
	api_env
	echo "# FRONT=$FRONT"
	if ! node "$SRCDIR/tests/integration/api-test.js" smoke; then
		api_logs
		exit 1
	fi
)

status=0
run_front spawn-fcgi "${API_TEST_SPAWN_PORT:-18016}" || status=1
run_front lighttpd-spawn "${API_TEST_BINPATH_PORT:-18018}" || status=1
exit $status
