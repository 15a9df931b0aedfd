# api-lib.sh: shared by the integration test scripts (sourced, not run).
#
# Each test gets its own RUN_DIR under $top_builddir/run/, its own ports
# (from the environment, defaults in 18000-18099) and a trap that stops
# everything it started, whether the test passes, fails or is interrupted.

set -euo pipefail
SRCDIR=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SRCDIR=$(cd "$SRCDIR" && pwd)
BUILDDIR=${top_builddir:-$SRCDIR}
BUILDDIR=$(cd "$BUILDDIR" && pwd)
export BUILDDIR
export JWTMINT=${JWTMINT:-$BUILDDIR/tests/jwtmint}
DEVSTACK=$SRCDIR/tests/devstack.sh

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
