#!/bin/sh
# bridge-ws.sh: audio-bridge integration tests that need no Riva: the
# WebSocket protocol (both dialects), bad frames and JSON, audio before
# start, Riva down at start, the limits (frame size, text size, idle
# timeout, max connections), Origin and JWT checks on the upgrade,
# /healthz and /metrics, and graceful shutdown of idle connections.
# Ports: BRIDGE_TEST_PORT, BRIDGE_TEST_DOWN_PORT and BRIDGE_TEST_BH_PORT (a
# key server that never answers), else ones of this test's block in
# tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"

port_env P BRIDGE_TEST_PORT 1
port_env DOWN BRIDGE_TEST_DOWN_PORT 1	# nothing listens: "Riva is down"
URL=ws://127.0.0.1:$P/
pcm "$T/a.pcm" 1

# ---------------------------------------------------------------- open
start_bridge open "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$DOWN \
    BRIDGE_IDLE_TIMEOUT=2s BRIDGE_MAX_CONNECTIONS=3

curl -s -o "$T/h.json" -w '%{http_code}\n' "http://127.0.0.1:$P/healthz" \
    >"$T/h.code"
check "healthz is 503 while Riva is down" "$T/h.code" '^503$'
check "healthz names Riva's state" "$T/h.json" '"riva":"(UNKNOWN|NOT_SERVING)"'

$WSCLIENT -T 10 -s 'ping;wait=pong;metrics;wait=metrics;close' $URL \
    >"$T/ping.out"
check "greeting, ping, get_metrics" "$T/ping.out" \
    '^\{"type":"connection","connection_id":"c[0-9a-f]+-[0-9a-f]{8}","server_config":\{"sample_rate":16000,"channels":1,"frame_ms":100,"riva_target":"127.0.0.1:[0-9]+"\},"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z"\}$' \
    '^\{"type":"pong","timestamp":' \
    '"type":"metrics","metrics":\{"connections_active":1,' \
    '"script_done":true'

$WSCLIENT -T 10 -s 'send=not json;send={"type":"dance"};send={"type":"start_transcription","sample_rate":"fast","x":1};send=[1];send={"type":"ping","timestamp":{}};send={"type":"ping","x":1};wait=pong;close' \
    $URL >"$T/bad.out"
check "bad JSON and bad fields get clear errors, connection survives" \
    "$T/bad.out" \
    '"type":"error","error":"malformed JSON[^"]*","code":"malformed_json"' \
    "\"error\":\"unknown message type 'dance'\",\"code\":\"invalid_field\"" \
    "\"error\":\"field 'sample_rate' must be an integer\",\"code\":\"invalid_field\"" \
    '"error":"message must be a JSON object","code":"malformed_json"' \
    "\"error\":\"field 'timestamp' must be a string or a number\"" \
    '"type":"pong"' '"script_done":true'
# Dialect 1 ignores unknown fields, as the Python bridge did: the ping
# with "x" is answered, not refused; five errors for the five bad ones.
[ "$(grep -c '"type":"error"' "$T/bad.out")" -eq 5 ] &&
    ok "unknown fields in dialect 1 are ignored" ||
    not_ok "unknown fields in dialect 1 are ignored" "$T/bad.out"

$WSCLIENT -T 10 -s 'bin=3200;bin=3200;stop;ping;wait=pong;close' $URL \
    >"$T/early.out"
check "audio before start is refused with an error, each frame" \
    "$T/early.out" \
    '"error":"audio refused: no recognition is running; send a start message first","code":"conflict"' \
    "\"error\":\"no recognition is running\",\"code\":\"conflict\""
[ "$(grep -c 'audio refused' "$T/early.out")" -eq 2 ] &&
    ok "one error per refused audio frame" ||
    not_ok "one error per refused audio frame" "$T/early.out"

$WSCLIENT -T 10 -a "$T/a.pcm" -s 'start;wait=session_stopped;ping;wait=pong;close' \
    $URL >"$T/down.out"
check "Riva down at start: error unavailable, session_stopped, connection lives" \
    "$T/down.out" '"type":"session_started"' \
    '"type":"error","error":"speech recognition failed: [^"]*","code":"unavailable"' \
    '"type":"session_stopped","reason":"error"' '"type":"pong"' \
    '"script_done":true'

$WSCLIENT -T 10 -d 2 -s 'start;wait=end;ping;wait=error;close' $URL >"$T/d2.out"
check "dialect 2: Riva down gives error and end; dialect 1 ping refused" \
    "$T/d2.out" '^\{"type":"error","reason":"speech recognition failed: [^"]*","code":"unavailable"\}$' \
    '^\{"type":"end","reason":"error"\}$' \
    "\"reason\":\"message type 'ping' belongs to the other protocol dialect\",\"code\":\"conflict\""

$WSCLIENT -T 10 -d 2 -s 'send={"type":"start","encoding":"OPUS"};wait=error;close' $URL \
    >"$T/d2bad.out"
check "dialect 2: unsupported encoding named" "$T/d2bad.out" \
    "\"reason\":\"field 'encoding' must be \\\\\"LINEAR16\\\\\"\",\"code\":\"invalid_field\""

$WSCLIENT -T 10 -s 'bin=70000;sleep=1000;close' $URL >"$T/big.out"
check "frame over max_frame_bytes closes with 1009" "$T/big.out" \
    '"event":"closed","by":"server","code":1009,"reason":"message larger than 65536 bytes"'

long=$(head -c 9000 /dev/zero | tr '\0' 'a')
$WSCLIENT -T 10 -s "send={\"type\":\"ping\",\"pad\":\"$long\"};ping;wait=pong;close" \
    $URL >"$T/longtext.out"
check "text message over 8 KiB refused, connection survives" \
    "$T/longtext.out" '"error":"text message larger than 8192 bytes","code":"too_large"' \
    '"type":"pong"'

$WSCLIENT -T 10 -s 'sleep=3500;close' $URL >"$T/idle.out"
check "idle connection closed with 4000" "$T/idle.out" \
    '"code":4000,"reason":"idle timeout: nothing received for 2000 ms"'

# max_connections = 3: three hold, the fourth gets 503
$WSCLIENT -T 10 -n 3 -s 'sleep=1500;close' $URL >"$T/hold.out" &
HOLD=$!
wait_metric "$P" audio_bridge_connections 3
$WSCLIENT -T 5 -s 'close' $URL >"$T/full.out"
wait $HOLD
check "connection over max_connections refused with 503" "$T/full.out" \
    '"event":"connect_error","status":503'
check "the three within the limit ran" "$T/hold.out" '"completed":3'

curl -s "http://127.0.0.1:$P/metrics" >"$T/metrics.txt"
check "metrics count connections and errors by kind" "$T/metrics.txt" \
    '^audio_bridge_connections 0$' \
    '^audio_bridge_connections_total [1-9][0-9]*$' \
    '^audio_bridge_errors_total\{kind="bad_json"\} [1-9]' \
    '^audio_bridge_errors_total\{kind="audio_without_session"\} 2$' \
    '^audio_bridge_errors_total\{kind="frame_too_big"\} 1$' \
    '^audio_bridge_errors_total\{kind="idle_timeout"\} 1$' \
    '^audio_bridge_errors_total\{kind="max_connections"\} 1$' \
    '^audio_bridge_errors_total\{kind="riva_unavailable"\} [1-9]' \
    '^audio_bridge_riva_rtt_seconds_bucket\{le="\+Inf"\} [0-9]+$'
curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$P/nope" >"$T/404"
check "unknown path is a JSON 404" "$T/404" '^404$'

# graceful shutdown with idle clients: 1001, exit 0, no new connections
$WSCLIENT -T 10 -n 2 -s 'sleep=5000;close' $URL >"$T/drain.out" &
HOLD=$!
wait_metric "$P" audio_bridge_connections 2
stop_pid "$BRIDGE_PID"
wait $HOLD
echo "rc=$STOP_RC" >"$T/drain.rc"
check "SIGTERM: idle clients closed with 1001, exit status 0" "$T/drain.out" \
    '"code":1001,"reason":"server shutting down"'
check "SIGTERM: bridge exited 0" "$T/drain.rc" '^rc=0$'
$WSCLIENT -T 3 -s close $URL >"$T/after.out"
check "after shutdown nothing accepts" "$T/after.out" '"event":"connect_error"'

# ---------------------------------------------------------------- origin
start_bridge origin "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$DOWN \
    BRIDGE_ALLOWED_ORIGINS="https://app.example, https://other.example"
$WSCLIENT -T 5 -s close $URL >"$T/o1.out"
$WSCLIENT -T 5 -o https://evil.example -s close $URL >"$T/o2.out"
$WSCLIENT -T 5 -o https://other.example -s close $URL >"$T/o3.out"
check "no Origin refused (403) when a list is set" "$T/o1.out" '"status":403'
check "wrong Origin refused (403)" "$T/o2.out" '"status":403'
check "listed Origin accepted" "$T/o3.out" '"event":"connected"' '"script_done":true'
stop_pid "$BRIDGE_PID"

# ---------------------------------------------------------------- auth
jwt_setup
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k2.pem" 2>/dev/null
expired=$($JWTMINT token "$T/k1.pem" kid1 $ISS client1 \
    11111111-2222-3333-4444-555555555555 --iat $(($(date +%s) - 7200)) \
    --ttl 60)
forged=$($JWTMINT token "$T/k2.pem" kid1 $ISS client1 \
    11111111-2222-3333-4444-555555555555)
otheraud=$($JWTMINT token "$T/k1.pem" kid1 $ISS client2 \
    11111111-2222-3333-4444-555555555555)
start_bridge auth "$P" BRIDGE_AUTH=required RIVA_TARGET=127.0.0.1:$DOWN \
    COGNITO_ISSUER=$ISS COGNITO_CLIENT_IDS=client1 \
    COGNITO_JWKS_URL="file://$T/jwks.json"
wait_jwks "$T/auth.log"
$WSCLIENT -T 5 -s close $URL >"$T/a0.out"
$WSCLIENT -T 5 -t "$good" -s 'ping;wait=pong;close' $URL >"$T/a1.out"
$WSCLIENT -T 5 -t "$expired" -s close $URL >"$T/a2.out"
$WSCLIENT -T 5 -t "$forged" -s close $URL >"$T/a3.out"
$WSCLIENT -T 5 -t "$otheraud" -s close $URL >"$T/a4.out"
$WSCLIENT -T 5 -t "not.a.jwt" -s close $URL >"$T/a5.out"
check "auth required: missing token is 401" "$T/a0.out" '"status":401'
check "auth required: valid token in ?token= connects" "$T/a1.out" \
    '"type":"pong"' '"script_done":true'
check "auth required: expired token is 401" "$T/a2.out" '"status":401'
check "auth required: token signed by another key is 401" "$T/a3.out" \
    '"status":401'
check "auth required: token for another client is 401" "$T/a4.out" \
    '"status":401'
check "auth required: garbage token is 401" "$T/a5.out" '"status":401'
# A token in Sec-WebSocket-Protocol ("bearer.<jwt>" or a bare JWT) is
# checked like one in ?token=; the 101 answer names a protocol the client
# offered (the token itself when it was the only one).
$WSCLIENT -T 5 -P "audio-bridge, bearer.$forged" -s close $URL >"$T/a7.out"
check "auth required: forged token in Sec-WebSocket-Protocol is 401" \
    "$T/a7.out" '"status":401'
$WSCLIENT -T 5 -P "audio-bridge, bearer.$good" -s 'ping;wait=pong;close' \
    $URL >"$T/a8.out"
check "auth required: valid token in Sec-WebSocket-Protocol connects" \
    "$T/a8.out" '"type":"pong"' '"script_done":true'
$WSCLIENT -T 5 -P "$good" -s 'ping;wait=pong;close' $URL >"$T/a9.out"
check "auth required: a bare JWT as the only protocol connects" \
    "$T/a9.out" '"type":"pong"' '"script_done":true'
upgrade() {	# upgrade FILE PROTOCOLS: the raw 101/4xx answer's head
	curl -s -i -m 5 "http://127.0.0.1:$P/" -H 'Connection: Upgrade' \
	    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
	    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
	    -H "Sec-WebSocket-Protocol: $2" >"$1" 2>&1
	tr -d '\r' <"$1" >"$1.h" && mv "$1.h" "$1"
}
# The token in both places: front.c leaves the header alone (the URL
# wins), so the list stays too long for libwebsockets: a 400 says so.
curl -s -i -m 5 "http://127.0.0.1:$P/?token=$good" -H 'Connection: Upgrade' \
    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    -H "Sec-WebSocket-Protocol: audio-bridge, bearer.$good" >"$T/both.out" 2>&1
check "a token in both ?token= and Sec-WebSocket-Protocol gets 400 saying why" \
    "$T/both.out" '^HTTP/1\.[01] 400' 'not in both'
upgrade "$T/a10.out" "bearer.$good"
check "the 101 answer names the token when it was the only protocol" \
    "$T/a10.out" '^HTTP/1.1 101' "^[Ss]ec-[Ww]eb[Ss]ocket-[Pp]rotocol: bearer\.$good\$"
upgrade "$T/a11.out" "bearer.$good, audio-bridge"
check "the 101 answer names audio-bridge when it was offered too" \
    "$T/a11.out" '^HTTP/1.1 101' '^[Ss]ec-[Ww]eb[Ss]ocket-[Pp]rotocol: audio-bridge$'
check_not "no token echoed when audio-bridge was offered" "$T/a11.out" \
    'bearer\.'
upgrade "$T/a12.out" "audio-bridge, bearer.eyJhbGc&admin=1"
check "a token with bytes outside the JWT alphabet is 400 JSON" \
    "$T/a12.out" '^HTTP/1.1 400' '"code":"invalid_argument"'
big=$(head -c 20000 /dev/zero | tr '\0' a)
curl -s -m 5 -o "$T/a13.body" -w '%{http_code}\n' "http://127.0.0.1:$P/healthz" \
    -H "X-Padding: $big" >"$T/a13.code" 2>&1
check "a request head over the limit is 431" "$T/a13.code" '^431$'
curl -s "http://127.0.0.1:$P/?token=x" -H 'Connection: Upgrade' \
    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -o "$T/a6.body" \
    -w '%{http_code}\n' >"$T/a6.code"
check "401 answer is JSON naming the problem" "$T/a6.body" \
    '"code":"unauthorized"'
grep -F -q "$good" "$T/auth.log" && not_ok "token never logged" "$T/auth.log" ||
    ok "token never logged"
stop_pid "$BRIDGE_PID"

# A key server that accepts and never answers stalls neither start-up nor
# the service loop (the fetch would time out only after 5 s): the bridge
# answers at once, tokens get 503 until keys are in.
port_env BH BRIDGE_TEST_BH_PORT 1
"$STANDIN" --port "$BH" --blackhole --log "$T/bh.log" >"$T/bh.out" 2>&1 &
PIDS="$PIDS $!"
i=0
until grep -q '^listening' "$T/bh.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 600 ] && break; sleep 0.05
done
t0=$(date +%s%N)
start_bridge hang "$P" BRIDGE_AUTH=required RIVA_TARGET=127.0.0.1:$DOWN \
    COGNITO_ISSUER=$ISS COGNITO_CLIENT_IDS=client1 \
    COGNITO_JWKS_URL="http://127.0.0.1:$BH/jwks.json"
$WSCLIENT -T 5 -t "$good" -s close $URL >"$T/hang.out"
curl -s -m 5 -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$P/healthz" \
    >>"$T/hang.out"
echo "ms=$(( ($(date +%s%N) - t0) / 1000000 ))" >>"$T/hang.out"
check "key server hanging: a token gets 503 (keys unavailable)" \
    "$T/hang.out" '"status":503'
awk -F= '/^ms=/ { exit !($2 < 3000) }' "$T/hang.out" &&
    ok "key server hanging: start-up, the upgrade and /healthz took under 3 s" ||
    not_ok "key server hanging: start-up, the upgrade and /healthz took under 3 s" \
    "$T/hang.out"
stop_pid "$BRIDGE_PID"

# ------------------------------------------------------------------ wss
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" \
    -out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 2>/dev/null
BRIDGE_PID=
env BRIDGE_CONFIG= BRIDGE_PORT="$P" BRIDGE_LISTEN=127.0.0.1 BRIDGE_AUTH=off \
    RIVA_TARGET=127.0.0.1:$DOWN BRIDGE_TLS_CERT="$T/tls.crt" \
    BRIDGE_TLS_KEY="$T/tls.key" "$BRIDGE" >"$T/tls.log" 2>&1 &
BRIDGE_PID=$!
PIDS="$PIDS $BRIDGE_PID"
wait_started "bridge tls" "$BRIDGE_PID" 600 "$T/tls.log" \
    curl -sk -o /dev/null "https://127.0.0.1:$P/healthz"
$WSCLIENT -k -T 5 -s 'ping;wait=pong;close' wss://127.0.0.1:$P/ >"$T/wss.out"
check "wss:// with the configured certificate" "$T/wss.out" '"type":"pong"' \
    '"script_done":true'
# libwebsockets drops a protocol list over 126 bytes without a word, and
# with our own TLS nothing moves a token out of it: the bridge says why.
long=$(head -c 150 /dev/zero | tr '\0' x)
curl -sk --http1.1 -i -m 5 "https://127.0.0.1:$P/" -H 'Connection: Upgrade' \
    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    -H "Sec-WebSocket-Protocol: audio-bridge, $long" >"$T/wss-long.out" 2>&1
check "wss: a protocol list over 126 bytes gets 400 saying why" \
    "$T/wss-long.out" '^HTTP/1\.[01] 400' 'own TLS a token goes in \?token='
p126="audio-bridge, $(head -c 112 /dev/zero | tr '\0' x)"
$WSCLIENT -k -T 5 -P "$p126" -s 'ping;wait=pong;close' \
    wss://127.0.0.1:$P/ >"$T/wss-126.out"
check "wss: a protocol list of 126 bytes still connects" "$T/wss-126.out" \
    '"type":"pong"' '"script_done":true'
# Plain ws:// on the TLS port never upgrades.  How the client hears of it
# (a read error, a reset, its own timeout) is the kernel's business, so the
# test asserts the refusal itself: no upgrade, no HTTP answer.
if $WSCLIENT -T 5 -s close $URL >"$T/wss-plain.out" 2>&1; then
	not_ok "plain ws:// refused on the TLS port" "$T/wss-plain.out"
else
	check_not "plain ws:// refused on the TLS port" "$T/wss-plain.out" \
	    '"event":"connected"'
fi
curl -s -m 10 -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$P/healthz" \
    >"$T/wss-plain.code" 2>&1
check "plain HTTP on the TLS port gets no HTTP answer" "$T/wss-plain.code" \
    '^000$'
curl -sk "https://127.0.0.1:$P/metrics" >"$T/wss-metrics.txt"
# two: the pong above and the 126-byte list
check "/metrics over https" "$T/wss-metrics.txt" '^audio_bridge_connections_total 2$'
stop_pid "$BRIDGE_PID"

# ------------------------------------------------------------ check mode
"$BRIDGE" -n >"$T/n.out" 2>&1 && not_ok "check mode refuses auth without issuer" ||
    check "check mode refuses auth without issuer" "$T/n.out" 'cognito_issuer'
printf 'port = 99999\n' >"$T/bad.conf"
"$BRIDGE" -n -f "$T/bad.conf" >"$T/n2.out" 2>&1 &&
    not_ok "check mode names file:line" ||
    check "check mode names file:line" "$T/n2.out" 'bad.conf:1'
printf 'auth = off\nport = %s\n' "$P" >"$T/good.conf"
"$BRIDGE" --check-config -f "$T/good.conf" >"$T/n3.out" 2>&1 &&
    check "check mode accepts a good file" "$T/n3.out" 'config ok' ||
    not_ok "check mode accepts a good file" "$T/n3.out"

# bridge_conf_validate(): what used to pass -n and then fail at start-up
# (lws loading the certificate, riva_new) or on every token (a missing
# JWKS file).  One line each, naming file: key.
# refused NAME KEY CONFIG-LINES: -n on a file of those lines
refused() {
	printf '%b' "$3" >"$T/v.conf"
	if env BRIDGE_CONFIG= "$BRIDGE" -n -f "$T/v.conf" >"$T/v.out" 2>&1; then
		not_ok "check mode refuses $1" "$T/v.out"
	elif [ "$(wc -l <"$T/v.out")" != 1 ]; then
		not_ok "check mode refuses $1 in one line" "$T/v.out"
	else
		check "check mode refuses $1, naming file: key" "$T/v.out" \
		    "^audio-bridge: $T/v.conf: $2: "
	fi
}
refused "a TLS key of another certificate" tls_key_file \
    "auth = off\ntls_cert_file = $T/tls.crt\ntls_key_file = $T/k2.pem\n"
refused "a TLS certificate that is not PEM" tls_cert_file \
    "auth = off\ntls_cert_file = $T/jwks.json\ntls_key_file = $T/tls.key\n"
refused "a missing TLS key" tls_key_file \
    "auth = off\ntls_cert_file = $T/tls.crt\ntls_key_file = $T/none.key\n"
refused "a Riva CA file without riva_tls" riva_ca_file \
    "auth = off\nriva_ca_file = $T/tls.crt\n"
refused "a Riva CA file with no certificate" riva_ca_file \
    "auth = off\nriva_tls = yes\nriva_ca_file = $T/jwks.json\n"
refused "a Riva client key of another certificate" riva_key_file \
    "auth = off\nriva_tls = yes\nriva_cert_file = $T/tls.crt\nriva_key_file = $T/k1.pem\n"
refused "a file:// JWKS that is missing" cognito_jwks_url \
    "cognito_issuer = $ISS\ncognito_client_ids = client1\ncognito_jwks_url = file://$T/none.json\n"
refused "a token_use the verifier refuses" cognito_token_use \
    "cognito_issuer = $ISS\ncognito_client_ids = client1\ncognito_jwks_url = file://$T/jwks.json\ncognito_token_use = refresh\n"
refused "an audio frame over max_frame_bytes" max_frame_bytes \
    "auth = off\nsample_rate = 48000\nframe_ms = 1000\n"
printf 'auth = off\ntls_cert_file = %s\ntls_key_file = %s\nriva_tls = yes\nriva_ca_file = %s\ncognito_jwks_url = file://%s\n' \
    "$T/tls.crt" "$T/tls.key" "$T/tls.crt" "$T/jwks.json" >"$T/good2.conf"
"$BRIDGE" --config "$T/good2.conf" --check-config >"$T/n4.out" 2>&1 &&
    check "check mode accepts loading TLS files (long options)" "$T/n4.out" \
    'good2.conf: config ok' ||
    not_ok "check mode accepts loading TLS files (long options)" "$T/n4.out"
"$BRIDGE" --bogus >"$T/n5.out" 2>&1 && not_ok "an unknown option is refused" ||
    check "an unknown option is refused with the usage" "$T/n5.out" \
    '-f\|--config file' '-n\|--check-config' '--print-example'
"$BRIDGE" -n stray >"$T/n6.out" 2>&1 && not_ok "a stray argument is refused" ||
    check "a stray argument is refused with the usage" "$T/n6.out" '^usage: '

tap_done
