#!/usr/bin/env bash
# api-apache.sh: a smoke run behind Apache 2.4 with mod_fcgid spawning
# audio-api (its own config and port, never the distribution's instance;
# started as root, the workers run as www-data through a User directive).
. "$(dirname "$0")/../lib/api-lib.sh"
api_need apache2 node curl openssl "$JWTMINT"
[ -f /usr/lib/apache2/modules/mod_fcgid.so ] || {
	echo "$0: mod_fcgid missing (apt-get install libapache2-mod-fcgid)" >&2
	exit 1
}
api_rundir apache
export FRONT=apache
api_ports API_TEST_APACHE_PORT
export WORKERS=2
trap api_stack_down EXIT INT TERM
api_stack_up
api_node api-test.js smoke
