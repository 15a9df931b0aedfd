#!/bin/sh
# bench-recognizer.sh: audio-recognizer's accuracy and speed, through the
# real audio-bridge (not part of make check; figures in the README).
#
#   tests/bench/bench-recognizer.sh [MAX_STREAMS [SENTENCES]]
#
# 1. Word error rate: every sentence of tests/data/asr/sentences.txt
#    spoken by espeak-ng (tests/lib/asr-lib.sh: voice, speed, pauses) as one
#    stream, sent as fast as the bridge takes it; the finals against the
#    text (tests/tools/asr-score.js: WER from the edit distance, and the share
#    of the spoken words that came back).  The real-time factor is the
#    recognizer's decoding CPU time over the audio's length (its own log
#    line for the stream).
# 2. Concurrent streams: N = 1..MAX_STREAMS (default 6) clients at once,
#    each sending the first SENTENCES (default 6) sentences in real time
#    (100 ms frames when due).  Real time is held when the last final
#    arrives soon after the audio ends: "tail" is the wall time of the run
#    minus the audio's length (the last utterance's end is detected and
#    decoded in it); the share shows whether accuracy suffers.  The
#    recognizer's CPU over the run (utime+stime from /proc) is also shown,
#    and each run's mean real-time factor (decoding CPU seconds per audio
#    second, from the recognizer's log): from it, the number of streams
#    the cores could decode if nothing else ran.
# The machine may be shared: the load average before each run is printed.
# Ports: BENCH_ASR_PORT and the next one, else two of its block in
# tests/lib/ports.sh.
. "$(dirname "$0")/../lib/bridge-lib.sh"
. "$(dirname "$0")/../lib/asr-lib.sh"

MAXN=${1:-6}
NSENT=${2:-6}
port_env P BENCH_ASR_PORT 2
R=$((P + 1))
URL=ws://127.0.0.1:$P/

cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

ALL=$(wc -l <"$SENTENCES")
asr_speech "$T/all.pcm" "$T/all.txt" 1 "$ALL" || exit 1
asr_speech "$T/some.pcm" "$T/some.txt" 1 "$NSENT" || exit 1
ALL_S=$(awk -v b="$(wc -c <"$T/all.pcm")" 'BEGIN { printf "%.1f", b / 32000 }')
SOME_S=$(awk -v b="$(wc -c <"$T/some.pcm")" 'BEGIN { printf "%.1f", b / 32000 }')

start_recognizer rec "$R" ASR_MAX_STREAMS="$MAXN" ASR_PRELOAD="$MAXN" \
    ASR_WORKERS=2
start_bridge br "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R
HZ=$(getconf CLK_TCK)

echo "# $(nproc) CPUs; voice $ASR_VOICE at $ASR_SPEED wpm"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$WSCLIENT" -T 300 -a "$T/all.pcm" $URL >"$T/wer.out"
S=$($SCORE "$T/all.txt" "$T/wer.out")
RTF=$(grep 'end outcome=ok' "$T/rec.log" | tail -1 | sed 's/.*\(audio=[^ ]* cpu=[^ ]* rtf=[^ ]*\).*/\1/')
echo "wer: $ALL sentences, ${ALL_S} s of speech: $S $RTF"

echo "# streams  audio_s  tail_s  share  recognizer_cpu_%  rtf  load_before"
for n in $(seq 1 "$MAXN"); do
	ends0=$(grep -c 'end outcome=ok' "$T/rec.log")
	load=$(cut -d' ' -f1 /proc/loadavg)
	c0=$(cpu_ticks "$REC_PID")
	t0=$(date +%s.%N)
	"$WSCLIENT" -T 300 -r -n "$n" -R 50 -a "$T/some.pcm" $URL \
	    >"$T/n$n.out"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$REC_PID")
	S=$($SCORE "$T/some.txt" "$T/n$n.out")
	# the decoding CPU per audio second of this run's streams (their
	# own log lines): what a stream costs, whatever else the machine does
	rtf=$(grep 'end outcome=ok' "$T/rec.log" | tail -n +$((ends0 + 1)) |
	    sed -n 's/.* rtf=\([0-9.]*\).*/\1/p' |
	    awk '{ s += $1; n++ } END { if (n) printf "%.3f", s / n }')
	echo "$rtf" >>"$T/rtfs"
	awk -v n="$n" -v a="$SOME_S" -v t0="$t0" -v t1="$t1" \
	    -v c0="$c0" -v c1="$c1" -v hz="$HZ" -v s="$(field share "$S")" \
	    -v f="$(field finals "$S")" -v l="$load" -v r="$rtf" 'BEGIN {
		w = t1 - t0
		printf "%9d  %7.1f  %6.2f  %5s  %16.0f  %s  %s  (finals %s)\n",
		    n, a, w - a, s, 100 * (c1 - c0) / hz / w, r, l, f }'
done
# What the CPU alone allows: every core decoding, nothing else running.
awk -v c="$(nproc)" '{ s += $1; n++ } END { if (n) printf \
    "cpu-bound estimate: %d cores / mean rtf %.3f = %.1f streams\n", \
    c, s / n, c / (s / n) }' "$T/rtfs"
