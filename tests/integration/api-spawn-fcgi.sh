#!/usr/bin/env bash
# api-spawn-fcgi.sh: smoke runs with audio-api handed its socket on fd 0:
# forked by spawn-fcgi (lighttpd in front, external socket), then spawned
# by lighttpd itself through bin-path.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need spawn-fcgi lighttpd node curl openssl "$JWTMINT"
export WORKERS=2

# run_front FRONT PORTVAR: one stack, one smoke run (subshell, so
# nothing one stack exports leaks into the next).
run_front() (
	api_rundir "$1"
	export FRONT=$1
	api_ports "$2"
	trap api_stack_down EXIT INT TERM
	api_stack_up
	echo "# FRONT=$FRONT"
	api_node api-test.js smoke
)

status=0
run_front spawn-fcgi API_TEST_SPAWN_PORT || status=1
run_front lighttpd-spawn API_TEST_BINPATH_PORT || status=1
exit $status
