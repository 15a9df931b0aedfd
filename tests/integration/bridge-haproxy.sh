#!/bin/sh
# bridge-haproxy.sh: two audio-bridges behind a real HAProxy with the
# shipped conf/haproxy-bridge.cfg (only the addresses, the certificate and
# the log target changed), auth required against a local JWKS, each bridge
# with a Riva stand-in of its own (so each stand-in's log says what reached
# which bridge).  Four real-time streams through HAProxy spread two and two
# (leastconn); one bridge gets SIGTERM mid-stream: its clients get the
# finals of everything Riva heard and a 1001 close, HAProxy marks it DOWN,
# and their reconnects land on the survivor and stream whole; the
# survivor's own streams run to the end untouched.  The bridge comes back,
# is UP again and takes one of the next two streams; stopped again with a
# Riva slow to answer the end of a stream, it is marked DOWN while its
# client still waits, and the finals and the 1001 still get through.  Also: the config passes haproxy -c as shipped and
# appended to Debian's haproxy.cfg, timeout tunnel covers the bridge's
# longest recognition, only /asr is passed on, no token in HAProxy's log.
# Ports: BRIDGE_HAPROXY_TEST_PORT and the next six, else seven of this
# test's block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"

HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || {
	echo "$0: haproxy missing (./autogen.sh --deps installs it)" >&2
	exit 1
}

port_env P BRIDGE_HAPROXY_TEST_PORT 7
P1=$P		# bridge 1 (the one stopped)
P2=$((P + 1))	# bridge 2 (the survivor)
R1=$((P + 2))	# bridge 1's Riva stand-in
R2=$((P + 3))	# bridge 2's Riva stand-in
HP=$((P + 4))	# HAProxy, TLS
SP=$((P + 5))	# HAProxy's stats page
R3=$((P + 6))	# bridge 1's Riva stand-in when it comes back
CFG=$srcdir/conf/haproxy-bridge.cfg
URL=wss://127.0.0.1:$HP/asr

# ------------------------------------------------------------ the file
# seconds DURATION UNIT: a duration as HAProxy and the bridge write them,
# in seconds; a bare number is in UNIT (HAProxy: ms, the bridge: s).
seconds() {
	case $1 in
	*[0-9]) seconds "$1$2" ;;
	*ms) echo $((${1%ms} / 1000)) ;;
	*s) echo "${1%s}" ;;
	*m) echo $((${1%m} * 60)) ;;
	*h) echo $((${1%h} * 3600)) ;;
	*d) echo $((${1%d} * 86400)) ;;
	*) echo -1 ;;
	esac
}
tunnel=$(sed -n 's/^[[:space:]]*timeout tunnel \([0-9a-z]*\)$/\1/p' "$CFG")
longest=$(env BRIDGE_CONFIG= "$BRIDGE" --print-example |
    sed -n 's/^#max_session = \([0-9a-z]*\)$/\1/p')
if [ -n "$tunnel" ] && [ -n "$longest" ] &&
    [ "$(seconds "$tunnel" ms)" -ge "$(seconds "$longest" s)" ]; then
	ok "timeout tunnel ($tunnel) >= the bridge's longest recognition (max_session $longest)"
else
	not_ok "timeout tunnel ($tunnel) >= the bridge's longest recognition (max_session $longest)"
fi
check "leastconn, health checks on /healthz, retries elsewhere" "$CFG" \
    '^[[:space:]]*balance leastconn$' \
    '^[[:space:]]*http-check send meth GET uri /healthz ' \
    '^[[:space:]]*http-check expect status 200$' \
    '^[[:space:]]*option redispatch 1$'
check_not "sessions of a bridge marked DOWN are not cut" "$CFG" \
    '^[[:space:]]*[^#]*shutdown-sessions'

jwt_setup
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" \
    -out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 2>/dev/null
cat "$T/tls.crt" "$T/tls.key" >"$T/audio.pem"

# As shipped but for the addresses and the certificate.
sed -e "s#/etc/haproxy/certs/audio.pem#$T/audio.pem#" \
    -e "s/^\([[:space:]]*bind\) :443 /\1 127.0.0.1:$HP /" \
    -e "s/10\.0\.0\.11:8443/127.0.0.1:$P1/" \
    -e "s/10\.0\.0\.12:8443/127.0.0.1:$P2/" \
    -e "s/127\.0\.0\.1:8404/127.0.0.1:$SP/" "$CFG" >"$T/bridge.cfg"
# The install line: appended to Debian's own file.
if [ -f /etc/haproxy/haproxy.cfg ]; then
	cat /etc/haproxy/haproxy.cfg "$T/bridge.cfg" >"$T/debian.cfg"
	if "$HAPROXY" -c -f "$T/debian.cfg" >"$T/debian-c.out" 2>&1; then
		check_not "appended to Debian's haproxy.cfg it passes haproxy -c, no warning" \
		    "$T/debian-c.out" 'WARNING|ALERT'
	else
		not_ok "appended to Debian's haproxy.cfg it passes haproxy -c" \
		    "$T/debian-c.out"
	fi
fi
# The test's own global section: logs on stdout, no chroot, no daemon.
cat >"$T/global.cfg" <<EOF
global
	log stdout format raw local0
	pidfile $T/haproxy.pid
EOF
if ! "$HAPROXY" -c -f "$T/global.cfg" -f "$T/bridge.cfg" \
    >"$T/haproxy-c.out" 2>&1; then
	not_ok "conf/haproxy-bridge.cfg passes haproxy -c" "$T/haproxy-c.out"
	tap_done; exit 1
fi
ok "conf/haproxy-bridge.cfg passes haproxy -c"

# ------------------------------------------------------------ the stack
pcm "$T/long.pcm" 10
pcm "$T/short.pcm" 2
LSHA=$(sha256sum "$T/long.pcm" | cut -d' ' -f1)
SSHA=$(sha256sum "$T/short.pcm" | cut -d' ' -f1)

R=$R1; start_standin si1 --partial-every 3200 --final-every 16000
R=$R2; start_standin si2 --partial-every 3200 --final-every 16000
# start_br NAME PORT RIVA: a bridge with auth, connection ids in its log.
start_br() {
	start_bridge "$1" "$2" BRIDGE_AUTH=required RIVA_TARGET=127.0.0.1:$3 \
	    COGNITO_ISSUER=$ISS COGNITO_CLIENT_IDS=client1 \
	    COGNITO_JWKS_URL="file://$T/jwks.json" BRIDGE_LOG_LEVEL=debug \
	    BRIDGE_HEALTH_INTERVAL=1s
	wait_jwks "$T/$1.log"
}
start_br br1 "$P1" "$R1"; B1=$BRIDGE_PID
start_br br2 "$P2" "$R2"; B2=$BRIDGE_PID

"$HAPROXY" -db -f "$T/global.cfg" -f "$T/bridge.cfg" >"$T/haproxy.log" 2>&1 &
HA=$!
PIDS="$PIDS $HA"

# state SERVER [FIELD]: HAProxy's view of bridge1 or bridge2 from its
# stats page: field 18, status (UP, DOWN, ...), or 37, check_status.
state() {
	curl -s "http://127.0.0.1:$SP/stats;csv" | awk -F, -v s="$1" \
	    -v f="${2:-18}" '$1 == "audio_bridges" && $2 == s { print $f }'
}
# wait_state SERVER STATE SECONDS
wait_state() {
	i=0
	until state "$1" | grep -q "^$2"; do
		i=$((i + 1)); [ $i -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}
wait_state bridge1 UP 15 && wait_state bridge2 UP 15 &&
    ok "HAProxy's checks on /healthz mark both bridges UP" ||
    not_ok "HAProxy's checks on /healthz mark both bridges UP" \
    "$T/haproxy.log" "bridge1: $(state bridge1), bridge2: $(state bridge2)"

# ------------------------------------------------------------ through it
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HP/metrics")
[ "$code" = 404 ] && ok "the bridges' /metrics are not exposed" ||
    not_ok "the bridges' /metrics are not exposed (got $code)"
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HP/healthz")
[ "$code" = 404 ] && ok "the bridges' /healthz is not exposed" ||
    not_ok "the bridges' /healthz is not exposed (got $code)"

# Four streams of 10 s in real time, the token in ?token= for two of them
# and in Sec-WebSocket-Protocol for the other two, opened one at a time
# (leastconn sees each one's predecessors).  Between the first and the
# second, a short connection that is gone again: leastconn sends the
# second stream where the short one was (0 streams there), round robin
# would send it to the first one's bridge, and 3 + 1 streams in the end.
# open_stream K: stream K in the background, pid in SK, once upgraded.
open_stream() {
	if [ $(($1 % 2)) -eq 0 ]; then
		$WSCLIENT -k -T 40 -r -a "$T/long.pcm" -t "$good" $URL \
		    >"$T/s$1.out" &
	else
		$WSCLIENT -k -T 40 -r -a "$T/long.pcm" \
		    -P "audio-bridge, bearer.$good" $URL >"$T/s$1.out" &
	fi
	eval "S$1=\$!"
	i=0
	until grep -q '"type":"connection"' "$T/s$1.out"; do
		i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.05
	done
}
# haproxy_conns: connections HAProxy has open to the bridges.
haproxy_conns() {
	curl -s "http://127.0.0.1:$SP/stats;csv" |
	    awk -F, '$1 == "audio_bridges" && $2 ~ /^bridge/ { n += $5 }
	    END { print n + 0 }'
}
open_stream 1
$WSCLIENT -k -T 10 -t "$good" -s 'ping;wait=pong;close' $URL >"$T/ping.out"
check "a ping through HAProxy" "$T/ping.out" '"type":"pong"' '"script_done":true'
i=0
until [ "$(haproxy_conns)" = 1 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
for k in 2 3 4; do
	open_stream $k
done
wait_metric "$P1" audio_bridge_sessions 2 && wait_metric "$P2" audio_bridge_sessions 2 &&
    ok "leastconn: two streams on each bridge" ||
    not_ok "leastconn: two streams on each bridge" "$T/br1.log" "$T/br2.log"

# on BRIDGE K: the client whose output is $T/sK.out is on bridge BRIDGE.
on() {
	id=$(sed -n 's/.*"type":"connection","connection_id":"\([^"]*\)".*/\1/p' \
	    "$T/s$2.out" | head -1)
	[ -n "$id" ] && grep -q "conn=$id open" "$T/$1.log"
}
ON1=""; ON2=""
for k in 1 2 3 4; do
	if on br1 $k; then ON1="$ON1 $k"; elif on br2 $k; then ON2="$ON2 $k"; fi
done
# Mid-stream: every stream has had transcripts back.
for k in 1 2 3 4; do
	i=0
	until grep -q '"type":"partial"' "$T/s$k.out"; do
		i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.05
	done
done
sleep 1
stop_pid "$B1"
echo "rc=$STOP_RC" >"$T/br1.rc"
check "SIGTERM: bridge 1 drained and exited 0" "$T/br1.rc" '^rc=0$'

# words K: the words in the finals client K received.
words() {
	grep '"type":"transcription"' "$T/$1.out" | grep -o '"word":' | wc -l
}
set -- $ON1
[ $# -eq 2 ] && ok "two clients were on bridge 1" ||
    not_ok "two clients were on bridge 1 (got:$ON1)" "$T/br1.log"
for k in $ON1; do
	eval "wait \$S$k"
	check "bridge 1's client $k: finals, session_stopped, then 1001" \
	    "$T/s$k.out" '"type":"transcription"' \
	    '"type":"session_stopped","reason":"server shutting down"' \
	    '"event":"closed","by":"server","code":1001,"reason":"server shutting down"'
	words s$k >>"$T/heard-client"
done
# Every word Riva heard (one per 3200-byte frame) came back in a final,
# and the streams were cut short (the audio is 320000 bytes).
sed -n 's/.*end outcome=ok bytes=\([0-9]*\) .*/\1/p' "$T/si1.si.log" |
    awk '{ print $1 / 3200 }' >"$T/heard-riva"
sort -n "$T/heard-client" >"$T/a" && sort -n "$T/heard-riva" >"$T/b"
if [ -s "$T/a" ] && cmp -s "$T/a" "$T/b" &&
    awk '$1 < 1 || $1 >= 100 { exit 1 }' "$T/b"; then
	ok "bridge 1's clients got the finals of every word Riva heard ($(tr '\n' ' ' <"$T/a")words)"
else
	not_ok "bridge 1's clients got the finals of every word Riva heard" \
	    "clients: $(tr '\n' ' ' <"$T/a")" "Riva: $(tr '\n' ' ' <"$T/b")"
fi

# They reconnect at once, before HAProxy's checks have seen bridge 1 go
# (two failed checks 2 s apart): leastconn picks bridge 1 (no streams),
# which refuses, and the retry goes to bridge 2 (redispatch).
for k in $ON1; do
	$WSCLIENT -k -T 20 -r -a "$T/short.pcm" -t "$good" $URL >"$T/r$k.out" &
	eval "RS$k=\$!"
done
# Still UP once both are upgraded (UP, then "UP 1/2", then DOWN): both
# were routed while bridge 1 was in, and leastconn chose it (no streams).
for k in $ON1; do
	i=0
	until grep -q '"type":"connection"' "$T/r$k.out"; do
		i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.05
	done
done
routed=$(state bridge1)
for k in $ON1; do
	eval "wait \$RS$k"
	check "bridge 1's client $k reconnects and streams whole" "$T/r$k.out" \
	    '"type":"transcription"' \
	    '"type":"session_stopped","reason":"stopped by client"' \
	    '"script_done":true'
	id=$(sed -n 's/.*"type":"connection","connection_id":"\([^"]*\)".*/\1/p' \
	    "$T/r$k.out" | head -1)
	check "bridge 1's client $k reconnected to bridge 2" "$T/br2.log" \
	    "conn=$id open"
done
[ "$(count_sha "$T/si2.si.log" 64000 "$SSHA")" -eq 2 ] &&
    ok "bridge 2's Riva received both reconnected streams byte for byte" ||
    not_ok "bridge 2's Riva received both reconnected streams byte for byte" \
    "$T/si2.si.log"

# HAProxy logs retries as "+N" when the last one went to another server
# (a line per connection, written as it ends).
redispatched() {
	grep -Ec 'audio_bridges/bridge2 .* [0-9]+/[0-9]+/[0-9]+/[0-9]+/\+[1-9] ' \
	    "$T/haproxy.log"
}
case $routed in
UP*)
	i=0
	until [ "$(redispatched)" -ge 2 ]; do
		i=$((i + 1)); [ $i -gt 40 ] && break; sleep 0.05
	done
	[ "$(redispatched)" -eq 2 ] &&
	    ok "both reconnects were refused by bridge 1 and redispatched" ||
	    not_ok "both reconnects were refused by bridge 1 and redispatched" \
	    "$T/haproxy.log"
	;;
*)
	diag "bridge 1 was '$routed' already at the reconnects: no redispatch to see"
	;;
esac
# Its checks fail to connect (L4CON): the port closed at the SIGTERM.
wait_state bridge1 DOWN 15 &&
    [ "$(state bridge1 37)" = L4CON ] && [ "$(state bridge2)" = UP ] &&
    ok "HAProxy marks the stopped bridge DOWN (connection refused), the other stays UP" ||
    not_ok "HAProxy marks the stopped bridge DOWN (connection refused), the other stays UP" \
    "bridge1: $(state bridge1) $(state bridge1 37), bridge2: $(state bridge2)"

# The survivor's own streams ran to their end.
for k in $ON2; do
	eval "wait \$S$k"
	check "bridge 2's client $k streamed whole" "$T/s$k.out" \
	    '"type":"session_stopped","reason":"stopped by client"' \
	    '"script_done":true'
	check_not "bridge 2's client $k saw no error and no close" "$T/s$k.out" \
	    '"type":"error"|"event":"closed"'
done
[ "$(count_sha "$T/si2.si.log" 320000 "$LSHA")" -eq 2 ] &&
    ok "bridge 2's Riva received both of its streams byte for byte" ||
    not_ok "bridge 2's Riva received both of its streams byte for byte" \
    "$T/si2.si.log"

# ------------------------------------------------------------ back
# Bridge 1 again, now with a Riva that takes 7 s to answer the end of a
# stream (--end-delay): its next drain outlasts HAProxy's checks.
R=$R3; start_standin si3 --partial-every 3200 --final-every 16000 \
    --end-delay 7000
start_br br1b "$P1" "$R3"; B1=$BRIDGE_PID
wait_state bridge1 UP 15 &&
    ok "the restarted bridge is UP again" ||
    not_ok "the restarted bridge is UP again (got $(state bridge1))"
# Two streams one after the other: leastconn gives each bridge one.
open_stream 5
open_stream 6
if on br1b 5 && on br2 6; then K=5; J=6
elif on br1b 6 && on br2 5; then K=6; J=5
else K=; J=
fi
[ -n "$K" ] && ok "two new streams: one on the restarted bridge, one on the other" ||
    not_ok "two new streams: one on the restarted bridge, one on the other" \
    "$T/br1b.log" "$T/br2.log"
for k in 5 6; do
	i=0
	until grep -q '"type":"partial"' "$T/s$k.out"; do
		i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.05
	done
done
# SIGTERM: HAProxy marks it DOWN while its client still waits for the
# finals, and leaves that tunnel alone: the finals and the 1001 get through.
kill -TERM "$B1"
if [ -n "$K" ] && wait_state bridge1 DOWN 15; then
	eval "kill -0 \$S$K" 2>/dev/null &&
	    ! grep -q '"type":"session_stopped"' "$T/s$K.out" &&
	    ok "the draining bridge is DOWN while its client waits for its finals" ||
	    not_ok "the draining bridge is DOWN while its client waits for its finals" \
	    "$T/s$K.out"
else
	not_ok "the draining bridge is DOWN while its client waits for its finals (got $(state bridge1))"
fi
wait "$B1"
echo "rc=$?" >"$T/br1b.rc"
check "SIGTERM: the slow drain ended and bridge 1 exited 0" "$T/br1b.rc" \
    '^rc=0$'
if [ -n "$K" ]; then
	eval "wait \$S$K"
	check "its client got finals, session_stopped and 1001 through HAProxy" \
	    "$T/s$K.out" '"type":"transcription"' \
	    '"type":"session_stopped","reason":"server shutting down"' \
	    '"event":"closed","by":"server","code":1001,"reason":"server shutting down"'
	heard=$(sed -n 's/.*end outcome=ok bytes=\([0-9]*\) .*/\1/p' \
	    "$T/si3.si.log")
	[ -n "$heard" ] && [ "$(words s$K)" -eq $((heard / 3200)) ] &&
	    ok "its finals hold every word Riva heard ($(words s$K))" ||
	    not_ok "its finals hold every word Riva heard" \
	    "client: $(words s$K), Riva: $heard bytes" "$T/si3.si.log"
	eval "wait \$S$J"
	check "the other bridge's stream ran to its end" "$T/s$J.out" \
	    '"type":"session_stopped","reason":"stopped by client"' \
	    '"script_done":true'
fi
[ "$(count_sha "$T/si2.si.log" 320000 "$LSHA")" -eq 3 ] &&
    ok "bridge 2's Riva received that stream byte for byte too" ||
    not_ok "bridge 2's Riva received that stream byte for byte too" \
    "$T/si2.si.log"

# ------------------------------------------------------------ the log
kill "$HA" 2>/dev/null; wait "$HA" 2>/dev/null
check "HAProxy logged the upgrades (101) with the path" "$T/haproxy.log" \
    'audio_bridges/bridge2 .* 101 .*"GET" "/asr"$'
grep -F -q "$good" "$T/haproxy.log" &&
    not_ok "no token in HAProxy's log" "$T/haproxy.log" ||
    ok "no token in HAProxy's log"
diag "HAProxy: $(grep -c ' 101 ' "$T/haproxy.log") upgrades logged"
tap_done
