#!/bin/sh
# bridge-load.sh: 200 concurrent clients stream 3 s of audio each at real
# time through audio-bridge to the Riva stand-in.  Every client must finish
# its recognition with finals, and the stand-in must have received every
# stream whole (same SHA-256 as the file).
# Ports: BRIDGE_LOAD_TEST_PORT and the next one, else two of this test's
# block in tests/lib/ports.sh;
# BRIDGE_LOAD_CLIENTS (default 200).
. "$(dirname "$0")/../lib/bridge-lib.sh"

port_env P BRIDGE_LOAD_TEST_PORT 2; R=$((P + 1))
N=${BRIDGE_LOAD_CLIENTS:-200}

pcm "$T/a.pcm" 3
SHA=$(sha256sum "$T/a.pcm" | cut -d' ' -f1)
start_standin si --partial-every 3200 --final-every 32000
start_bridge load "$P" BRIDGE_AUTH=off RIVA_TARGET=127.0.0.1:$R

$WSCLIENT -q -T 60 -n "$N" -R 5 -r -a "$T/a.pcm" ws://127.0.0.1:$P/ \
    >"$T/load.out"
echo "# $(cat "$T/load.out")"
check "$N real-time clients all completed" "$T/load.out" \
    "\"clients\":$N,\"connected\":$N,\"completed\":$N,\"failed\":0,"
finals=$(sed -n 's/.*"finals":\([0-9]*\).*/\1/p' "$T/load.out")
[ "${finals:-0}" -ge "$N" ] && ok "every client got finals ($finals)" ||
    not_ok "every client got finals ($finals)" "$T/load.out"
whole=$(count_sha "$T/si.si.log" 96000 "$SHA")
[ "$whole" -eq "$N" ] && ok "Riva received all $N streams whole" ||
    not_ok "Riva received all $N streams whole (only $whole)" "$T/si.si.log"
curl -s "http://127.0.0.1:$P/metrics" >"$T/m.txt"
check "metrics: $N sessions, audio seconds, Riva latency histogram" \
    "$T/m.txt" "^audio_bridge_sessions_total $N\$" \
    "^audio_bridge_audio_seconds_total $((N * 3))(\\.0+)?\$" \
    '^audio_bridge_riva_rtt_seconds_count [1-9][0-9]*$'
stop_pid "$BRIDGE_PID"
echo "rc=$STOP_RC" >"$T/rc"
check "bridge exits 0 after the load" "$T/rc" '^rc=0$'
tap_done
