#!/usr/bin/env bash
# multihost.sh: several API hosts on one machine (tests/tools/devstack.sh
# DEVSTACK_HOSTS=2), each with its own lighttpd, worker pool and delivery
# child, sharing s3rver, the EventBridge stand-in and the JWKS
# (tests/integration/multihost-test.js).
#   baseline   each host on its own SQLite journal: a session created on A
#              is 404 on B (what a shared journal changes, so the rest can
#              fail)
#   balancers  the shipped balancer configs, run for real in front of the
#              two hosts (conf/apache-balancer.conf, conf/lighttpd-balancer.conf,
#              conf/audio-api-haproxy.cfg, their 192.0.2.x placeholders
#              replaced by the hosts): sessions created through each land
#              on both hosts, and with host B's web server stopped every
#              create still answers 201; HAProxy's 503 with both down is
#              JSON
#   shared     one PostgreSQL journal (tests/lib/pg.sh) for both hosts: 20
#              sessions with completes alternating between hosts, 200
#              concurrent completes of one session split across both, each
#              complete retried on the other host with the identical answer,
#              finalize on A then B with the same answer; then every chunk
#              answered 200 in the journal and its manifest, manifest
#              revision = journal revision, the outbox drained with 0 dead,
#              every eventId in the events log, and a poller of manifest.json
#              that never saw a revision go down
#   faults     recorders on both hosts through kill -9 of a worker and the
#              delivery child of A, SIGTERM of host B, PostgreSQL stopped 5 s
#              (only 503s meanwhile) and S3 stopped 5 s; the same checks
# Ports: MULTIHOST_TEST_PORT (host A), then s3rver, host B and the
# balancer on the next three; else four of this test's block in
# tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd apache2 haproxy node curl jq sqlite3 psql runuser openssl "$JWTMINT"
api_rundir multihost
port_env API_PORT MULTIHOST_TEST_PORT 4
export API_PORT S3_PORT=$((API_PORT + 1)) API_PORT_2=$((API_PORT + 2))
LB_PORT=$((API_PORT + 3))
export DEVSTACK_HOSTS=2
export WORKERS=${WORKERS:-3}
export API_LOG_LEVEL=${API_LOG_LEVEL:-warn}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}
lb_pid=
cleanup() {
	lb_stop
	api_stack_down
}
trap cleanup EXIT INT TERM

# lb_stop: stop the balancer running, if any (its pid in lb_pid).
lb_stop() {
	[ -n "$lb_pid" ] || return 0
	kill "$lb_pid" 2>/dev/null || :
	# apache2 -X has been seen to sit on a pending SIGTERM (blocked in a
	# futex); 5 s, then SIGKILL, so a stuck balancer never hangs the test.
	for _ in $(seq 50); do
		kill -0 "$lb_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$lb_pid" 2>/dev/null || :
	while kill -0 "$lb_pid" 2>/dev/null; do sleep 0.1; done
	lb_pid=
}

# lb_conf FILE: conf/FILE with the two placeholder hosts made ours.
lb_conf() {
	sed -e "s/192\.0\.2\.11:8080/127.0.0.1:$API_PORT/" \
	    -e "s/\"192\.0\.2\.11\", \"port\" => 8080/\"127.0.0.1\", \"port\" => $API_PORT/" \
	    -e "s/192\.0\.2\.12:8080/127.0.0.1:$API_PORT_2/" \
	    -e "s/\"192\.0\.2\.12\", \"port\" => 8080/\"127.0.0.1\", \"port\" => $API_PORT_2/" \
	    -e "s/^\(\tbind \)127\.0\.0\.1:8000/\1127.0.0.1:$LB_PORT/" \
	    "$SRCDIR/conf/$1"
}

# lb_start NAME: check the syntax of balancer NAME's config, start it on
# LB_PORT in front of hosts A and B, wait until it listens.
lb_start() {
	local d=$RUN_DIR/lb/$1 i
	mkdir -p "$d"
	case "$1" in
	apache)
		lb_conf apache-balancer.conf >"$d/balancer.conf"
		cat >"$d/apache2.conf" <<EOF
ServerRoot "$d"
ServerName 127.0.0.1
Listen 127.0.0.1:$LB_PORT
PidFile "$d/apache.pid"
ErrorLog "$RUN_DIR/log/lb-apache-error.log"
LogLevel warn
Mutex file:$d
DefaultRuntimeDir "$d"
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule proxy_module $APACHE_MODULES/mod_proxy.so
LoadModule proxy_http_module $APACHE_MODULES/mod_proxy_http.so
LoadModule proxy_balancer_module $APACHE_MODULES/mod_proxy_balancer.so
LoadModule slotmem_shm_module $APACHE_MODULES/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module $APACHE_MODULES/mod_lbmethod_byrequests.so
LoadModule proxy_hcheck_module $APACHE_MODULES/mod_proxy_hcheck.so
Include "$d/balancer.conf"
EOF
		apache2 -t -f "$d/apache2.conf" 2>"$d/check.log" || return 1
		apache2 -X -f "$d/apache2.conf" >>"$RUN_DIR/log/lb-apache.log" 2>&1 &
		;;
	lighttpd)
		lb_conf lighttpd-balancer.conf >"$d/balancer.conf"
		cat >"$d/lighttpd.conf" <<EOF
server.bind = "127.0.0.1"
server.port = $LB_PORT
server.document-root = "$d"
server.errorlog = "$RUN_DIR/log/lb-lighttpd-error.log"
include "$d/balancer.conf"
EOF
		lighttpd -tt -f "$d/lighttpd.conf" >"$d/check.log" 2>&1 || return 1
		lighttpd -D -f "$d/lighttpd.conf" >>"$RUN_DIR/log/lb-lighttpd.log" 2>&1 &
		;;
	haproxy)
		lb_conf audio-api-haproxy.cfg >"$d/haproxy.cfg"
		haproxy -c -q -f "$d/haproxy.cfg" >"$d/check.log" 2>&1 || return 1
		haproxy -db -f "$d/haproxy.cfg" >>"$RUN_DIR/log/lb-haproxy.log" 2>&1 &
		;;
	esac
	lb_pid=$!
	for i in $(seq 1 100); do
		api_port_free "$LB_PORT" || return 0
		kill -0 "$lb_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# lb_create USER N: N POST /sessions as USER through the balancer; prints
# how many answered 201.  Each session lands in the journal of the host
# that served it, which says where the balancer sent it.
lb_create() {
	local i n=0 tok
	tok=$("$DEVSTACK" token "$1")
	for i in $(seq 1 "$2"); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
		    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		    -d '{"codec":"webm/opus","sampleRate":48000,"chunkSeconds":5}' \
		    "http://127.0.0.1:$LB_PORT/api/audio/sessions")" = 201 ] &&
			n=$((n + 1))
	done
	echo "$n"
}

# sessions_of JOURNAL USER: how many sessions USER has in that journal.
sessions_of() {
	sqlite3 "$1" "SELECT count(*) FROM sessions WHERE owner = '$2'"
}

diag "baseline: two hosts, a SQLite journal each"
export JOURNAL_BACKEND=sqlite
api_stack_up >/dev/null
api_node multihost-test.js baseline

for lb in lighttpd apache haproxy; do
	if ! lb_start "$lb"; then
		not_ok "$lb: the balancer config checks and starts" \
		    "$RUN_DIR/lb/$lb/check.log" "$RUN_DIR"/log/lb-"$lb"*.log
		lb_stop
		continue
	fi
	n=$(lb_create "lb-$lb" 12)
	a=$(sessions_of "$JOURNAL" "lb-$lb")
	b=$(sessions_of "$RUN_DIR/host2/journal.db" "lb-$lb")
	if [ "$n" = 12 ] && [ "$a" -ge 3 ] && [ "$b" -ge 3 ] && [ $((a + b)) = 12 ]; then
		ok "$lb balancer: 12 of 12 sessions created, $a on host A and $b on B"
	else
		not_ok "$lb balancer spreads requests" "$n of 12 answered 201, A $a, B $b"
	fi
	# Host B's web server down: the balancer leaves it out.
	kill "$(cat "$RUN_DIR/host2/lighttpd.pid")"
	while ! api_port_free "$API_PORT_2"; do sleep 0.1; done
	n=$(lb_create "lb-$lb-down" 12)
	a=$(sessions_of "$JOURNAL" "lb-$lb-down")
	if [ "$n" = 12 ] && [ "$a" = 12 ]; then
		ok "$lb balancer: with host B down, 12 of 12 still created (on A)"
	else
		not_ok "$lb balancer fails over" "$n of 12 answered 201, $a on A" \
		    "$RUN_DIR"/log/lb-"$lb"*.log
	fi
	if [ "$lb" = haproxy ]; then
		# Both hosts down: once its checks say so, HAProxy's own 503
		# is JSON with Retry-After, like the API's.
		kill "$(cat "$RUN_DIR/lighttpd.pid")"
		for i in $(seq 1 150); do
			curl -s -D "$RUN_DIR/lb/hdr" -o "$RUN_DIR/lb/body" --max-time 5 \
			    "http://127.0.0.1:$LB_PORT/api/audio/healthz" >/dev/null || :
			grep -q '^HTTP/1.1 503' "$RUN_DIR/lb/hdr" && break
			sleep 0.1
		done
		if grep -q '^HTTP/1.1 503' "$RUN_DIR/lb/hdr" &&
		    grep -qi '^retry-after: 5' "$RUN_DIR/lb/hdr" &&
		    [ "$(jq -r .code "$RUN_DIR/lb/body" 2>/dev/null)" = unavailable ]; then
			ok "haproxy: every host down, its 503 is JSON with Retry-After"
		else
			not_ok "haproxy's own 503" "$RUN_DIR/lb/hdr" "$RUN_DIR/lb/body"
		fi
		lighttpd -f "$RUN_DIR/lighttpd.conf"
	fi
	lighttpd -f "$RUN_DIR/host2/lighttpd.conf"
	for i in $(seq 1 100); do
		api_port_free "$API_PORT_2" || break
		sleep 0.1
	done
	lb_stop
done
api_stack_down

diag "shared: two hosts, one PostgreSQL journal"
export JOURNAL_BACKEND=postgresql
# api_env exported the first stack's EVENTS_ENDPOINT, which audio-api
# would take over its config's: the new stack's stand-in has another port.
unset EVENTS_ENDPOINT
export API_EXTRA_CONF="deliver_poll = 100ms
deliver_backoff_base = 200ms
deliver_backoff_max = 2s
deliver_lease = 5s"
api_stack_up >/dev/null
api_node multihost-test.js shared
api_node multihost-test.js faults
api_stack_down
tap_done
