#!/bin/sh
# bridge-riva.sh: audio-bridge end to end against the Riva stand-in
# (tests/tools/riva-standin, a real gRPC server): both dialects, several results
# per response, several recognitions per connection, audio byte-for-byte
# (the stand-in's SHA-256 of what it received must equal the file's), Riva
# down at start and mid-stream and its recovery, /healthz following Riva's
# health, max session length, a slow reader, and graceful shutdown with a
# recognition running.
# Ports: BRIDGE_RIVA_TEST_PORT and the next one, else two of this test's
# block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"

port_env P BRIDGE_RIVA_TEST_PORT 2; R=$((P + 1))
URL=ws://127.0.0.1:$P/

# wait_healthy: until /healthz says 200 (Riva reachable and SERVING).
wait_healthy() {
	i=0
	while [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$P/healthz)" != 200 ]; do
		i=$((i + 1)); [ $i -gt 300 ] && break; sleep 0.1
	done
}

pcm "$T/a.pcm" 2
SHA=$(sha256sum "$T/a.pcm" | cut -d' ' -f1)

start_standin si1 --partial-every 3200 --final-every 16000 \
    --health-file "$T/health"
echo SERVING >"$T/health"
start_bridge br1 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R \
    BRIDGE_HEALTH_INTERVAL=1s

wait_healthy
curl -s http://127.0.0.1:$P/healthz >"$T/h1.json"
check "healthz 200 when Riva is SERVING" "$T/h1.json" \
    '"status":"ok","riva":"SERVING"'
echo NOT_SERVING >"$T/health"
i=0
while [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$P/healthz)" != 503 ]; do
	i=$((i + 1)); [ $i -gt 60 ] && break; sleep 0.1
done
curl -s http://127.0.0.1:$P/healthz >"$T/h2.json"
check "healthz 503 when Riva says NOT_SERVING" "$T/h2.json" \
    '"status":"riva_unavailable","riva":"NOT_SERVING"'
echo SERVING >"$T/health"

$WSCLIENT -T 20 -r -a "$T/a.pcm" \
    -s 'start={"type":"start_transcription","enable_partials":true,"hotwords":["Riva","Kubernetes"],"language":"en-GB","model":"any-model.v1","punctuation":false};audio;stop;wait=session_stopped;close' \
    $URL >"$T/d1.out"
# Each stand-in response carries two interim results; the partial is both.
check "dialect 1 end to end" "$T/d1.out" \
    '^\{"type":"session_started","connection_id":"c[^"]+","enable_partials":true,"timestamp":"[^"]+"\}$' \
    '^\{"type":"partial","segment_id":[0-9]+,"text":"[a-z]+ [a-z ]+","is_final":false,"stability":0\.[0-9]+,"processing_time_ms":[0-9.]+,"timestamp":"[^"]+"\}$' \
    '^\{"type":"transcription","segment_id":0,"text":"[a-z ]+","is_final":true,"confidence":0\.[0-9]+,"words":\[\{"word":"the","start":0,"end":[0-9]+,"confidence":0\.[0-9]+\}' \
    '"type":"transcription","segment_id":1,' \
    '^\{"type":"session_stopped","reason":"stopped by client","connection_id":"c[^"]+","timestamp":"[^"]+"\}$' \
    '"script_done":true'
check "start settings reach Riva (language, model, hotwords, punctuation)" \
    "$T/si1.si.log" 'lang=en-GB model=any-model.v1 .*punct=0 interim=1 .*hotwords=Riva,Kubernetes boost=4'
# This stand-in lacks GetRivaSpeechRecognitionConfig, like an old Riva: no
# model list, so the model above went to Riva unchecked.
check_not "no model list on /healthz when Riva has none" "$T/h1.json" \
    '"models"'
[ "$(count_sha "$T/si1.si.log" 64000 "$SHA")" -eq 1 ] &&
    ok "Riva received the audio byte for byte, in order" ||
    not_ok "Riva received the audio byte for byte, in order" "$T/si1.si.log"

$WSCLIENT -T 20 -r -d 2 -a "$T/a.pcm" $URL >"$T/d2.out"
check "dialect 2 end to end" "$T/d2.out" '^\{"type":"started"\}$' \
    '^\{"type":"hypothesis","alternatives":\[\{"text":"[a-z]+ [a-z ]+"\}\]\}$' \
    '^\{"type":"recognition","alternatives":\[\{"text":"[a-z ]+","confidence":0\.[0-9]+\}\]\}$' \
    '^\{"type":"end","reason":"stopped by client"\}$' '"script_done":true'
[ "$(count_sha "$T/si1.si.log" 64000 "$SHA")" -eq 2 ] &&
    ok "dialect 2 audio byte for byte" ||
    not_ok "dialect 2 audio byte for byte" "$T/si1.si.log"
# VoiceAI Connect waits for an "end" after each recognition (as NVIDIA's
# bridge sends it); the stop's own "end" comes last, after every final.
awk '/"type":"recognition"/ { r++; getline; if ($0 ~ /^\{"type":"end","reason":"Recognition complete"\}$/) e++ }
    /"type":"end"/ { last = $0 }
    END { exit !(r >= 2 && e == r && last ~ /stopped by client/) }' \
    "$T/d2.out" &&
    ok "dialect 2: an end after every recognition, the stop's end last" ||
    not_ok "dialect 2: an end after every recognition, the stop's end last" \
    "$T/d2.out"

# A second start begins a new recognition-session (the first is dropped),
# as VoiceAI Connect starts one per turn after an "end".
$WSCLIENT -T 20 -r -d 2 -a "$T/a.pcm" \
    -s 'start;audio;start;audio;stop;wait=end:stopped by client;close' \
    $URL >"$T/d2re.out"
[ "$(grep -c '^{"type":"started"}$' "$T/d2re.out")" -eq 2 ] &&
    ok "dialect 2: start while running starts over" ||
    not_ok "dialect 2: start while running starts over" "$T/d2re.out"
check_not "dialect 2: restart is not an error" "$T/d2re.out" '"type":"error"'
[ "$(count_sha "$T/si1.si.log" 64000 "$SHA")" -eq 3 ] &&
    ok "dialect 2: the new recognition got its audio byte for byte" ||
    not_ok "dialect 2: the new recognition got its audio byte for byte" \
    "$T/si1.si.log"
curl -s http://127.0.0.1:$P/metrics >"$T/m2re.txt"
check "dialect 2: no recognition left running after a restart" \
    "$T/m2re.txt" '^audio_bridge_sessions 0$'

$WSCLIENT -T 30 -a "$T/a.pcm" \
    -s 'start;audio;stop;wait=session_stopped;start;audio;stop;wait=session_stopped;start;bin=3200;stop;wait=session_stopped;close' \
    $URL >"$T/multi.out"
[ "$(grep -c '"type":"session_stopped","reason":"stopped by client"' "$T/multi.out")" -eq 3 ] &&
    ok "three recognitions one after another on one connection" ||
    not_ok "three recognitions one after another on one connection" "$T/multi.out"
ZSHA=$(head -c 3200 /dev/zero | sha256sum | cut -d' ' -f1)
# Whole streams so far: dialect 1, dialect 2, the restarted one, these two.
[ "$(count_sha "$T/si1.si.log" 64000 "$SHA")" -eq 5 ] &&
    [ "$(count_sha "$T/si1.si.log" 3200 "$ZSHA")" -eq 1 ] &&
    ok "each of them reached Riva whole" ||
    not_ok "each of them reached Riva whole" "$T/si1.si.log"

# VoiceAI Connect's start: "format":"wav" puts a WAV header before the
# audio (Riva must get the samples only), conversationId, sttSpeechContexts
# as boosted words, and fields this bridge does not know yet.
wavhead() {	# wavhead RATE_LE32 BYTERATE_LE32: a streaming 44-byte header
	printf 'RIFF\377\377\377\377WAVEfmt \020\000\000\000\001\000\001\000'
	printf "$1$2"
	printf '\002\000\020\000data\000\000\000\000'
}
{ wavhead '\200\076\000\000' '\000\175\000\000'; cat "$T/a.pcm"; } >"$T/a.wav"
VAIC='start={"type":"start","language":"en-US","conversationId":"8745555-8f1a-48ba-9ec9-46e90dc5aa18","format":"wav","encoding":"LINEAR16","sampleRateHz":16000,"sttSpeechContexts":[{"phrases":["Jarvis","Triton"],"boost":10}],"sttGenericData":{"x":1},"futureField":true}'
$WSCLIENT -T 20 -d 2 -a "$T/a.wav" \
    -s "$VAIC;audio;stop;wait=end:stopped by client;close" $URL >"$T/wav.out"
check "dialect 2, format wav: recognition" "$T/wav.out" \
    '^\{"type":"started"\}$' '^\{"type":"recognition"' \
    '^\{"type":"end","reason":"stopped by client"\}$' '"script_done":true'
check_not "dialect 2, format wav: no error" "$T/wav.out" '"type":"error"'
# The header split across frames, too.
$WSCLIENT -T 30 -d 2 -F 30 -a "$T/a.wav" \
    -s "$VAIC;audio;stop;wait=end:stopped by client;close" $URL >"$T/wav30.out"
[ "$(count_sha "$T/si1.si.log" 64000 "$SHA")" -eq 7 ] &&
    ok "dialect 2, format wav: Riva got the samples without the header" ||
    not_ok "dialect 2, format wav: Riva got the samples without the header" \
    "$T/si1.si.log"
check "dialect 2: sttSpeechContexts phrases reach Riva as boosted words" \
    "$T/si1.si.log" 'hotwords=Jarvis,Triton boost=4'
check "dialect 2: the conversationId is in the bridge's log" "$T/br1.log" \
    'recognition for conversation 8745555-8f1a-48ba-9ec9-46e90dc5aa18'
# A header for other audio than the start announced ends the recognition.
{ wavhead '\100\037\000\000' '\200\076\000\000'; cat "$T/a.pcm"; } >"$T/a8k.wav"
$WSCLIENT -T 20 -d 2 -a "$T/a8k.wav" \
    -s "$VAIC;audio;wait=end;close" $URL >"$T/wav8k.out"
check "dialect 2, format wav: a header for 8000 Hz is refused, named" \
    "$T/wav8k.out" '"type":"error","reason":"audio: the WAV header describes format 1, 1 channel\(s\), 16-bit, 8000 Hz' \
    '^\{"type":"end","reason":"error"\}$'
printf 'not a wav header, just bytes' >"$T/nowav"
cat "$T/a.pcm" >>"$T/nowav"
$WSCLIENT -T 20 -d 2 -a "$T/nowav" \
    -s "$VAIC;audio;wait=end;close" $URL >"$T/nowav.out"
check "dialect 2, format wav: raw audio where a header should be is refused" \
    "$T/nowav.out" '"type":"error","reason":"audio does not start with a RIFF/WAVE header"' \
    '^\{"type":"end","reason":"error"\}$'

$WSCLIENT -T 20 -a "$T/a.pcm" -s 'start;start;audio;stop;stop;wait=session_stopped;stop;ping;wait=pong;close' \
    $URL >"$T/twice.out"
check "start while running is refused; a second stop is harmless" \
    "$T/twice.out" '"error":"a recognition is already running; stop it first","code":"conflict"' \
    '"type":"session_stopped","reason":"stopped by client"' '"type":"pong"'
[ "$(grep -c '"type":"error"' "$T/twice.out")" -eq 1 ] &&
    [ "$(grep -c '"type":"session_stopped"' "$T/twice.out")" -eq 1 ] &&
    ok "the stops after the first (while stopping and after) give no error" ||
    not_ok "the stops after the first (while stopping and after) give no error" \
    "$T/twice.out"

# max session length
stop_pid "$BRIDGE_PID"
start_bridge br2 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R \
    BRIDGE_MAX_SESSION=1s
$WSCLIENT -T 20 -r -a "$T/a.pcm" -s 'start;audio;sleep=300;close' \
    $URL >"$T/maxs.out"
check "max session length stops the recognition with finals" "$T/maxs.out" \
    '"error":"recognition reached max_session \(1000 ms\); stopping it","code":"too_large"' \
    '"type":"transcription"' \
    '"type":"session_stopped","reason":"max session length reached"' \
    '"error":"audio refused: ' 

# slow reader: stops reading; partials go first, then it is closed 4001.
# The answers must outgrow what the kernel buffers for a reader that reads
# nothing, or the queue never backs up while partials still arrive: the
# client shrinks its receive buffer (-B 4096), and the stand-in answers
# 60 s of audio with a partial per frame of up to 20 words of 400 bytes
# (~2.5 MiB in all).  The queue (64 KiB) holds several finals (~9 KiB
# each), so partials are superseded long before finals overflow it.
stop_pid "$BRIDGE_PID"
stop_pid "$SI_PID"
LONG_WORDS=$(i=0; while [ $i -lt 64 ]; do
	printf 'w%02d%s ' $i "$(head -c 397 /dev/zero | tr '\0' x)"; i=$((i + 1))
done)
start_standin si2 --partial-every 3200 --final-every 64000 --words "$LONG_WORDS"
start_bridge br3 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R BRIDGE_HEALTH_INTERVAL=1s \
    BRIDGE_SEND_QUEUE=64k BRIDGE_SEND_TIMEOUT=2s
pcm "$T/big.pcm" 60
BIGSHA=$(sha256sum "$T/big.pcm" | cut -d' ' -f1)
$WSCLIENT -T 60 -B 4096 -a "$T/big.pcm" -s 'start;pause;audio;sleep=1000;resume;sleep=8000;close' \
    $URL >"$T/slow.out"
# A client that reads nothing cannot read the close frame either: it sees
# 4001 if it resumes in time, otherwise the connection is cut.
check "slow reader cut off (4001 or closed)" "$T/slow.out" \
    '"code":4001,"reason":"client too slow|"script_done":false'
check "bridge closed the slow reader for its full send queue" "$T/br3.log" \
    'send queue over 65536 bytes; closing|output stalled for 2000 ms; closing'
curl -s http://127.0.0.1:$P/metrics >"$T/m3.txt"
check "slow reader lost partials first" "$T/m3.txt" \
    '^audio_bridge_partials_dropped_total [1-9][0-9]*$' \
    '^audio_bridge_errors_total\{kind="slow_client"\} 1$'
$WSCLIENT -T 10 -s 'ping;wait=pong;close' $URL >"$T/afterslow.out"

check "bridge serves others after closing the slow reader" \
    "$T/afterslow.out" '"type":"pong"'
stop_pid "$SI_PID"

# Riva down at start, mid-stream, and back
$WSCLIENT -T 20 -a "$T/a.pcm" -s 'start;wait=session_stopped;close' $URL \
    >"$T/down0.out"
check "Riva not running: unavailable error at start" "$T/down0.out" \
    '"code":"unavailable"' '"type":"session_stopped","reason":"error"'
start_standin si3 --partial-every 3200 --abort-after 32000
wait_healthy
$WSCLIENT -T 20 -r -a "$T/a.pcm" -s 'start;audio;stop;wait=session_stopped;ping;wait=pong;close' \
    $URL >"$T/mid.out"
check "Riva failing mid-stream: partials, then an error, connection lives" \
    "$T/mid.out" \
    '"type":"error","error":"speech recognition failed: [^"]*","code":"(unavailable|upstream_error)"' \
    '"type":"session_stopped","reason":"error"' '"type":"pong"'
stop_pid "$SI_PID"
start_standin si4 --fail-start
$WSCLIENT -T 20 -a "$T/a.pcm" -s 'start;wait=session_stopped;close' $URL \
    >"$T/failstart.out"
check "Riva refusing the stream: error to the client" "$T/failstart.out" \
    '"code":"unavailable"' '"type":"session_stopped","reason":"error"'
stop_pid "$SI_PID"
start_standin si5 --partial-every 3200
wait_healthy
$WSCLIENT -T 20 -a "$T/a.pcm" $URL >"$T/back.out"
check "Riva back: recognitions work again without a restart" \
    "$T/back.out" '"type":"transcription"' \
    '"type":"session_stopped","reason":"stopped by client"'
$WSCLIENT -T 60 -a "$T/big.pcm" $URL >"$T/fast.out"
[ "$(count_sha "$T/si5.si.log" 1920000 "$BIGSHA")" -eq 1 ] &&
    ok "60 s of audio sent as fast as possible reaches Riva whole (backpressure)" ||
    not_ok "60 s of audio sent as fast as possible reaches Riva whole (backpressure)" "$T/fast.out"

# graceful shutdown: a recognition running at real time gets its finals
$WSCLIENT -T 20 -r -a "$T/a.pcm" -s 'start;audio;wait=session_stopped;sleep=3000;close' \
    $URL >"$T/term.out" &
CL=$!
wait_metric "$P" audio_bridge_sessions 1
sleep 0.5
stop_pid "$BRIDGE_PID"
echo "rc=$STOP_RC" >"$T/term.rc"
wait $CL
check "SIGTERM: running recognition finishes with finals, then 1001" \
    "$T/term.out" '"type":"transcription"' \
    '"type":"session_stopped","reason":"server shutting down"' \
    '"code":1001,"reason":"server shutting down"'
check "SIGTERM with a recognition running: exit 0" "$T/term.rc" '^rc=0$'
check "SIGTERM: Riva's stream ended normally" "$T/si5.si.log" \
    'end outcome=ok bytes=[1-9][0-9]* '

# While it drains, the bridge accepts nothing new: its listening socket is
# closed (connection refused), not answering 503.  A Riva that never
# answers keeps a recognition starting (riva_start_timeout, 5 s), so the
# drain lasts long enough to look.
stop_pid "$SI_PID"
start_standin si6 --blackhole
start_bridge br6 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R
$WSCLIENT -T 20 -s 'start;sleep=8000;close' $URL >"$T/drain.out" &
CL=$!
wait_metric "$P" audio_bridge_sessions 1
kill -TERM "$BRIDGE_PID"
sleep 0.5
curl -s -m 2 -o /dev/null "http://127.0.0.1:$P/healthz"
echo "curl=$? alive=$(kill -0 "$BRIDGE_PID" 2>/dev/null && echo yes || echo no)" \
    >"$T/drain.state"
stop_pid "$BRIDGE_PID"
wait $CL
check "SIGTERM closes the listener while a recognition drains" \
    "$T/drain.state" '^curl=7 alive=yes$'

# The models Riva serves (GetRivaSpeechRecognitionConfig) are listed on
# /healthz, and a start naming another is refused before any stream opens.
stop_pid "$SI_PID"
start_standin si7 --partial-every 3200 \
    --models 'conformer-en-US-asr-streaming=en-US,parakeet-1.1b-multi'
start_bridge br7 "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R \
    BRIDGE_HEALTH_INTERVAL=1s
i=0
until curl -s http://127.0.0.1:$P/healthz | grep -q '"models"'; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
curl -s http://127.0.0.1:$P/healthz >"$T/h7.json"
check "healthz lists the models Riva serves" "$T/h7.json" \
    '"models":\[\{"name":"conformer-en-US-asr-streaming","language":"en-US"\},\{"name":"parakeet-1.1b-multi"\}\]\}$'
$WSCLIENT -T 20 -a "$T/a.pcm" \
    -s 'start={"type":"start_transcription","model":"no-such-model"};wait=error;start={"type":"start_transcription","model":"parakeet-1.1b-multi"};audio;stop;wait=session_stopped;close' \
    $URL >"$T/model.out"
check "a model Riva does not serve is refused by name; a served one works" \
    "$T/model.out" \
    '"error":"model \\"no-such-model\\" is not served by the speech recognition service[^"]*","code":"invalid_field"' \
    '"type":"transcription"' \
    '"type":"session_stopped","reason":"stopped by client"'
check "the served model reached Riva" "$T/si7.si.log" \
    'model=parakeet-1.1b-multi '
check_not "the refused model never reached Riva" "$T/si7.si.log" \
    'model=no-such-model'
stop_pid "$BRIDGE_PID"

tap_done
