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
// deliver_max_attempts.  Every S3 call is signed by the API (s3rver checks
// it); the test's own CompleteMultipartUpload is signed by the AWS SDK's
// signer (@smithy/signature-v4).
'use strict';

const crypto = require('crypto');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const { ok, note, sleep, mint, main } = require('../lib/tap');
const { call, s3Request, journalSql } = require('../lib/api');

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

async function newSession(token) {
  const r = await call('POST', '/sessions', { token, body: { codec: 'webm/opus' } });
  if (r.status !== 201) throw new Error('create: ' + r.text);
  return r.json.sessionId;
}

function chunkBody(seq, size) {
  return { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext: 'webm',
    sizeBytes: size, contentType: 'audio/webm' };
}

function presign(token, sid, seq, size) {
  return call('POST', `/sessions/${sid}/chunks/presign`,
    { token, body: chunkBody(seq, size) });
}

function complete(token, sid, seq, key, bytes, extra) {
  return call('POST', `/sessions/${sid}/chunks/complete`, { token,
    body: Object.assign({ seq, objectKey: key, bytes,
      tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000 }, extra || {}) });
}

// PUT every part of body with its presigned URL: [{partNumber, etag}].
async function putParts(p, body) {
  const parts = [];
  for (const part of p.parts) {
    const res = await fetch(part.url, { method: 'PUT', headers: p.headers,
      body: body.subarray(part.offset, part.offset + part.sizeBytes) });
    await res.text();
    if (res.status !== 200) throw new Error(`UploadPart ${part.partNumber}: ${res.status}`);
    parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag') });
  }
  return parts;
}

const signer = new SignatureV4({
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  region: env.AWS_REGION, service: 's3', sha256: Sha256, uriEscapePath: false,
});

// CompleteMultipartUpload sent by the test itself, through the proxy.
async function s3Complete(key, uploadId, parts) {
  const u = new URL(env.PROXY_URL);
  const xml = '<CompleteMultipartUpload>' + parts.map((p) =>
    `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag></Part>`)
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

main(run);
