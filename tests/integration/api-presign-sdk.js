// api-presign-sdk.js: our presigned PUT against the AWS SDK v3 presigner
// the original API used (@aws-sdk/s3-request-presigner getSignedUrl of a
// PutObjectCommand with ContentType, Metadata and ServerSideEncryption).
//
// For the same key, inputs and signing time both URLs must carry the same
// x-amz-meta-* query parameters with the same values, the same credential
// scope, date and expiry, and the same signed headers apart from
// content-type (which we sign on purpose and the SDK never does).  Then,
// against s3rver (which checks SigV4): a PUT through our URL with only
// Content-Type and x-amz-server-side-encryption is accepted and the object
// carries the metadata (HEAD); a changed metadata value in the URL, a
// missing SSE header or another content type is refused; complete accepts
// the object, and refuses one stored with other metadata or none (it checks
// the x-amz-meta-* a HEAD answers).  The stack comes from the environment tests/tools/devstack.sh env
// prints (see tests/integration/api-test.js), plus JWTMINT.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { ok, note, fail, mint, finish } = require('../lib/tap');
const api = require('../lib/api');

const env = process.env;

function call(method, p, token, body) {
  return api.call(method, p, { token, body });
}

// curl PUT of file through url with exactly these headers (curl adds
// only its unsigned User-Agent and Accept): the HTTP status.
function curlPut(url, headers, file) {
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push('--data-binary', '@' + file, url);
  return Number(spawnSync('curl', args, { encoding: 'utf8' }).stdout);
}

// A signed HEAD of an object (curl's own SigV4, credentials on stdin):
// the status and the lower-cased response headers.
function s3Head(key) {
  const url = `${env.S3_ENDPOINT}/${env.S3_BUCKET}/${key}`;
  const r = spawnSync('curl', ['-s', '-I', '-K', '-', '--aws-sigv4',
    `aws:amz:${env.AWS_REGION}:s3`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', url],
  { encoding: 'utf8',
    input: `user = "${env.AWS_ACCESS_KEY_ID}:${env.AWS_SECRET_ACCESS_KEY}"\n` });
  const lines = r.stdout.split(/\r?\n/);
  const status = Number((lines[0] || '').split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers };
}

function metaParams(u) {
  const out = {};
  for (const [k, v] of new URL(u).searchParams) {
    if (k.toLowerCase().startsWith('x-amz-meta-')) out[k.toLowerCase()] = v;
  }
  return out;
}

function sortedJson(o) {
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
}

// "20260105T101112Z" -> Date
function amzDate(s) {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(s || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

async function main() {
  // The SDK warns on stderr about Node versions; the warning is not ours.
  process.removeAllListeners('warning');
  const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
  const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'presign-sdk-'));
  const sub = 'sdk-' + process.pid;
  const token = mint(sub);
  const ctype = 'audio/webm;codecs=opus';
  try {
    let r = await call('POST', '/sessions', token, { codec: 'webm', sampleRate: 48000 });
    ok(r.status === 201, 'create with codec "webm" is 201', r.text);
    const sid = r.json.sessionId;
    r = await call('POST', `/sessions/${sid}/chunks/presign`, token,
      { seq: 1, tStartMs: 0, tEndMs: 5000, ext: 'webm', sizeBytes: 64, contentType: ctype });
    ok(r.status === 200, 'presign is 200', r.text);
    const ours = r.json;
    const oq = new URL(ours.putUrl).searchParams;
    const signingDate = amzDate(oq.get('X-Amz-Date'));

    const client = new S3Client({
      region: env.AWS_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const sdkUrl = await getSignedUrl(client, new PutObjectCommand({
      Bucket: env.S3_BUCKET, Key: ours.objectKey, ContentType: ctype,
      Metadata: { 'user-id': sub, 'session-id': sid, seq: '1' },
      ServerSideEncryption: 'AES256',
    }), { expiresIn: ours.expiresInSeconds, signingDate });
    note('ours: ' + ours.putUrl.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=...'));
    note('SDK:  ' + sdkUrl.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=...'));
    const sq = new URL(sdkUrl).searchParams;

    const u1 = new URL(ours.putUrl);
    const u2 = new URL(sdkUrl);
    ok(u1.origin + u1.pathname === u2.origin + u2.pathname,
      'both URLs address the same object', [u1.pathname, u2.pathname]);
    ok(Object.keys(metaParams(sdkUrl)).length === 3 &&
      sortedJson(metaParams(ours.putUrl)) === sortedJson(metaParams(sdkUrl)),
    'the same x-amz-meta-* query parameters with the same values as the SDK',
    [metaParams(ours.putUrl), metaParams(sdkUrl)]);
    const sh = (q) => (q.get('X-Amz-SignedHeaders') || '').split(';');
    ok(oq.get('X-Amz-SignedHeaders') === 'content-type;host;x-amz-server-side-encryption',
      'X-Amz-SignedHeaders is content-type;host;x-amz-server-side-encryption', oq.get('X-Amz-SignedHeaders'));
    ok(JSON.stringify(sh(oq).filter((h) => h !== 'content-type')) === JSON.stringify(sh(sq)),
      'the same signed headers as the SDK apart from content-type', [sh(oq), sh(sq)]);
    for (const p of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires']) {
      ok(oq.get(p) === sq.get(p), `the same ${p} as the SDK`, [oq.get(p), sq.get(p)]);
    }
    ok(JSON.stringify(Object.keys(ours.headers).sort()) ===
      JSON.stringify(['Content-Type', 'x-amz-server-side-encryption']) &&
      ours.headers['Content-Type'] === ctype && ours.headers['x-amz-server-side-encryption'] === 'AES256',
    'headers lists exactly what the client sends: Content-Type and x-amz-server-side-encryption', ours.headers);

    // What the original clients send, and only that.
    const file = path.join(tmp, 'chunk');
    fs.writeFileSync(file, Buffer.alloc(64, 'a'));
    const only = { 'Content-Type': ctype, 'x-amz-server-side-encryption': 'AES256' };
    ok(curlPut(ours.putUrl.replace('x-amz-meta-seq=1', 'x-amz-meta-seq=2'), only, file) === 403,
      'a changed metadata value in the URL is refused by S3');
    ok(curlPut(ours.putUrl, { 'Content-Type': ctype }, file) === 403,
      'a PUT without the SSE header is refused by S3');
    ok(curlPut(ours.putUrl, Object.assign({}, only, { 'Content-Type': 'audio/ogg' }), file) === 403,
      'a PUT with another Content-Type is refused by S3');
    ok(curlPut(ours.putUrl, only, file) === 200,
      'a PUT with only Content-Type and x-amz-server-side-encryption is accepted by S3');
    const h = s3Head(ours.objectKey);
    ok(h.status === 200 && h.headers['x-amz-meta-user-id'] === sub &&
      h.headers['x-amz-meta-session-id'] === sid && h.headers['x-amz-meta-seq'] === '1' &&
      h.headers['content-type'] === ctype,
    'S3 stored the metadata from the URL and the signed Content-Type (HEAD)', h.headers);
    // The SDK's own URL, with the same two headers, against the same S3:
    // the shape the original clients were written for works here too.
    ok(curlPut(sdkUrl, only, file) === 200, "the SDK's URL with the same headers is accepted by S3 too");
    // complete checks the metadata S3 stored (HEAD): an object put there
    // with other metadata, or none, is not this chunk.
    const cbody = { seq: 1, objectKey: ours.objectKey, bytes: 64, tStartMs: 0, tEndMs: 5000 };
    const sdkPut = async (Metadata) => curlPut(await getSignedUrl(client, new PutObjectCommand({
      Bucket: env.S3_BUCKET, Key: ours.objectKey, ContentType: ctype, Metadata,
      ServerSideEncryption: 'AES256' }), { expiresIn: 60 }), only, file);
    ok(await sdkPut({ 'user-id': sub, 'session-id': sid, seq: '9' }) === 200,
      'an upload of the same key with x-amz-meta-seq 9 (SDK URL)');
    r = await call('POST', `/sessions/${sid}/chunks/complete`, token, cbody);
    ok(r.status === 422 && r.json.code === 'object_mismatch' && /x-amz-meta-seq 9, not 1/.test(r.json.error),
      'complete refuses it: the stored x-amz-meta-seq is not the chunk\'s', r.text);
    ok(await sdkPut(undefined) === 200, 'an upload of the same key with no metadata');
    r = await call('POST', `/sessions/${sid}/chunks/complete`, token, cbody);
    ok(r.status === 422 && /no x-amz-meta-user-id/.test(r.json.error),
      'complete refuses an object without the metadata', r.text);
    ok(curlPut(ours.putUrl, only, file) === 200, 'the upload again through our URL');
    r = await call('POST', `/sessions/${sid}/chunks/complete`, token, cbody);
    ok(r.status === 200 && r.json.chunkCount === 1, 'complete accepts the chunk with its metadata', r.text);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch(fail).finally(() => finish());
