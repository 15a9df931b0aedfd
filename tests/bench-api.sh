#!/usr/bin/env bash
# bench-api.sh: throughput of audio-api behind lighttpd, side by side with a
# trivial FastCGI responder on the same lighttpd and the same worker count.
#
#   make bench-api                      (builds what it needs, then this)
#   WORKERS=4 DURATION=10 CONNS=32 THREADS=2 tests/bench-api.sh
#
# Runs wrk against:
#   trivial   GET  /trivial           tests/trivial-fcgi, N processes
#   presign   POST .../chunks/presign JWT check + journal read + SigV4 presign
#   complete  POST .../chunks/complete JWT + S3 HEAD (s3rver) + journal
#             (a retried complete of one uploaded chunk: the idempotent path)
# and prints requests/s, p99 latency and the largest worker RSS, plus the
# presign/trivial ratio (goal >= 70%) and the RSS goal (<= 16 MiB).
# Not part of `make check`.  Ports: BENCH_PORT (18090), BENCH_S3_PORT (18091).
set -euo pipefail
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${BUILDDIR:-$SRCDIR}
export BUILDDIR
export RUN_DIR=${RUN_DIR:-$BUILDDIR/run/bench}
export API_PORT=${BENCH_PORT:-18090}
export S3_PORT=${BENCH_S3_PORT:-18091}
export WORKERS=${WORKERS:-4}
export API_LOG_LEVEL=${API_LOG_LEVEL:-warn}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
DEVSTACK=$SRCDIR/tests/devstack.sh
TRIVIAL=$BUILDDIR/tests/trivial-fcgi
command -v wrk >/dev/null || { echo "bench-api: wrk missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$TRIVIAL" ] || { echo "bench-api: build $TRIVIAL first (make bench-api)" >&2; exit 1; }

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
TPID=""
cleanup() {
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	"$DEVSTACK" down >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

"$TRIVIAL" "unix:$RUN_DIR/trivial.sock" "$WORKERS" &
TPID=$!
export LIGHTTPD_EXTRA_CONF="fastcgi.server += ( \"/trivial\" => (( \"socket\" => \"$RUN_DIR/trivial.sock\", \"check-local\" => \"disable\" )) )"
"$DEVSTACK" up >/dev/null
eval "$("$DEVSTACK" env | sed 's/^/export /')"
TOKEN=$("$DEVSTACK" token bench-user)
export TOKEN

api() {
	curl -fsS -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -d "$2" "$API_URL$1"
}
SID=$(api /sessions '{}' | jq -r .sessionId)
PRESIGN='{"seq":1,"tStartMs":0,"tEndMs":5000,"ext":"webm","sizeBytes":1000,"contentType":"audio/webm"}'
api "/sessions/$SID/chunks/presign" "$PRESIGN" >"$RUN_DIR/presign.json"
head -c 1000 /dev/urandom >"$RUN_DIR/chunk.webm"
mapfile -t PUTH < <(jq -r '.headers|to_entries[]|"-H\n\(.key): \(.value)"' "$RUN_DIR/presign.json")
curl -fsS -X PUT "${PUTH[@]}" --upload-file "$RUN_DIR/chunk.webm" \
	"$(jq -r .putUrl "$RUN_DIR/presign.json")" >/dev/null
KEY=$(jq -r .objectKey "$RUN_DIR/presign.json")
COMPLETE="{\"seq\":1,\"objectKey\":\"$KEY\",\"bytes\":1000,\"tStartMs\":0,\"tEndMs\":5000}"
api "/sessions/$SID/chunks/complete" "$COMPLETE" >/dev/null

# wrk script: method, body and headers from the environment.
cat >"$RUN_DIR/post.lua" <<'EOF'
wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
done = function(summary, latency, requests)
	io.write(string.format("RESULT %.1f %.2f %d %d\n",
	    summary.requests / (summary.duration / 1e6),
	    latency:percentile(99) / 1000,
	    summary.errors.status + summary.errors.connect + summary.errors.read +
	    summary.errors.write + summary.errors.timeout, summary.requests))
end
EOF

MASTER=$(cat "$RUN_DIR/audio-api.pid")
worker_rss() {
	local max=0 pid rss
	for pid in $(pgrep -P "$1"); do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max" ] && max=$rss
	done
	echo $((max))
}

# run NAME PATH METHOD BODY PARENT-PID
run() {
	local out
	out=$(WRK_METHOD=$3 WRK_BODY=$4 wrk -t"$THREADS" -c"$CONNS" \
		-d"${DURATION}s" -s "$RUN_DIR/post.lua" \
		"http://127.0.0.1:$API_PORT$2" | grep '^RESULT')
	read -r _ rps p99 errs total <<<"$out"
	printf '%-9s %10s req/s   p99 %8s ms   errors %5s of %7s   worker RSS %6s KiB\n' \
		"$1" "$rps" "$p99" "$errs" "$total" "$(worker_rss "$5")"
	eval "RPS_$1=$rps"
}

echo "# lighttpd + $WORKERS FastCGI workers, wrk -t$THREADS -c$CONNS -d${DURATION}s, $(nproc) CPUs"
run trivial /trivial GET "" "$TPID"
run presign "/api/audio/sessions/$SID/chunks/presign" POST "$PRESIGN" "$MASTER"
run complete "/api/audio/sessions/$SID/chunks/complete" POST "$COMPLETE" "$MASTER"
awk -v p="$RPS_presign" -v t="$RPS_trivial" 'BEGIN {
	printf "presign / trivial = %.0f%% (goal >= 70%%)\n", 100 * p / t }'
rss=$(worker_rss "$MASTER")
echo "largest audio-api worker RSS after the run: $rss KiB ($((rss / 1024)) MiB; goal <= 16 MiB)"
