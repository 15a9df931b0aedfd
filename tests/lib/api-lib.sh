# api-lib.sh: shared by the integration test scripts (sourced, not run).
#
# Each test gets its own RUN_DIR under $top_builddir/run/, its own ports
# (from the environment, else from its block in tests/lib/ports.sh), TAP
# lines for its own checks (tests/lib/tap.sh) and a trap that stops
# everything it started, whether the test passes, fails or is interrupted.

set -euo pipefail
SRCDIR=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
SRCDIR=$(cd "$SRCDIR" && pwd)
BUILDDIR=${top_builddir:-$SRCDIR}
BUILDDIR=$(cd "$BUILDDIR" && pwd)
export BUILDDIR
export JWTMINT=${JWTMINT:-$BUILDDIR/tests/tools/jwtmint}
DEVSTACK=$SRCDIR/tests/tools/devstack.sh
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/lib/ports.sh"

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

# api_rundir NAME: a fresh run dir for this test (NAME-pg when the script
# runs with its journal on PostgreSQL, beside the SQLite run).
api_rundir() {
	RUN_DIR=$BUILDDIR/run/test-$1
	[ "${JOURNAL_BACKEND:-}" = postgresql ] && RUN_DIR=$RUN_DIR-pg
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

# api_stack_down: stop the stack (tests/tools/devstack.sh down) and the
# fault proxy of api_proxy_stack_up if there is one, quietly; never fails.
# The EXIT trap of every test that starts one, or part of it.
API_PROXY_PID=
api_stack_down() {
	"$DEVSTACK" down >/dev/null 2>&1 || true
	[ -n "$API_PROXY_PID" ] && kill "$API_PROXY_PID" 2>/dev/null
	return 0
}

# api_stack_up: start the stack and export what it describes (api_env),
# with API_PID the master's pid when the stack has one (lighttpd in front).
api_stack_up() {
	"$DEVSTACK" up
	api_env
	API_PID=$(cat "$RUN_DIR/audio-api.pid" 2>/dev/null || true)
	export API_PID
}

# api_proxy_stack_up: api_stack_up with s3rver behind
# tests/tools/s3-fault-proxy.js, which listens on S3_API_PORT (the API's
# s3_endpoint; the caller sets it) and logs to
# $RUN_DIR/log/s3-fault-proxy.log; PROXY_URL is its URL, for the drivers
# to switch its modes.  api_stack_down stops it.
api_proxy_stack_up() {
	export PROXY_URL=http://127.0.0.1:$S3_API_PORT
	mkdir -p "$RUN_DIR/log"
	PROXY_PORT=$S3_API_PORT node "$SRCDIR/tests/tools/s3-fault-proxy.js" \
		>"$RUN_DIR/log/s3-fault-proxy.log" 2>&1 &
	API_PROXY_PID=$!
	api_stack_up
}

# api_node DRIVER [ARGS...]: run the Node driver tests/integration/DRIVER;
# if it fails, show the stack's logs and fail the test.
api_node() {
	local d=$1
	shift
	if ! node "$SRCDIR/tests/integration/$d" "$@"; then
		api_logs
		exit 1
	fi
}

# check STATUS WHAT [GOT]: one TAP line, ok when STATUS is 0, else not ok
# showing GOT.  (api-conf.sh and journal-pg-faults.sh have a check() of
# their own.)
check() {
	if [ "$1" = 0 ]; then
		ok "$2"
	else
		not_ok "$2" "${3:+got: $3}"
	fi
}
# is A B: 0 when A is B, else 1 (a STATUS for check).
is() { [ "$1" = "$2" ]; echo $?; }

# api_client USER: the shell tests' own client of the running stack:
# TOKEN, a token for USER-$$ (devstack.sh token), and TMP, the folder
# $RUN_DIR/client for the files of the requests below.
api_client() {
	TOKEN=$("$DEVSTACK" token "$1-$$")
	TMP=$RUN_DIR/client
	mkdir -p "$TMP"
}

# api METHOD PATH [JSON]: a request to the API with TOKEN; the body in
# $TMP/out, the status on stdout.
api() {
	local args=(-s -o "$TMP/out" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer $TOKEN")
	if [ $# -ge 3 ]; then
		args+=(-H 'Content-Type: application/json' -d "$3")
	fi
	curl "${args[@]}" "$API_URL$2"
}
# out FILTER: jq -r FILTER on the last answer of api().
out() { jq -r "$1" "$TMP/out"; }

# s3 METHOD KEY [CURL ARGS...]: a request to the bucket signed with the
# API's own key (curl's SigV4), as another writer of the bucket would
# send it; what S3 answers on stdout.
s3() {
	local m=$1 k=$2
	shift 2
	printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
		curl -s -K - --aws-sigv4 "aws:amz:$AWS_REGION:s3" -X "$m" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@" \
		"$S3_ENDPOINT/$S3_BUCKET/$k"
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

# api_ports ENVNAME [N]: API_PORT from $ENVNAME when the environment sets
# it, else the first of N (default 2) free consecutive ports of this
# test's block in tests/lib/ports.sh; S3_PORT is the next one.
# API_PORT_FORCE=1 keeps API_PORT and S3_PORT exactly as the environment
# gives them.
api_ports() {
	if [ -n "${API_PORT_FORCE:-}" ]; then
		return 0
	fi
	port_env API_PORT "$1" "${2:-2}"
	export API_PORT S3_PORT=$((API_PORT + 1))
}
