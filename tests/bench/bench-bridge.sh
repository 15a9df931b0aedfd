#!/bin/sh
# bench-bridge.sh: load benchmark for audio-bridge (not part of make check).
#
#   tests/bench/bench-bridge.sh [CLIENTS [SECONDS]]     (defaults 1000 and 20)
#
# Starts the Riva stand-in (one word "heard" and one interim response per
# 100 ms audio frame, a final every second) and audio-bridge (auth off, plain ws://), then
# tests/tools/wsclient in load mode: CLIENTS concurrent clients, started 5 ms
# apart, each streaming SECONDS of 16 kHz PCM at real-time pace (3200-byte
# frames every 100 ms) and stopping.  It prints:
#   - served: clients that completed their recognition / clients;
#   - latency, from the client's clock (wsclient -L): rtt = a partial's
#     arrival minus the sending of the audio frame it answers (frame k =
#     words in the finals so far + words in the partial); added = rtt
#     minus the
#     processing_time_ms the bridge reports for that result (the gRPC
#     round trip the bridge measured itself: audio handed to gRPC ->
#     response received).  "added" is therefore what the bridge and both
#     WebSocket hops add, in both directions together (client frame ->
#     Riva, plus Riva result -> client), measured with the load generator
#     and the stand-in on the same 2 cores; p50 and p99, over the whole
#     run and over the steady window alone;
#   - the same two directions timed by the stand-in itself (--stamp: each
#     partial carries when its frame arrived at the stand-in and when the
#     answer left, on the same clock as the client's): (frame arrived -
#     frame sent) + (partial received - answer built).  Unlike "added" this
#     includes the bridge's gRPC stack (and the stand-in's), as the time
#     between the browser and Riva;
#   - bridge CPU: utime+stime from /proc over the steady window (from 2 s
#     after the last client has connected to 2 s before the first one
#     ends), as % of one core, and per 100 streams; and the load
#     generator's and the stand-in's over the same window (what the
#     bridge shares the cores with);
#   - bridge memory: VmRSS before the clients and during the steady part;
#     (steady - idle) / CLIENTS is the memory per stream.
# Ports: BENCH_PORT and the next one, else two of its block in
# tests/lib/ports.sh.  BENCH_BRIDGE: the
# audio-bridge binary to measure (default: the one built here), to compare
# two builds.  BENCH_PIN=1: the bridge on CPU 0, the stand-in and the load
# generator on CPU 1 (taskset), as if the harness ran on other machines:
# the bridge is then not preempted by its own load.
set -u
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${1:-1000}
D=${2:-20}
. "$(dirname "$0")/../lib/ports.sh"
port_env P BENCH_PORT 2
R=$((P + 1))
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-bridge.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT INT TERM

head -c $((D * 32000)) /dev/urandom >"$T/a.pcm"
PIN_BRIDGE= PIN_HARNESS=
if [ -n "${BENCH_PIN:-}" ]; then
	PIN_BRIDGE="taskset -c 0"
	PIN_HARNESS="taskset -c 1"
fi
$PIN_HARNESS "$top_builddir/tests/tools/riva-standin" --port "$R" --log "$T/si.log" \
    --partial-every 3200 --final-every 32000 --stamp >/dev/null 2>&1 &
SP=$!
PIDS="$PIDS $SP"
BRIDGE_CONFIG= BRIDGE_AUTH=off BRIDGE_PORT=$P BRIDGE_LISTEN=127.0.0.1 \
    RIVA_TARGET=127.0.0.1:$R BRIDGE_MAX_CONNECTIONS=$((N + 100)) \
    BRIDGE_LOG_LEVEL=warn $PIN_BRIDGE "${BENCH_BRIDGE:-$top_builddir/bridge/audio-bridge}" \
    >"$T/bridge.log" 2>&1 &
BP=$!
PIDS="$PIDS $BP"
i=0
until curl -s -o /dev/null "http://127.0.0.1:$P/healthz"; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "bridge did not start"; exit 1; }
	sleep 0.1
done
sleep 1

rss() { awk '/^VmRSS/ {print $2}' /proc/$BP/status; }
cpu() { awk '{print $14 + $15}' /proc/${1:-$BP}/stat; }
HZ=$(getconf CLK_TCK)
RSS0=$(rss)

# steady window: from 2 s after the last client started to 2 s before the
# first one ends
RAMP=$(( (N * 5 + 999) / 1000 ))
W=$((D - RAMP - 4)); [ $W -lt 2 ] && W=2
$PIN_HARNESS "$top_builddir/tests/tools/wsclient" -q -L -T $((D + 60)) -n "$N" -R 5 -r \
    -w $((RAMP + 2)):$((RAMP + 2 + W)) \
    -a "$T/a.pcm" ws://127.0.0.1:$P/ >"$T/client.out" &
CP=$!
PIDS="$PIDS $CP"
sleep $((RAMP + 2))
C1=$(cpu); S1=$(cpu $SP); L1=$(cpu $CP); T1=$(date +%s.%N)
sleep $W
C2=$(cpu); S2=$(cpu $SP); L2=$(cpu $CP); T2=$(date +%s.%N); RSS1=$(rss)
CONNS=$(curl -s "http://127.0.0.1:$P/metrics" |
    awk '/^audio_bridge_sessions / {print $2}')
wait $CP
HWM=$(awk '/^VmHWM/ {print $2}' /proc/$BP/status)

awk -v n="$N" -v d="$D" -v c1="$C1" -v c2="$C2" -v t1="$T1" -v t2="$T2" \
    -v hz="$HZ" -v r0="$RSS0" -v r1="$RSS1" -v hwm="$HWM" -v live="$CONNS" \
    -v s1="$S1" -v s2="$S2" -v l1="$L1" -v l2="$L2" '
BEGIN {
	cpu = (c2 - c1) / hz / (t2 - t1) * 100
	printf "clients %d x %d s real-time audio; %d recognitions live in the steady window\n", n, d, live
	printf "bridge CPU: %.1f%% of one core = %.2f%% per 100 streams\n", cpu, cpu / n * 100
	printf "harness CPU on the same machine: load generator %.1f%%, Riva stand-in %.1f%% of one core\n", (l2 - l1) / hz / (t2 - t1) * 100, (s2 - s1) / hz / (t2 - t1) * 100
	printf "bridge RSS: idle %d KiB, steady %d KiB, peak %d KiB -> %.1f KiB per stream\n", r0, r1, hwm, (r1 - r0) / n
}'
sed -e 's/^{"event":"summary",//' -e 's/}$//' -e 's/,/\n/g' "$T/client.out" |
    awk -F: '
/"clients"|"completed"|"failed"|"finals"|"partials"|"samples"/ { gsub(/"/, "", $1); printf "%s=%s ", $1, $2 }
/_p50|_p99/ { gsub(/"/, "", $1); v[$1] = $2 }
END {
	printf "\nlatency ms, whole run: rtt p50 %s p99 %s; added by the bridge p50 %s p99 %s\n", v["rtt_ms_p50"], v["rtt_ms_p99"], v["added_ms_p50"], v["added_ms_p99"]
	printf "latency ms, steady window: rtt p50 %s p99 %s; added by the bridge p50 %s p99 %s\n", v["window_rtt_ms_p50"], v["window_rtt_ms_p99"], v["window_added_ms_p50"], v["window_added_ms_p99"]
	printf "client->Riva + Riva->client ms (stand-in stamps): whole run p50 %s p99 %s; steady window p50 %s p99 %s\n", v["stamped_ms_p50"], v["stamped_ms_p99"], v["window_stamped_ms_p50"], v["window_stamped_ms_p99"]
}'
curl -s "http://127.0.0.1:$P/metrics" | grep -E '^audio_bridge_(errors_total\{kind="(slow_client|riva_unavailable|riva_error)"\}|partials_dropped_total|riva_rtt_seconds_(count|sum))'
grep -c "outcome=ok" "$T/si.log" | sed 's/^/stand-in streams ended ok: /'
