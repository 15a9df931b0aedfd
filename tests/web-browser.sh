#!/usr/bin/env bash
# web-browser.sh: the web app (web/) in a real headless Chromium against
# the real local stack: lighttpd (page at /, API at /api/audio, bridge at
# /asr), audio-api, s3rver (bucket CORS for the page), audio-bridge and the
# Riva stand-in playing tests/web.standin.  The fake microphone plays a WAV
# spoken by espeak-ng.  See tests/web-test.js for what is checked.
#
# Ports: WEB_TEST_PORT (18620) for lighttpd, +1 s3rver, +2 the bridge, +3
# the stand-in.  Screenshots and figures: WEB_TEST_OUT (default
# run/test-web/out, never the source tree).  Phases: WEB_TEST_PHASES
# (default all; see web-test.js).
. "$(dirname "$0")/api-lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
api_need lighttpd node curl jq openssl espeak-ng sox ffprobe "$CHROMIUM" \
	"$JWTMINT" "$BUILDDIR/bridge/audio-bridge" "$BUILDDIR/tests/riva-standin"
api_rundir web
base=${WEB_TEST_PORT:-18620}
export API_PORT=$base S3_PORT=$((base + 1)) BRIDGE_WS_PORT=$((base + 2)) \
	RIVA_STANDIN_PORT=$((base + 3))
for p in "$API_PORT" "$S3_PORT" "$BRIDGE_WS_PORT" "$RIVA_STANDIN_PORT"; do
	api_port_free "$p" || { echo "$0: port $p is taken (set WEB_TEST_PORT)" >&2; exit 1; }
done
export WORKERS=2 DEVSTACK_BRIDGE=1 RIVA_BACKEND=standin RIVA_STANDIN_SCRIPT=$SRCDIR/tests/web.standin
export WEB_CHUNK_SECONDS=${WEB_CHUNK_SECONDS:-5} CHROMIUM
export WEB_TEST_OUT=${WEB_TEST_OUT:-$RUN_DIR/out}
cleanup() { "$DEVSTACK" down >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

# The fake microphone: espeak-ng speaking, 48 kHz mono 16-bit, with a
# little silence around it (Chromium loops the file).
export WEB_TEST_WAV=$RUN_DIR/speech.wav
espeak-ng -v en-us -s 150 -w "$RUN_DIR/speech-22k.wav" \
	"The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump."
sox "$RUN_DIR/speech-22k.wav" -r 48000 -c 1 -b 16 "$WEB_TEST_WAV" pad 0.3 0.7

"$DEVSTACK" up
api_env
# shellcheck disable=SC2086
if ! node "$SRCDIR/tests/web-test.js" ${WEB_TEST_PHASES:-}; then
	api_logs
	exit 1
fi
