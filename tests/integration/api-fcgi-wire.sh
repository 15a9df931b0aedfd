#!/usr/bin/env bash
# api-fcgi-wire.sh: audio-api's FastCGI connections at the record level
# (tests/integration/fcgi-wire-test.js speaks to the pool's socket the way
# a web server does): a connection whose input has ended is closed at once
# instead of lingering, one whose body was not read still lingers, and
# FCGI_KEEP_CONN keeps it.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl openssl "$JWTMINT"
export WORKERS=1
# A lingering worker waits this long for the peer to close: far longer
# than the test waits, so lingering where it should not cannot pass.
export LIBFCGI_OS_CLOSE_POLL_TIMEOUT=30000
api_rundir fcgi-wire
api_ports API_TEST_FCGI_WIRE_PORT
trap api_stack_down EXIT INT TERM
api_stack_up
api_node fcgi-wire-test.js "$RUN_DIR/api.sock" "$("$DEVSTACK" token wire-user)"
