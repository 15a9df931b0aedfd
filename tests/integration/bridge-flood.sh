#!/bin/sh
# bridge-flood.sh: a flood of idle sockets must not lock real clients out
# of the bridge.  2,000 TCP connections from one address that never send a
# byte (no token needed for that) are held open while a recognition runs;
# a new client must still upgrade in under 1 s and stream, the running
# recognition must finish whole, and /metrics must count the connections
# shed to make room.  Before bridge/front.c shed idle heads, the listener
# stopped accepting at 512 pending heads and new clients waited for the
# 10 s head timeout.
# Ports: BRIDGE_FLOOD_TEST_PORT and the next one, else two of this test's
# block in tests/lib/ports.sh.  BRIDGE_FLOOD_SOCKETS (default 2000).
. "$(dirname "$0")/../lib/bridge-lib.sh"

port_env P BRIDGE_FLOOD_TEST_PORT 2; R=$((P + 1))
N=${BRIDGE_FLOOD_SOCKETS:-2000}
URL=ws://127.0.0.1:$P/

ms() { echo $(( $(date +%s%N) / 1000000 )); }

pcm "$T/long.pcm" 8
pcm "$T/short.pcm" 1
LONG_SHA=$(sha256sum "$T/long.pcm" | cut -d' ' -f1)
SHORT_SHA=$(sha256sum "$T/short.pcm" | cut -d' ' -f1)
start_standin si --partial-every 3200 --final-every 32000
start_bridge flood "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R

# A recognition that runs through the whole flood (8 s at real time).
$WSCLIENT -T 60 -r -a "$T/long.pcm" "$URL" >"$T/long.out" 2>&1 &
LONG_PID=$!
sleep 1

# The flood: N idle sockets, held for 60 s at most (killed below).
( ulimit -n $((N + 256)) 2>/dev/null
  exec node "$srcdir/tests/tools/idle-sockets.js" 127.0.0.1 "$P" "$N" 60 \
      </dev/null >"$T/idle.out" 2>&1 ) &
IDLE_PID=$!
PIDS="$PIDS $IDLE_PID"
i=0
until [ -s "$T/idle.out" ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
echo "# idle sockets: $(head -n 1 "$T/idle.out")"
curl -s -m 3 "http://127.0.0.1:$P/metrics" >"$T/m1.txt"
echo "# $(grep '^audio_bridge_front' "$T/m1.txt" | tr '\n' ' ')"

# A real client while the flood is held: upgrade, start, session_started.
t0=$(ms)
$WSCLIENT -T 5 -s 'start;wait=session_started;stop;wait=session_stopped;close' \
    "$URL" >"$T/quick.out" 2>&1
t1=$(ms)
echo "# a new client reached session_stopped in $((t1 - t0)) ms"
check "a new client upgrades and starts during the flood" "$T/quick.out" \
    '"type":"session_started"' '"type":"session_stopped"'
echo "elapsed_ms=$((t1 - t0))" >"$T/quick.ms"
[ $((t1 - t0)) -lt 1000 ] && ok "... in under 1 s ($((t1 - t0)) ms)" ||
    not_ok "... in under 1 s (took $((t1 - t0)) ms)" "$T/quick.ms"

$WSCLIENT -T 10 -a "$T/short.pcm" "$URL" >"$T/short.out" 2>&1
check "a new client streams a recognition during the flood" \
    "$T/short.out" '"type":"transcription"' '"type":"session_stopped"'

wait "$LONG_PID"
check "the recognition running before the flood finished" "$T/long.out" \
    '"type":"transcription"' '"type":"session_stopped"'
whole_long=$(count_sha "$T/si.si.log" 256000 "$LONG_SHA")
whole_short=$(count_sha "$T/si.si.log" 32000 "$SHORT_SHA")
[ "$whole_long" -eq 1 ] && [ "$whole_short" -eq 1 ] &&
    ok "Riva received both streams whole" ||
    not_ok "Riva received both streams whole ($whole_long, $whole_short)" \
    "$T/si.si.log"

curl -s -m 5 "http://127.0.0.1:$P/metrics" >"$T/m2.txt"
shed=$(sed -n 's/^audio_bridge_front_shed_total \([0-9]*\)$/\1/p' "$T/m2.txt")
[ "${shed:-0}" -gt 0 ] && ok "/metrics counts shed connections ($shed)" ||
    not_ok "/metrics counts shed connections" "$T/m2.txt"
pending=$(sed -n 's/^audio_bridge_front_pending_heads \([0-9]*\)$/\1/p' "$T/m2.txt")
[ "${pending:-999}" -le 128 ] &&
    ok "one address holds at most its share of pending heads ($pending)" ||
    not_ok "one address holds at most its share of pending heads" "$T/m2.txt"

kill "$IDLE_PID" 2>/dev/null
wait "$IDLE_PID" 2>/dev/null
stop_pid "$BRIDGE_PID"
echo "rc=$STOP_RC" >"$T/rc"
check "bridge exits 0 after the flood" "$T/rc" '^rc=0$'
tap_done
