#!/usr/bin/env bash
# web-browser.sh: the web app (web/) in a real headless Chromium against
# the real local stack: lighttpd (page at /, API at /api/audio, bridge at
# /asr), audio-api, s3rver (bucket CORS for the page), audio-bridge and the
# Riva stand-in playing tests/data/web.standin; then one recording again with
# asr/audio-recognizer (PocketSphinx) in place of the stand-in, its
# transcript scored against the words spoken.  The fake microphone plays a
# WAV spoken by espeak-ng.  See tests/integration/web-test.js for what is checked.
#
# Ports: WEB_TEST_PORT (else five of this test's block in tests/lib/ports.sh)
# for lighttpd, +1 s3rver, +2 the bridge, +3 the stand-in (or the recognizer), +4 the
# Cognito stand-in.  Screenshots and figures: WEB_TEST_OUT (default
# run/test-web/out, never the source tree).  Phases: WEB_TEST_PHASES
# (default all, then the recognizer run; with WEB_TEST_PHASES set, the
# recognizer run only if WEB_TEST_RECOGNIZER=1; see web-test.js).
. "$(dirname "$0")/../lib/api-lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
api_need lighttpd node curl jq openssl espeak-ng sox ffprobe "$CHROMIUM" \
	"$JWTMINT" "$BUILDDIR/bridge/audio-bridge" "$BUILDDIR/tests/tools/riva-standin" \
	"$BUILDDIR/asr/audio-recognizer"
api_rundir web
port_env base WEB_TEST_PORT 5
export API_PORT=$base S3_PORT=$((base + 1)) BRIDGE_WS_PORT=$((base + 2)) \
	RIVA_STANDIN_PORT=$((base + 3))
export COGNITO_PORT=$((base + 4)) COGNITO_TTL=8
export COGNITO_URL=http://127.0.0.1:$COGNITO_PORT
export WEB_CONNECT_EXTRA=$COGNITO_URL
export WORKERS=2 DEVSTACK_BRIDGE=1 RIVA_BACKEND=standin
export RIVA_STANDIN_SCRIPT=$SRCDIR/tests/data/web.standin
export WEB_CHUNK_SECONDS=${WEB_CHUNK_SECONDS:-5} CHROMIUM
export WEB_TEST_OUT=${WEB_TEST_OUT:-$RUN_DIR/out}
COGNITO_PID=
cleanup() {
	[ -n "$COGNITO_PID" ] && kill "$COGNITO_PID" 2>/dev/null
	api_stack_down
}
trap cleanup EXIT INT TERM

# The fake microphone (Chromium loops the file): sentences 1-3 of the
# recognizer's fixed list, spoken by espeak-ng in the voice and speed
# PocketSphinx understands best (tests/lib/asr-lib.sh), each with silence
# around it so the recognizer's voice-activity detection ends each
# utterance; 48 kHz mono 16-bit.  Their text is the reference for the
# PocketSphinx variant of the transcript check.
export WEB_TEST_WAV=$RUN_DIR/speech.wav WEB_TEST_REF=$RUN_DIR/speech.txt
sed -n 1,3p "$SRCDIR/tests/data/asr/sentences.txt" >"$WEB_TEST_REF"
parts=()
n=0
while IFS= read -r line; do
	n=$((n + 1))
	espeak-ng -v en-us+klatt -s 160 -w "$RUN_DIR/say$n.wav" "$line"
	sox -q "$RUN_DIR/say$n.wav" -r 48000 -c 1 -b 16 "$RUN_DIR/part$n.wav" pad 0.5 1.0
	parts+=("$RUN_DIR/part$n.wav")
done <"$WEB_TEST_REF"
sox -q "${parts[@]}" "$WEB_TEST_WAV"

api_stack_up
# The Hosted UI stand-in (tests/tools/cognito-standin.js) for the sign-in phase:
# tokens of the stack's key that live 8 s, so the page must renew them.
node "$SRCDIR/tests/tools/cognito-standin.js" >"$RUN_DIR/log/cognito-standin.log" 2>&1 &
COGNITO_PID=$!
for i in $(seq 1 100); do
	grep -q ready "$RUN_DIR/log/cognito-standin.log" && break
	sleep 0.1
done
# shellcheck disable=SC2086
if ! node "$SRCDIR/tests/integration/web-test.js" ${WEB_TEST_PHASES:-}; then
	api_logs
	exit 1
fi

# The same page with real speech recognition: the bridge in front of
# asr/audio-recognizer (PocketSphinx) instead of the stand-in; one
# recording, its transcript scored against what espeak-ng said.
if [ -z "${WEB_TEST_PHASES:-}" ] || [ -n "${WEB_TEST_RECOGNIZER:-}" ]; then
	"$DEVSTACK" down >/dev/null
	export RIVA_BACKEND=pocketsphinx
	unset RIVA_STANDIN_SCRIPT
	"$DEVSTACK" up
	if ! TRANSCRIPT_MODE=pocketsphinx node "$SRCDIR/tests/integration/web-test.js" record; then
		api_logs
		exit 1
	fi
fi
