// multihost-test.js: two API hosts behind no balancer, driven directly
// (tests/integration/multihost.sh starts them with DEVSTACK_HOSTS=2).
//
//   node tests/integration/multihost-test.js baseline   SQLite: hosts share nothing
//
// The stack is described by the environment tests/tools/devstack.sh env
// prints (API_URL_1, API_URL_2, S3_ENDPOINT, JOURNAL, JWT_*, RUN_DIR, ...)
// plus JWTMINT.
'use strict';

const { ok, note, mint, main } = require('../lib/tap');
const api = require('../lib/api');

const env = process.env;
const HOSTS = [env.API_URL_1, env.API_URL_2];

// call(host, method, path, opts): one API call to host 0 (A) or 1 (B).
function call(host, method, p, opts = {}) {
  return api.call(method, p, Object.assign({ base: HOSTS[host],
    timeoutMs: 20000 }, opts));
}

async function newSession(host, token) {
  const r = await call(host, 'POST', '/sessions', { token,
    body: { codec: 'webm/opus', sampleRate: 48000, chunkSeconds: 5,
      deviceInfo: { userAgent: 'multihost-test' } } });
  if (r.status !== 201) {
    throw new Error(`cannot create a session on host ${host}: ${r.text}`);
  }
  return r.json.sessionId;
}

// Presign on host, PUT the bytes to S3 through the presigned URL; returns
// the complete's body.
async function uploadChunk(host, token, sid, seq, size) {
  const p = await call(host, 'POST', `/sessions/${sid}/chunks/presign`,
    { token, body: { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000,
      ext: 'webm', sizeBytes: size, contentType: 'audio/webm' } });
  if (p.status !== 200) {
    throw new Error(`presign on host ${host} failed: ${p.status} ${p.text}`);
  }
  const res = await fetch(p.json.putUrl, { method: 'PUT',
    headers: p.json.headers, body: Buffer.alloc(size, 'm') });
  await res.text();
  if (res.status !== 200) {
    throw new Error('presigned PUT failed: ' + res.status);
  }
  return { seq, objectKey: p.json.objectKey, bytes: size,
    tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000 };
}

// ---------------------------------------------------------------- baseline

// Each host with its own SQLite journal: a session host A created is
// unknown to host B.  This is what the shared journal changes, and the
// proof that the other parts of this test can fail.
async function testBaseline() {
  const u = mint('mh-base-' + process.pid);
  const sid = await newSession(0, u);
  const body = await uploadChunk(0, u, sid, 1, 100);
  let r = await call(1, 'POST', `/sessions/${sid}/chunks/complete`,
    { token: u, body });
  ok(r.status === 404 && r.json && r.json.code === 'not_found',
    'SQLite, two hosts: a chunk of a session created on A, completed on B, is 404',
    r.status + ' ' + r.text);
  r = await call(1, 'GET', `/sessions/${sid}?urls=0`, { token: u });
  ok(r.status === 404, 'B does not know the session', r.status + ' ' + r.text);
  r = await call(0, 'POST', `/sessions/${sid}/chunks/complete`,
    { token: u, body });
  ok(r.status === 200 && r.json.chunkCount === 1 && /^[0-9a-f-]{36}$/.test(r.json.eventId || ''),
    'the same complete on A answers 200', r.status + ' ' + r.text);
  r = await call(0, 'GET', `/sessions/${sid}?urls=0`, { token: u });
  ok(r.status === 200 && r.json.chunkCount === 1, 'A has the session with its chunk',
    r.status + ' ' + r.text);
  note(`journals: A ${env.JOURNAL}, B its own`);
}

main({ baseline: testBaseline });
