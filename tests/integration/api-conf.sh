#!/usr/bin/env bash
# api-conf.sh: conf/ stays true.  The example config is what the binary's
# table generates; --check-config accepts a good file, names file:line for
# a bad one and never prints a secret; the shipped lighttpd and Apache
# snippets pass the servers' own syntax checks.
. "$(dirname "$0")/../lib/api-lib.sh"
API=$BUILDDIR/fcgi/audio-api
api_need lighttpd apache2 "$API"
api_rundir conf
# The servers' syntax checks and audio-api's own are given a port none of
# them binds; it comes from the table all the same.
port_take CP 1
check() {
	if eval "$2"; then
		ok "$1"
	else
		not_ok "$1" "${out:-}"
	fi
}

"$API" --print-example >"$RUN_DIR/example"
check "conf/audio-api.conf.example matches audio-api --print-example" \
	'cmp -s "$RUN_DIR/example" "$SRCDIR/conf/audio-api.conf.example"'

# A good file names both halves of the key pair and a journal in a
# directory that exists: -n checks both.
{
	echo "s3_bucket = b-test"
	echo "jwt_issuer = https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x"
	echo "jwt_client_ids = client1"
	echo "s3_access_key_id = AKIDTEST"
	echo "s3_secret_access_key_file = $RUN_DIR/secret"
	echo "journal = $RUN_DIR/journal.db"
} >"$RUN_DIR/good.conf"
printf 'TOPSECRETVALUE\n' >"$RUN_DIR/secret"
out=$(env -u AWS_SECRET_ACCESS_KEY "$API" -n -f "$RUN_DIR/good.conf" 2>&1) &&
	rc=0 || rc=$?
check "--check-config accepts a good file" '[ $rc = 0 ]'
check "--check-config does not print the secret" \
	'! printf "%s" "$out" | grep -q TOPSECRET'

printf 's3_bucket = bucket-x\nbogus_key = 1\n' >"$RUN_DIR/bad.conf"
out=$("$API" --check-config -f "$RUN_DIR/bad.conf" 2>&1) && rc=0 || rc=$?
check "an unknown key fails naming file:line" \
	'[ $rc != 0 ] && printf "%s" "$out" | grep -q "bad.conf:2"'
printf 'workers = 999\n' >"$RUN_DIR/range.conf"
out=$("$API" -n -f "$RUN_DIR/range.conf" 2>&1) && rc=0 || rc=$?
check "an out-of-range value fails naming file:line" \
	'[ $rc != 0 ] && printf "%s" "$out" | grep -q "range.conf:1"'
printf 'manifest_fence = maybe\n' >"$RUN_DIR/fence.conf"
out=$("$API" -n -f "$RUN_DIR/fence.conf" 2>&1) && rc=0 || rc=$?
check "manifest_fence takes on or off only, naming file:line" \
	'[ $rc != 0 ] && printf "%s" "$out" | grep -q "fence.conf:1"'
{ cat "$RUN_DIR/good.conf"; echo "manifest_fence = off"; } >"$RUN_DIR/nofence.conf"
out=$(env -u AWS_SECRET_ACCESS_KEY "$API" -n -f "$RUN_DIR/nofence.conf" 2>&1) &&
	rc=0 || rc=$?
check "--check-config accepts manifest_fence = off" '[ $rc = 0 ]'
printf 's3_secret_access_key = inline\n' >"$RUN_DIR/inline.conf"
out=$("$API" -n -f "$RUN_DIR/inline.conf" 2>&1) && rc=0 || rc=$?
check "a secret written in the file itself is refused" '[ $rc != 0 ]'
out=$("$API" -f "$RUN_DIR/missing.conf" --listen 127.0.0.1:$CP 2>&1) &&
	rc=0 || rc=$?
check "a missing config file is an error" '[ $rc != 0 ]'
out=$(AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=x \
	"$API" -f "$RUN_DIR/good.conf" </dev/null 2>&1) && rc=0 || rc=$?
check "without a socket on fd 0 or --listen it refuses to start" \
	'[ $rc != 0 ] && printf "%s" "$out" | grep -q "listening socket"'
out=$("$API" --workers 9999 -n 2>&1) && rc=0 || rc=$?
check "--workers out of range is refused" '[ $rc != 0 ]'

# api_conf_validate(): what the table cannot see, refused by -n in one line
# naming file: key (each of these used to pass -n and then fail in every
# worker at s3_open, or at the first request).
refused() {	# refused NAME KEY_REGEX LINE...: good.conf, LINEs replacing
	local name=$1 want=$2 f="$RUN_DIR/v.conf" l keys=
	shift 2
	for l in "$@"; do keys="$keys${keys:+|}${l%% *}"; done
	{ grep -Ev "^($keys) " "$RUN_DIR/good.conf"; printf '%s\n' "$@"; } >"$f"
	out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		-u AWS_SESSION_TOKEN -u S3_ENDPOINT -u S3_BUCKET \
		"$API" -n -f "$f" 2>&1) && rc=0 || rc=$?
	check "-n refuses $name, naming file: key" \
		'[ $rc != 0 ] && [ "$(printf "%s\n" "$out" | wc -l)" = 1 ] &&
		printf "%s" "$out" | grep -Eq "^audio-api: $f: $want: " &&
		! printf "%s" "$out" | grep -q TOPSECRET'
}
refused "an endpoint that is not http[s]://host[:port]" s3_endpoint \
	"s3_endpoint = ftp://s3.example.com" "s3_addressing = path"
refused "an endpoint with a path" s3_endpoint \
	"s3_endpoint = http://127.0.0.1:4568/s3" "s3_addressing = path"
refused "virtual addressing on an IP endpoint" s3_addressing \
	"s3_endpoint = http://127.0.0.1:4568"
refused "a bucket name that is no host name" s3_bucket \
	"s3_bucket = My_Bucket"
refused "half a key pair" s3_access_key_id "s3_access_key_id ="
refused "multipart_max_bytes not over chunk_max_bytes" multipart_max_bytes \
	"multipart_max_bytes = 5m"
refused "a multipart complete body over body_max" multipart_max_bytes \
	"multipart_max_bytes = 5g" "multipart_part_bytes = 5m"
refused "a journal whose directory is missing" journal \
	"journal = $RUN_DIR/no/such/dir/journal.db"
refused "a file:// JWKS that is missing" jwt_jwks_url \
	"jwt_jwks_url = file://$RUN_DIR/missing-jwks.json"
printf '{"keys":"none"}\n' >"$RUN_DIR/bad-jwks.json"
refused "a file:// JWKS that holds no key set" jwt_jwks_url \
	"jwt_jwks_url = file://$RUN_DIR/bad-jwks.json"
refused "a token_use the verifier refuses" jwt_token_use \
	"jwt_token_use = refresh"
refused "a connect timeout over the request timeout" s3_connect_timeout \
	"s3_connect_timeout = 10s" "s3_timeout = 5s"
refused "an EventBridge endpoint with a path" events_endpoint \
	"events_endpoint = http://127.0.0.1:4010/events"
refused "session_max_open shorter than the upload URLs' lifetime" \
	session_max_open "session_max_open = 30s" "presign_expires = 60s"
refused "retention_days not longer than session_max_open" retention_days \
	"retention_days = 1" "session_max_open = 2d"

# Start-up runs the same check before it listens.
{ cat "$RUN_DIR/good.conf"; echo "s3_endpoint = http://s3.example.com/x"; } \
	>"$RUN_DIR/start.conf"
out=$(env -u S3_ENDPOINT "$API" -f "$RUN_DIR/start.conf" \
	--listen "unix:$RUN_DIR/start.sock" </dev/null 2>&1) && rc=0 || rc=$?
check "start-up refuses a bad endpoint before it listens" \
	'[ $rc != 0 ] && [ ! -e "$RUN_DIR/start.sock" ] &&
	printf "%s" "$out" | grep -q "start.conf: s3_endpoint: "'

# The SIGHUP pre-check: a master and its worker keep the running config
# when the file now has a bad endpoint (before, the workers took it and
# then served 503s: "reopening the app ... failed").
cp "$RUN_DIR/good.conf" "$RUN_DIR/hup.conf"
echo "jwt_jwks_url = http://127.0.0.1:9/jwks.json" >>"$RUN_DIR/hup.conf"
env -u S3_ENDPOINT -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	"$API" -f "$RUN_DIR/hup.conf" --listen "unix:$RUN_DIR/hup.sock" \
	--workers 1 </dev/null >"$RUN_DIR/hup.log" 2>&1 &
hup_pid=$!
i=0
until grep -q "worker ready" "$RUN_DIR/hup.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
worker=$(pgrep -P "$hup_pid" | head -n 1)
echo "s3_endpoint = ftp://s3.example.com" >>"$RUN_DIR/hup.conf"
kill -HUP "$hup_pid"
i=0
until grep -q "reload refused" "$RUN_DIR/hup.log"; do
	i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
done
sleep 0.3
out=$(cat "$RUN_DIR/hup.log")
check "SIGHUP with a bad endpoint is refused by the master, naming it" \
	'grep -q "hup.conf: s3_endpoint: " "$RUN_DIR/hup.log" &&
	grep -q "reload refused" "$RUN_DIR/hup.log"'
check "the worker keeps serving the running config" \
	'[ -n "$worker" ] && kill -0 "$worker" 2>/dev/null &&
	! grep -q "reopening" "$RUN_DIR/hup.log"'
kill -TERM "$hup_pid" 2>/dev/null
wait "$hup_pid" 2>/dev/null

for f in lighttpd-pool lighttpd-spawn; do
	printf 'server.document-root = "%s"\nserver.port = %s\ninclude "%s"\n' \
		"$RUN_DIR" "$CP" "$SRCDIR/conf/$f.conf" >"$RUN_DIR/$f-main.conf"
	out=$(lighttpd -t -f "$RUN_DIR/$f-main.conf" 2>&1) && rc=0 || rc=$?
	check "conf/$f.conf passes lighttpd -t" '[ $rc = 0 ]'
done
M=/usr/lib/apache2/modules
{
	echo "ServerRoot \"$RUN_DIR\""
	echo "ServerName 127.0.0.1"
	echo "Listen 127.0.0.1:$CP"
	echo "PidFile \"$RUN_DIR/apache.pid\""
	echo "ErrorLog \"$RUN_DIR/apache-error.log\""
	echo "LoadModule mpm_event_module $M/mod_mpm_event.so"
	echo "LoadModule authz_core_module $M/mod_authz_core.so"
	echo "LoadModule alias_module $M/mod_alias.so"
	echo "LoadModule fcgid_module $M/mod_fcgid.so"
	echo "Include \"$SRCDIR/conf/apache-fcgid.conf\""
} >"$RUN_DIR/apache-main.conf"
out=$(apache2 -t -f "$RUN_DIR/apache-main.conf" 2>&1) && rc=0 || rc=$?
check "conf/apache-fcgid.conf passes apache2 -t" '[ $rc = 0 ]'
for u in audio-api audio-api-spawn-fcgi; do
	check "conf/$u.service keeps secrets out of its command line" \
		'! grep -Ei "^ExecStart.*(secret|token|AWS_)" "$SRCDIR/conf/$u.service"'
done
rm -rf "$RUN_DIR"
tap_done
