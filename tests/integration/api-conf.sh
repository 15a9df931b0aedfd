#!/usr/bin/env bash
# api-conf.sh: conf/ stays true.  The example config is what the binary's
# table generates; --check-config accepts a good file, names file:line for
# a bad one and never prints a secret; the shipped lighttpd and Apache
# snippets pass the servers' own syntax checks.
. "$(dirname "$0")/../lib/api-lib.sh"
API=$BUILDDIR/fcgi/audio-api
api_need lighttpd apache2 "$API"
api_rundir conf
fail=0
check() {
	if eval "$2"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		[ -n "${out:-}" ] && printf '#   %s\n' "$out"
		fail=1
	fi
}

"$API" --print-example >"$RUN_DIR/example"
check "conf/audio-api.conf.example matches audio-api --print-example" \
	'cmp -s "$RUN_DIR/example" "$SRCDIR/conf/audio-api.conf.example"'

{
	echo "s3_bucket = b-test"
	echo "jwt_issuer = https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x"
	echo "jwt_client_ids = client1"
	echo "s3_secret_access_key_file = $RUN_DIR/secret"
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
printf 's3_secret_access_key = inline\n' >"$RUN_DIR/inline.conf"
out=$("$API" -n -f "$RUN_DIR/inline.conf" 2>&1) && rc=0 || rc=$?
check "a secret written in the file itself is refused" '[ $rc != 0 ]'
out=$("$API" -f "$RUN_DIR/missing.conf" --listen 127.0.0.1:18097 2>&1) &&
	rc=0 || rc=$?
check "a missing config file is an error" '[ $rc != 0 ]'
out=$(AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=x \
	"$API" -f "$RUN_DIR/good.conf" </dev/null 2>&1) && rc=0 || rc=$?
check "without a socket on fd 0 or --listen it refuses to start" \
	'[ $rc != 0 ] && printf "%s" "$out" | grep -q "listening socket"'
out=$("$API" --workers 9999 -n 2>&1) && rc=0 || rc=$?
check "--workers out of range is refused" '[ $rc != 0 ]'

for f in lighttpd-pool lighttpd-spawn; do
	printf 'server.document-root = "%s"\nserver.port = 18097\ninclude "%s"\n' \
		"$RUN_DIR" "$SRCDIR/conf/$f.conf" >"$RUN_DIR/$f-main.conf"
	out=$(lighttpd -t -f "$RUN_DIR/$f-main.conf" 2>&1) && rc=0 || rc=$?
	check "conf/$f.conf passes lighttpd -t" '[ $rc = 0 ]'
done
M=/usr/lib/apache2/modules
{
	echo "ServerRoot \"$RUN_DIR\""
	echo "ServerName 127.0.0.1"
	echo "Listen 127.0.0.1:18097"
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
exit $fail
