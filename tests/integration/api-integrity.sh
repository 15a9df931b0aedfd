#!/usr/bin/env bash
# api-integrity.sh: chunk checksums end to end against the real stack
# (lighttpd -> audio-api, s3rver which checks SigV4, with the S3 rules of
# tests/tools/s3rver-s3rules.js).  A presign with sha256 and md5 signs
# x-amz-checksum-sha256 and Content-MD5; a body that does not match the
# SHA-256 is refused by S3 (400 BadDigest); a body that does not match the
# MD5 (which s3rver, unlike S3, does not check) is stored, and complete
# refuses it (422, md5: the ETag is not the presigned MD5); a PUT that
# changes or drops a signed header is refused (403 SignatureDoesNotMatch);
# the final manifest records each chunk's presigned checksums; an object
# whose store reports no or another SHA-256 is refused by complete; the
# original clients' flow (no checksums) is unchanged; require_checksums =
# on refuses a presign without them.  Write once: writeOnce: true signs
# If-None-Match: *, so a second PUT through the still valid URL is refused
# (412) and one without the header is 403; complete records the object's
# ETag in the manifest; require_write_once = on signs it into every URL.
# The journal's side runs on SQLite and, as api-integrity-pg.sh, on
# PostgreSQL.
# Ports: API_TEST_INTEGRITY_PORT and the next one for s3rver, else two of
# this test's block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
api_need lighttpd node curl jq openssl "$JWTMINT"
api_rundir integrity
api_ports API_TEST_INTEGRITY_PORT
export WORKERS=1
trap api_stack_down EXIT INT TERM
api_stack_up

api_client integ
sha() { openssl dgst -sha256 -binary "$1" | base64 -w0; }
md5() { openssl dgst -md5 -binary "$1" | base64 -w0; }

# presign SEQ FILE [EXTRA JSON]: sets KEY, URL, HDRS (curl -H args from
# the answer's headers); the status in PRESIGN_STATUS.
presign() {
	local t0=$(( ($1 - 1) * 5000 )) size
	size=$(stat -c %s "$2")
	PRESIGN_STATUS=$(api POST "/sessions/$SID/chunks/presign" \
		"{\"seq\":$1,\"tStartMs\":$t0,\"tEndMs\":$((t0 + 5000)),\"ext\":\"webm\",\"sizeBytes\":$size,\"contentType\":\"audio/webm\"${3:-}}")
	KEY=$(out '.objectKey // empty')
	URL=$(out '.putUrl // empty')
	HDRS=()
	while IFS= read -r h; do
		[ -n "$h" ] && HDRS+=(-H "$h")
	done < <(out '.headers // {} | to_entries[] | "\(.key): \(.value)"')
}
# put FILE [CURL ARGS...]: PUT FILE to $URL with HDRS (args after them
# win); the status on stdout, S3's answer in $TMP/s3out.
put() {
	local f=$1
	shift
	curl -s -o "$TMP/s3out" -w '%{http_code}' -X PUT "${HDRS[@]}" "$@" \
		--data-binary "@$f" "$URL"
}
# put_without HEADER FILE: put() with HDRS but HEADER.
put_without() {
	local keep=() i
	for ((i = 1; i < ${#HDRS[@]}; i += 2)); do
		case ${HDRS[$i],,} in
		"${1,,}":*) ;;
		*) keep+=(-H "${HDRS[$i]}") ;;
		esac
	done
	curl -s -o "$TMP/s3out" -w '%{http_code}' -X PUT "${keep[@]}" \
		--data-binary "@$2" "$URL"
}
s3code() { sed -n 's:.*<Code>\(.*\)</Code>.*:\1:p' "$TMP/s3out"; }
complete() {
	local t0=$(( ($1 - 1) * 5000 ))
	api POST "/sessions/$SID/chunks/complete" \
		"{\"seq\":$1,\"objectKey\":\"$KEY\",\"bytes\":$(stat -c %s "$2"),\"tStartMs\":$t0,\"tEndMs\":$((t0 + 5000))${3:-}}"
}

head -c 3000 /dev/urandom >"$TMP/a.webm"
head -c 3000 /dev/urandom >"$TMP/bad.webm"
head -c 2000 /dev/urandom >"$TMP/b.webm"
api POST /sessions '{"codec":"webm"}' >/dev/null
SID=$(out .sessionId)

# 1. The checksums are checked when presigned.
presign 1 "$TMP/a.webm" ",\"sha256\":\"$(md5 "$TMP/a.webm")\""
check "$(is "$PRESIGN_STATUS:$(out .code):$(out .field)" 400:invalid_field:sha256)" \
	'presign with an MD5 as sha256 is 400 naming sha256' "$PRESIGN_STATUS $(cat "$TMP/out")"
presign 1 "$TMP/a.webm" ",\"md5\":\"$(openssl dgst -md5 "$TMP/a.webm" | sed 's/.* //')\""
check "$(is "$PRESIGN_STATUS:$(out .field)" 400:md5)" \
	'presign with a hex md5 is 400 naming md5' "$PRESIGN_STATUS $(cat "$TMP/out")"

# 2. SHA-256: signed, and checked by S3.
presign 1 "$TMP/a.webm" ",\"sha256\":\"$(sha "$TMP/a.webm")\""
check "$(is "$PRESIGN_STATUS:$(out '.headers["x-amz-checksum-sha256"]')" "200:$(sha "$TMP/a.webm")")" \
	'presign with sha256 lists x-amz-checksum-sha256 among the headers to send' "$(cat "$TMP/out")"
check "$(echo "$URL" | grep -q 'X-Amz-SignedHeaders=[^&]*x-amz-checksum-sha256'; echo $?)" \
	'and signs it' "$URL"
st=$(put "$TMP/bad.webm")
check "$(is "$st:$(s3code)" 400:BadDigest)" \
	'S3 refuses a body that does not match the signed SHA-256 (400 BadDigest)' "$st $(cat "$TMP/s3out")"
st=$(complete 1 "$TMP/a.webm")
check "$(is "$st" 409)" 'and stored nothing: complete is 409 (not in S3)' "$st $(cat "$TMP/out")"
st=$(put "$TMP/bad.webm" -H "x-amz-checksum-sha256: $(sha "$TMP/bad.webm")")
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" \
	'a PUT that changes x-amz-checksum-sha256 to its own body'"'"'s is 403 SignatureDoesNotMatch' "$st $(cat "$TMP/s3out")"
st=$(put_without x-amz-checksum-sha256 "$TMP/bad.webm")
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" \
	'a PUT without x-amz-checksum-sha256 is 403 SignatureDoesNotMatch' "$st $(cat "$TMP/s3out")"
st=$(put "$TMP/a.webm")
check "$(is "$st" 200)" 'the right body with the signed headers is stored' "$st $(cat "$TMP/s3out")"
st=$(complete 1 "$TMP/a.webm" ",\"sha256\":\"$(sha "$TMP/b.webm")\"")
check "$(is "$st:$(out .field)" 422:sha256)" \
	'complete naming another sha256 than the presigned one is 422 naming sha256' "$st $(cat "$TMP/out")"
st=$(complete 1 "$TMP/a.webm")
check "$(is "$st" 200)" 'complete without checksums is 200: S3 reports the presigned SHA-256' "$st $(cat "$TMP/out")"
K1=$KEY

# 3. MD5: signed; s3rver does not check Content-MD5, complete does.
presign 2 "$TMP/b.webm" ",\"md5\":\"$(md5 "$TMP/b.webm")\""
check "$(is "$PRESIGN_STATUS:$(out '.headers["Content-MD5"]')" "200:$(md5 "$TMP/b.webm")")" \
	'presign with md5 lists Content-MD5 among the headers to send' "$(cat "$TMP/out")"
head -c 2000 /dev/urandom >"$TMP/bad2.webm"
st=$(put "$TMP/bad2.webm" -H "Content-MD5: $(md5 "$TMP/bad2.webm")")
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" \
	'a PUT that changes Content-MD5 is 403 SignatureDoesNotMatch' "$st $(cat "$TMP/s3out")"
st=$(put_without Content-MD5 "$TMP/bad2.webm")
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" \
	'a PUT without Content-MD5 is 403 SignatureDoesNotMatch' "$st $(cat "$TMP/s3out")"
st=$(put "$TMP/bad2.webm")
check "$(is "$st" 200)" 's3rver stores a body that does not match Content-MD5 (S3 would answer BadDigest)' "$st"
st=$(complete 2 "$TMP/b.webm")
check "$(is "$st:$(out .field)" 422:md5)" \
	'complete of that object is 422 naming md5: its ETag is not the presigned MD5' "$st $(cat "$TMP/out")"
check "$(out .error | grep -q 'ETag'; echo $?)" 'and the message says the ETag differs' "$(cat "$TMP/out")"
st=$(put "$TMP/b.webm")
st2=$(complete 2 "$TMP/b.webm")
check "$(is "$st:$st2" 200:200)" 'the right body, uploaded again, completes' "$st $st2 $(cat "$TMP/out")"

# 4. A store that kept no SHA-256, or another one, is refused: an object
# written by hand with the chunk's metadata, as another writer could.
presign 3 "$TMP/a.webm" ",\"sha256\":\"$(sha "$TMP/a.webm")\""
K3=$KEY
meta=(-H "x-amz-meta-user-id: $(s3 HEAD "$K1" -I | tr -d '\r' | sed -n 's/^x-amz-meta-user-id: //Ip')"
	-H "x-amz-meta-session-id: $SID" -H 'x-amz-meta-seq: 3'
	-H "x-amz-meta-sha256: $(sha "$TMP/a.webm")")
s3 PUT "$K3" "${meta[@]}" --data-binary "@$TMP/a.webm" -o /dev/null
st=$(complete 3 "$TMP/a.webm")
check "$(is "$st:$(out .field)" 422:sha256)" \
	'complete of an object for which S3 reports no SHA-256 is 422 naming sha256' "$st $(cat "$TMP/out")"
s3 PUT "$K3" "${meta[@]}" -H "x-amz-checksum-sha256: $(sha "$TMP/b.webm")" \
	--data-binary "@$TMP/b.webm" -o /dev/null
st=$(complete 3 "$TMP/b.webm")
check "$(is "$st:$(out .field)" 422:sha256)" \
	'and of one whose SHA-256 in S3 is not the presigned one' "$st $(cat "$TMP/out")"
check "$(out .error | grep -q "reports SHA-256 $(sha "$TMP/b.webm")"; echo $?)" \
	'the message names both' "$(cat "$TMP/out")"

# 5. The original clients' flow: no checksums, nothing more to send.
presign 4 "$TMP/b.webm"
check "$(is "$PRESIGN_STATUS:$(out '.headers | keys | join(",")')" '200:Content-Type,x-amz-server-side-encryption')" \
	'presign without checksums lists only Content-Type and x-amz-server-side-encryption' "$(cat "$TMP/out")"
st=$(put "$TMP/b.webm")
st2=$(complete 4 "$TMP/b.webm" ',"md5":"client-note","sha256":"anything"')
check "$(is "$st:$st2" 200:200)" 'its PUT and a complete with free-form md5/sha256 are 200' "$st $st2 $(cat "$TMP/out")"

# 6. Write once.  Without it (the original clients), a verified chunk
# can be replaced through its URL while it is valid: what writeOnce stops.
head -c 18 /dev/urandom >"$TMP/c18.webm"
presign 5 "$TMP/b.webm"
put "$TMP/b.webm" >/dev/null
complete 5 "$TMP/b.webm" >/dev/null
st=$(put "$TMP/c18.webm")
check "$(is "$st" 200)" 'without writeOnce a second PUT through a valid URL replaces a verified chunk' "$st"
presign 6 "$TMP/b.webm" ',"writeOnce":true'
check "$(is "$PRESIGN_STATUS:$(out '.headers["If-None-Match"]')" '200:*')" \
	'presign with writeOnce lists If-None-Match: *' "$(cat "$TMP/out")"
check "$(echo "$URL" | grep -q 'X-Amz-SignedHeaders=[^&]*if-none-match'; echo $?)" 'and signs it' "$URL"
st=$(put "$TMP/b.webm")
st2=$(complete 6 "$TMP/b.webm")
check "$(is "$st:$st2" 200:200)" 'the first PUT is stored and completes' "$st $st2 $(cat "$TMP/out")"
ETAG6=$(s3 HEAD "$KEY" -I | tr -d '\r' | sed -n 's/^etag: //Ip')
st=$(put "$TMP/c18.webm")
check "$(is "$st:$(s3code)" 412:PreconditionFailed)" \
	'a second PUT through the same valid URL is 412 PreconditionFailed' "$st $(cat "$TMP/s3out")"
st=$(put_without If-None-Match "$TMP/c18.webm")
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" \
	'one without If-None-Match is 403 SignatureDoesNotMatch' "$st $(cat "$TMP/s3out")"
check "$(is "$(s3 HEAD "$KEY" -I | tr -d '\r' | sed -n 's/^etag: //Ip')" "$ETAG6")" \
	'the verified chunk is unchanged in S3'

# 7. The final manifest records the presigned checksums and the ETags.
st=$(api POST "/sessions/$SID/finalize" '{"durationMs":30000}')
MKEY=$(out .manifestKey)
s3 GET "$MKEY" >"$TMP/manifest.json"
check "$(is "$(jq -r '[.chunks[] | "\(.seq)=\(.sha256 // "-")/\(.md5 // "-")"] | join(" ")' "$TMP/manifest.json")" \
	"1=$(sha "$TMP/a.webm")/- 2=-/$(md5 "$TMP/b.webm") 4=anything/client-note 5=-/- 6=-/-")" \
	'the manifest records each chunk'"'"'s presigned checksums (and an old client'"'"'s notes)' "$(cat "$TMP/manifest.json")"
check "$(is "$(jq -r '.chunks[] | select(.seq == 6) | .etag' "$TMP/manifest.json")" "$ETAG6")" \
	'and the ETag of the object complete verified' "$(cat "$TMP/manifest.json")"
check "$(jq -e '[.chunks[] | .etag | test("^\"[0-9a-f]{32}\"$")] | all' "$TMP/manifest.json" >/dev/null; echo $?)" \
	'every chunk has its ETag in the manifest' "$(cat "$TMP/manifest.json")"

# 8. require_checksums = on, require_write_once = on
api_stack_down
export API_EXTRA_CONF='require_checksums = on
require_write_once = on'
api_stack_up
api POST /sessions '{"codec":"webm"}' >/dev/null
SID=$(out .sessionId)
presign 1 "$TMP/a.webm"
check "$(is "$PRESIGN_STATUS:$(out .field)" 400:sha256)" \
	'require_checksums = on: a presign without checksums is 400' "$PRESIGN_STATUS $(cat "$TMP/out")"
check "$(out .error | grep -q require_checksums; echo $?)" 'naming the switch' "$(cat "$TMP/out")"
presign 1 "$TMP/a.webm" ",\"md5\":\"$(md5 "$TMP/a.webm")\""
st=$(put "$TMP/a.webm")
st2=$(complete 1 "$TMP/a.webm")
check "$(is "$PRESIGN_STATUS:$st:$st2" 200:200:200)" 'with md5 it is presigned, stored and completed' "$PRESIGN_STATUS $st $st2 $(cat "$TMP/out")"
presign 2 "$TMP/b.webm" ",\"md5\":\"$(md5 "$TMP/b.webm")\""
check "$(is "$(out '.headers["If-None-Match"]')" '*')" \
	'require_write_once = on: a presign without writeOnce lists If-None-Match: *' "$(cat "$TMP/out")"
st=$(curl -s -o "$TMP/s3out" -w '%{http_code}' -X PUT -H 'Content-Type: audio/webm' \
	-H 'x-amz-server-side-encryption: AES256' -H "Content-MD5: $(md5 "$TMP/b.webm")" \
	--data-binary "@$TMP/b.webm" "$URL")
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" \
	'and a client that does not send it is refused (403)' "$st $(cat "$TMP/s3out")"

if ! tap_done; then
	api_logs
	exit 1
fi
