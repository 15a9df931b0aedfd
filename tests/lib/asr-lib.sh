# asr-lib.sh: what tests/integration/asr-recognizer.sh and tests/bench/bench-recognizer.sh
# share (sourced after bridge-lib.sh): speech made with espeak-ng from the
# fixed sentence list, and starting audio-recognizer.

RECOGNIZER=$top_builddir/asr/audio-recognizer
SENTENCES=$srcdir/tests/data/asr/sentences.txt
SCORE="node $srcdir/tests/tools/asr-score.js"
# espeak-ng's Klatt voice at 160 words a minute: of the voices we tried it
# is the one PocketSphinx's model (trained on people) understands best.
ASR_VOICE=${ASR_VOICE:-en-us+klatt}
ASR_SPEED=${ASR_SPEED:-160}

# asr_speech OUT REF FIRST LAST: sentences FIRST..LAST (line numbers) of
# the list spoken into OUT (16 kHz mono PCM16, raw), half a second of
# silence before and a second after each; their text into REF.
asr_speech() {
	: >"$1"; : >"$2"
	sed -n "$3,$4p" "$SENTENCES" | while IFS= read -r line; do
		espeak-ng -v "$ASR_VOICE" -s "$ASR_SPEED" -w "$T/say.wav" \
		    "$line" || return 1
		sox -D -q "$T/say.wav" -r 16000 -c 1 -b 16 -e signed-integer \
		    -t raw "$T/say.raw" gain -n -3 pad 0.5 1.0 || return 1
		cat "$T/say.raw" >>"$1"
		printf '%s\n' "$line" >>"$2"
	done
}

# start_recognizer NAME PORT [VAR=value...]: run audio-recognizer with a
# config from the environment; wait until it listens (it loads a decoder
# first, a second or more on a busy machine).
start_recognizer() {
	name=$1; port=$2; shift 2
	env ASR_CONFIG= ASR_PORT="$port" ASR_LISTEN=127.0.0.1 "$@" \
	    "$RECOGNIZER" >"$T/$name.log" 2>&1 &
	REC_PID=$!
	PIDS="$PIDS $REC_PID"
	wait_started "recognizer $name" "$REC_PID" 1200 "$T/$name.log" \
	    grep -qs 'msg="listening on' "$T/$name.log"
}

# field KEY LINE: the value of KEY=value in an asr-score.js line.
field() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
