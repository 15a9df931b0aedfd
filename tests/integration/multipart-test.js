// multipart-test.js: chunks over the single-PUT limit through S3 multipart
// uploads, on the stack tests/integration/api-multipart.sh starts
// (chunk_max_bytes 5m, multipart_max_bytes 64m, multipart_part_bytes 5m,
// S3 = s3rver behind tests/tools/s3-fault-proxy.js).
//
//   node tests/integration/multipart-test.js
//
// Checked: a small chunk's presign answer is the one the original clients
// know; a 12 MiB chunk gets 3 part URLs (5+5+2 MiB), a repeated presign the
// same upload; the parts go to s3rver with those URLs, bad parts lists are
// refused naming the problem (400/422, never 500), the complete puts the
// object together (HEAD: 12 MiB, the bytes sent), retries answer the same,
// a complete whose answer was lost (S3 completed, NoSuchUpload on retry)
// is taken, and GET /sessions/{id} and the manifest list the chunk; open
// uploads are aborted on delete, on replacement, and scheduled at
// finalize; an abort S3 keeps refusing is given up after
// deliver_max_attempts.  Checksums: partSha256 (one per part of the
// server's plan) signs each part's x-amz-checksum-sha256 (a corrupted part
// is refused, 400 BadDigest), complete lists them and the HEAD must report
// S3's composite (else 422 partSha256), which the manifest records; a
// whole-object sha256/md5 or a wrong count is refused (400).  Write once:
// a writeOnce upload's complete does not replace an object already at the
// key (409), and its retry still answers as before.  With
// MULTIPART_PHASE=require (the stack restarted with require_checksums and
// require_write_once) only those switches are checked.  Every S3 call is
// signed by the API (s3rver checks it); the test's own S3 requests are
// signed by the AWS SDK's signer (@smithy/signature-v4).
'use strict';

const crypto = require('crypto');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const { ok, note, sleep, mint, main } = require('../lib/tap');
const { call, s3Request, journalSql, newSession, chunkBody, complete, putParts } =
  require('../lib/api');

const env = process.env;
const MIB = 1024 * 1024;

function isErr(r, status, code, field) {
  return r.status === status && r.json && typeof r.json.error === 'string' &&
    r.json.error.length > 0 && r.json.code === code &&
    (field === undefined || r.json.field === field);
}

function show(r) {
  return `${r.status} ${r.text.slice(0, 300)}`;
}

async function proxy(p, obj) {
  const res = await fetch(env.PROXY_URL + p, obj === undefined ? {} :
    { method: 'POST', body: JSON.stringify(obj) });
  return res.json();
}

function presign(token, sid, seq, size, extra) {
  return call('POST', `/sessions/${sid}/chunks/presign`,
    { token, body: Object.assign(chunkBody(seq, size), extra || {}) });
}

const sha256b64 = (b) => crypto.createHash('sha256').update(b).digest('base64');

// The plan README documents: parts of multipart_part_bytes (5 MiB here),
// the last what is left; each part's base64 SHA-256.
function partSums(body, partBytes = 5 * MIB) {
  const sums = [];
  for (let off = 0; off < body.length; off += partBytes) {
    sums.push(sha256b64(body.subarray(off, Math.min(off + partBytes, body.length))));
  }
  return sums;
}

// S3's composite: the SHA-256 of the binary part digests, then -N.
function composite(sums) {
  return sha256b64(Buffer.concat(sums.map((x) => Buffer.from(x, 'base64')))) +
    `-${sums.length}`;
}

const signer = new SignatureV4({
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  region: env.AWS_REGION, service: 's3', sha256: Sha256, uriEscapePath: false,
});

// CompleteMultipartUpload sent by the test itself, through the proxy
// (each part's checksum listed when it has one).
async function s3Complete(key, uploadId, parts) {
  const u = new URL(env.PROXY_URL);
  const xml = '<CompleteMultipartUpload>' + parts.map((p) =>
    `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag>` +
    (p.sha256 ? `<ChecksumSHA256>${p.sha256}</ChecksumSHA256>` : '') + '</Part>')
    .join('') + '</CompleteMultipartUpload>';
  const req = await signer.sign({ method: 'POST', protocol: 'http:',
    hostname: u.hostname, port: Number(u.port),
    path: `/${env.S3_BUCKET}/${key}`, query: { uploadId },
    headers: { host: u.host, 'content-type': 'application/xml',
      'x-amz-content-sha256': crypto.createHash('sha256').update(xml).digest('hex') },
    body: xml });
  const res = await fetch(`${env.PROXY_URL}/${env.S3_BUCKET}/${key}?uploadId=` +
    encodeURIComponent(uploadId), { method: 'POST', headers: req.headers, body: xml });
  return { status: res.status, text: await res.text() };
}

// The object's bytes, by a GET signed by the SDK's signer.
async function s3Bytes(key) {
  const u = new URL(env.PROXY_URL);
  const req = await signer.sign({ method: 'GET', protocol: 'http:',
    hostname: u.hostname, port: Number(u.port), path: `/${env.S3_BUCKET}/${key}`,
    headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const res = await fetch(`${env.PROXY_URL}/${env.S3_BUCKET}/${key}`,
    { headers: req.headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

// PutObject sent by the test itself (another writer of the bucket).
async function s3Put(key, body, headers) {
  const u = new URL(env.PROXY_URL);
  const req = await signer.sign({ method: 'PUT', protocol: 'http:',
    hostname: u.hostname, port: Number(u.port), path: `/${env.S3_BUCKET}/${key}`,
    headers: Object.assign({ host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      headers || {}) });
  const res = await fetch(`${env.PROXY_URL}/${env.S3_BUCKET}/${key}`,
    { method: 'PUT', headers: req.headers, body });
  return { status: res.status, text: await res.text() };
}

// CreateMultipartUpload sent by the test itself, the headers named in
// unsigned left out of the signature.
async function s3Create(key, headers, unsigned) {
  const u = new URL(env.PROXY_URL);
  const req = await signer.sign({ method: 'POST', protocol: 'http:',
    hostname: u.hostname, port: Number(u.port), path: `/${env.S3_BUCKET}/${key}`,
    query: { uploads: '' },
    headers: Object.assign({ host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      headers) }, { unsignableHeaders: new Set(unsigned) });
  const res = await fetch(`${env.PROXY_URL}/${env.S3_BUCKET}/${key}?uploads=`,
    { method: 'POST', headers: req.headers });
  return { status: res.status, text: await res.text() };
}

// HEAD with x-amz-checksum-mode: ENABLED, signed by the SDK's signer.
async function s3HeadSum(key) {
  const u = new URL(env.PROXY_URL);
  const req = await signer.sign({ method: 'HEAD', protocol: 'http:',
    hostname: u.hostname, port: Number(u.port), path: `/${env.S3_BUCKET}/${key}`,
    headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-amz-checksum-mode': 'ENABLED' } });
  const res = await fetch(`${env.PROXY_URL}/${env.S3_BUCKET}/${key}`,
    { method: 'HEAD', headers: req.headers });
  return { status: res.status, sha256: res.headers.get('x-amz-checksum-sha256') };
}

function mpuRow(uploadId) {
  const r = journalSql("SELECT state || '|' || attempts || '|' || " +
    "coalesce(abort_at_ms, -1) FROM multipart_uploads WHERE upload_id = '" +
    uploadId + "'").split('|');
  return { state: r[0], attempts: Number(r[1]), abortAt: Number(r[2]) };
}

async function waitState(uploadId, state, ms = 15000) {
  let row;
  for (let t = 0; t < ms; t += 100) {
    row = mpuRow(uploadId);
    if (row.state === state) break;
    await sleep(100);
  }
  return row;
}

async function run() {
  const token = mint('mpu-user');
  const sid = await newSession(token);

  // ------------------------------------------------ small chunks unchanged
  let r = await presign(token, sid, 9, 4000);
  ok(r.status === 200 && JSON.stringify(Object.keys(r.json)) ===
    '["objectKey","putUrl","headers","expiresInSeconds"]',
    'a small chunk\'s presign answer has exactly the old keys', show(r));
  r = await presign(token, sid, 9, 5 * MIB);
  ok(r.status === 200 && r.json.putUrl && r.json.uploadStrategy === undefined,
    'a chunk of exactly chunk_max_bytes is still one PUT', show(r));

  // ------------------------------------------------------- the 12 MiB chunk
  const size = 12 * MIB;
  const body = crypto.randomBytes(size);
  const t0 = process.hrtime.bigint();
  r = await presign(token, sid, 1, size);
  const p = r.json;
  ok(r.status === 200 && p.uploadStrategy === 'multipart' &&
    typeof p.uploadId === 'string' && p.uploadId.length > 0 &&
    p.partSizeBytes === 5 * MIB && p.sizeBytes === size && !p.putUrl,
  'a 12 MiB presign answers uploadStrategy multipart with an uploadId', show(r));
  ok(Array.isArray(p.parts) && p.parts.length === 3 &&
    p.parts.map((x) => `${x.partNumber}:${x.offset}:${x.sizeBytes}`).join(',') ===
    `1:0:${5 * MIB},2:${5 * MIB}:${5 * MIB},3:${10 * MIB}:${2 * MIB}`,
  'three parts chosen by the server: 5, 5 and 2 MiB with their ranges',
  JSON.stringify((p.parts || []).map((x) => [x.partNumber, x.offset, x.sizeBytes])));
  ok(p.parts.every((x) => /[?&]partNumber=\d+&uploadId=/.test(x.url) &&
    /X-Amz-Signature=[0-9a-f]{64}/.test(x.url)),
  'every part URL is a presigned UploadPart');
  r = await presign(token, sid, 1, size);
  ok(r.status === 200 && r.json.uploadId === p.uploadId &&
    journalSql(`SELECT count(*) FROM multipart_uploads WHERE session_id = '${sid}'`) === '1',
  'a repeated presign answers the same upload (no second CreateMultipartUpload)',
  show(r));
  const stats0 = await proxy('/_proxy/stats');
  ok(stats0.mpu.created === 1, 'S3 saw one CreateMultipartUpload', JSON.stringify(stats0.mpu));

  const parts = await putParts(p, body);
  ok(parts.length === 3 && parts.every((x) => /^"[0-9a-f]{32}"$/.test(x.etag)),
    'each part went to s3rver with its presigned URL and got an ETag');

  // ------------------------------------------------------ bad parts lists
  const key = p.objectKey;
  const mp = (list, id = p.uploadId) => ({ uploadId: id, parts: list });
  r = await complete(token, sid, 1, key, size, mp(parts.slice(0, 2)));
  ok(isErr(r, 400, 'invalid_field', 'parts') && /has 3/.test(r.json.error),
    'two parts of three: 400 naming parts and the count', show(r));
  r = await complete(token, sid, 1, key, size, mp([parts[1], parts[0], parts[2]]));
  ok(isErr(r, 400, 'invalid_field', 'parts[0].partNumber'),
    'parts out of order: 400 naming parts[0].partNumber', show(r));
  r = await complete(token, sid, 1, key, size, mp([parts[0],
    { partNumber: 2, etag: 'not-an-etag' }, parts[2]]));
  ok(isErr(r, 400, 'invalid_field', 'parts[1].etag'),
    'a malformed ETag: 400 naming parts[1].etag', show(r));
  r = await complete(token, sid, 1, key, size, mp([parts[0],
    { partNumber: 2, etag: parts[1].etag, extra: 1 }, parts[2]]));
  ok(isErr(r, 400, 'invalid_field'), 'an unknown field in a part: 400', show(r));
  r = await complete(token, sid, 1, key, size, mp(parts, 'someone-elses-upload'));
  ok(isErr(r, 422, 'object_mismatch', 'uploadId'),
    'another uploadId: 422 naming uploadId', show(r));
  r = await complete(token, sid, 1, key, size - 1, mp(parts));
  ok(isErr(r, 422, 'object_mismatch', 'bytes'),
    'bytes other than presigned: 422 naming bytes', show(r));
  r = await complete(token, sid, 1, key, size, { parts });
  ok(isErr(r, 400, 'invalid_field', 'uploadId'), 'parts without uploadId: 400', show(r));
  r = await complete(token, sid, 1, key, size);
  ok(isErr(r, 400, 'invalid_field', 'parts'),
    'a multipart-sized complete without parts: 400 naming parts', show(r));
  r = await complete(token, sid, 1, key, size, mp('x'));
  ok(isErr(r, 400, 'invalid_field', 'parts'), 'parts not an array: 400', show(r));
  r = await presign(token, sid, 2, 64 * MIB + 1);
  ok(isErr(r, 413, 'too_large', 'sizeBytes') && /multipart_max_bytes/.test(r.json.error),
    'over multipart_max_bytes: 413 naming the limit', show(r));

  // ------------------------------------------------------------ complete
  r = await complete(token, sid, 1, key, size, mp(parts));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  ok(r.status === 200 && r.json.ok === true && r.json.chunkCount === 1 &&
    r.json.totalBytes === size, 'the complete puts the 12 MiB object together', show(r));
  note(`12 MiB chunk end to end (presign, 3 UploadParts, complete): ${ms.toFixed(0)} ms`);
  const first = r.json;
  const got = await s3Bytes(key);
  ok(got.status === 200 && got.body.equals(body),
    'the object in S3 holds the 12 MiB sent, parts in order',
    `${got.status} ${got.body.length}`);
  const head = s3Request('HEAD', key);
  ok(head.status === 200 && new RegExp(`content-length: ${size}\\b`, 'i').test(head.body),
    'HEAD: the object is 12 MiB', head.body.slice(0, 300));
  r = await complete(token, sid, 1, key, size, mp(parts));
  ok(r.status === 200 && r.json.eventId === first.eventId &&
    r.json.totalBytes === size, 'a retried complete answers the same', show(r));
  ok(mpuRow(p.uploadId).state === 'completed', 'the journal has the upload completed');

  // ------------------------- lost answer: S3 completed, the API did not
  const size2 = 5 * MIB + 1;
  r = await presign(token, sid, 2, size2);
  const p2 = r.json;
  ok(r.status === 200 && p2.parts.length === 2 && p2.parts[1].sizeBytes === 1,
    'a 5 MiB + 1 byte chunk is two parts, the last of one byte', show(r));
  const parts2 = await putParts(p2, crypto.randomBytes(size2));
  const sc = await s3Complete(p2.objectKey, p2.uploadId, parts2);
  ok(sc.status === 200 && /CompleteMultipartUploadResult/.test(sc.text),
    'S3 completed the upload behind the API (its answer lost)', `${sc.status} ${sc.text}`);
  r = await complete(token, sid, 2, p2.objectKey, size2,
    { uploadId: p2.uploadId, parts: parts2 });
  ok(r.status === 200 && r.json.chunkCount === 2 && r.json.totalBytes === size + size2,
    'the complete after NoSuchUpload finds the object whole and takes it', show(r));
  const st = await proxy('/_proxy/stats');
  ok(st.mpu.noSuchUpload >= 1, 'S3 (the stand-in) did answer NoSuchUpload',
    JSON.stringify(st.mpu));

  // -------------------------------------------------- GET and manifest
  r = await call('GET', `/sessions/${sid}`, { token });
  const c1 = r.json && (r.json.chunks || []).find((c) => c.seq === 1);
  ok(r.status === 200 && c1 && c1.bytes === size && c1.key === key,
    'GET /sessions/{id} lists the 12 MiB chunk with its size', show(r));

  // ---------------------------------------------- replaced: old aborted
  r = await presign(token, sid, 3, 6 * MIB);
  const old = r.json.uploadId;
  r = await presign(token, sid, 3, 7 * MIB);
  ok(r.status === 200 && r.json.uploadId !== old,
    'a presign of another size answers a new upload', show(r));
  const p3 = r.json;
  let row = await waitState(old, 'aborted');
  ok(row.state === 'aborted', 'the replaced upload is aborted by the delivery loop',
    JSON.stringify(row));
  r = await complete(token, sid, 3, p3.objectKey, 6 * MIB, { uploadId: old,
    parts: [{ partNumber: 1, etag: '"' + 'a'.repeat(32) + '"' },
      { partNumber: 2, etag: '"' + 'b'.repeat(32) + '"' }] });
  ok(isErr(r, 422, 'object_mismatch', 'uploadId'),
    'the replaced uploadId is refused at complete', show(r));

  // ---------------------------------------- finalize schedules the abort
  const before = Date.now();
  r = await call('POST', `/sessions/${sid}/finalize`, { token,
    body: { durationMs: 20000, final: true } });
  ok(r.status === 200 && r.json.chunkCount === 2, 'finalize', show(r));
  row = mpuRow(p3.uploadId);
  // finalize_grace 60 s + presign_expires 300 s + s3_timeout 3 s.
  ok(row.state === 'open' && row.abortAt >= before + 363000 &&
    row.abortAt <= Date.now() + 363000,
  'finalize schedules the open upload\'s abort after the late-chunk window and its URLs',
  JSON.stringify(row));
  const before4 = Date.now();
  r = await presign(token, sid, 4, 6 * MIB);
  row = r.status === 200 ? mpuRow(r.json.uploadId) : {};
  ok(r.status === 200 && r.json.uploadStrategy === 'multipart' &&
    row.state === 'open' && row.abortAt >= before4 + 303000 &&
    row.abortAt <= Date.now() + 303000,
  'a late last chunk\'s upload is scheduled for abort once its URLs run out',
  JSON.stringify({ status: r.status, row }));
  const m = s3Request('GET', `users/mpu-user/audio/sessions/${sid}/manifest.json`);
  let man = null;
  try { man = JSON.parse(m.body); } catch (e) { man = null; }
  const mc = man && (man.chunks || []).find((c) => c.seq === 1);
  ok(m.status === 200 && mc && mc.bytes === size,
    'the manifest in S3 lists the 12 MiB chunk with its size', m.body.slice(0, 300));

  // ------------------------------------------- delete aborts at once
  const sid2 = await newSession(token);
  r = await presign(token, sid2, 1, 6 * MIB);
  const p4 = r.json;
  await putParts({ parts: p4.parts.slice(0, 1), headers: p4.headers },
    crypto.randomBytes(6 * MIB));
  const a0 = (await proxy('/_proxy/stats')).mpu.aborted;
  r = await call('DELETE', `/sessions/${sid2}`, { token });
  ok(r.status === 202, 'DELETE of a session with an open multipart upload', show(r));
  row = await waitState(p4.uploadId, 'aborted');
  const a1 = (await proxy('/_proxy/stats')).mpu;
  ok(row.state === 'aborted' && a1.aborted === a0 + 1 && a1.abortRefused === 0,
    'its upload is aborted (AbortMultipartUpload signed, s3rver checked it)',
    JSON.stringify({ row, a1 }));
  // The stand-in's abort is refused when its signature is bad: s3rver
  // still checks it.
  const u = new URL(env.PROXY_URL);
  const bad = new SignatureV4({ credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: 'not-the-secret' }, region: env.AWS_REGION, service: 's3',
  sha256: Sha256, uriEscapePath: false });
  const sreq = await bad.sign({ method: 'DELETE', protocol: 'http:', hostname: u.hostname,
    port: Number(u.port), path: `/${env.S3_BUCKET}/${p4.objectKey}`,
    query: { uploadId: p4.uploadId },
    headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const forged = await fetch(`${env.PROXY_URL}/${env.S3_BUCKET}/${p4.objectKey}?uploadId=` +
    encodeURIComponent(p4.uploadId), { method: 'DELETE', headers: sreq.headers });
  const ftext = await forged.text();
  ok(forged.status === 403 && /SignatureDoesNotMatch/.test(ftext),
    'an abort with a bad signature is refused (403 SignatureDoesNotMatch)',
    `${forged.status} ${ftext.slice(0, 200)}`);
  const part = await fetch(p4.parts[1].url, { method: 'PUT', body: Buffer.alloc(1) });
  ok(part.status === 404, 'an aborted upload takes no more parts', String(part.status));

  // ---------------------------------- an abort S3 keeps refusing: bounded
  const sid3 = await newSession(token);
  r = await presign(token, sid3, 1, 6 * MIB);
  const p5 = r.json;
  await proxy('/_proxy/mode', { mode: 'abort-fail' });
  r = await call('DELETE', `/sessions/${sid3}`, { token });
  row = await waitState(p5.uploadId, 'failed', 20000);
  await proxy('/_proxy/mode', { mode: 'pass' });
  const a2 = (await proxy('/_proxy/stats')).mpu;
  ok(row.state === 'failed' && row.attempts === 3 && a2.abortFailed === 3,
    'an abort refused 3 times (deliver_max_attempts) is given up, not retried forever',
    JSON.stringify({ row, a2 }));
  await sleep(1500);
  ok((await proxy('/_proxy/stats')).mpu.abortFailed === 3,
    'and is not tried again');
}

// ------------------------------------------- checksums: S3's composite
async function checksums(token) {
  const sid = await newSession(token);
  const size = 12 * MIB;
  const body = crypto.randomBytes(size);
  const sums = partSums(body);
  let r = await presign(token, sid, 1, size, { sha256: sha256b64(body) });
  ok(isErr(r, 400, 'invalid_field', 'sha256') && /partSha256/.test(r.json.error),
    'a whole-object sha256 on a multipart chunk: 400 naming it, pointing to partSha256', show(r));
  r = await presign(token, sid, 1, size,
    { md5: crypto.createHash('md5').update(body).digest('base64') });
  ok(isErr(r, 400, 'invalid_field', 'md5') && /partSha256/.test(r.json.error),
    'a whole-object md5 on a multipart chunk: 400 naming it', show(r));
  r = await presign(token, sid, 1, size, { partSha256: sums.slice(0, 2) });
  ok(isErr(r, 400, 'invalid_field', 'partSha256') &&
    /lists 2 value\(s\).*3 part\(s\) of 5242880 bytes \(the last 2097152/.test(r.json.error),
  'partSha256 with 2 values for 3 parts: 400 naming it and the plan', show(r));
  r = await presign(token, sid, 1, size, { partSha256: [sums[0], 'not base64', sums[2]] });
  ok(isErr(r, 400, 'invalid_field', 'partSha256[1]'),
    'a value that is not a base64 SHA-256: 400 naming partSha256[1]', show(r));
  r = await presign(token, sid, 1, size, { partSha256: [sums[0], sums[1],
    crypto.createHash('md5').update('x').digest('base64')] });
  ok(isErr(r, 400, 'invalid_field', 'partSha256[2]'),
    'a base64 MD5 where a SHA-256 is wanted: 400 naming partSha256[2]', show(r));
  r = await presign(token, sid, 1, size, { partSha256: [sums[0], 5, sums[2]] });
  ok(isErr(r, 400, 'invalid_field', 'partSha256[1]'), 'a number: 400', show(r));
  r = await presign(token, sid, 2, 4000, { partSha256: [sums[0]] });
  ok(isErr(r, 400, 'invalid_field', 'partSha256'),
    'partSha256 on a single-PUT chunk: 400 naming it', show(r));

  r = await presign(token, sid, 1, size, { partSha256: sums });
  const p = r.json;
  ok(r.status === 200 && p.sha256 === composite(sums) && p.parts.length === 3 &&
    p.parts.every((x, i) => x.headers && x.headers['x-amz-checksum-sha256'] === sums[i] &&
      /X-Amz-SignedHeaders=[^&]*x-amz-checksum-sha256/.test(x.url)),
  'each part URL signs its own x-amz-checksum-sha256; the answer names the composite',
  show(r));
  r = await presign(token, sid, 1, size, { partSha256: sums });
  ok(r.status === 200 && r.json.uploadId === p.uploadId,
    'the same presign again answers the same upload', show(r));
  const first5 = body.subarray(0, 5 * MIB);
  const bad = Buffer.from(first5);
  bad[12345] ^= 1;
  let res = await fetch(p.parts[0].url, { method: 'PUT', headers: p.parts[0].headers, body: bad });
  let text = await res.text();
  ok(res.status === 400 && /BadDigest/.test(text),
    'a corrupted part is refused by S3 (400 BadDigest)', `${res.status} ${text.slice(0, 200)}`);
  // (a short body: s3rver answers before reading it, and the connection
  // would be dropped under a long one)
  res = await fetch(p.parts[0].url, { method: 'PUT', body: Buffer.alloc(1) });
  text = await res.text();
  ok(res.status === 403 && /SignatureDoesNotMatch/.test(text),
    'a part sent without its checksum header is refused (403)', `${res.status}`);
  const parts = await putParts(p, body);
  // S3's own rules at complete, which the API's complete must meet.
  let sc = await s3Complete(p.objectKey, p.uploadId, parts);
  ok(sc.status === 400 && /InvalidRequest/.test(sc.text),
    'S3 refuses a complete of this upload that lists no part checksums', `${sc.status} ${sc.text}`);
  sc = await s3Complete(p.objectKey, p.uploadId,
    parts.map((x, i) => Object.assign({ sha256: sums[(i + 1) % 3] }, x)));
  ok(sc.status === 400 && /InvalidPart/.test(sc.text),
    'and one that lists other checksums than the parts\'', `${sc.status} ${sc.text}`);
  r = await complete(token, sid, 1, p.objectKey, size, { uploadId: p.uploadId, parts });
  ok(r.status === 200 && r.json.ok === true,
    'the API\'s complete lists each part\'s checksum and the composite checks out', show(r));
  const h = await s3HeadSum(p.objectKey);
  ok(h.status === 200 && h.sha256 === composite(sums),
    'S3 reports the composite on HEAD with x-amz-checksum-mode', JSON.stringify(h));
  r = await call('GET', `/sessions/${sid}`, { token });
  const c1 = r.json && (r.json.chunks || []).find((c) => c.seq === 1);
  ok(c1 && c1.sha256 === composite(sums), 'the chunk records the composite', show(r));
  r = await presign(token, sid, 3, 6 * MIB);
  const p3 = r.json;
  r = await presign(token, sid, 3, 6 * MIB,
    { partSha256: partSums(crypto.randomBytes(6 * MIB)) });
  ok(r.status === 200 && r.json.uploadId !== p3.uploadId && r.json.sha256,
    'a presign of the seq with checksums replaces an upload without', show(r));

  // Another writer replaces the object with other bytes (same size, the
  // chunk's metadata): the HEAD's SHA-256 is not the presigned composite.
  const body2 = crypto.randomBytes(5 * MIB + 1);
  const sums2 = partSums(body2);
  r = await presign(token, sid, 2, body2.length, { partSha256: sums2 });
  const p2 = r.json;
  const parts2 = await putParts(p2, body2);
  sc = await s3Complete(p2.objectKey, p2.uploadId,
    parts2.map((x, i) => Object.assign({ sha256: sums2[i] }, x)));
  ok(sc.status === 200, 'S3 completed a checksummed upload behind the API', `${sc.status} ${sc.text}`);
  const other = crypto.randomBytes(body2.length);
  const pu = await s3Put(p2.objectKey, other, { 'content-type': 'audio/webm',
    'x-amz-meta-user-id': p2.objectKey.split('/')[1], 'x-amz-meta-session-id': sid,
    'x-amz-meta-seq': '2', 'x-amz-meta-sha256': composite(sums2),
    'x-amz-checksum-sha256': sha256b64(other) });
  ok(pu.status === 200, 'another writer replaced it with other bytes', `${pu.status} ${pu.text}`);
  r = await complete(token, sid, 2, p2.objectKey, body2.length,
    { uploadId: p2.uploadId, parts: parts2 });
  ok(isErr(r, 422, 'object_mismatch', 'partSha256') &&
    r.json.error.includes(composite(sums2)) && r.json.error.includes(sha256b64(other)),
  'complete: an object whose SHA-256 is not the composite is 422 naming partSha256', show(r));
}

// ----------------------------------------------- write once: no overwrite
async function writeOnce(token) {
  const sid = await newSession(token);
  const size = 5 * MIB + 1;
  const squat = Buffer.from('another object at this key');
  const body = crypto.randomBytes(size);
  let r = await presign(token, sid, 1, size, { writeOnce: true });
  const p = r.json;
  const parts = await putParts(p, body);
  let pu = await s3Put(p.objectKey, squat, { 'content-type': 'audio/webm' });
  ok(pu.status === 200, 'another object is written at the chunk\'s key', `${pu.status}`);
  r = await complete(token, sid, 1, p.objectKey, size, { uploadId: p.uploadId, parts });
  ok(isErr(r, 409, 'conflict', 'objectKey') && /already has this chunk's key/.test(r.json.error),
    'writeOnce: the complete is 409 naming objectKey (S3 answered 412 to If-None-Match)', show(r));
  let got = await s3Bytes(p.objectKey);
  ok(got.status === 200 && got.body.equals(squat), 'the object at the key was not replaced',
    `${got.status} ${got.body.length}`);
  ok(mpuRow(p.uploadId).state === 'open', 'and the upload is not recorded as completed');

  // The same without writeOnce: the complete replaces the object.
  r = await presign(token, sid, 2, size);
  const p2 = r.json;
  const parts2 = await putParts(p2, body);
  pu = await s3Put(p2.objectKey, squat, { 'content-type': 'audio/webm' });
  r = await complete(token, sid, 2, p2.objectKey, size, { uploadId: p2.uploadId, parts: parts2 });
  got = await s3Bytes(p2.objectKey);
  ok(r.status === 200 && got.body.equals(body),
    'without writeOnce the same complete replaces the object (the condition is what keeps it)',
    show(r));

  // Retries of a writeOnce complete: S3 completed it and the answer was
  // lost (S3 then says NoSuchUpload: the object is HEADed and taken), and
  // a retry after that answers the same.
  r = await presign(token, sid, 3, size, { writeOnce: true });
  const p3 = r.json;
  const parts3 = await putParts(p3, body);
  const sc = await s3Complete(p3.objectKey, p3.uploadId, parts3);
  const n0 = (await proxy('/_proxy/stats')).mpu.noSuchUpload;
  r = await complete(token, sid, 3, p3.objectKey, size, { uploadId: p3.uploadId, parts: parts3 });
  ok(sc.status === 200 && r.status === 200 &&
    (await proxy('/_proxy/stats')).mpu.noSuchUpload > n0,
  'a writeOnce complete whose upload S3 completed already gets NoSuchUpload, HEADs, is taken',
  show(r));
  const r2 = await complete(token, sid, 3, p3.objectKey, size,
    { uploadId: p3.uploadId, parts: parts3 });
  ok(r2.status === 200 && r2.json.eventId === r.json.eventId, 'and its retry answers the same',
    show(r2));
}

// --------------------- require_checksums and require_write_once (restart)
async function requireSwitches() {
  const token = mint('mpu-user');
  const sid = await newSession(token);
  const size = 5 * MIB + 1;
  const body = crypto.randomBytes(size);
  const sums = partSums(body);
  let r = await presign(token, sid, 1, size);
  ok(isErr(r, 400, 'invalid_field', 'partSha256') && /require_checksums/.test(r.json.error) &&
    /2 part\(s\) of 5242880 bytes \(the last 1;/.test(r.json.error),
  'require_checksums: a multipart presign without partSha256 is 400 naming it and the plan',
  show(r));
  r = await presign(token, sid, 1, size, { partSha256: sums });
  const p = r.json;
  ok(r.status === 200 && p.sha256 === composite(sums), 'with partSha256 it is presigned', show(r));
  const parts = await putParts(p, body);
  const pu = await s3Put(p.objectKey, Buffer.from('squatter'), { 'content-type': 'audio/webm' });
  r = await complete(token, sid, 1, p.objectKey, size, { uploadId: p.uploadId, parts });
  ok(pu.status === 200 && isErr(r, 409, 'conflict', 'objectKey'),
    'require_write_once: the complete does not replace an object at the key (409)', show(r));
  r = await presign(token, sid, 2, size, { partSha256: sums });
  const p2 = r.json;
  const parts2 = await putParts(p2, body);
  r = await complete(token, sid, 2, p2.objectKey, size, { uploadId: p2.uploadId, parts: parts2 });
  const h = await s3HeadSum(p2.objectKey);
  ok(r.status === 200 && h.sha256 === composite(sums),
    'and one with nothing at its key completes with its composite', show(r));
}

// The test S3 refuses a CreateMultipartUpload whose x-amz-* headers are
// not all signed, as S3 does: what makes api-sse.sh's multipart check
// that the API signs the SSE headers it gives the Create.
async function createSigned() {
  const key = 'users/mpu-sum/unsigned-create-check.webm';
  const h = { 'x-amz-server-side-encryption': 'aws:kms' };
  let r = await s3Create(key, h, ['x-amz-server-side-encryption']);
  ok(r.status === 403 && /AccessDenied/.test(r.text) && /not signed/.test(r.text),
    'S3 refuses a CreateMultipartUpload with an unsigned x-amz-* header (403)',
    `${r.status} ${r.text.slice(0, 300)}`);
  r = await s3Create(key, h, []);
  ok(r.status === 200 && /<UploadId>/.test(r.text),
    'and takes it with the header signed', `${r.status} ${r.text.slice(0, 300)}`);
}

main({
  all: async () => {
    await run();
    await createSigned();
    const token = mint('mpu-sum');
    await checksums(token);
    await writeOnce(token);
  },
  require: requireSwitches,
});
