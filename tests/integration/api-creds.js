// api-creds.js: audio-api signing with credentials from the AWS chain
// (ECS container credentials served by tests/tools/aws-metadata-standin.js), for
// tests/integration/api-creds.sh.  The stack has no S3 key pair in its config; the
// stand-in serves s3rver's key pair plus a session token, expiring
// META_EXPIRES_IN seconds after each fetch.
//
//   node tests/integration/api-creds.js signed       presign capped to the credentials'
//                                         lifetime, PUT, HEAD (complete),
//                                         PUT (finalize's manifest)
//   node tests/integration/api-creds.js unavailable  credentials gone: 503, no crash
//   node tests/integration/api-creds.js recovered    credentials back: signing again
//
// Environment: what tests/tools/devstack.sh env prints, JWTMINT, META_EXPIRES_IN,
// META_URL (the stand-in, for its stats).  Prints "ok - ..." or
// "not ok - ..."; the exit status is the number of failures.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { ok, sleep, mint, main } = require('../lib/tap');
const api = require('../lib/api');
const { s3Get, chunkBody: presignBody } = api;

const env = process.env;
const life = Number(env.META_EXPIRES_IN);
const presignDefault = 300;	// presign_expires's default (LIMIT_PRESIGN_EXPIRES_DEFAULT)




function call(method, p, token, body) {
  return api.call(method, p, { token, body });
}

async function standinStats() {
  const res = await fetch(env.META_URL + '/_standin/stats');
  return res.json();
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'api-creds-'));

function curlPut(url, headers, bytes) {
  const f = path.join(tmp, `chunk-${bytes}`);
  fs.writeFileSync(f, Buffer.alloc(bytes, 'c'));
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT'];
  for (const [k, v] of Object.entries(headers)) {
    args.push('-H', `${k}: ${v}`);
  }
  args.push('--data-binary', '@' + f, url);
  return Number(spawnSync('curl', args, { encoding: 'utf8' }).stdout);
}


async function newSession(token) {
  const r = await call('POST', '/sessions', token, { codec: 'webm/opus',
    sampleRate: 48000, chunkSeconds: 5, deviceInfo: { userAgent: 'api-creds' } });
  if (r.status !== 201) {
    throw new Error('cannot create a session: ' + r.text);
  }
  return r.json.sessionId;
}

// Presign one chunk and check the lifetime: capped to the credentials'
// (at most META_EXPIRES_IN, so below the 300 s default) and equal to the
// URL's X-Amz-Expires, which carries the session token.
async function presignCapped(token, sid, seq, size, label) {
  const r = await call('POST', `/sessions/${sid}/chunks/presign`, token,
    presignBody(seq, size));
  if (!ok(r.status === 200, `${label}: presign with chain credentials is 200`, r.text)) {
    return null;
  }
  const e = r.json.expiresInSeconds;
  const u = new URL(r.json.putUrl);
  ok(Number.isInteger(e) && e >= 1 && e <= life && e < presignDefault,
    `${label}: expiresInSeconds capped to the credentials' lifetime (1..${life}, below ${presignDefault})`, r.text);
  ok(u.searchParams.get('X-Amz-Expires') === String(e),
    `${label}: X-Amz-Expires equals expiresInSeconds`, r.json.putUrl);
  ok(/^token-ecs-\d+$/.test(u.searchParams.get('X-Amz-Security-Token') || ''),
    `${label}: the URL carries the container session token`, r.json.putUrl);
  ok((u.searchParams.get('X-Amz-Credential') || '').startsWith(env.AWS_ACCESS_KEY_ID + '/'),
    `${label}: signed with the key the stand-in served`, r.json.putUrl);
  return r.json;
}

async function testSigned() {
  const u = mint('creds-' + process.pid);
  const before = await standinStats();
  const sid = await newSession(u);
  const p = await presignCapped(u, sid, 1, 100, 'signed');
  ok(p !== null && curlPut(p.putUrl, p.headers, 100) === 200,
    'signed: s3rver accepts a PUT through the presigned URL');
  let r = await call('POST', `/sessions/${sid}/chunks/complete`, u,
    { seq: 1, objectKey: p && p.objectKey, bytes: 100, tStartMs: 0, tEndMs: 5000 });
  ok(r.status === 200 && r.json.chunkCount === 1,
    "signed: complete is 200 (audio-api's HEAD, signed with chain credentials, accepted)", r.text);
  r = await call('POST', `/sessions/${sid}/finalize`, u, { durationMs: 5000, final: true });
  ok(r.status === 200 && r.json.chunkCount === 1, 'signed: finalize is 200', r.text);
  let m = null;
  for (let i = 0; i < 50 && r.json && r.json.manifestKey; i++) {
    const g = s3Get(r.json.manifestKey);
    if (g.status === 200) {
      try { m = JSON.parse(g.body); } catch (e) { m = null; }
      break;
    }
    await sleep(100);
  }
  ok(m && m.final === true && m.chunks.length === 1,
    "signed: the manifest (audio-api's PUT, signed with chain credentials) is in S3", m);
  const after = await standinStats();
  ok(after.ecs > before.ecs, 'signed: audio-api fetched credentials from the container endpoint',
    { before, after });
}

async function testUnavailable() {
  const u = mint('creds-gone-' + process.pid);
  const sid = await newSession(u);
  let r = await call('POST', `/sessions/${sid}/chunks/presign`, u, presignBody(1, 10));
  ok(r.status === 503 && r.json && r.json.code === 'unavailable' &&
    /credentials/.test(r.json.error || ''),
  'unavailable: presign without credentials is 503 naming the problem', r.text);
  // The key the presign would have given: complete gets as far as its
  // HEAD, which cannot be signed.
  const sub = 'creds-gone-' + process.pid;
  const key = `users/${sub}/audio/sessions/${sid}/chunks/00001-000000-005000.webm`;
  r = await call('POST', `/sessions/${sid}/chunks/complete`, u,
    { seq: 1, objectKey: key, bytes: 10, tStartMs: 0, tEndMs: 5000 });
  ok(r.status === 503 && r.json && r.json.code === 'unavailable',
    'unavailable: complete (HEAD without credentials) is 503', r.text);
  r = await call('GET', '/healthz', u);
  ok(r.status !== 0, 'unavailable: the API still answers (no crash)', r.text);
}

async function testRecovered() {
  const u = mint('creds-back-' + process.pid);
  const sid = await newSession(u);
  // Each worker waits out its retry pause (10 s) after a failed refresh.
  let r;
  for (let i = 0; i < 60; i++) {
    r = await call('POST', `/sessions/${sid}/chunks/presign`, u, presignBody(1, 10));
    if (r.status === 200) break;
    await sleep(500);
  }
  ok(r.status === 200, 'recovered: presign works again once the credentials are back', r.text);
  const p = await presignCapped(u, sid, 2, 10, 'recovered');
  ok(p !== null && curlPut(p.putUrl, p.headers, 10) === 200,
    'recovered: s3rver accepts a PUT through the new URL');
}

main({
  signed: testSigned,
  unavailable: testUnavailable,
  recovered: testRecovered,
}, { cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) });
