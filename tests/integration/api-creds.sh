#!/usr/bin/env bash
# api-creds.sh: audio-api with no S3 key pair in its config, taking
# temporary credentials from the AWS chain (ECS container credentials from
# tests/tools/aws-metadata-standin.js on loopback, which serves s3rver's key pair
# with a session token and a near expiry), behind lighttpd against s3rver:
# presigned URLs are capped to the credentials' lifetime, HEAD and PUT
# signed with them are accepted; with the credentials gone and expired the
# API answers 503 (no crash), and signs again once they are back.  IMDS is
# disabled: nothing leaves loopback.
#
# Ports: API_TEST_CREDS_PORT (+1 for s3rver), CREDS_META_PORT (by default
# API_TEST_CREDS_PORT + 2); else three of this test's block in
# tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl sqlite3 openssl "$JWTMINT"
api_rundir creds
api_ports API_TEST_CREDS_PORT 3
export WORKERS=2 EVENTS_MODE=discard S3_KEYS=chain
export META_EXPIRES_IN=${CREDS_LIFETIME:-20}

# Nothing from the caller's AWS setup; no real IMDS, no ~/.aws.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT
export AWS_EC2_METADATA_DISABLED=true
export AWS_SHARED_CREDENTIALS_FILE=$RUN_DIR/no-such-credentials-file

meta_pid=
cleanup() {
	api_stack_down
	if [ -n "$meta_pid" ]; then
		kill "$meta_pid" 2>/dev/null || true
		wait "$meta_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT INT TERM

# s3rver's key pair, made here (devstack keeps an existing one) so the
# stand-in can serve it.  0600 files; the secret goes through env, not argv.
umask 077
printf 'AKIADEV%s\n' "$(openssl rand -hex 6 | tr a-f A-F)" >"$RUN_DIR/aws-access-key-id"
openssl rand -hex 20 >"$RUN_DIR/aws-secret-access-key"
umask 022
mkdir -p "$RUN_DIR/log"

# start_meta PORT SPAN: the stand-in; sets meta_pid and META_PORT.
start_meta() {
	: >>"$RUN_DIR/log/metadata-standin.log"
	META_PORT=$1 META_PORT_SPAN=$2 \
		META_ACCESS_KEY_ID=$(cat "$RUN_DIR/aws-access-key-id") \
		META_SECRET_ACCESS_KEY=$(cat "$RUN_DIR/aws-secret-access-key") \
		node "$SRCDIR/tests/tools/aws-metadata-standin.js" \
		>>"$RUN_DIR/log/metadata-standin.log" 2>&1 &
	meta_pid=$!
	for _ in $(seq 1 300); do
		META_PORT=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' \
			"$RUN_DIR/log/metadata-standin.log" | tail -n 1)
		[ -n "$META_PORT" ] && api_port_free_not "$META_PORT" && return 0
		sleep 0.1
	done
	echo "$0: metadata stand-in did not start" >&2
	cat "$RUN_DIR/log/metadata-standin.log" >&2
	exit 1
}
api_port_free_not() { ! api_port_free "$1"; }
stop_meta() {
	kill "$meta_pid" 2>/dev/null || true
	wait "$meta_pid" 2>/dev/null || true
	meta_pid=
}

start_meta "${CREDS_META_PORT:-$((API_PORT + 2))}" 1
export META_URL=http://127.0.0.1:$META_PORT
export AWS_CONTAINER_CREDENTIALS_FULL_URI=$META_URL/ecs/creds

api_stack_up
grep -q '^s3_access_key_id' "$RUN_DIR/audio-api.conf" &&
	{ echo "$0: audio-api.conf has a key pair; S3_KEYS=chain ignored" >&2; exit 1; }

node "$SRCDIR/tests/integration/api-creds.js" signed ||
	not_ok "api-creds.js signed (above)"

# The credentials go away: once the last ones served have expired
# (META_EXPIRES_IN after the stand-in stops at most), signing fails.
: >"$RUN_DIR/log/metadata-standin.log"
stop_meta
sleep $((META_EXPIRES_IN + 2))
node "$SRCDIR/tests/integration/api-creds.js" unavailable ||
	not_ok "api-creds.js unavailable (above)"
if grep -q 'no AWS credentials to sign with' "$RUN_DIR"/log/audio-api*.log; then
	ok "the log says why signing failed"
else
	not_ok "no 'no AWS credentials to sign with' line in the log"
fi
if grep -q 'AddressSanitizer\|runtime error\|killed by signal\|exited with status' \
	"$RUN_DIR"/log/audio-api*.log; then
	not_ok "a worker crashed or misbehaved"
else
	ok "no worker crashed"
fi

start_meta "$META_PORT" 1
node "$SRCDIR/tests/integration/api-creds.js" recovered ||
	not_ok "api-creds.js recovered (above)"

# Secrets never reach the logs: neither the secret key nor a session token.
secret=$(cat "$RUN_DIR/aws-secret-access-key")
if grep -q -e "$secret" -e 'token-ecs-' "$RUN_DIR"/log/audio-api*.log; then
	not_ok "a secret or session token reached a log"
else
	ok "no secret or session token in any log"
fi

if ! tap_done; then
	api_logs
	exit 1
fi
