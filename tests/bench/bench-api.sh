#!/usr/bin/env bash
# bench-api.sh: throughput of audio-api behind lighttpd, side by side with a
# trivial FastCGI responder on the same lighttpd and the same worker count.
#
#   make bench-api                      (builds what it needs, then this)
#   WORKERS=4 DURATION=10 CONNS=32 THREADS=2 ROUNDS=3 tests/bench/bench-api.sh
#
# Runs wrk against:
#   trivial   GET  /trivial           tests/bench/trivial-fcgi, N processes
#                                     (libfcgi's own lingering close)
#   trivialq  GET  /quickclose        the same with quick-close: closed as
#                                     audio-api's workers close (close(2)
#                                     alone once the input has ended)
#   presign   POST .../chunks/presign JWT check + journal read + SigV4 presign
#   complete  POST .../chunks/complete JWT + journal read (a retried
#             complete of one uploaded chunk: the idempotent path, answered
#             from the journal; the first one HEAD-verified the object)
#   list      GET  /sessions          JWT + one keyset page (20 sessions)
#   get       GET  /sessions/{id}     JWT + journal snapshot + a presigned
#             GET URL for its one chunk
# with the API logging at info (an access line per request, as deployed),
# and prints requests/s, p99 latency, worker CPU per request (/proc), system
# calls per request (perf stat on the workers, when perf can count
# raw_syscalls) and the largest worker RSS, plus the presign/trivial ratio
# (goal >= 90%) and the RSS goal (<= 16 MiB).
# Not part of `make check`.  Ports: BENCH_PORT, BENCH_S3_PORT (by default the next
# one), else two of its block in tests/lib/ports.sh (18094, 18095).
set -euo pipefail
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILDDIR=${BUILDDIR:-$SRCDIR}
export BUILDDIR
export RUN_DIR=${RUN_DIR:-$BUILDDIR/run/bench}
. "$SRCDIR/tests/lib/ports.sh"
port_env API_PORT BENCH_PORT 2
export API_PORT S3_PORT=${BENCH_S3_PORT:-$((API_PORT + 1))}
export WORKERS=${WORKERS:-4}
export API_LOG_LEVEL=${API_LOG_LEVEL:-info}
# The per-session presign limit on, so presign pays for its check, but high
# enough that one session's presigns at full speed never reach it.
export AUDIO_API_SESSION_PRESIGNS_PER_MINUTE=${AUDIO_API_SESSION_PRESIGNS_PER_MINUTE:-1000000000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
DEVSTACK=$SRCDIR/tests/tools/devstack.sh
TRIVIAL=$BUILDDIR/tests/bench/trivial-fcgi
command -v wrk >/dev/null || { echo "bench-api: wrk missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$TRIVIAL" ] || { echo "bench-api: build $TRIVIAL first (make bench-api)" >&2; exit 1; }

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
TPID=""
QPID=""
cleanup() {
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null
	"$DEVSTACK" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
# Interrupted: clean up (the EXIT trap) and stop, not carry on.
trap 'exit 130' INT TERM

"$TRIVIAL" "unix:$RUN_DIR/trivial.sock" "$WORKERS" &
TPID=$!
"$TRIVIAL" "unix:$RUN_DIR/trivialq.sock" "$WORKERS" quick-close &
QPID=$!
export LIGHTTPD_EXTRA_CONF="fastcgi.server += ( \"/trivial\" => (( \"socket\" => \"$RUN_DIR/trivial.sock\", \"check-local\" => \"disable\" )), \"/quickclose\" => (( \"socket\" => \"$RUN_DIR/trivialq.sock\", \"check-local\" => \"disable\" )) )"
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
# 19 more sessions: the list page holds 20.
for _ in $(seq 2 20); do api /sessions '{}' >/dev/null; done

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
# The children of a process, from /proc (no procps needed).
children() {
	local f
	for f in /proc/[0-9]*/stat; do
		awk -v p="$1" '{ sub(/.*\) /, ""); if ($2 == p) { split(FILENAME, a, "/"); print a[3] } }' "$f" 2>/dev/null
	done
}
worker_rss() {
	local max=0 pid rss
	for pid in $(children "$1"); do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max" ] && max=$rss
	done
	echo $((max))
}

# ticks PARENT: CPU time of its children in clock ticks, "user+system user"
# (the kernel's share is the system calls; on a loaded VM it swings more).
ticks() {
	local pid t=0 u=0 st
	for pid in $(children "$1"); do
		st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
		set -- $st
		t=$((t + ${12} + ${13}))
		u=$((u + ${12}))
	done
	echo "$t $u"
}
HZ=$(getconf CLK_TCK)

# The request-serving children of a process, comma-separated (the delivery
# child is left out: its polling is not per request).
serving() {
	local pid out=""
	for pid in $(children "$1"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = audio-deliver ] && continue
		out=${out:+$out,}$pid
	done
	echo "$out"
}
# perf counts system calls without tracing them one by one (strace would
# slow the workers many times over); no perf or no permission: "-".
PERF=""
if command -v perf >/dev/null &&
    perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
	PERF=perf
fi

# run NAME PATH METHOD BODY PARENT-PID: one wrk run; keeps the best
# requests/s of the rounds (the machine may be shared: best-of-N is the
# least noisy estimate of what the code can do) with its p99.
run() {
	local out rps p99 errs total best t0 t1 u0 u1 us uus pp="" sc="-"
	if [ -n "$PERF" ]; then
		perf stat -x, -o "$RUN_DIR/perf.$1" -e raw_syscalls:sys_enter \
			-p "$(serving "$5")" 2>/dev/null &
		pp=$!
	fi
	read -r t0 u0 <<<"$(ticks "$5")"
	out=$(WRK_METHOD=$3 WRK_BODY=$4 wrk -t"$THREADS" -c"$CONNS" \
		-d"${DURATION}s" -s "$RUN_DIR/post.lua" \
		"http://127.0.0.1:$API_PORT$2" | grep '^RESULT')
	read -r _ rps p99 errs total <<<"$out"
	read -r t1 u1 <<<"$(ticks "$5")"
	if [ -n "$pp" ]; then
		kill -INT "$pp" 2>/dev/null || true
		wait "$pp" 2>/dev/null || true
		sc=$(awk -F, -v n="$total" '/raw_syscalls/ && n > 0 {
			printf "%.1f", $1 / n }' "$RUN_DIR/perf.$1")
	fi
	us=$(( (t1 - t0) * 1000000 / HZ / (total > 0 ? total : 1) ))
	uus=$(( (u1 - u0) * 1000000 / HZ / (total > 0 ? total : 1) ))
	printf '  round %s %-9s %10s req/s   p99 %8s ms   errors %5s of %7s   worker CPU %4s us/req (user %4s)   syscalls %5s/req\n' \
		"$ROUND" "$1" "$rps" "$p99" "$errs" "$total" "$us" "$uus" "${sc:--}"
	eval "CPU_$1=\"\${CPU_$1:-} $us\""
	eval "UCPU_$1=\"\${UCPU_$1:-} $uus\""
	eval "SC_$1=\"\${SC_$1:-} ${sc:--}\""
	eval "best=\${BEST_$1:-0}"
	if awk -v a="$rps" -v b="$best" 'BEGIN { exit !(a > b) }'; then
		eval "BEST_$1=$rps; P99_$1=$p99"
	fi
	eval "ERRS_$1=\$(( \${ERRS_$1:-0} + errs ))"
}

ROUNDS=${ROUNDS:-3}
echo "# lighttpd + $WORKERS FastCGI workers, wrk -t$THREADS -c$CONNS -d${DURATION}s, best of $ROUNDS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ROUND in $(seq 1 "$ROUNDS"); do
	run trivial /trivial GET "" "$TPID"
	run trivialq /quickclose GET "" "$QPID"
	run presign "/api/audio/sessions/$SID/chunks/presign" POST "$PRESIGN" "$MASTER"
	run complete "/api/audio/sessions/$SID/chunks/complete" POST "$COMPLETE" "$MASTER"
	run list "/api/audio/sessions" GET "" "$MASTER"
	run get "/api/audio/sessions/$SID" GET "" "$MASTER"
done
echo
printf '%-9s %12s %12s %8s %14s\n' what "req/s(best)" "p99 ms" errors "worker RSS KiB"
printf '%-9s %12s %12s %8s %14s\n' trivial "$BEST_trivial" "$P99_trivial" "$ERRS_trivial" "$(worker_rss "$TPID")"
printf '%-9s %12s %12s %8s %14s\n' trivialq "$BEST_trivialq" "$P99_trivialq" "$ERRS_trivialq" "$(worker_rss "$QPID")"
printf '%-9s %12s %12s %8s %14s\n' presign "$BEST_presign" "$P99_presign" "$ERRS_presign" "$(worker_rss "$MASTER")"
printf '%-9s %12s %12s %8s %14s\n' complete "$BEST_complete" "$P99_complete" "$ERRS_complete" "$(worker_rss "$MASTER")"
printf '%-9s %12s %12s %8s %14s\n' list "$BEST_list" "$P99_list" "$ERRS_list" "$(worker_rss "$MASTER")"
printf '%-9s %12s %12s %8s %14s\n' get "$BEST_get" "$P99_get" "$ERRS_get" "$(worker_rss "$MASTER")"
echo "worker CPU per request (us, each round): trivial${CPU_trivial}; trivialq${CPU_trivialq}; presign${CPU_presign}; complete${CPU_complete}; list${CPU_list}; get${CPU_get}"
echo "  of which user space: trivial${UCPU_trivial}; trivialq${UCPU_trivialq}; presign${UCPU_presign}; complete${UCPU_complete}; list${UCPU_list}; get${UCPU_get}"
echo "system calls per request (each round): trivial${SC_trivial}; trivialq${SC_trivialq}; presign${SC_presign}; complete${SC_complete}; list${SC_list}; get${SC_get}"
awk -v p="$BEST_presign" -v t="$BEST_trivial" -v q="$BEST_trivialq" 'BEGIN {
	printf "presign / trivial = %.0f%% (goal >= 90%%)\n", 100 * p / t
	printf "presign / trivialq (the same close as audio-api) = %.0f%%\n", 100 * p / q }'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
rss=$(worker_rss "$MASTER")
echo "largest audio-api worker RSS: $rss KiB ($((rss / 1024)) MiB; goal <= 16 MiB)"
