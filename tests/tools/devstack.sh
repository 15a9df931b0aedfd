#!/usr/bin/env bash
# devstack.sh: a complete local stack on loopback, for trying the API by
# hand (`make run`) and for the integration tests.
#
#   tests/tools/devstack.sh up       start s3rver, the JWKS, audio-api, lighttpd
#   tests/tools/devstack.sh down     stop them (by the pids recorded in RUN_DIR)
#   tests/tools/devstack.sh env      print KEY=VALUE lines describing the stack
#   tests/tools/devstack.sh token [USER]   print a valid Cognito-shaped ID token
#   tests/tools/devstack.sh walkthrough    print a curl walk-through
#
# What runs (all on 127.0.0.1):
#   - @20minutes/s3rver (tests/tools/s3rver.js), which checks SigV4 signatures,
#     with the bucket created and a generated key pair as the only account;
#   - a local JWKS: an RSA key made with openssl, its JWKS written by
#     tests/tools/jwtmint to a file that audio-api reads through a file:// URL;
#   - audio-api --workers N on a unix socket (the prefork pool);
#   - lighttpd in front of it with mod_fastcgi (external pool);
#   - the EventBridge stand-in (tests/tools/eventbridge-standin.js), which checks
#     SigV4 with the AWS SDK's signer and appends accepted events to
#     EVENTS_LOG; the delivery loop sends the events there.  It runs as
#     the master's extra child (FRONT=lighttpd) or as `audio-api --deliver`
#     (every other FRONT, where the web server spawns the workers).
# The bridge (real-time path): audio-bridge on BRIDGE_WS_PORT (18090) with
# JWT auth against the same local JWKS, talking to a local Riva on
# RIVA_STANDIN_PORT (18091), or to a real Riva when RIVA_TARGET is set (see
# the README).  RIVA_BACKEND picks the local one:
#   pocketsphinx (default)  asr/audio-recognizer: real speech recognition
#                           (PocketSphinx, CPU), the words that were said
#   standin                 tests/tools/riva-standin: scripted words, for tests
#                           that check exact results
# DEVSTACK_BRIDGE (auto): 1 starts it, 0 does not; auto starts it when it
# and the backend are built and API_PORT is the interactive default 18080
# (the API tests run several stacks at once on other ports and do not need
# it).
# RIVA_STANDIN_SCRIPT: with RIVA_BACKEND=standin, a script file for the
# stand-in (--script; exact, scripted results for the browser test) instead
# of its word rules.
# The web app (web/, FRONT=lighttpd and lighttpd-spawn): lighttpd serves the
# page at /, the API at /api/audio and tunnels /asr to the bridge, all on
# API_PORT, with this stack's own config.json (dev sign-in, WEB_CHUNK_SECONDS,
# default 5) and the dev sign-in endpoint /dev/token, a CGI that mints a
# token for any user name with tests/jwtmint.  That endpoint exists only
# here, never in the shipped configs.  s3rver gets the bucket CORS rule for
# the page's origin.  WEB_CONNECT_EXTRA: more origins the page may connect
# to (its CSP), e.g. a Cognito domain.
#
# Everything lives under RUN_DIR (default ./run, gitignored).  Ports and
# sizes come from the environment:
#   API_PORT (18080)  S3_PORT (18081)  WORKERS (4)  S3_BUCKET (audio-dev)
#   EB_PORT (0: any free port)  EVENTS_MODE (eventbridge, or discard)
#   S3_KEYS (config: the generated key pair in audio-api.conf; chain: no
#     keys there, audio-api walks the AWS credential chain of its env)
#   S3_API_PORT (S3_PORT; the fault tests put a proxy there)
#   JOURNAL_PATH ($RUN_DIR/journal.db)
#   CORS_ORIGINS (the stack's own page: http://localhost:API_PORT and
#     http://127.0.0.1:API_PORT; * for any origin)
#   AWS_REGION (us-east-1)  API_LOG_LEVEL (info)  API_EXTRA_CONF (lines
#   appended to audio-api.conf)  LIGHTTPD_EXTRA_CONF (lines appended to
#   lighttpd.conf)  LIGHTTPD (lighttpd)  BUILDDIR (.)
#   FRONT (lighttpd): how audio-api is hosted --
#     lighttpd        lighttpd mod_fastcgi -> `audio-api --workers N` pool
#     lighttpd-spawn  lighttpd spawns N audio-api itself (bin-path)
#     spawn-fcgi      spawn-fcgi forks N audio-api on a socket, lighttpd
#                     in front
#     apache          Apache 2.4 mod_fcgid spawns audio-api (own config
#                     and port; started as root, workers run as APACHE_USER)
#
# Several API hosts on one machine (FRONT=lighttpd only):
#   DEVSTACK_HOSTS (1, at most 8): N hosts sharing s3rver, the EventBridge
#     stand-in and the JWKS, each with its own lighttpd, `audio-api` pool
#     and delivery child.  Host 1 is the stack above, files in RUN_DIR;
#     host K (2..N) keeps its files in RUN_DIR/hostK/ and its logs as
#     RUN_DIR/log/hostK-*.log, and listens on API_PORT_K (API_PORT + K).
#   JOURNAL_BACKEND (sqlite): sqlite gives each host its own journal file
#     (host K: RUN_DIR/hostK/journal.db), so hosts know nothing of each
#     other's sessions; postgresql starts one private PostgreSQL under
#     RUN_DIR/pg (tests/lib/pg.sh: unix socket only, the role's password in
#     RUN_DIR/pgpass, PGPASSFILE in every audio-api's environment) and
#     every host's `journal =` is its DSN.  Each host's state_dir is its
#     own folder then.
# `up` records both in RUN_DIR/devstack.state, so `env`, `walkthrough` and
# `down` run from another shell describe the same stack.
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILDDIR=${BUILDDIR:-${top_builddir:-$SRCDIR}}
RUN_DIR=${RUN_DIR:-$SRCDIR/run}
. "$SRCDIR/tests/lib/pg.sh"
# What `up` last started, unless the environment says otherwise (for env
# and walkthrough; `up` itself takes only the environment).
DEVSTACK_STATE=$RUN_DIR/devstack.state
if [ "${1:-}" != up ] && [ -f "$DEVSTACK_STATE" ]; then
	DEVSTACK_HOSTS=${DEVSTACK_HOSTS:-$(sed -n 's/^DEVSTACK_HOSTS=//p' "$DEVSTACK_STATE")}
	JOURNAL_BACKEND=${JOURNAL_BACKEND:-$(sed -n 's/^JOURNAL_BACKEND=//p' "$DEVSTACK_STATE")}
fi
DEVSTACK_HOSTS=${DEVSTACK_HOSTS:-1}
JOURNAL_BACKEND=${JOURNAL_BACKEND:-sqlite}
case "$DEVSTACK_HOSTS" in
[1-8]) ;;
*) echo "devstack: DEVSTACK_HOSTS must be 1 to 8" >&2; exit 2 ;;
esac
case "$JOURNAL_BACKEND" in
sqlite|postgresql) ;;
*) echo "devstack: JOURNAL_BACKEND must be sqlite or postgresql" >&2; exit 2 ;;
esac
API_PORT=${API_PORT:-18080}
S3_PORT=${S3_PORT:-18081}
EB_PORT=${EB_PORT:-0}
S3_API_PORT=${S3_API_PORT:-$S3_PORT}
JOURNAL_PATH=${JOURNAL_PATH:-$RUN_DIR/journal.db}
EVENTS_MODE=${EVENTS_MODE:-eventbridge}
S3_KEYS=${S3_KEYS:-config}
WORKERS=${WORKERS:-4}
S3_BUCKET=${S3_BUCKET:-audio-dev}
AWS_REGION=${AWS_REGION:-us-east-1}
API_LOG_LEVEL=${API_LOG_LEVEL:-info}
LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
AUDIO_API=${AUDIO_API:-$BUILDDIR/fcgi/audio-api}
JWTMINT=${JWTMINT:-$BUILDDIR/tests/tools/jwtmint}
JWT_CLIENT_ID=${JWT_CLIENT_ID:-audio-dev-client}
JWT_KID=${JWT_KID:-audio-dev-key-1}
FRONT=${FRONT:-lighttpd}
APACHE_USER=${APACHE_USER:-www-data}
APACHE2=${APACHE2:-$(command -v apache2 || echo /usr/sbin/apache2)}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}
SPAWN_FCGI=${SPAWN_FCGI:-$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)}
JWT_ISSUER=${JWT_ISSUER:-https://cognito-idp.$AWS_REGION.amazonaws.com/${AWS_REGION}_devpool}
AUDIO_BRIDGE=${AUDIO_BRIDGE:-$BUILDDIR/bridge/audio-bridge}
RIVA_STANDIN=${RIVA_STANDIN:-$BUILDDIR/tests/tools/riva-standin}
BRIDGE_WS_PORT=${BRIDGE_WS_PORT:-18090}
WEB_CHUNK_SECONDS=${WEB_CHUNK_SECONDS:-5}
WEB_ORIGINS="http://127.0.0.1:$API_PORT http://localhost:$API_PORT"
RIVA_STANDIN_PORT=${RIVA_STANDIN_PORT:-18091}
RIVA_BACKEND=${RIVA_BACKEND:-pocketsphinx}
AUDIO_RECOGNIZER=${AUDIO_RECOGNIZER:-$BUILDDIR/asr/audio-recognizer}
case "$RIVA_BACKEND" in
pocketsphinx) RIVA_LOCAL=$AUDIO_RECOGNIZER ;;
standin) RIVA_LOCAL=$RIVA_STANDIN ;;
*) echo "devstack: RIVA_BACKEND must be pocketsphinx or standin" >&2; exit 2 ;;
esac
DEVSTACK_BRIDGE=${DEVSTACK_BRIDGE:-auto}
if [ "$DEVSTACK_BRIDGE" = auto ]; then
	DEVSTACK_BRIDGE=0
	if [ "$API_PORT" = 18080 ] && [ -x "$AUDIO_BRIDGE" ] &&
	    { [ -n "${RIVA_TARGET:-}" ] || [ -x "$RIVA_LOCAL" ]; }; then
		DEVSTACK_BRIDGE=1
	fi
fi

# host_dir K, host_port K, host_log K: where host K keeps its files, the
# port its lighttpd listens on, the prefix of its log files.  Host 1 is the
# single-host stack, unchanged.
host_dir() {
	if [ "$1" = 1 ]; then echo "$RUN_DIR"; else echo "$RUN_DIR/host$1"; fi
}
host_port() {
	local v="API_PORT_$1"
	if [ "$1" = 1 ]; then echo "$API_PORT"; else echo "${!v:-$((API_PORT + $1))}"; fi
}
host_log() {
	if [ "$1" = 1 ]; then echo "$RUN_DIR/log/"; else echo "$RUN_DIR/log/host$1-"; fi
}

# journal_of K: host K's `journal =`: the cluster's DSN for postgresql,
# else a SQLite file of its own.
journal_of() {
	if [ "$JOURNAL_BACKEND" = postgresql ]; then
		pg_dsn
	elif [ "$1" = 1 ]; then
		echo "$JOURNAL_PATH"
	else
		echo "$(host_dir "$1")/journal.db"
	fi
}

# die: say why, with the last lines of every log of the run (a CI log is
# often all anyone gets to see of a failed start), and fail.
die() {
	local f
	echo "devstack: $*" >&2
	for f in "$RUN_DIR"/log/*.log; do
		[ -f "$f" ] || continue
		echo "devstack: --- $f" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}

# Wait until a TCP port on loopback accepts connections.
wait_port() {
	local port=$1 what=$2 i
	for i in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "$what did not start on port $port (see $RUN_DIR/log)"
}

# Stop the process whose pid is in RUN_DIR/NAME.pid, if it is still ours.
stop_pid() {
	local name=$1 f="$RUN_DIR/$1.pid" pid
	[ -f "$f" ] || return 0
	for pid in $(cat "$f"); do
		stop_one "$name" "$pid"
	done
	rm -f "$f"
}

stop_one() {
	local name=$1 pid=$2 i
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "devstack: $name ($pid) did not stop, killing" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
}

secrets() {
	# Generated once per RUN_DIR: an access key pair for s3rver and an
	# RSA key for tokens.  Files are 0600; nothing goes through argv.
	umask 077
	if [ ! -f "$RUN_DIR/aws-access-key-id" ]; then
		printf 'AKIADEV%s\n' "$(openssl rand -hex 6 | tr a-f A-F)" \
			>"$RUN_DIR/aws-access-key-id"
		openssl rand -hex 20 >"$RUN_DIR/aws-secret-access-key"
	fi
	if [ ! -f "$RUN_DIR/jwt-key.pem" ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$RUN_DIR/jwt-key.pem" 2>/dev/null
	fi
	umask 022
	"$JWTMINT" jwks "$RUN_DIR/jwt-key.pem" "$JWT_KID" >"$RUN_DIR/jwks.json"
}

# The S3 key pair lines of audio-api.conf; none with S3_KEYS=chain (the
# workers then take credentials from the AWS chain in their environment).
s3_key_lines() {
	[ "$S3_KEYS" = chain ] && return 0
	printf 's3_access_key_id = %s\ns3_secret_access_key_file = %s\n' \
		"$(cat "$RUN_DIR/aws-access-key-id")" "$RUN_DIR/aws-secret-access-key"
}

write_api_conf() {
	local k=${1:-1} dir port extra="" listen workers=$WORKERS
	dir=$(host_dir "$k")
	port=$(host_port "$k")
	listen="unix:$dir/api.sock"
	# Host-local state (the S3 health probe, the JWKS copy, presign counts)
	# stays apart per host; by default it sits beside a SQLite journal.
	if [ "$k" != 1 ] || [ "$JOURNAL_BACKEND" = postgresql ]; then
		extra="state_dir = $dir
"
	fi
	if [ "$FRONT" != lighttpd ]; then
		# The web server (or spawn-fcgi) hands over the socket on fd 0
		# and counts the processes itself.
		listen=""
		workers=0
	fi
	cat >"$dir/audio-api.conf" <<EOF
# generated by tests/tools/devstack.sh (FRONT=$FRONT$([ "$DEVSTACK_HOSTS" = 1 ] || echo ", host $k of $DEVSTACK_HOSTS"))
listen = $listen
workers = $workers
log_level = $API_LOG_LEVEL
drain_timeout = 10s
journal = $(journal_of "$k")
s3_bucket = $S3_BUCKET
s3_region = $AWS_REGION
s3_endpoint = http://127.0.0.1:$S3_API_PORT
s3_addressing = path
s3_timeout = 3s
s3_connect_timeout = 1s
$(s3_key_lines)
jwt_issuer = $JWT_ISSUER
jwt_client_ids = $JWT_CLIENT_ID
jwt_jwks_url = file://$RUN_DIR/jwks.json
cors_origins = ${CORS_ORIGINS:-http://localhost:$port, http://127.0.0.1:$port}
health_cache = 0s
# Per-user and per-session limits off here: the tests create many sessions
# per user and presign many chunks at once.
# tests/integration/api-limits.sh sets them through AUDIO_API_USER_* and
# AUDIO_API_SESSION_* instead.
user_open_sessions = 0
user_sessions_per_hour = 0
session_presigns_per_minute = 0
events = $EVENTS_MODE
events_endpoint = http://127.0.0.1:$(cat "$RUN_DIR/eventbridge.port")
${extra}${API_EXTRA_CONF:-}
EOF
}

write_lighttpd_conf() {
	local k=${1:-1} backend dir port log
	dir=$(host_dir "$k")
	port=$(host_port "$k")
	log=$(host_log "$k")
	if [ "$FRONT" = lighttpd-spawn ]; then
		backend="\"socket\" => \"$RUN_DIR/api.sock\",
		\"bin-path\" => \"$AUDIO_API\",
		\"bin-environment\" => ( \"AUDIO_API_CONFIG\" => \"$RUN_DIR/audio-api.conf\" ),
		\"max-procs\" => $WORKERS,
		\"check-local\" => \"disable\","
	else
		backend="\"socket\" => \"$dir/api.sock\",
		\"check-local\" => \"disable\","
	fi
	cat >"$dir/lighttpd.conf" <<EOF
# generated by tests/tools/devstack.sh: lighttpd in front of audio-api ($FRONT),
# the web app at / and the bridge at /asr
server.modules = ( "mod_alias", "mod_setenv", "mod_cgi", "mod_proxy",
	"mod_fastcgi", "mod_accesslog" )
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$SRCDIR/web"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html; charset=utf-8",
	".js" => "text/javascript; charset=utf-8", ".css" => "text/css; charset=utf-8",
	".json" => "application/json", ".svg" => "image/svg+xml" )
server.pid-file = "$dir/lighttpd.pid"
server.errorlog = "${log}lighttpd-error.log"
accesslog.filename = "${log}lighttpd-access.log"
server.max-connections = 1024
server.max-fds = 4096
# Longer than any HTTP client keeps an idle connection, so a client never
# reuses one that lighttpd is closing at that very moment.
server.max-keep-alive-idle = 60
fastcgi.server = (
	"/api/audio" => ((
		$backend
	)),
)
# As conf/lighttpd-pool.conf: request bodies are JSON of at most 64 KiB,
# and lighttpd refuses anything over 1 MiB before it reaches the pool.
\$HTTP["url"] =~ "^/api/audio/" {
	server.max-request-size = 1024
}
# This stack's page settings and the dev sign-in (devstack only).
alias.url = ( "/config.json" => "$RUN_DIR/www/config.json",
	"/dev/" => "$RUN_DIR/www/dev/" )
\$HTTP["url"] =~ "^/dev/" {
	cgi.assign = ( "" => "" )
}
\$HTTP["url"] =~ "^/asr(\$|[/?])" {
	proxy.server = ( "" => (( "host" => "127.0.0.1", "port" => $BRIDGE_WS_PORT )) )
	proxy.header = ( "upgrade" => "enable" )
}
\$HTTP["url"] !~ "^/api/" {
	setenv.add-response-header = (
		"Content-Security-Policy" => "default-src 'self'; connect-src 'self' http://127.0.0.1:$S3_API_PORT${WEB_CONNECT_EXTRA:+ $WEB_CONNECT_EXTRA}; media-src 'self' http://127.0.0.1:$S3_API_PORT; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options" => "nosniff",
		"Cache-Control" => "no-cache" )
}
${LIGHTTPD_EXTRA_CONF:-}
EOF
}

write_apache_conf() {
	mkdir -p "$RUN_DIR/fcgid"
	chown "$APACHE_USER" "$RUN_DIR/fcgid"
	cat >"$RUN_DIR/apache2.conf" <<EOF
# generated by tests/tools/devstack.sh: Apache 2.4 + mod_fcgid spawning audio-api
ServerRoot "$RUN_DIR"
ServerName 127.0.0.1
Listen 127.0.0.1:$API_PORT
PidFile "$RUN_DIR/apache.pid"
ErrorLog "$RUN_DIR/log/apache-error.log"
LogLevel warn
User $APACHE_USER
Group $(id -gn "$APACHE_USER")
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule alias_module $APACHE_MODULES/mod_alias.so
LoadModule fcgid_module $APACHE_MODULES/mod_fcgid.so
Mutex file:$RUN_DIR
DocumentRoot "$RUN_DIR/www"
FcgidIPCDir "$RUN_DIR/fcgid"
FcgidProcessTableFile "$RUN_DIR/fcgid/shm"
FcgidInitialEnv AUDIO_API_CONFIG "$RUN_DIR/audio-api.conf"
FcgidMaxProcessesPerClass $WORKERS
FcgidMaxRequestLen 1048576
FcgidIOTimeout 30
Alias /api/audio "$AUDIO_API"
<Location /api/audio>
	SetHandler fcgid-script
	Options +ExecCGI
	AcceptPathInfo On
	CGIPassAuth On
	Require all granted
</Location>
EOF
}

# The page's settings for this stack and the dev sign-in CGI: POST
# {"user":NAME,"ttl":SECONDS} -> {"idToken","expiresIn"}.  User names are
# plain ([A-Za-z0-9._-], at most 64) and become the token's sub.
write_web() {
	mkdir -p "$RUN_DIR/www/dev"
	cat >"$RUN_DIR/www/config.json" <<EOF
{
  "apiPath": "/api/audio",
  "bridgePath": "/asr",
  "chunkSeconds": $WEB_CHUNK_SECONDS,
  "language": "en-US",
  "auth": { "mode": "dev", "tokenPath": "dev/token", "devTokenSeconds": 3600 }
}
EOF
	cat >"$RUN_DIR/www/dev/token" <<EOF
#!/bin/sh
# generated by tests/tools/devstack.sh: the dev sign-in (local stack only).
reply() {
	printf 'Status: %s\\r\\nContent-Type: application/json\\r\\nCache-Control: no-store\\r\\n\\r\\n%s\\n' "\$1" "\$2"
	exit 0
}
bad() {
	reply "400 Bad Request" "{\\"error\\":\\"\$1\\",\\"code\\":\\"invalid_field\\",\\"field\\":\\"\$2\\"}"
}
[ "\$REQUEST_METHOD" = POST ] ||
	reply "405 Method Not Allowed" '{"error":"use POST","code":"method_not_allowed"}'
len=\${CONTENT_LENGTH:-0}
case \$len in ''|*[!0-9]*) bad "bad Content-Length" body ;; esac
[ "\$len" -le 1024 ] ||
	reply "413 Payload Too Large" '{"error":"body over 1024 bytes","code":"too_large"}'
body=\$(head -c "\$len")
user=\$(printf '%s' "\$body" | jq -er '.user | strings' 2>/dev/null) ||
	bad 'body must be {\\"user\\": NAME}' user
printf '%s' "\$user" | grep -Eqx '[A-Za-z0-9._-]{1,64}' ||
	bad "user names are 1-64 of A-Z a-z 0-9 . _ -" user
ttl=\$(printf '%s' "\$body" |
	jq -er '(.ttl // 3600) | numbers | floor | select(. >= 1 and . <= 43200)' 2>/dev/null) ||
	bad "ttl must be 1..43200 seconds" ttl
tok=\$("$JWTMINT" token "$RUN_DIR/jwt-key.pem" "$JWT_KID" "$JWT_ISSUER" \\
	"$JWT_CLIENT_ID" "\$user" --use id --ttl "\$ttl") ||
	reply "500 Internal Server Error" '{"error":"jwtmint failed","code":"internal"}'
reply "200 OK" "{\\"idToken\\":\\"\$tok\\",\\"expiresIn\\":\$ttl}"
EOF
	chmod 0755 "$RUN_DIR/www/dev/token"
}

start_lighttpd() {
	local k=${1:-1} dir
	dir=$(host_dir "$k")
	write_web
	write_lighttpd_conf "$k"
	"$LIGHTTPD" -t -f "$dir/lighttpd.conf" >/dev/null
	# lighttpd forks into the background and writes its pid file.
	"$LIGHTTPD" -f "$dir/lighttpd.conf"
	wait_port "$(host_port "$k")" lighttpd
}

# start_pool K: host K's `audio-api` master (its workers and its delivery
# child) on its unix socket, then its lighttpd.
start_pool() {
	local k=$1 dir i
	dir=$(host_dir "$k")
	"$AUDIO_API" -f "$dir/audio-api.conf" \
		>>"$(host_log "$k")audio-api.log" 2>&1 &
	echo $! >"$dir/audio-api.pid"
	for i in $(seq 1 600); do
		[ -S "$dir/api.sock" ] && break
		sleep 0.05
	done
	start_lighttpd "$k"
}

# start_postgresql: the private cluster every host's journal points at
# (tests/lib/pg.sh), for JOURNAL_BACKEND=postgresql.  The binary must have
# the PostgreSQL journal backend.
start_postgresql() {
	# Not `ldd | grep -q`: grep leaving early makes ldd die of SIGPIPE,
	# which pipefail reports as a failure.
	case "$(ldd "$AUDIO_API" 2>/dev/null)" in
	*libpq.so*) ;;
	*) die "JOURNAL_BACKEND=postgresql: $AUDIO_API has no PostgreSQL" \
		    "journal backend (it does not link libpq); build one that" \
		    "does, or use JOURNAL_BACKEND=sqlite" ;;
	esac
	pg_setup || die "PostgreSQL did not start (see $RUN_DIR/pg/log)"
	echo "devstack: PostgreSQL $PGDATA on $PG_SOCKDIR (as $PG_USER)"
}

# The EventBridge stand-in, with the same key pair as s3rver (through the
# environment, never argv).  EB_PORT=0 lets it pick a free port, which it
# prints; the port is kept in RUN_DIR/eventbridge.port.
start_eventbridge() {
	local i port=
	: >"$RUN_DIR/log/eventbridge.log"
	STANDIN_PORT=$EB_PORT STANDIN_REGION=$AWS_REGION \
		STANDIN_ACCESS_KEY_ID=$(cat "$RUN_DIR/aws-access-key-id") \
		STANDIN_SECRET_ACCESS_KEY=$(cat "$RUN_DIR/aws-secret-access-key") \
		EVENTS_LOG="$RUN_DIR/events.jsonl" \
		node "$SRCDIR/tests/tools/eventbridge-standin.js" \
		>>"$RUN_DIR/log/eventbridge.log" 2>&1 &
	echo $! >"$RUN_DIR/eventbridge.pid"
	for i in $(seq 1 300); do
		port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' \
			"$RUN_DIR/log/eventbridge.log" | tail -n 1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || die "the EventBridge stand-in did not start (see $RUN_DIR/log)"
	echo "$port" >"$RUN_DIR/eventbridge.port"
}

# The delivery loop on its own, for the hosting modes where the web server
# spawns the workers (what conf/audio-api-deliver.service does in
# production).  Under Apache it runs as the workers' user, like them.
start_deliver() {
	local run=()
	if [ "$FRONT" = apache ]; then
		run=(setpriv --reuid="$APACHE_USER" --regid="$(id -g "$APACHE_USER")" --init-groups)
	fi
	"${run[@]}" "$AUDIO_API" -f "$RUN_DIR/audio-api.conf" --deliver \
		>>"$RUN_DIR/log/audio-api-deliver.log" 2>&1 &
	echo $! >"$RUN_DIR/deliver.pid"
}

# audio-recognizer on RIVA_STANDIN_PORT; its config is written to RUN_DIR
# (the defaults: the Debian model, 4 streams, 2 workers).
start_recognizer() {
	[ -x "$AUDIO_RECOGNIZER" ] ||
		die "$AUDIO_RECOGNIZER not built (make), or set RIVA_BACKEND=standin"
	printf '# generated by tests/tools/devstack.sh\nlisten_address = 127.0.0.1\nport = %s\n' \
		"$RIVA_STANDIN_PORT" >"$RUN_DIR/audio-recognizer.conf"
	"$AUDIO_RECOGNIZER" -f "$RUN_DIR/audio-recognizer.conf" -n >/dev/null ||
		die "audio-recognizer: bad config or model (install pocketsphinx-en-us)"
	"$AUDIO_RECOGNIZER" -f "$RUN_DIR/audio-recognizer.conf" \
		>>"$RUN_DIR/log/audio-recognizer.log" 2>&1 &
	echo $! >"$RUN_DIR/audio-recognizer.pid"
	# it loads a decoder (a second or two) before it listens
	wait_port "$RIVA_STANDIN_PORT" audio-recognizer
}

# audio-bridge and, unless RIVA_TARGET names a real Riva, the local Riva
# RIVA_BACKEND picks (audio-recognizer or the stand-in).
start_bridge() {
	local target=${RIVA_TARGET:-}
	[ -x "$AUDIO_BRIDGE" ] || die "$AUDIO_BRIDGE not built (make)"
	if [ -z "$target" ] && [ "$RIVA_BACKEND" = pocketsphinx ]; then
		start_recognizer
		target=127.0.0.1:$RIVA_STANDIN_PORT
	elif [ -z "$target" ]; then
		[ -x "$RIVA_STANDIN" ] ||
			die "$RIVA_STANDIN not built (make tests/tools/riva-standin)"
		# One model, named like Riva's English streaming model, so
		# /healthz shows a model list as a real Riva's would.
		local rules=(--partial-every 3200 --final-every 32000)
		if [ -n "${RIVA_STANDIN_SCRIPT:-}" ]; then
			rules=(--script "$RIVA_STANDIN_SCRIPT")
		fi
		"$RIVA_STANDIN" --port "$RIVA_STANDIN_PORT" "${rules[@]}" \
			--models conformer-en-US-asr-streaming=en-US \
			--log "$RUN_DIR/log/riva-standin.log" \
			>>"$RUN_DIR/log/riva-standin.out" 2>&1 &
		echo $! >"$RUN_DIR/riva-standin.pid"
		wait_port "$RIVA_STANDIN_PORT" riva-standin
		target=127.0.0.1:$RIVA_STANDIN_PORT
	fi
	cat >"$RUN_DIR/audio-bridge.conf" <<EOF
# generated by tests/tools/devstack.sh
listen_address = 127.0.0.1
port = $BRIDGE_WS_PORT
auth = required
cognito_issuer = $JWT_ISSUER
cognito_client_ids = $JWT_CLIENT_ID
cognito_jwks_url = file://$RUN_DIR/jwks.json
riva_target = $target
health_interval = 2s
EOF
	"$AUDIO_BRIDGE" -f "$RUN_DIR/audio-bridge.conf" --check-config >/dev/null
	"$AUDIO_BRIDGE" -f "$RUN_DIR/audio-bridge.conf" \
		>>"$RUN_DIR/log/audio-bridge.log" 2>&1 &
	echo $! >"$RUN_DIR/audio-bridge.pid"
	wait_port "$BRIDGE_WS_PORT" audio-bridge
	echo "devstack: bridge ws://127.0.0.1:$BRIDGE_WS_PORT/?token=..." \
		"-> Riva $target$([ -n "${RIVA_TARGET:-}" ] || echo " ($RIVA_BACKEND)")"
}

cmd_up() {
	mkdir -p "$RUN_DIR/log" "$RUN_DIR/s3" "$RUN_DIR/www"
	[ -x "$AUDIO_API" ] || die "$AUDIO_API not built (make)"
	[ -x "$JWTMINT" ] || die "$JWTMINT not built (make tests/tools/jwtmint)"
	if [ "$DEVSTACK_HOSTS" != 1 ] && [ "$FRONT" != lighttpd ]; then
		die "DEVSTACK_HOSTS=$DEVSTACK_HOSTS needs FRONT=lighttpd"
	fi
	cmd_down >/dev/null 2>&1 || true
	printf 'DEVSTACK_HOSTS=%s\nJOURNAL_BACKEND=%s\n' "$DEVSTACK_HOSTS" \
		"$JOURNAL_BACKEND" >"$DEVSTACK_STATE"
	for k in $(seq 2 "$DEVSTACK_HOSTS"); do
		mkdir -p "$(host_dir "$k")"
		WEB_ORIGINS="$WEB_ORIGINS http://127.0.0.1:$(host_port "$k") http://localhost:$(host_port "$k")"
	done
	secrets
	if [ "$JOURNAL_BACKEND" = postgresql ]; then
		start_postgresql
	fi

	S3RVER_SECRET_ACCESS_KEY=$(cat "$RUN_DIR/aws-secret-access-key") \
		node "$SRCDIR/tests/tools/s3rver.js" --port "$S3_PORT" \
		--dir "$RUN_DIR/s3" --bucket "$S3_BUCKET" \
		--access-key-id "$(cat "$RUN_DIR/aws-access-key-id")" \
		--cors-origins "$WEB_ORIGINS" \
		>"$RUN_DIR/log/s3rver.log" 2>&1 &
	echo $! >"$RUN_DIR/s3rver.pid"
	wait_port "$S3_PORT" s3rver

	start_eventbridge
	write_api_conf
	"$AUDIO_API" -f "$RUN_DIR/audio-api.conf" --check-config >/dev/null
	case "$FRONT" in
	lighttpd)
		start_pool 1
		for k in $(seq 2 "$DEVSTACK_HOSTS"); do
			write_api_conf "$k"
			"$AUDIO_API" -f "$(host_dir "$k")/audio-api.conf" \
				--check-config >/dev/null
			start_pool "$k"
		done
		;;
	lighttpd-spawn)
		start_lighttpd
		;;
	spawn-fcgi)
		# -F N forks N copies sharing the socket; the pid file lists
		# them all (stop_pid handles one per line).
		AUDIO_API_CONFIG="$RUN_DIR/audio-api.conf" "$SPAWN_FCGI" \
			-s "$RUN_DIR/api.sock" -M 0660 -F "$WORKERS" \
			-P "$RUN_DIR/spawn-fcgi.pid" -- "$AUDIO_API" \
			>>"$RUN_DIR/log/spawn-fcgi.log" 2>&1
		start_lighttpd
		;;
	apache)
		# Workers run as APACHE_USER: they must write the journal and
		# read the secret file.
		chown "$APACHE_USER" "$RUN_DIR" "$RUN_DIR/aws-secret-access-key"
		write_apache_conf
		"$APACHE2" -t -f "$RUN_DIR/apache2.conf" >/dev/null 2>&1 ||
			"$APACHE2" -t -f "$RUN_DIR/apache2.conf"
		"$APACHE2" -f "$RUN_DIR/apache2.conf" -k start
		wait_port "$API_PORT" apache2
		;;
	*) die "unknown FRONT=$FRONT" ;;
	esac

	if [ "$FRONT" != lighttpd ]; then
		start_deliver
	fi

	# bridge: the real-time path starts audio-bridge here.
	if [ "$DEVSTACK_BRIDGE" = 1 ]; then
		start_bridge
	fi

	for k in $(seq 2 "$DEVSTACK_HOSTS"); do
		wait_healthz "$k"
		echo "devstack: host $k up (API http://127.0.0.1:$(host_port "$k")/api/audio)"
	done
	for i in $(seq 1 300); do
		if curl -fsS -o /dev/null \
			"http://127.0.0.1:$API_PORT/api/audio/healthz" 2>/dev/null; then
			echo "devstack: up (API http://127.0.0.1:$API_PORT/api/audio," \
				"run dir $RUN_DIR)"
			case "$FRONT" in lighttpd*)
				echo "devstack: the web app: http://127.0.0.1:$API_PORT/" \
					"(dev sign-in: any user name)"
			esac
			return 0
		fi
		sleep 0.1
	done
	die "healthz never answered 200; see $RUN_DIR/log"
}

# wait_healthz K: until host K's /healthz answers 200.
wait_healthz() {
	local i
	for i in $(seq 1 300); do
		curl -fsS -o /dev/null \
			"http://127.0.0.1:$(host_port "$1")/api/audio/healthz" \
			2>/dev/null && return 0
		sleep 0.1
	done
	die "host $1's healthz never answered 200; see $RUN_DIR/log"
}

cmd_down() {
	local d
	# bridge: the real-time path stops audio-bridge here.
	stop_pid audio-bridge
	stop_pid riva-standin
	stop_pid audio-recognizer
	if [ -f "$RUN_DIR/apache.pid" ]; then
		"$APACHE2" -f "$RUN_DIR/apache2.conf" -k stop 2>/dev/null || true
		for i in $(seq 1 50); do
			[ -f "$RUN_DIR/apache.pid" ] || break
			sleep 0.1
		done
		stop_pid apache
	fi
	for d in "$RUN_DIR"/host[0-9]*; do
		[ -d "$d" ] || continue
		stop_pid "${d##*/}/lighttpd"
		stop_pid "${d##*/}/audio-api"
		rm -f "$d/api.sock"
	done
	stop_pid lighttpd
	stop_pid audio-api
	stop_pid spawn-fcgi
	stop_pid deliver
	stop_pid eventbridge
	stop_pid s3rver
	rm -f "$RUN_DIR/api.sock"
	# The cluster's data stays (like journal.db): the next `up` reuses it.
	if [ -f "$RUN_DIR/pg/data/PG_VERSION" ]; then
		{ pg_init && pg_stop; } || echo "devstack: PostgreSQL did not stop" >&2
	fi
	echo "devstack: down"
}

cmd_env() {
	cat <<EOF
API_URL=http://127.0.0.1:$API_PORT/api/audio
S3_ENDPOINT=http://127.0.0.1:$S3_PORT
S3_BUCKET=$S3_BUCKET
AWS_REGION=$AWS_REGION
AWS_ACCESS_KEY_ID=$(cat "$RUN_DIR/aws-access-key-id")
AWS_SECRET_ACCESS_KEY=$(cat "$RUN_DIR/aws-secret-access-key")
JWT_ISSUER=$JWT_ISSUER
JWT_CLIENT_ID=$JWT_CLIENT_ID
JWT_KID=$JWT_KID
JWT_PRIVATE_KEY=$RUN_DIR/jwt-key.pem
JWKS_FILE=$RUN_DIR/jwks.json
JOURNAL=$(journal_of 1)
EVENTS_LOG=$RUN_DIR/events.jsonl
EVENTS_ENDPOINT=http://127.0.0.1:$(cat "$RUN_DIR/eventbridge.port" 2>/dev/null)
RUN_DIR=$RUN_DIR
API_CONF=$RUN_DIR/audio-api.conf
BRIDGE_URL=ws://127.0.0.1:$BRIDGE_WS_PORT/
WEB_URL=http://127.0.0.1:$API_PORT/
BRIDGE_CONF=$RUN_DIR/audio-bridge.conf
DEVSTACK_HOSTS=$DEVSTACK_HOSTS
JOURNAL_BACKEND=$JOURNAL_BACKEND
EOF
	for k in $(seq 1 "$DEVSTACK_HOSTS"); do
		echo "API_URL_$k=http://127.0.0.1:$(host_port "$k")/api/audio"
	done
	if [ "$JOURNAL_BACKEND" = postgresql ]; then
		cat <<EOF
PGDATA=$PGDATA
PG_CTL=$PG_CTL
PG_USER=$PG_USER
PGPASSFILE=$PGPASSFILE
EOF
	fi
}

cmd_token() {
	local user=${1:-dev-user}
	"$JWTMINT" token "$RUN_DIR/jwt-key.pem" "$JWT_KID" "$JWT_ISSUER" \
		"$JWT_CLIENT_ID" "$user" --use id
}

cmd_walkthrough() {
	local api="http://127.0.0.1:$API_PORT/api/audio" journal k
	journal="sqlite3 $RUN_DIR/journal.db"
	if [ "$JOURNAL_BACKEND" = postgresql ]; then
		pg_init
		journal="PGPASSFILE=$PGPASSFILE psql '$(pg_dsn)'"
	fi
	cat <<EOF

The local stack is up.  The web app: http://127.0.0.1:$API_PORT/ (sign in
with any user name; record, watch the transcript, list and play back).
Or try the API by hand (copy and paste):

  eval "\$(tests/tools/devstack.sh env | sed 's/^/export /')"
  TOKEN=\$(tests/tools/devstack.sh token alice)
  H=(-H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json')

  curl -s $api/healthz; echo
  SID=\$(curl -s "\${H[@]}" -d '{"codec":"webm/opus","sampleRate":48000,"chunkSeconds":5}' \\
        $api/sessions | jq -r .sessionId)
  curl -s "\${H[@]}" -d '{"seq":1,"tStartMs":0,"tEndMs":5000,"ext":"webm","sizeBytes":5,"contentType":"audio/webm"}' \\
        $api/sessions/\$SID/chunks/presign > presign.json
  printf hello > chunk.webm
  mapfile -t PUTH < <(jq -r '.headers|to_entries[]|"-H\\n\\(.key): \\(.value)"' presign.json)
  curl -s -X PUT "\${PUTH[@]}" --upload-file chunk.webm "\$(jq -r .putUrl presign.json)"
  curl -s "\${H[@]}" -d "{\\"seq\\":1,\\"objectKey\\":\\"\$(jq -r .objectKey presign.json)\\",\\"bytes\\":5,\\"tStartMs\\":0,\\"tEndMs\\":5000}" \\
        $api/sessions/\$SID/chunks/complete; echo
  curl -s "\${H[@]}" -d '{"durationMs":5000,"final":true}' $api/sessions/\$SID/finalize; echo

Logs: $RUN_DIR/log/   Journal: $journal   Stop: tests/tools/devstack.sh down
EOF
	if [ "$DEVSTACK_HOSTS" != 1 ]; then
		echo
		echo "$DEVSTACK_HOSTS API hosts ($JOURNAL_BACKEND journal$([ "$JOURNAL_BACKEND" = postgresql ] && echo ", shared" || echo " each")):"
		for k in $(seq 1 "$DEVSTACK_HOSTS"); do
			echo "  host $k: http://127.0.0.1:$(host_port "$k")/api/audio"
		done
	fi
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
env)
	if [ "$JOURNAL_BACKEND" = postgresql ]; then pg_init; fi
	cmd_env
	;;
token) shift; cmd_token "$@" ;;
walkthrough) cmd_walkthrough ;;
*) echo "usage: $0 up | down | env | token [USER] | walkthrough" >&2; exit 2 ;;
esac
