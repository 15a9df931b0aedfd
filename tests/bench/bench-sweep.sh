#!/usr/bin/env bash
# bench-sweep.sh: the orphan sweep's time and memory against many objects,
# and the API's presign latency with and without a sweep running.
#
#   make bench-sweep                          (builds, then this)
#   SMALL=10000 LARGE=100000 WRK_SECONDS=10 tests/bench/bench-sweep.sh
#
# The stack is tests/tools/devstack.sh (lighttpd, audio-api with 2 workers
# and its delivery child, s3rver, SQLite journal).  5 real sessions of 4
# chunks go through the API (the journal knows them: the sweep looks each
# listed object up); then SMALL orphan chunks (10 per unknown session, 100
# users) are written straight into s3rver's directory in the layout of its
# FilesystemStore (KEY._S3rver_object and its .md5), which is what a PUT
# leaves there, far faster than 100,000 PUTs.  Then, each by SIGHUP:
#   1. sweep = dry-run over SMALL+25 objects: the pass's time (from the
#      journal's passStartedAt to lastPass.endedAt), the delivery
#      process's largest RSS while it ran (VmRSS every 50 ms) and the CPU
#      time it and s3rver used;
#   2. sweep = on over the same: the time to delete them all (500 keys a
#      round here: s3rver deletes about 400 keys a second, one after the
#      other, and a DeleteObjects of 1000 outlasts the stack's s3_timeout
#      of 3 s);
#   3. LARGE orphans written, sweep = dry-run: time and largest RSS again
#      (the bound: one page of 1000 keys, whatever the bucket holds);
#   4. presign p50/p99 (wrk -t1 -c4, WRK_SECONDS) with the sweep off, then
#      during the LARGE pass (wrk starts 1 s into it), then off again.
# S3 is another host's work in production: s3rver is pinned to CPU S3_CPU
# (default: the last one, when there are two or more; S3_CPU=none leaves
# everything unpinned), and lighttpd, audio-api (its workers and the
# delivery child that sweeps) and wrk to the others, so the latency shows
# what a sweep costs the API host, not what s3rver's listing costs a
# shared CPU.
# Not part of `make check`.  Ports: BENCH_SWEEP_PORT (+1 for s3rver), else
# its block in tests/lib/ports.sh.
set -euo pipefail
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILDDIR=${BUILDDIR:-$SRCDIR}
export BUILDDIR
export RUN_DIR=${RUN_DIR:-$BUILDDIR/run/bench-sweep}
. "$SRCDIR/tests/lib/ports.sh"
port_env API_PORT BENCH_SWEEP_PORT 2
export API_PORT S3_PORT=$((API_PORT + 1))
export WORKERS=${WORKERS:-2}
SMALL=${SMALL:-10000}
LARGE=${LARGE:-100000}
WRK_SECONDS=${WRK_SECONDS:-10}
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
	S3_CPU=${S3_CPU:-$((NCPU - 1))}
else
	S3_CPU=none
fi
API_CPUS=""
if [ "$S3_CPU" != none ]; then
	for ((c = 0; c < NCPU; c++)); do
		[ "$c" = "$S3_CPU" ] || API_CPUS=${API_CPUS:+$API_CPUS,}$c
	done
fi
DEVSTACK=$SRCDIR/tests/tools/devstack.sh
command -v wrk >/dev/null || { echo "bench-sweep: wrk missing (apt-get install wrk)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-sweep: jq missing" >&2; exit 1; }

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
cleanup() { "$DEVSTACK" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "bench-sweep: failed at line $LINENO" >&2' ERR

export API_EXTRA_CONF="session_max_open = 0
sweep = off
sweep_interval = 1h
sweep_min_age = 0
sweep_grace = 0
sweep_page_keys = 500"
"$DEVSTACK" up >/dev/null
eval "$("$DEVSTACK" env | sed 's/^/export /')"
TOKEN=$("$DEVSTACK" token bench-user)
export TOKEN
MASTER=$(cat "$RUN_DIR/audio-api.pid")
S3PID=$(cat "$RUN_DIR/s3rver.pid")
CONF=$RUN_DIR/audio-api.conf
# pin CPUS PID: the process and all its threads (workers forked later
# inherit it from the master).
pin() { taskset -a -p -c "$1" "$2" >/dev/null; }
WRK_PIN=()
if [ "$S3_CPU" != none ]; then
	pin "$S3_CPU" "$S3PID"
	pin "$API_CPUS" "$(cat "$RUN_DIR/lighttpd.pid")"
	pin "$API_CPUS" "$MASTER"
	for f in /proc/[0-9]*/stat; do
		awk -v p="$MASTER" '{ sub(/.*\) /, ""); if ($2 == p) { split(FILENAME, a, "/"); print a[3] } }' "$f" 2>/dev/null || true
	done | while read -r child; do pin "$API_CPUS" "$child"; done
	WRK_PIN=(taskset -c "$API_CPUS")
	# This script's own sampling (awk, curl, jq) is the measurement, not
	# the API host's load: it runs beside s3rver.
	pin "$S3_CPU" $$
fi

api() {
	curl -fsS -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -d "$2" "$API_URL$1"
}
head -c 1000 /dev/urandom >"$RUN_DIR/chunk.webm"
for _ in 1 2 3 4 5; do
	SID=$(api /sessions '{}' | jq -r .sessionId)
	for seq in 1 2 3 4; do
		api "/sessions/$SID/chunks/presign" "{\"seq\":$seq,\"tStartMs\":$(((seq - 1) * 5000)),\"tEndMs\":$((seq * 5000)),\"ext\":\"webm\",\"sizeBytes\":1000,\"contentType\":\"audio/webm\"}" >"$RUN_DIR/presign.json"
		mapfile -t PUTH < <(jq -r '.headers|to_entries[]|"-H\n\(.key): \(.value)"' "$RUN_DIR/presign.json")
		curl -fsS -X PUT "${PUTH[@]}" --upload-file "$RUN_DIR/chunk.webm" \
			"$(jq -r .putUrl "$RUN_DIR/presign.json")" >/dev/null
		KEY=$(jq -r .objectKey "$RUN_DIR/presign.json")
		api "/sessions/$SID/chunks/complete" "{\"seq\":$seq,\"objectKey\":\"$KEY\",\"bytes\":1000,\"tStartMs\":$(((seq - 1) * 5000)),\"tEndMs\":$((seq * 5000))}" >/dev/null
	done
	api "/sessions/$SID/finalize" '{"durationMs":20000}' >/dev/null
done
# The presign wrk sends: one session, seq 1 again and again.
PSID=$(api /sessions '{}' | jq -r .sessionId)
export WRK_BODY='{"seq":1,"tStartMs":0,"tEndMs":5000,"ext":"webm","sizeBytes":1000,"contentType":"audio/webm"}'
cat >"$RUN_DIR/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
done = function(summary, latency, requests)
	io.write(string.format("RESULT p50=%.2fms p99=%.2fms requests=%d errors=%d\n",
	    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
	    summary.requests, summary.errors.status + summary.errors.connect +
	    summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF

# write_orphans FIRST COUNT: COUNT orphan chunks (10 per session) straight
# into s3rver's store.
write_orphans() {
	node -e '
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const [root, first, count] = [process.argv[1], +process.argv[2], +process.argv[3]];
const body = Buffer.alloc(1000, 7);
const md5 = crypto.createHash("md5").update(body).digest("hex");
for (let i = first; i < first + count; i++) {
  const s = Math.floor(i / 10), seq = i % 10 + 1;
  const dir = path.join(root, "users", "orphan" + (s % 100), "audio",
    "sessions", "session-1-orphan" + s, "chunks");
  if (seq === 1) fs.mkdirSync(dir, { recursive: true });
  const name = String(seq).padStart(5, "0") + "-" +
    String((seq - 1) * 5000).padStart(6, "0") + "-" +
    String(seq * 5000).padStart(6, "0") + ".webm._S3rver_object";
  fs.writeFileSync(path.join(dir, name), body);
  fs.writeFileSync(path.join(dir, name + ".md5"), md5);
}' "$RUN_DIR/s3/$S3_BUCKET" "$1" "$2"
}

deliver_pid() {
	local f
	for f in /proc/[0-9]*/stat; do
		awk -v p="$MASTER" '{ c = $2; sub(/.*\) /, ""); if ($2 == p && c == "(audio-deliver)") { split(FILENAME, a, "/"); print a[3] } }' "$f" 2>/dev/null
	done
}
sweep_json() { curl -fsS "$API_URL/healthz" | jq -c '.sweep // {}'; }
set_sweep() {
	sed -i "s/^sweep = .*/sweep = $1/" "$CONF"
	kill -HUP "$MASTER"
}
# pass MODE [WRK_OUT]: one whole pass in MODE (made due at once in the
# journal: sweep_interval = 1h keeps the next one out of the way), the
# deliverer's RSS sampled until it ends; with WRK_OUT, wrk measures presign
# meanwhile into that file.  Prints "seconds max_rss_kib listed orphans
# deleted".
pass() {
	local before pid max=0 rss s wpid= t0 d0 s0 n=0
	set_sweep "$1"
	sleep 2		# the reload reaches the deliverer between rounds
	before=$(sweep_json | jq '.passes // 0')
	pid=$(deliver_pid)
	d0=$(cpu_ticks "$pid")
	s0=$(cpu_ticks "$S3PID")
	t0=$(date +%s%N)
	sqlite3 "$JOURNAL" "UPDATE sweep SET next_round_ms = 0"
	if [ -n "${2:-}" ]; then
		sleep 1
		latency >"$2" &
		wpid=$!
	fi
	while :; do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max" ] && max=$rss
		# RSS every 50 ms; /healthz (an API request) every second.
		if [ $((n++ % 20)) -eq 0 ]; then
			s=$(sweep_json)
			if [ "$(jq '.passes // 0' <<<"$s")" -gt "$before" ]; then
				break
			fi
		fi
		sleep 0.05
	done
	[ -n "$wpid" ] && wait "$wpid"
	echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms of wall clock; CPU: deliverer $(( ($(cpu_ticks "$pid") - d0) * 10 )) ms, s3rver $(( ($(cpu_ticks "$S3PID") - s0) * 10 )) ms" >"$RUN_DIR/cpu-$1"
	node -e 'const s = JSON.parse(process.argv[1]);
console.log(((Date.parse(s.lastPass.endedAt) - Date.parse(s.passStartedAt)) / 1000).toFixed(1), process.argv[2], s.lastPass.listed, s.lastPass.orphans, s.deleted);' "$s" "$max"
}
# cpu_ticks PID: user + system clock ticks (1/100 s) the process used.
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
latency() {
	"${WRK_PIN[@]}" wrk -t1 -c4 -d"${WRK_SECONDS}s" --latency -s "$RUN_DIR/post.lua" \
	    "$API_URL/sessions/$PSID/chunks/presign" | awk '/^RESULT/ { $1 = ""; print }'
}

echo "# $NCPU CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $WORKERS workers; SQLite journal; s3rver 4.0.4; s3rver on CPU $S3_CPU, the API, lighttpd and wrk on ${API_CPUS:-any}"
t0=$(date +%s.%N)
write_orphans 0 "$SMALL"
echo "wrote $SMALL orphans into s3rver's store in $(echo "$(date +%s.%N) - $t0" | bc) s"
read -r secs rss listed orphans deleted < <(pass dry-run)
echo "dry-run pass over $listed objects: ${secs} s, $orphans orphans found, deliverer max RSS $rss KiB ($(cat "$RUN_DIR/cpu-dry-run"))"
read -r secs rss listed orphans deleted < <(pass on)
echo "deleting pass over $listed objects: ${secs} s, $deleted deleted, deliverer max RSS $rss KiB ($(cat "$RUN_DIR/cpu-on"))"
write_orphans 0 "$LARGE"
echo "wrote $LARGE orphans"
set_sweep off
sleep 1
echo "presign, no sweep:      $(latency)"
read -r secs rss listed orphans deleted < <(pass dry-run "$RUN_DIR/wrk-during")
echo "presign, sweep running: $(cat "$RUN_DIR/wrk-during")"
echo "dry-run pass over $listed objects: ${secs} s, $orphans orphans found, deliverer max RSS $rss KiB ($(cat "$RUN_DIR/cpu-dry-run"))"
set_sweep off
sleep 1
# Again without a sweep: a shared machine's drift shows as a difference
# between the two runs without one.
echo "presign, no sweep again: $(latency)"
