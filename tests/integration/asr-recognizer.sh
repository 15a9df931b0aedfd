#!/bin/sh
# asr-recognizer.sh: audio-recognizer (PocketSphinx behind Riva's gRPC
# service) end to end, through the real audio-bridge and tests/tools/wsclient:
# speech made by espeak-ng from tests/data/asr/sentences.txt comes back as
# words (at least ASR_MIN_SHARE of the spoken words in the finals, in
# order), partials before finals, word times in order, three streams at
# once, silence and noise give (almost) no words and no crash, a wrong
# sample rate is refused with a message naming it, a stream beyond
# max_streams gets RESOURCE_EXHAUSTED, grpc.health.v1 says SERVING and
# GetRivaSpeechRecognitionConfig lists the model (on the bridge's
# /healthz).  Also: -n, --print-example in sync with the shipped example.
# Ports: ASR_TEST_PORT and the next one, else two of this test's block in
# tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"
. "$(dirname "$0")/../lib/asr-lib.sh"
PROBE=$top_builddir/tests/tools/riva-probe

# Measured with tests/bench/bench-recognizer.sh (README, "Local speech
# recognizer"); the bar leaves room for a loaded machine.
ASR_MIN_SHARE=${ASR_MIN_SHARE:-0.45}

port_env P ASR_TEST_PORT 2; R=$((P + 1))
URL=ws://127.0.0.1:$P/

# wait_log N PATTERN: until the recognizer's log has N lines matching
# (it writes a stream's end line once gRPC has closed the call, which may
# be just after the client saw the end), at most 10 s.
wait_log() {
	i=0
	while [ "$(grep -Ec -- "$2" "$T/rec.log")" -lt "$1" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
	done
}

# ---------------------------------------------------------------- config
"$RECOGNIZER" --print-example >"$T/example"
if cmp -s "$T/example" "$srcdir/conf/audio-recognizer.conf.example"; then
	ok "conf/audio-recognizer.conf.example matches --print-example"
else
	not_ok "conf/audio-recognizer.conf.example matches --print-example"
fi
ASR_CONFIG= "$RECOGNIZER" -n >"$T/n1.out" 2>&1 &&
    check "-n passes on the defaults" "$T/n1.out" 'config ok' ||
    not_ok "-n passes on the defaults" "$T/n1.out"
printf 'lm_file = %s/nope.lm.bin\n' "$T" >"$T/bad.conf"
if "$RECOGNIZER" -n -f "$T/bad.conf" >"$T/n2.out" 2>&1; then
	not_ok "-n refuses a missing model file" "$T/n2.out"
else
	check "-n refuses a missing model file, naming it" "$T/n2.out" \
	    'lm_file .*nope\.lm\.bin: No such file'
fi
printf 'max_streams = 0\n' >"$T/bad2.conf"
if "$RECOGNIZER" -n -f "$T/bad2.conf" >"$T/n3.out" 2>&1; then
	not_ok "-n refuses max_streams 0" "$T/n3.out"
else
	check "-n refuses max_streams 0 naming file:line" "$T/n3.out" \
	    'bad2\.conf:1'
fi
# asr_conf_validate(): an acoustic model directory PocketSphinx cannot
# load (a decoder then failed at start, after -n passed), and values that
# depend on each other; one line each, naming file: key.
mkdir -p "$T/hmm"
cp /usr/share/pocketsphinx/model/en-us/en-us/mdef "$T/hmm/"
printf 'hmm_dir = %s/hmm\n' "$T" >"$T/bad3.conf"
if "$RECOGNIZER" -n -f "$T/bad3.conf" >"$T/n4.out" 2>&1; then
	not_ok "-n refuses a model directory without its means file" "$T/n4.out"
else
	check "-n refuses a model directory without its means file" \
	    "$T/n4.out" 'bad3\.conf: hmm_dir .*/hmm/means: No such file'
fi
printf 'partial_interval = 2s\nmax_utterance = 1s\n' >"$T/bad4.conf"
if "$RECOGNIZER" -n -f "$T/bad4.conf" >"$T/n5.out" 2>&1; then
	not_ok "-n refuses partial_interval >= max_utterance" "$T/n5.out"
else
	check "-n refuses partial_interval >= max_utterance" "$T/n5.out" \
	    'bad4\.conf: partial_interval: '
fi
printf 'max_streams = 2\npreload_decoders = 3\n' >"$T/bad5.conf"
if "$RECOGNIZER" --check-config --config "$T/bad5.conf" >"$T/n6.out" 2>&1
then
	not_ok "--check-config --config refuses preload over max_streams" \
	    "$T/n6.out"
else
	check "--check-config --config refuses preload over max_streams" \
	    "$T/n6.out" 'bad5\.conf: preload_decoders: '
fi
"$RECOGNIZER" --bogus >"$T/n7.out" 2>&1 && not_ok "an unknown option is refused" ||
    check "an unknown option is refused with the usage" "$T/n7.out" \
    '-f\|--config file' '-n\|--check-config' '--print-example'

# ----------------------------------------------------------------- audio
asr_speech "$T/speech.pcm" "$T/speech.txt" 1 4 ||
    { echo "# espeak-ng/sox failed"; exit 1; }
# 10 s of silence, sent at once: more than queued_audio (256 KiB), so the
# recognizer stops reading the stream until its decoder catches up
sox -q -n -r 16000 -c 1 -b 16 -e signed-integer -t raw "$T/silence.pcm" \
    trim 0 10
sox -q -n -r 16000 -c 1 -b 16 -e signed-integer -t raw "$T/short.pcm" \
    trim 0 1
sox -q -n -r 16000 -c 1 -b 16 -e signed-integer -t raw "$T/noise.pcm" \
    synth 5 whitenoise vol 0.3

start_recognizer rec "$R" ASR_MAX_STREAMS=3 ASR_WORKERS=2
start_bridge br "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R \
    BRIDGE_HEALTH_INTERVAL=1s

# ---------------------------------------------------- health, model list
"$PROBE" health --target 127.0.0.1:$R >"$T/health.out" 2>&1
check "grpc.health.v1 Check: SERVING" "$T/health.out" \
    '^health status=SERVING$'
"$PROBE" health --target 127.0.0.1:$R --service nope.Service \
    >"$T/health2.out" 2>&1
check_not "an unknown service is not SERVING" "$T/health2.out" \
    '^health status=SERVING$'
i=0
while ! curl -s http://127.0.0.1:$P/healthz | grep -q '"models"'; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
curl -s http://127.0.0.1:$P/healthz >"$T/healthz.json"
check "GetRivaSpeechRecognitionConfig lists the model (bridge /healthz)" \
    "$T/healthz.json" '"riva":"SERVING"' \
    '"models":\[\{"name":"pocketsphinx-en-us","language":"en-US"\}\]'

# ------------------------------------------- speech, three streams at once
"$WSCLIENT" -T 150 -r -n 3 -R 300 -a "$T/speech.pcm" $URL >"$T/speech.out"
S=$($SCORE "$T/speech.txt" "$T/speech.out")
echo "# speech, 3 streams at once in real time: $S"
[ "$(field clients "$S")" = 3 ] &&
    [ "$(field finals "$S")" -ge 3 ] &&
    ok "three concurrent real-time streams each got finals" ||
    not_ok "three concurrent real-time streams each got finals" "$T/speech.out"
awk -v s="$(field share "$S")" -v m="$ASR_MIN_SHARE" 'BEGIN { exit !(s >= m) }' &&
    ok "at least $ASR_MIN_SHARE of the spoken words in the finals (got $(field share "$S"))" ||
    not_ok "at least $ASR_MIN_SHARE of the spoken words in the finals (got $(field share "$S"))" "$T/speech.out"
[ "$(field partial_first "$S")" = 1 ] && [ "$(field partials "$S")" -gt "$(field finals "$S")" ] &&
    ok "partials arrive before the finals, more of them than finals" ||
    not_ok "partials arrive before the finals, more of them than finals" "$T/speech.out"
[ "$(field times_ok "$S")" = 1 ] &&
    check "finals carry word time offsets, in order" "$T/speech.out" \
    '"words":\[\{"word":"[a-z'"'"']+","start":[0-9]+,"end":[0-9]+,"confidence":[01]\.[0-9]+\}' ||
    not_ok "finals carry word time offsets, in order" "$T/speech.out"
wait_log 3 'stream=[0-9]* end outcome=ok'
[ "$(grep -c 'stream=[0-9]* end outcome=ok' "$T/rec.log")" -ge 3 ] &&
    ok "the recognizer ended the three streams ok" ||
    not_ok "the recognizer ended the three streams ok" "$T/rec.log"

# ------------------------------------------- speech sent all at once
# 16 s of speech in a few milliseconds: more than queued_audio (256 KiB)
# waits for the decoder, so the recognizer stops reading the stream until
# it catches up; nothing is lost: the words are those of real time.
"$WSCLIENT" -T 150 -a "$T/speech.pcm" $URL >"$T/fast.out"
F=$($SCORE "$T/speech.txt" "$T/fast.out")
echo "# speech sent at once: $F"
[ "$(field matched "$F")" -eq $(( $(field matched "$S") / 3 )) ] &&
    ok "sent at once: the same words as in real time" ||
    not_ok "sent at once: the same words as in real time ($(field matched "$F") vs $(field matched "$S")/3)" "$T/fast.out"
wait_log 1 'end outcome=ok audio=16\.[0-9]*s .* paused=[1-9]'
check "sent at once: reading held back for the decoder, then all decoded" \
    "$T/rec.log" 'end outcome=ok audio=16\.[0-9]*s .* paused=[1-9]'

# Odd-sized gRPC messages (1001 bytes: samples split between messages)
# give the same finals, word times included, as whole 100 ms frames.
"$PROBE" stream --target 127.0.0.1:$R --pcm "$T/speech.pcm" --chunk 3200 \
    --pace-ms 20 --timeout-ms 60000 2>&1 | grep ' final ' >"$T/even.out"
"$PROBE" stream --target 127.0.0.1:$R --pcm "$T/speech.pcm" --chunk 1001 \
    --pace-ms 6 --timeout-ms 60000 2>&1 | grep ' final ' >"$T/odd.out"
[ -s "$T/even.out" ] && cmp -s "$T/even.out" "$T/odd.out" &&
    ok "odd-sized audio messages: the same finals and word times" ||
    not_ok "odd-sized audio messages: the same finals and word times" "$T/odd.out"

# ------------------------------------------------------ silence and noise
"$WSCLIENT" -T 30 -a "$T/silence.pcm" $URL >"$T/silence.out"
S=$($SCORE "$T/speech.txt" "$T/silence.out")
echo "# silence: $S"
check "silence: the recognition ends normally" "$T/silence.out" \
    '"type":"session_stopped","reason":"stopped by client"'
[ "$(field hyp_words "$S")" -le 1 ] &&
    ok "silence: no words (got $(field hyp_words "$S"))" ||
    not_ok "silence: no words (got $(field hyp_words "$S"))" "$T/silence.out"
"$WSCLIENT" -T 30 -a "$T/noise.pcm" $URL >"$T/noise.out"
S=$($SCORE "$T/speech.txt" "$T/noise.out")
echo "# white noise: $S"
check "noise: the recognition ends normally" "$T/noise.out" \
    '"type":"session_stopped","reason":"stopped by client"'
[ "$(field hyp_words "$S")" -le 5 ] &&
    ok "noise: few words (got $(field hyp_words "$S"), at most 5)" ||
    not_ok "noise: few words (got $(field hyp_words "$S"), at most 5)" "$T/noise.out"

# ---------------------------------------------------------- refusals
"$WSCLIENT" -T 20 -a "$T/speech.pcm" \
    -s 'start={"type":"start_transcription","sample_rate":8000};audio;wait=session_stopped;close' \
    $URL >"$T/rate.out"
check "8 kHz: the client gets an error and the recognition stops" \
    "$T/rate.out" '"type":"error"' '"type":"session_stopped","reason":"error"'
check "8 kHz: refused by the recognizer naming the rate" "$T/rec.log" \
    'status=3 outcome=invalid detail=.*sample_rate_hertz 8000 is not supported: only 16000 Hz'
"$PROBE" stream --target 127.0.0.1:$R --pcm "$T/short.pcm" --rate 44100 \
    --timeout-ms 10000 >"$T/rate2.out" 2>&1
check "44.1 kHz straight over gRPC: INVALID_ARGUMENT with the reason" \
    "$T/rate2.out" 'grpc_status=3 .*sample_rate_hertz 44100 is not supported'
"$PROBE" stream --target 127.0.0.1:$R --pcm "$T/short.pcm" \
    --model conformer-en-US --timeout-ms 10000 >"$T/model.out" 2>&1
check "another model: INVALID_ARGUMENT naming it" "$T/model.out" \
    "grpc_status=3 .*model 'conformer-en-US' is not served"

# four streams at once with max_streams 3: one is turned away
"$PROBE" stream --target 127.0.0.1:$R --pcm "$T/silence.pcm" --streams 4 \
    --chunk 3200 --pace-ms 100 --timeout-ms 30000 >"$T/busy.out" 2>&1
[ "$(grep -c 'grpc_status=8 .*busy: 3 streams at once' "$T/busy.out")" -eq 1 ] &&
    [ "$(grep -c 'done bytes_sent=320000' "$T/busy.out")" -eq 3 ] &&
    ok "beyond max_streams: RESOURCE_EXHAUSTED for exactly one stream" ||
    not_ok "beyond max_streams: RESOURCE_EXHAUSTED for exactly one stream" "$T/busy.out"

# -------------------------------------------------------------- the end
if kill -0 "$REC_PID" 2>/dev/null; then
	ok "the recognizer is still running"
else
	not_ok "the recognizer is still running" "$T/rec.log"
fi
kill -TERM "$REC_PID"
wait "$REC_PID"
st=$?
[ "$st" -eq 0 ] && check "SIGTERM: clean exit 0" "$T/rec.log" 'msg=stopped' ||
    not_ok "SIGTERM: clean exit 0 (status $st)" "$T/rec.log"
check_not "no errors in the recognizer's log" "$T/rec.log" 'level=error'

tap_done
