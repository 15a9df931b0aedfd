#!/usr/bin/env bash
# api-original-client.sh: the original system's bash client flow
# (its test-api.sh: create, presign, PUT, complete, manifest, finalize),
# unchanged but for the URL and token, against the real stack: lighttpd ->
# audio-api, s3rver (checks SigV4), the SQLite journal, the EventBridge
# stand-in.  It creates with {"codec":"webm","sampleRate":48000}, PUTs with
# curl sending ONLY Content-Type and x-amz-server-side-encryption, reads the
# manifest back from S3, finalizes before its last chunk is in (which is
# then accepted: the late-chunk rule), sees a chunk beyond the declared
# duration refused, and runs with cors_origins = *.  Then
# tests/integration/api-presign-sdk.js compares our presigned URL with the AWS SDK
# presigner's on the same stack.
# Ports: API_TEST_ORIGINAL_PORT and the next one for s3rver, else two of
# this test's block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl jq sqlite3 openssl "$JWTMINT"
api_rundir original
api_ports API_TEST_ORIGINAL_PORT
export WORKERS=2
export CORS_ORIGINS='*'
trap api_stack_down EXIT INT TERM
api_stack_up

API=$API_URL
api_client orig

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
check "$(is "$(sqlite3 -cmd '.timeout 5000' "$JOURNAL" "select codec from sessions where id='$SID'")" webm/opus)" \
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

# 6. finalize, as the original page does: before its last chunk (5-8 s)
# has been presigned, uploaded and completed.
st=$(api POST "/sessions/$SID/finalize" '{"durationMs":8000,"final":true}')
FIN=$(cat "$TMP/out")
check "$(is "$st:$(out .chunkCount)" 200:1)" 'finalize is 200' "$st $FIN"
s3 GET "$MKEY" >"$TMP/manifest.json"
check "$(is "$(jq -r '"\(.final) \(.codec) \(.chunks | length)"' "$TMP/manifest.json")" 'true webm/opus 1')" \
	'the final manifest in S3 holds the chunk' "$(cat "$TMP/manifest.json")"
REV1=$(jq -r .revision "$TMP/manifest.json")

# 7. the late last chunk: inside the declared 8 s, within finalize_grace
head -c 2500 /dev/urandom >"$TMP/chunk2.webm"
upload 2 5000 8000 "$TMP/chunk2.webm"
check "$(is "$PRESIGN_STATUS" 200)" 'presign of the last chunk after finalize is 200 (it starts inside durationMs)' "$(cat "$TMP/out")"
check "$(is "$PUT_STATUS" 200)" 'its PUT with only Content-Type and SSE is accepted by S3' "$PUT_STATUS"
LATE_KEY=$KEY
LATE_BODY="{\"seq\":2,\"objectKey\":\"$KEY\",\"bytes\":2500,\"tStartMs\":5000,\"tEndMs\":8000}"
st=$(api POST "/sessions/$SID/chunks/complete" "$LATE_BODY")
LATE=$(cat "$TMP/out")
check "$(is "$st:$(out .chunkCount):$(out .totalBytes)" 200:2:6500)" 'complete of the late chunk is 200: chunkCount 2' "$st $LATE"
LATE_EVENT=$(out .eventId)
for i in $(seq 1 50); do
	s3 GET "$MKEY" >"$TMP/manifest.json"
	[ "$(jq -r '.chunks | length' "$TMP/manifest.json" 2>/dev/null)" = 2 ] && break
	sleep 0.1
done
check "$(is "$(jq -r '"\(.final) \(.chunks | length) \(.chunks[1].key == "'"$KEY"'") \(.durationMs) \(.revision > '"$REV1"')"' "$TMP/manifest.json")" 'true 2 true 8000 true')" \
	'the manifest in S3 is rewritten with the late chunk at a newer revision, still final' "$(cat "$TMP/manifest.json")"
for i in $(seq 1 100); do
	grep -q "$LATE_EVENT" "$EVENTS_LOG" 2>/dev/null && break
	sleep 0.1
done
check "$(jq -r --arg id "$LATE_EVENT" 'select(.detail.eventId == $id) | "\(.detailType) \(.detail.chunkSeq // .detail.seq)"' "$EVENTS_LOG" 2>/dev/null | head -n 1 | grep -q '^AudioChunkUploaded 2$'; echo $?)" \
	"the late chunk's AudioChunkUploaded event reaches EventBridge" "$(tail -n 3 "$EVENTS_LOG" 2>/dev/null)"
st=$(api POST "/sessions/$SID/chunks/complete" "$LATE_BODY")
check "$(is "$st $(cat "$TMP/out")" "200 $LATE")" 'retrying the late complete answers the same' "$st $(cat "$TMP/out")"
st=$(api POST "/sessions/$SID/finalize" '{"durationMs":8000,"final":true}')
check "$(is "$st $(cat "$TMP/out")" "200 $FIN")" 'retrying finalize answers what the first finalize answered' "$st $(cat "$TMP/out")"

# 8. a chunk beyond the declared duration stays refused, saying why
head -c 100 /dev/urandom >"$TMP/chunk3.webm"
upload 3 8000 13000 "$TMP/chunk3.webm"
check "$(is "$PRESIGN_STATUS:$(out .code)" 409:conflict)" 'presign of a chunk starting at durationMs is 409' "$(cat "$TMP/out")"
check "$(out .error | grep -q 'durationMs 8000.*outside'; echo $?)" \
	'and the message says it is outside the declared duration' "$(cat "$TMP/out")"
st=$(api POST "/sessions/$SID/chunks/complete" \
	"{\"seq\":3,\"objectKey\":\"${LATE_KEY/00002-005000-008000/00003-008000-013000}\",\"bytes\":100,\"tStartMs\":8000,\"tEndMs\":13000}")
check "$(is "$st" 409)" 'complete of a chunk outside the duration is 409' "$st $(cat "$TMP/out")"
check "$(out .error | grep -q outside; echo $?)" 'with the same reason' "$(cat "$TMP/out")"

# 9. after finalize_grace, a late chunk inside the duration is refused too
st=$(api POST /sessions '{"codec":"webm","sampleRate":48000}')
SID=$(out .sessionId)
st=$(api POST "/sessions/$SID/finalize" '{"durationMs":5000,"final":true}')
sqlite3 -cmd '.timeout 5000' "$JOURNAL" "update sessions set finalized_ms = finalized_ms - 600000 where id = '$SID'"
upload 1 0 5000 "$TMP/chunk1.webm"
check "$(is "$PRESIGN_STATUS" 409)" 'presign of a late chunk 10 min after finalize is 409' "$(cat "$TMP/out")"
check "$(out .error | grep -q 'finalize_grace'; echo $?)" \
	'and the message names the grace period' "$(cat "$TMP/out")"

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

if ! tap_done; then
	api_logs
	exit 1
fi
api_node api-presign-sdk.js
