#!/usr/bin/env bash
# api-sse.sh: encryption at rest with KMS.  audio-api -n refuses the
# config mistakes (aws:kms without a key, a malformed key, a key of
# another region, a key or a bucket-key setting without aws:kms, an
# unknown sse).  Then the real stack (lighttpd -> audio-api, s3rver which
# checks SigV4 and, through tests/tools/s3rver-s3rules.js, stores and
# answers the encryption headers as S3 does) with sse = aws:kms: the
# presigned PUT signs x-amz-server-side-encryption: aws:kms, the key id and
# the bucket key; a PUT that drops or changes one is 403; complete accepts
# the object the URL wrote and refuses (422, sse) one S3 reports encrypted
# otherwise: with AES256, with another key, without the bucket key.  A
# chunk over the single-PUT limit (multipart) gets the same headers on its
# CreateMultipartUpload, signed (the test S3, as S3, refuses a Create with
# an unsigned x-amz-* header), S3 keeps them from the Create and answers
# them on HEAD after complete, and complete refuses (422, sse) a multipart
# object S3 reports under another key.  s3rver encrypts nothing: what is
# tested is what we sign and what we check.
# Ports: API_TEST_SSE_PORT and the next one for s3rver, else two of this
# test's block in tests/lib/ports.sh.
. "$(dirname "$0")/../lib/api-lib.sh"
API_BIN=$BUILDDIR/fcgi/audio-api
api_need lighttpd node curl jq openssl "$JWTMINT" "$API_BIN"
api_rundir sse
api_ports API_TEST_SSE_PORT
export WORKERS=1
trap api_stack_down EXIT INT TERM

KEY_ARN=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
OTHER_ARN=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ac

# 1. -n refuses each mistake with one line naming the key.
{
	echo "s3_bucket = b-test"
	echo "s3_region = us-east-1"
	echo "jwt_issuer = https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x"
	echo "jwt_client_ids = client1"
	echo "s3_access_key_id = AKIDTEST"
	echo "s3_secret_access_key_file = $RUN_DIR/secret"
	echo "journal = $RUN_DIR/journal.db"
} >"$RUN_DIR/base.conf"
printf 'TOPSECRETVALUE\n' >"$RUN_DIR/secret"
# conf_n NAME LINES...: audio-api -n on base.conf plus LINES; exit status
# in RC, what it printed in OUT.
conf_n() {
	local n=$1
	shift
	{ cat "$RUN_DIR/base.conf"; printf '%s\n' "$@"; } >"$RUN_DIR/$n.conf"
	OUT=$(env -u AWS_SECRET_ACCESS_KEY "$API_BIN" -n -f "$RUN_DIR/$n.conf" 2>&1) &&
		RC=0 || RC=$?
}
conf_n kms 'sse = aws:kms' "sse_kms_key_id = $KEY_ARN" 'sse_bucket_key = on'
check "$RC" '-n accepts sse = aws:kms with a key ARN and sse_bucket_key = on' "$OUT"
conf_n alias 'sse = aws:kms' 'sse_kms_key_id = alias/audio-recordings'
check "$RC" '-n accepts an alias' "$OUT"
conf_n nokey 'sse = aws:kms'
check "$([ "$RC" = 1 ] && echo "$OUT" | grep -q 'sse_kms_key_id.*needs the KMS key'; echo $?)" \
	'-n refuses sse = aws:kms without sse_kms_key_id' "$RC $OUT"
conf_n badarn 'sse = aws:kms' 'sse_kms_key_id = arn:aws:kms:us-east-1:1111222233:key/1234abcd-12ab-34cd-56ef-1234567890ab'
check "$([ "$RC" = 1 ] && echo "$OUT" | grep -q 'sse_kms_key_id.*account must be 12 digits'; echo $?)" \
	'-n refuses a malformed ARN, saying what is wrong' "$RC $OUT"
conf_n badid 'sse = aws:kms' 'sse_kms_key_id = my-key'
check "$([ "$RC" = 1 ] && echo "$OUT" | grep -q 'is not a KMS key'; echo $?)" \
	'-n refuses a key that is none of the four forms' "$RC $OUT"
conf_n region 'sse = aws:kms' 'sse_kms_key_id = arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
check "$([ "$RC" = 1 ] && echo "$OUT" | grep -q "bucket's region"; echo $?)" \
	'-n refuses a key of another region than the bucket' "$RC $OUT"
conf_n aeskey 'sse = AES256' "sse_kms_key_id = $KEY_ARN"
check "$([ "$RC" = 1 ] && echo "$OUT" | grep -q 'sse_kms_key_id.*sse is AES256'; echo $?)" \
	'-n refuses a KMS key with sse = AES256' "$RC $OUT"
conf_n bk 'sse_bucket_key = on'
check "$([ "$RC" = 1 ] && echo "$OUT" | grep -q 'sse_bucket_key.*aws:kms only'; echo $?)" \
	'-n refuses sse_bucket_key without aws:kms' "$RC $OUT"
conf_n unknown 'sse = aws:kms:dsse'
check "$([ "$RC" = 1 ] && echo "$OUT" | grep -q 'sse.*is not AES256, aws:kms or off'; echo $?)" \
	'-n refuses an unknown sse' "$RC $OUT"
check "$(echo "$OUT" | grep -q TOPSECRET; [ $? = 1 ]; echo $?)" 'and never prints the secret'

# 2. The stack with sse = aws:kms.
export API_EXTRA_CONF="sse = aws:kms
sse_kms_key_id = $KEY_ARN
sse_bucket_key = on
multipart_max_bytes = 16m
multipart_part_bytes = 5m"
api_stack_up
api_client sse
presign() {
	local t0=$(( ($1 - 1) * 5000 ))
	api POST "/sessions/$SID/chunks/presign" \
		"{\"seq\":$1,\"tStartMs\":$t0,\"tEndMs\":$((t0 + 5000)),\"ext\":\"webm\",\"sizeBytes\":$(stat -c %s "$2"),\"contentType\":\"audio/webm\"}" >/dev/null
	KEY=$(out .objectKey)
	URL=$(out .putUrl)
	HDRS=()
	while IFS= read -r h; do
		HDRS+=(-H "$h")
	done < <(out '.headers | to_entries[] | "\(.key): \(.value)"')
}
put() {
	local f=$1
	shift
	curl -s -o "$TMP/s3out" -w '%{http_code}' -X PUT "${HDRS[@]}" "$@" \
		--data-binary "@$f" "$URL"
}
s3code() { sed -n 's:.*<Code>\(.*\)</Code>.*:\1:p' "$TMP/s3out"; }
complete() {
	local t0=$(( ($1 - 1) * 5000 ))
	api POST "/sessions/$SID/chunks/complete" \
		"{\"seq\":$1,\"objectKey\":\"$KEY\",\"bytes\":$(stat -c %s "$2"),\"tStartMs\":$t0,\"tEndMs\":$((t0 + 5000))}"
}
head -c 1500 /dev/urandom >"$TMP/a.webm"
api POST /sessions '{"codec":"webm"}' >/dev/null
SID=$(out .sessionId)

presign 1 "$TMP/a.webm"
check "$(is "$(out '.headers | "\(.["x-amz-server-side-encryption"]) \(.["x-amz-server-side-encryption-aws-kms-key-id"]) \(.["x-amz-server-side-encryption-bucket-key-enabled"])"')" \
	"aws:kms $KEY_ARN true")" 'presign lists aws:kms, the key id and the bucket key among the headers to send' "$(cat "$TMP/out")"
check "$(echo "$URL" | grep -q 'X-Amz-SignedHeaders=[^&]*x-amz-server-side-encryption%3Bx-amz-server-side-encryption-aws-kms-key-id%3Bx-amz-server-side-encryption-bucket-key-enabled'; echo $?)" \
	'and signs all three' "$URL"
st=$(put "$TMP/a.webm" -H "x-amz-server-side-encryption-aws-kms-key-id: $OTHER_ARN")
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" 'a PUT naming another key is 403 SignatureDoesNotMatch' "$st $(cat "$TMP/s3out")"
st=$(put "$TMP/a.webm" -H 'x-amz-server-side-encryption: AES256')
check "$(is "$st:$(s3code)" 403:SignatureDoesNotMatch)" 'a PUT asking for AES256 instead is 403 SignatureDoesNotMatch' "$st $(cat "$TMP/s3out")"
st=$(put "$TMP/a.webm")
st2=$(complete 1 "$TMP/a.webm")
check "$(is "$st:$st2" 200:200)" 'the PUT with the signed headers is stored, and complete finds it encrypted as configured' "$st $st2 $(cat "$TMP/out")"
check "$(s3 HEAD "$KEY" -I | tr -d '\r' | grep -qix "x-amz-server-side-encryption-aws-kms-key-id: $KEY_ARN"; echo $?)" \
	'S3 reports the key on HEAD'

# Objects written by hand with the chunk's metadata, encrypted otherwise.
# hand SEQ [HEADERS...]: presign SEQ (for its key), PUT the object with
# the chunk's metadata and HEADERS, complete it; the status on stdout.
USER_ID=$(s3 HEAD "$KEY" -I | tr -d '\r' | sed -n 's/^x-amz-meta-user-id: //Ip')
hand() {
	local seq=$1
	shift
	presign "$seq" "$TMP/a.webm"
	s3 PUT "$KEY" -H "x-amz-meta-user-id: $USER_ID" -H "x-amz-meta-session-id: $SID" \
		-H "x-amz-meta-seq: $seq" "$@" --data-binary "@$TMP/a.webm" -o /dev/null
	complete "$seq" "$TMP/a.webm"
}
st=$(hand 2)
check "$(is "$st:$(out .field)" 422:sse)" 'complete of an object S3 reports as AES256 is 422 naming sse' "$st $(cat "$TMP/out")"
check "$(out .error | grep -q 'AES256, not aws:kms'; echo $?)" 'saying which encryption S3 reports' "$(cat "$TMP/out")"
st=$(hand 3 -H 'x-amz-server-side-encryption: aws:kms' \
	-H "x-amz-server-side-encryption-aws-kms-key-id: $OTHER_ARN" \
	-H 'x-amz-server-side-encryption-bucket-key-enabled: true')
check "$(is "$st:$(out .field)" 422:sse)" 'complete of an object under another KMS key is 422' "$st $(cat "$TMP/out")"
check "$(out .error | grep -q "$OTHER_ARN"; echo $?)" 'naming the key S3 reports' "$(cat "$TMP/out")"
st=$(hand 4 -H 'x-amz-server-side-encryption: aws:kms' \
	-H "x-amz-server-side-encryption-aws-kms-key-id: $KEY_ARN")
check "$(is "$st:$(out .field)" 422:sse)" 'complete of an object without the bucket key is 422' "$st $(cat "$TMP/out")"
check "$(out .error | grep -q 'sse_bucket_key'; echo $?)" 'naming sse_bucket_key' "$(cat "$TMP/out")"
st=$(hand 5 -H 'x-amz-server-side-encryption: aws:kms' \
	-H "x-amz-server-side-encryption-aws-kms-key-id: $KEY_ARN" \
	-H 'x-amz-server-side-encryption-bucket-key-enabled: true')
check "$(is "$st" 200)" 'one encrypted as configured, written by hand, completes' "$st $(cat "$TMP/out")"

# 3. A multipart chunk (6 MiB: parts of 5 and 1 MiB) under aws:kms.
head -c $((6 * 1048576)) /dev/urandom >"$TMP/big.webm"
# mpresign SEQ: presign the big chunk; KEY, UPLOAD, the answer in mp.json.
mpresign() {
	local t0=$(( ($1 - 1) * 5000 ))
	MP_STATUS=$(api POST "/sessions/$SID/chunks/presign" \
		"{\"seq\":$1,\"tStartMs\":$t0,\"tEndMs\":$((t0 + 5000)),\"ext\":\"webm\",\"sizeBytes\":$(stat -c %s "$TMP/big.webm"),\"contentType\":\"audio/webm\"}")
	cp "$TMP/out" "$TMP/mp.json"
	KEY=$(jq -r .objectKey "$TMP/mp.json")
	UPLOAD=$(jq -r .uploadId "$TMP/mp.json")
}
# mput: PUT each part with its URL; PARTS (JSON) and PARTS_XML.
mput() {
	local i n off len etag
	PARTS= PARTS_XML=
	n=$(jq '.parts | length' "$TMP/mp.json")
	for ((i = 0; i < n; i++)); do
		off=$(jq ".parts[$i].offset" "$TMP/mp.json")
		len=$(jq ".parts[$i].sizeBytes" "$TMP/mp.json")
		head -c $((off + len)) "$TMP/big.webm" | tail -c "$len" >"$TMP/part"
		etag=$(curl -s -D - -o /dev/null -X PUT --data-binary "@$TMP/part" \
			"$(jq -r ".parts[$i].url" "$TMP/mp.json")" |
			tr -d '\r' | sed -n 's/^etag: //Ip')
		PARTS="$PARTS${PARTS:+,}{\"partNumber\":$((i + 1)),\"etag\":$(jq -Rn --arg e "$etag" '$e')}"
		PARTS_XML="$PARTS_XML<Part><PartNumber>$((i + 1))</PartNumber><ETag>$etag</ETag></Part>"
	done
	PARTS="[$PARTS]"
}
mcomplete() {
	local t0=$(( ($1 - 1) * 5000 ))
	api POST "/sessions/$SID/chunks/complete" \
		"{\"seq\":$1,\"objectKey\":\"$KEY\",\"bytes\":$(stat -c %s "$TMP/big.webm"),\"tStartMs\":$t0,\"tEndMs\":$((t0 + 5000)),\"uploadId\":\"$UPLOAD\",\"parts\":$PARTS}"
}
mpresign 10
check "$(is "$MP_STATUS:$(jq -r .uploadStrategy "$TMP/mp.json")" 200:multipart)" \
	'a 6 MiB chunk under aws:kms is presigned as a multipart upload (its CreateMultipartUpload, SSE headers signed, taken by S3)' \
	"$MP_STATUS $(head -c 300 "$TMP/mp.json")"
mput
st=$(mcomplete 10)
check "$(is "$st" 200)" 'its parts complete, and complete finds it encrypted as configured' "$st $(cat "$TMP/out")"
s3 HEAD "$KEY" -I | tr -d '\r' >"$TMP/head"
check "$(grep -qix 'x-amz-server-side-encryption: aws:kms' "$TMP/head" &&
	grep -qix "x-amz-server-side-encryption-aws-kms-key-id: $KEY_ARN" "$TMP/head" &&
	grep -qix 'x-amz-server-side-encryption-bucket-key-enabled: true' "$TMP/head"; echo $?)" \
	'S3 reports aws:kms, the key and the bucket key it was given at CreateMultipartUpload' "$(cat "$TMP/head")"
# S3 completes an upload behind the API, then another writer replaces the
# object (same size, the chunk's metadata) under another key: the API's
# complete finds the upload gone, HEADs the object and refuses it.
mpresign 11
mput
s3 POST "$KEY?uploadId=$UPLOAD" -H 'Content-Type: application/xml' \
	--data-binary "<CompleteMultipartUpload>$PARTS_XML</CompleteMultipartUpload>" -o "$TMP/s3out"
s3 PUT "$KEY" -H "x-amz-meta-user-id: $USER_ID" -H "x-amz-meta-session-id: $SID" \
	-H 'x-amz-meta-seq: 11' -H 'x-amz-server-side-encryption: aws:kms' \
	-H "x-amz-server-side-encryption-aws-kms-key-id: $OTHER_ARN" \
	-H 'x-amz-server-side-encryption-bucket-key-enabled: true' \
	--data-binary "@$TMP/big.webm" -o /dev/null
st=$(mcomplete 11)
check "$(is "$st:$(out .field)" 422:sse)" 'complete of a multipart chunk S3 reports under another key is 422 naming sse' "$st $(cat "$TMP/out")"
check "$(out .error | grep -q "$OTHER_ARN"; echo $?)" 'naming the key S3 reports' "$(cat "$TMP/out")"

if ! tap_done; then
	api_logs
	exit 1
fi
