# bridge-lib.sh: helpers shared by the audio-bridge integration tests
# (sourced, not run).  Every test gets a scratch directory, starts what it
# needs on loopback ports and kills it all on exit, even on failure.

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${srcdir:-$top_builddir}
BRIDGE=$top_builddir/bridge/audio-bridge
WSCLIENT=$top_builddir/tests/tools/wsclient
JWTMINT=$top_builddir/tests/tools/jwtmint
STANDIN=$top_builddir/tests/tools/riva-standin

T=$(mktemp -d "${TMPDIR:-/tmp}/bridge-test.XXXXXX")
PIDS=""
FAILS=0
CASES=0

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ "$FAILS" -ne 0 ] || [ -n "$KEEP_TEST_DIR" ]; then
		echo "# logs kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT INT TERM

ok() { CASES=$((CASES + 1)); echo "ok $CASES - $1"; }
not_ok() {
	CASES=$((CASES + 1)); FAILS=$((FAILS + 1))
	echo "not ok $CASES - $1"
	[ -n "$2" ] && [ -f "$2" ] && sed 's/^/#   /' "$2" | cut -c1-400 | head -40
}

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

# free_port VAR LO HI: set VAR to a TCP port in [LO, HI] that nothing
# uses, starting at a random place: several copies of these tests (say a
# worktree's and main's `make check`) may run at the same time.
USED_PORTS=""
free_port() {
	fp_n=$(($3 - $2 + 1))
	fp_off=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % fp_n ))
	fp_k=0
	while [ $fp_k -lt $fp_n ]; do
		fp_p=$(($2 + (fp_off + fp_k) % fp_n))
		fp_k=$((fp_k + 1))
		case " $USED_PORTS " in *" $fp_p "*) continue ;; esac
		[ -n "$(ss -Htan "sport = :$fp_p" 2>/dev/null)" ] && continue
		USED_PORTS="$USED_PORTS $fp_p"
		eval "$1=$fp_p"
		return 0
	done
	echo "# no free port in $2-$3"
	exit 1
}

# start_bridge NAME PORT [VAR=value...]: run the bridge with a config from
# the environment, wait until it answers HTTP.
start_bridge() {
	name=$1; port=$2; shift 2
	env BRIDGE_CONFIG= BRIDGE_PORT="$port" BRIDGE_LISTEN=127.0.0.1 "$@" \
	    "$BRIDGE" >"$T/$name.log" 2>&1 &
	BRIDGE_PID=$!
	PIDS="$PIDS $BRIDGE_PID"
	i=0
	while ! curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$BRIDGE_PID" 2>/dev/null; then
			echo "# bridge $name did not start"
			cat "$T/$name.log"
			exit 1
		fi
		sleep 0.05
	done
}

# start_standin NAME ARGS...: the Riva stand-in on port $R,
# logging to $T/NAME.si.log; SI_PID is its pid.
start_standin() {
	name=$1; shift
	"$STANDIN" --port "$R" --log "$T/$name.si.log" "$@" \
	    >"$T/$name.si.out" 2>&1 &
	SI_PID=$!
	PIDS="$PIDS $SI_PID"
	i=0
	while ! grep -q '^listening' "$T/$name.si.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && { echo "# stand-in did not start"; exit 1; }
		sleep 0.05
	done
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

finish() {
	echo "1..$CASES"
	[ "$FAILS" -eq 0 ]
}
