# bridge-lib.sh: helpers shared by the audio-bridge integration tests
# (sourced, not run).  Every test gets a scratch directory, starts what it
# needs on loopback ports (tests/lib/ports.sh) and kills it all on exit, even
# on failure; its checks print TAP through tests/lib/tap.sh.

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${srcdir:-$top_builddir}
BRIDGE=$top_builddir/bridge/audio-bridge
WSCLIENT=$top_builddir/tests/tools/wsclient
JWTMINT=$top_builddir/tests/tools/jwtmint
STANDIN=$top_builddir/tests/tools/riva-standin
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/ports.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/bridge-test.XXXXXX")
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ "$TAP_FAILS" -ne 0 ] || [ -n "${KEEP_TEST_DIR:-}" ]; then
		echo "# logs kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT INT TERM

# check NAME FILE PATTERN...: every extended regexp must match a line.
check() {
	name=$1; file=$2; shift 2
	for pat in "$@"; do
		if ! grep -Eq -- "$pat" "$file"; then
			not_ok "$name (no line matches: $pat)" "$file"
			return 1
		fi
	done
	ok "$name"
}

# check_not NAME FILE PATTERN: the pattern must not match.
check_not() {
	if grep -Eq -- "$3" "$2"; then
		not_ok "$1 (unexpected: $3)" "$2"
		return 1
	fi
	ok "$1"
}

# wait_started WHAT PID TRIES LOG TEST...: until the command TEST succeeds
# (tried every 50 ms); if PID exits or TRIES pass first, the test fails
# with LOG shown.  What the start_* helpers below (and tests/lib/asr-lib.sh's)
# wait with.
wait_started() {
	ws_what=$1; ws_pid=$2; ws_max=$3; ws_log=$4; shift 4
	ws_i=0
	until "$@"; do
		ws_i=$((ws_i + 1))
		if [ $ws_i -gt "$ws_max" ] || ! kill -0 "$ws_pid" 2>/dev/null; then
			echo "# $ws_what did not start"
			cat "$ws_log"
			exit 1
		fi
		sleep 0.05
	done
}

# start_bridge NAME PORT [VAR=value...]: run the bridge with a config from
# the environment, wait until it answers HTTP.
start_bridge() {
	name=$1; port=$2; shift 2
	env BRIDGE_CONFIG= BRIDGE_PORT="$port" BRIDGE_LISTEN=127.0.0.1 "$@" \
	    "$BRIDGE" >"$T/$name.log" 2>&1 &
	BRIDGE_PID=$!
	PIDS="$PIDS $BRIDGE_PID"
	wait_started "bridge $name" "$BRIDGE_PID" 600 "$T/$name.log" \
	    curl -s -o /dev/null "http://127.0.0.1:$port/healthz"
}

# start_standin NAME ARGS...: the Riva stand-in on port $R,
# logging to $T/NAME.si.log; SI_PID is its pid.
start_standin() {
	name=$1; shift
	"$STANDIN" --port "$R" --log "$T/$name.si.log" "$@" \
	    >"$T/$name.si.out" 2>&1 &
	SI_PID=$!
	PIDS="$PIDS $SI_PID"
	wait_started stand-in "$SI_PID" 600 "$T/$name.si.out" \
	    grep -qs '^listening' "$T/$name.si.log"
}

# jwt_setup: an RSA key $T/k1.pem, its JWKS (kid1) in $T/jwks.json, the
# issuer ISS and good, a valid ID token of it for app client client1.
jwt_setup() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$T/k1.pem" 2>/dev/null
	ISS=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST
	$JWTMINT jwks "$T/k1.pem" kid1 >"$T/jwks.json"
	good=$($JWTMINT token "$T/k1.pem" kid1 $ISS client1 \
	    11111111-2222-3333-4444-555555555555)
}

# count_sha LOG BYTES SHA: streams that ended ok with exactly this audio.
count_sha() {
	grep -c "end outcome=ok bytes=$2 .*sha256=$3" "$1"
}

# wait_jwks LOG: until the bridge logging to LOG has its signing keys (they
# are fetched by a thread of their own).
wait_jwks() {
	i=0
	until grep -q 'JWKS from file://' "$1"; do
		i=$((i + 1)); [ $i -gt 600 ] && break; sleep 0.05
	done
}

# wait_metric PORT NAME VALUE: until /metrics shows NAME VALUE (10 s).
wait_metric() {
	i=0
	until curl -s "http://127.0.0.1:$1/metrics" | grep -q "^$2 $3\$"; do
		i=$((i + 1)); [ $i -gt 200 ] && return 1
		sleep 0.05
	done
}

# stop_pid PID: SIGTERM and wait; sets STOP_RC.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	STOP_RC=$?
}

# pcm FILE SECONDS: deterministic PCM16 16 kHz test audio.
pcm() {
	head -c $(($2 * 32000)) /dev/urandom >"$1"
}
