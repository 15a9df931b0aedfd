# api-lib.sh: shared by the integration test scripts (sourced, not run).
#
# Each test gets its own RUN_DIR under $top_builddir/run/, its own ports
# (from the environment, defaults in 18000-18099) and a trap that stops
# everything it started, whether the test passes, fails or is interrupted.

set -euo pipefail
SRCDIR=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
SRCDIR=$(cd "$SRCDIR" && pwd)
BUILDDIR=${top_builddir:-$SRCDIR}
BUILDDIR=$(cd "$BUILDDIR" && pwd)
export BUILDDIR
export JWTMINT=${JWTMINT:-$BUILDDIR/tests/tools/jwtmint}
DEVSTACK=$SRCDIR/tests/tools/devstack.sh

# api_need PROGRAM...: fail (not skip) when a tool is missing; CI installs
# them all through autogen.sh --deps.
api_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] || {
			echo "$0: $p is missing (./autogen.sh --deps installs it)" >&2
			exit 1
		}
	done
}

# api_rundir NAME: a fresh run dir for this test.
api_rundir() {
	RUN_DIR=$BUILDDIR/run/test-$1
	rm -rf "$RUN_DIR"
	mkdir -p "$RUN_DIR"
	export RUN_DIR
}

# api_env: export what devstack.sh env prints.
api_env() {
	local line
	while IFS= read -r line; do
		export "${line?}"
	done < <("$DEVSTACK" env)
	export CORS_ORIGIN=http://127.0.0.1:$API_PORT
}

# api_logs: show the logs of a failed run.
api_logs() {
	local f
	for f in "$RUN_DIR"/log/*; do
		[ -f "$f" ] || continue
		echo "----- $f (last 40 lines)"
		tail -n 40 "$f"
	done
}

# api_port_free PORT: true if nothing listens on 127.0.0.1:PORT.
api_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# api_ports DEFAULT: set API_PORT and S3_PORT to DEFAULT and DEFAULT+1, or,
# if either is taken (another worktree running the same suite), to a free
# pair elsewhere in 18000-18099.  API_PORT_FORCE=1 keeps API_PORT and
# S3_PORT exactly as the environment gives them.
api_ports() {
	local base=$1 i p
	if [ -n "${API_PORT_FORCE:-}" ]; then
		return 0
	fi
	for i in $(seq 0 49); do
		if [ "$i" = 0 ]; then
			p=$base
		else
			p=$((18000 + 2 * ((RANDOM + i) % 50)))
		fi
		if api_port_free "$p" && api_port_free $((p + 1)); then
			export API_PORT=$p S3_PORT=$((p + 1))
			return 0
		fi
	done
	echo "$0: no free port pair in 18000-18099" >&2
	exit 1
}
