#!/usr/bin/env bash
# api-original-client.sh: the original system's bash client flow
# (its test-api.sh: create, presign, PUT, complete, manifest, finalize),
# unchanged but for the URL and token, against the real stack: lighttpd ->
# audio-api, s3rver (checks SigV4), the SQLite journal, the EventBridge
# stand-in.  It creates with {"codec":"webm","sampleRate":48000}, PUTs with
# curl sending ONLY Content-Type and x-amz-server-side-encryption, reads the
# manifest back from S3, and runs with cors_origins = *.  Then
# tests/api-presign-sdk.js compares our presigned URL with the AWS SDK
# presigner's on the same stack.
# Ports: API_TEST_ORIGINAL_PORT (18020) and the next one for s3rver.
. "$(dirname "$0")/api-lib.sh"
api_need lighttpd node curl jq sqlite3 openssl "$JWTMINT"
api_rundir original
api_ports "${API_TEST_ORIGINAL_PORT:-18020}"
export WORKERS=2
export CORS_ORIGINS='*'
cleanup() { "$DEVSTACK" down >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
"$DEVSTACK" up
api_env

n=0
failed=0
# check COND_STATUS WHAT [GOT]: one TAP line.
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && echo "#   got: $3"
	fi
	return 0
}
is() { [ "$1" = "$2" ]; echo $?; }

API=$API_URL
TOKEN=$("$DEVSTACK" token "orig-$$")
TMP=$RUN_DIR/client
mkdir -p "$TMP"

# api METHOD PATH [JSON]: the body in $TMP/out, the status on stdout.
api() {
	local args=(-s -o "$TMP/out" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer $TOKEN")
	if [ $# -ge 3 ]; then
		args+=(-H 'Content-Type: application/json' -d "$3")
	fi
	curl "${args[@]}" "$API$2"
}
out() { jq -r "$1" "$TMP/out"; }

# s3_get KEY: the object's body from s3rver (curl's own SigV4).
s3_get() {
	printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
		curl -s -K - --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$S3_ENDPOINT/$S3_BUCKET/$1"
}

# upload SEQ T0 T1 FILE: presign, then PUT as the original client does,
# with Content-Type and x-amz-server-side-encryption only.  Sets KEY and
# PUT_STATUS; returns the presign status in PRESIGN_STATUS.
upload() {
	local size
	size=$(stat -c %s "$4")
	PRESIGN_STATUS=$(api POST "/sessions/$SID/chunks/presign" \
		"{\"seq\":$1,\"tStartMs\":$2,\"tEndMs\":$3,\"ext\":\"webm\",\"sizeBytes\":$size,\"contentType\":\"audio/webm\"}")
	KEY=$(out .objectKey)
	PUT_STATUS=
	[ "$PRESIGN_STATUS" = 200 ] || return 0
	PUT_STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
		-H 'Content-Type: audio/webm' \
		-H 'x-amz-server-side-encryption: AES256' \
		--data-binary "@$4" "$(out .putUrl)")
}

head -c 4000 /dev/urandom >"$TMP/chunk1.webm"

# 1. create, as every original page does
st=$(api POST /sessions '{"codec":"webm","sampleRate":48000}')
SID=$(out .sessionId)
check "$(is "$st" 201)" 'create with {"codec":"webm","sampleRate":48000} is 201' "$st $(cat "$TMP/out")"
check "$(is "$(sqlite3 "$JOURNAL" "select codec from sessions where id='$SID'")" webm/opus)" \
	'the session is stored with the canonical codec webm/opus'

# 2. presign, 3. PUT with only Content-Type + SSE
upload 1 0 5000 "$TMP/chunk1.webm"
check "$(is "$PRESIGN_STATUS" 200)" 'presign is 200' "$(cat "$TMP/out")"
check "$(is "$(out '.headers | keys | join(",")')" 'Content-Type,x-amz-server-side-encryption')" \
	'presign lists only Content-Type and x-amz-server-side-encryption to send'
check "$(is "$PUT_STATUS" 200)" 'curl PUT with only Content-Type and x-amz-server-side-encryption is accepted by S3' "$PUT_STATUS"

# 4. complete
st=$(api POST "/sessions/$SID/chunks/complete" \
	"{\"seq\":1,\"objectKey\":\"$KEY\",\"bytes\":4000,\"tStartMs\":0,\"tEndMs\":5000}")
check "$(is "$st:$(out .chunkCount)" 200:1)" 'complete is 200 with chunkCount 1' "$st $(cat "$TMP/out")"

# 5. manifest, as the old client writes it (codec alias and all)
st=$(api PUT "/sessions/$SID/manifest" \
	"{\"sessionId\":\"$SID\",\"codec\":\"webm\",\"sampleRate\":48000,\"chunks\":[{\"seq\":1,\"key\":\"$KEY\",\"tStartMs\":0,\"tEndMs\":5000,\"bytes\":4000}],\"final\":false}")
MKEY=$(out .manifestKey)
check "$(is "$st" 200)" 'manifest upsert with codec "webm" is 200' "$st $(cat "$TMP/out")"

# 6. finalize
st=$(api POST "/sessions/$SID/finalize" '{"durationMs":5000,"final":true}')
check "$(is "$st:$(out .chunkCount)" 200:1)" 'finalize is 200' "$st $(cat "$TMP/out")"
s3_get "$MKEY" >"$TMP/manifest.json"
check "$(is "$(jq -r '"\(.final) \(.codec) \(.chunks | length)"' "$TMP/manifest.json")" 'true webm/opus 1')" \
	'the final manifest in S3 holds the chunk' "$(cat "$TMP/manifest.json")"

# CORS = *: any page may call, with no credentials mode.
hdrs=$(curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: https://recorder.example.org' \
	-H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: authorization, content-type, x-request-id' \
	"$API/sessions" | tr -d '\r')
check "$(echo "$hdrs" | grep -qix 'access-control-allow-origin: \*'; echo $?)" \
	'cors_origins = * answers a preflight from any origin with Access-Control-Allow-Origin: *' "$hdrs"
check "$(echo "$hdrs" | grep -i '^access-control-allow-headers:' | grep -qi 'authorization.*content-type.*x-request-id'; echo $?)" \
	'the preflight allows Authorization, Content-Type and X-Request-Id' "$hdrs"
check "$(echo "$hdrs" | grep -qi '^access-control-allow-credentials'; [ $? != 0 ]; echo $?)" \
	'and never Access-Control-Allow-Credentials'
hdrs=$(curl -s -D - -o /dev/null -X POST -H 'Origin: https://recorder.example.org' \
	-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"codec":"audio/webm;codecs=opus"}' "$API/sessions" | tr -d '\r')
check "$(echo "$hdrs" | grep -qix 'access-control-allow-origin: \*'; echo $?)" \
	'an API answer to any origin carries Access-Control-Allow-Origin: *' "$hdrs"

echo "# $n checks, $failed failed (bash flow)"
if [ "$failed" != 0 ]; then
	api_logs
	exit 1
fi
if ! node "$SRCDIR/tests/api-presign-sdk.js"; then
	api_logs
	exit 1
fi
