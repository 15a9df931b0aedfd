#!/bin/sh
# bridge-compat.sh: the Python bridge's clients against audio-bridge
# (dialect 1), through the Riva stand-in speaking real gRPC.
#   - The original recorder page's WebSocket conversation, as its client
#     sends it (connection -> start_transcription -> audio -> display and
#     transcription -> ping with a timestamp -> stop twice, audio after
#     the stop -> session_stopped with connection_id), every message's
#     content checked, on a bridge with `messages = display`.
#   - The messages option: the config default, ?messages=, and
#     start_transcription "messages" (which wins); bad values named.
#   - get_metrics with the original's sections; display's forced flush
#     and the 12 s segment cut (shortened by the config).
#   - A Riva without the grpc.health.v1 service (answers UNIMPLEMENTED):
#     /healthz says no_health_service and 200 once the model list call
#     or a stream works.
# Ports: BRIDGE_COMPAT_TEST_PORT and the next one, else two of this test's
# block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"

port_env P BRIDGE_COMPAT_TEST_PORT 2; R=$((P + 1))
URL=ws://127.0.0.1:$P/

healthz() {	# healthz FILE: the body to FILE, the status on stdout
	curl -s -o "$1" -w '%{http_code}' "http://127.0.0.1:$P/healthz"
}

# wait_status CODE FILE: until /healthz answers CODE (10 s).
wait_status() {
	i=0
	while [ "$(healthz "$2")" != "$1" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}

# One utterance, then the start of another that ends on the stop; the
# last partial comes late enough (1.8 s) that no flush (1.4 s) happens
# before the stop's final.
cat >"$T/script.txt" <<'EOF'
3200 partial 0.1 the
6400 partial 0.5 the quick
9600 partial 0.9 the quick brown
16000 final 0.93 the quick brown fox
57600 partial 0.2 jumps
end final 0.9 jumps over the lazy dog
EOF
pcm "$T/a.pcm" 2

# ---------------------------------------- a Riva without health service
start_standin si1 --script "$T/script.txt" --health UNIMPLEMENTED
start_bridge br1 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R \
    BRIDGE_HEALTH_INTERVAL=1s BRIDGE_MESSAGES=display
# No model list (this stand-in lacks the call) and no stream yet: the
# channel answers, but nothing shows that recognition works.
i=0
until grep -q 'status=UNIMPLEMENTED' "$T/si1.si.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
sleep 0.3
code=$(healthz "$T/h0.json")
[ "$code" = 503 ] && ok "no health service, nothing proven yet: 503" ||
    not_ok "no health service, nothing proven yet: 503 (got $code)" "$T/h0.json"
check "healthz names the missing health service" "$T/h0.json" \
    '"status":"riva_unavailable","riva":"no_health_service"'

# The original page's conversation (its client's own messages).
START='{"type":"start_transcription","enable_partials":true,"hotwords":[]}'
PING='{"type":"ping","timestamp":"2026-12-04T11:00:00.000Z"}'
$WSCLIENT -T 20 -r -a "$T/a.pcm" \
    -s "start=$START;audio;send=$PING;wait=pong;metrics;wait=metrics;stop;bin=3200;bin=3200;stop;wait=session_stopped;close" \
    $URL >"$T/page.out"
TS='"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z"'
check "original page: connection, session_started" "$T/page.out" \
    '^\{"type":"connection","connection_id":"c[0-9a-f]+-[0-9a-f]{8}","server_config":\{"sample_rate":16000,"channels":1,"frame_ms":100,' \
    '^\{"type":"session_started","connection_id":"c[0-9a-f]+-[0-9a-f]{8}","enable_partials":true,'
# Every display, in order, with what the accumulator must show.  (A
# machine too loaded to send the stop within 1.4 s of the last partial
# would see a flush of it first: tested on its own below.)
grep '"type":"display"' "$T/page.out" | grep -v '"reason":"flush"' |
    sed -E 's/,"timestamp":"[^"]+"//' >"$T/page.display"
cat >"$T/want.display" <<'EOF'
{"type":"display","stable_text":"","partial_suffix":"the","is_final":false,"segment_id":0,"metadata":{"pending_tokens":1,"dropped_bytes":0,"reason":"partial"}}
{"type":"display","stable_text":"the","partial_suffix":"quick","is_final":false,"segment_id":0,"metadata":{"pending_tokens":1,"dropped_bytes":0,"reason":"partial"}}
{"type":"display","stable_text":"the quick","partial_suffix":"brown","is_final":false,"segment_id":0,"metadata":{"pending_tokens":1,"dropped_bytes":0,"reason":"partial"}}
{"type":"display","stable_text":"the quick brown fox","partial_suffix":"","is_final":true,"segment_id":0,"metadata":{"pending_tokens":0,"dropped_bytes":0,"reason":"final"}}
{"type":"display","stable_text":"the quick brown fox","partial_suffix":"jumps","is_final":false,"segment_id":1,"metadata":{"pending_tokens":1,"dropped_bytes":0,"reason":"partial"}}
{"type":"display","stable_text":"the quick brown fox jumps over the lazy dog","partial_suffix":"","is_final":true,"segment_id":1,"metadata":{"pending_tokens":0,"dropped_bytes":0,"reason":"final"}}
EOF
if cmp -s "$T/page.display" "$T/want.display"; then
	ok "original page: display messages, stable text and suffix as accumulated"
else
	not_ok "original page: display messages, stable text and suffix as accumulated" \
	    "$T/page.display"
fi
check "original page: every display is stamped" "$T/page.out" \
    "^\\{\"type\":\"display\",.*\\},$TS\\}\$"
check_not "messages = display: no partial or transcription" "$T/page.out" \
    '"type":"(partial|transcription)"'
check "original page: pong echoes the ping's timestamp" "$T/page.out" \
    '^\{"type":"pong","timestamp":"2026-12-04T11:00:00.000Z","server_timestamp":"[0-9T:.-]+Z"\}$'
check "original page: get_metrics has the original's sections" "$T/page.out" \
    '"type":"metrics","metrics":\{"connections_active":1,' \
    '"bridge":\{"total_connections":1,"active_connections":1,"active_transcription_sessions":1,"total_audio_chunks_processed":20,"total_transcriptions":5\}' \
    '"riva":\{"target":"127.0.0.1:[0-9]+","health":"no_health_service","connected":true,' \
    '"connection":\{"id":"c[0-9a-f]+-[0-9a-f]{8}","created_at":"[0-9T:.-]+Z","session_active":true,"total_audio_chunks":20,"audio_seconds":2\.000,"total_transcriptions":5\}'
CID=$(sed -n 's/^{"type":"connection","connection_id":"\([^"]*\)".*/\1/p' "$T/page.out")
check "original page: session_stopped carries the connection id" \
    "$T/page.out" \
    "^\\{\"type\":\"session_stopped\",\"reason\":\"stopped by client\",\"connection_id\":\"$CID\",$TS\\}\$" \
    '"script_done":true'
check_not "original page: the second stop and the audio after the stop are quiet" \
    "$T/page.out" '"type":"error"'
[ "$(count_sha "$T/si1.si.log" 64000 \
    "$(sha256sum "$T/a.pcm" | cut -d' ' -f1)")" -eq 1 ] &&
    ok "Riva got the page's audio byte for byte, nothing after the stop" ||
    not_ok "Riva got the page's audio byte for byte, nothing after the stop" \
    "$T/si1.si.log"

# A stream worked: the Riva without health service now counts as up.
wait_status 200 "$T/h1.json"
check "no health service, a stream worked: 200" "$T/h1.json" \
    '"status":"ok","riva":"no_health_service"'
stop_pid "$BRIDGE_PID"
stop_pid "$SI_PID"

# A Riva that answers GetRivaSpeechRecognitionConfig is up at once.
start_standin si2 --script "$T/script.txt" --health UNIMPLEMENTED \
    --models conformer-en-US=en-US
start_bridge br2 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R \
    BRIDGE_HEALTH_INTERVAL=1s
wait_status 200 "$T/h2.json"
check "no health service, the model list answered: 200 before any stream" \
    "$T/h2.json" '"status":"ok","riva":"no_health_service"' \
    '"models":\[\{"name":"conformer-en-US","language":"en-US"\}\]'
check_not "and no stream was needed for it" "$T/si2.si.log" 'stream=[0-9]+ start'

# ------------------------------------------------------ the messages option
# The shipped default: partial and transcription, as before.
$WSCLIENT -T 20 -a "$T/a.pcm" $URL >"$T/def.out"
check "default messages: partial and transcription" "$T/def.out" \
    '"type":"partial"' '"type":"transcription","segment_id":1,"text":"jumps over the lazy dog"'
check_not "default messages: no display" "$T/def.out" '"type":"display"'
# ?messages= for a page that cannot change its start message.
$WSCLIENT -T 20 -a "$T/a.pcm" "${URL}?messages=display" >"$T/url.out"
check "?messages=display: display only" "$T/url.out" \
    '"type":"display","stable_text":"the quick brown fox jumps over the lazy dog","partial_suffix":"","is_final":true,"segment_id":1,'
check_not "?messages=display: no partial or transcription" "$T/url.out" \
    '"type":"(partial|transcription)"'
# start_transcription "messages" wins over the URL.
$WSCLIENT -T 20 -a "$T/a.pcm" \
    -s 'start={"type":"start_transcription","messages":["transcription","display"]};audio;stop;wait=session_stopped;close' \
    "${URL}?messages=partial" >"$T/both.out"
check "start's messages win: display and transcription" "$T/both.out" \
    '"type":"display".*"is_final":true' '"type":"transcription","segment_id":0,"text":"the quick brown fox"'
check_not "start's messages win: no partial" "$T/both.out" '"type":"partial"'
# Bad values, the field named.
curl -s -m 5 -o "$T/badurl.body" -w '%{http_code}\n' \
    "http://127.0.0.1:$P/?messages=subtitles" -H 'Connection: Upgrade' \
    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' >"$T/badurl.code"
check "bad ?messages= is a 400" "$T/badurl.code" '^400$'
check "bad ?messages= names the field and the value" "$T/badurl.body" \
    "\"error\":\"field 'messages' must list partial, transcription and/or display, comma-separated \\(got \\\\\"subtitles\\\\\"\\)\",\"code\":\"invalid_field\""
$WSCLIENT -T 10 \
    -s 'send={"type":"start_transcription","messages":["display","subtitles"]};wait=error;close' \
    $URL >"$T/badstart.out"
check "bad messages in start_transcription is refused, named" \
    "$T/badstart.out" "\"error\":\"field 'messages\\[1\\]' must be \\\\\"partial\\\\\", \\\\\"transcription\\\\\" or \\\\\"display\\\\\"\",\"code\":\"invalid_field\""
env BRIDGE_CONFIG= BRIDGE_AUTH=off BRIDGE_MESSAGES=banner "$BRIDGE" -n \
    >"$T/badconf.out" 2>&1 &&
    not_ok "bad messages in the config is refused" "$T/badconf.out" ||
    check "bad messages in the config is refused" "$T/badconf.out" \
    "field 'messages' must list"
stop_pid "$BRIDGE_PID"
stop_pid "$SI_PID"

# ------------------------------------------- display: forced flush and cut
# A partial that stops changing becomes stable after display_flush; a
# segment without a final is cut after display_segment (1 s here).
cat >"$T/long.txt" <<'EOF'
3200 partial 0.1 one
6400 partial 0.1 one two
9600 partial 0.1 one two three
end final 0.9 one two three four
EOF
start_standin si3 --script "$T/long.txt" --health SERVING
start_bridge br3 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R \
    BRIDGE_MESSAGES=display
head -c 9600 "$T/a.pcm" >"$T/short.pcm"
$WSCLIENT -T 20 -r -a "$T/short.pcm" \
    -s 'start;audio;sleep=1800;stop;wait=session_stopped;close' \
    $URL >"$T/flush.out"
check "a partial unchanged for 1400 ms is flushed into stable_text" \
    "$T/flush.out" \
    '"type":"display","stable_text":"one two three","partial_suffix":"","is_final":false,"segment_id":0,"metadata":\{"pending_tokens":0,"dropped_bytes":0,"reason":"flush"\}' \
    '"type":"display","stable_text":"one two three four","partial_suffix":"","is_final":true,"segment_id":0,'
stop_pid "$BRIDGE_PID"
# display_segment from a config file, as a deployment sets it.
cat >"$T/cut.conf" <<EOF
auth = off
port = $P
listen_address = 127.0.0.1
riva_target = 127.0.0.1:$R
messages = display
display_segment = 1s
EOF
env BRIDGE_CONFIG= "$BRIDGE" -f "$T/cut.conf" >"$T/br5.log" 2>&1 &
BRIDGE_PID=$!
PIDS="$PIDS $BRIDGE_PID"
wait_started "bridge br5" "$BRIDGE_PID" 200 "$T/br5.log" \
    curl -s -o /dev/null "http://127.0.0.1:$P/healthz"
$WSCLIENT -T 20 -r -a "$T/short.pcm" \
    -s 'start;audio;sleep=1200;stop;wait=session_stopped;close' \
    $URL >"$T/cut.out"
check "a segment older than display_segment is cut, then Riva's final adds only the new word" \
    "$T/cut.out" \
    '"type":"display","stable_text":"one two three","partial_suffix":"","is_final":true,"segment_id":0,"metadata":\{"pending_tokens":0,"dropped_bytes":0,"reason":"cut"\}' \
    '"type":"display","stable_text":"one two three four","partial_suffix":"","is_final":true,"segment_id":1,"metadata":\{"pending_tokens":0,"dropped_bytes":0,"reason":"final"\}'

# The new keys are in the shipped example, which is the table's output.
"$BRIDGE" --print-example >"$T/example"
if cmp -s "$T/example" "$srcdir/conf/audio-bridge.conf.example"; then
	ok "conf/audio-bridge.conf.example matches audio-bridge --print-example"
else
	diff "$srcdir/conf/audio-bridge.conf.example" "$T/example" >"$T/example.diff"
	not_ok "conf/audio-bridge.conf.example matches audio-bridge --print-example" \
	    "$T/example.diff"
fi

tap_done
