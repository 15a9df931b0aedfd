// recordings-test.js: the recordings routes (GET /sessions, GET and DELETE
// /sessions/{id}, HEAD and OPTIONS everywhere) through lighttpd against
// s3rver and the real journal; run by tests/integration/api-recordings.sh, which
// starts the stack with short upload URLs (presign_expires) so the
// tombstone's late look for uploads happens within the test.
//
//   node tests/integration/recordings-test.js
//
// Environment: what tests/tools/devstack.sh env prints, plus JWTMINT.  S3 is
// checked with its own ListObjectsV2, signed by the AWS SDK's signer
// (@smithy/signature-v4), not by the code under test.
'use strict';

const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const { ok, note, sleep, mint, main, pmap } = require('../lib/tap');
const { call, startS3, newSession, chunkBody, complete } = require('../lib/api');

const env = process.env;


function isErr(r, status, code, field) {
  return r.status === status && r.json && typeof r.json.error === 'string' &&
    r.json.error.length > 0 && r.json.code === code &&
    (field === undefined || r.json.field === field);
}

function sqlite(sql) {
  const r = spawnSync('sqlite3', [env.JOURNAL, sql],
    { encoding: 'utf8' });
  return r.stdout.trim();
}

const signer = new SignatureV4({
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  region: env.AWS_REGION, service: 's3', sha256: Sha256,
});

// Every key under prefix, by S3's own ListObjectsV2 (all pages).
async function s3List(prefix) {
  const u = new URL(env.S3_ENDPOINT);
  const keys = [];
  let token;
  for (;;) {
    const query = { 'list-type': '2', prefix };
    if (token) query['continuation-token'] = token;
    const req = await signer.sign({ method: 'GET', protocol: 'http:',
      hostname: u.hostname, port: Number(u.port), path: '/' + env.S3_BUCKET,
      query, headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    const qs = new URLSearchParams(req.query).toString();
    const res = await fetch(`${env.S3_ENDPOINT}/${env.S3_BUCKET}?${qs}`,
      { headers: req.headers });
    const text = await res.text();
    if (res.status !== 200) throw new Error('ListObjectsV2: ' + res.status + ' ' + text);
    for (const m of text.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(m[1]);
    const t = /<NextContinuationToken>([^<]*)</.exec(text);
    if (!/<IsTruncated>true</.test(text) || !t) break;
    token = t[1];
  }
  return keys;
}

function prefixOf(sub, sid) {
  return `users/${sub}/audio/sessions/${sid}/`;
}

async function presign(token, sid, seq, size) {
  const p = await call('POST', `/sessions/${sid}/chunks/presign`,
    { token, body: chunkBody(seq, size) });
  if (p.status !== 200) throw new Error('presign: ' + p.text);
  return p.json;
}

async function put(p, bytes) {
  const res = await fetch(p.putUrl, { method: 'PUT', headers: p.headers, body: bytes });
  await res.text();
  return res.status;
}

async function upload(token, sid, seq, bytes) {
  const p = await presign(token, sid, seq, bytes.length);
  const st = await put(p, bytes);
  if (st !== 200) throw new Error('PUT: ' + st);
  const c = await complete(token, sid, seq, p.objectKey, bytes.length);
  if (c.status !== 200) throw new Error('complete: ' + c.text);
  return p;
}

// Wait until DELETE answers 404 (the deletion is done); returns the last
// answer.
async function waitDeleted(token, sid, ms = 15000) {
  let r;
  for (let t = 0; t < ms; t += 100) {
    r = await call('DELETE', `/sessions/${sid}`, { token });
    if (r.status !== 202) break;
    await sleep(100);
  }
  return r;
}

function events(type, sid) {
  let text = '';
  try { text = fs.readFileSync(env.EVENTS_LOG, 'utf8'); } catch (e) { text = ''; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.detailType === type && e.detail.sessionId === sid);
}

// ------------------------------------------------------------------ list

async function testList() {
  const a = mint('rec-list-' + process.pid);
  const b = mint('rec-list-other-' + process.pid);
  let r = await call('GET', '/sessions', { token: a });
  ok(r.status === 200 && Array.isArray(r.json.sessions) && r.json.sessions.length === 0 &&
    r.json.nextCursor === null, 'a new user lists no sessions', r.text);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await newSession(a));
  await newSession(b);
  r = await call('GET', '/sessions?limit=2', { token: a });
  ok(r.status === 200 && r.json.sessions.length === 2 &&
    r.json.sessions[0].sessionId === ids[2] && r.json.sessions[1].sessionId === ids[1] &&
    typeof r.json.nextCursor === 'string', 'limit=2: the two newest, and a cursor', r.text);
  const s0 = r.json.sessions[0];
  ok(s0.state === 'open' && s0.codec === 'webm/opus' && s0.sampleRate === 48000 &&
    s0.chunkCount === 0 && s0.totalBytes === 0 && s0.durationMs === 0 &&
    /^\d{4}-\d\d-\d\dT/.test(s0.createdAt) && /^\d{4}-\d\d-\d\dT/.test(s0.updatedAt),
  'each session has state, times, codec, sampleRate, chunkCount, totalBytes, durationMs', s0);
  const cursor = r.json.nextCursor;
  ok(!cursor.includes('session') && /^[A-Za-z0-9_-]+$/.test(cursor), 'the cursor is opaque base64url', cursor);
  r = await call('GET', `/sessions?limit=2&cursor=${cursor}`, { token: a });
  ok(r.status === 200 && r.json.sessions.length === 1 && r.json.sessions[0].sessionId === ids[0] &&
    r.json.nextCursor === null, 'the next page holds the rest and ends', r.text);
  r = await call('GET', '/sessions', { token: b });
  ok(r.status === 200 && r.json.sessions.length === 1 && !ids.includes(r.json.sessions[0].sessionId),
    'another user sees only their own session', r.text);
  for (const bad of ['0', '1001', 'abc', '-1', '', '1e3', '5&limit=6']) {
    r = await call('GET', `/sessions?limit=${bad}`, { token: a });
    ok(isErr(r, 400, 'invalid_field', 'limit'), `limit=${bad} is 400 naming limit`, r.text);
  }
  const forged = cursor.slice(0, -2) + (cursor.endsWith('AA') ? 'BB' : 'AA');
  for (const [what, c] of [['garbled', 'not-a-cursor'], ['forged', forged],
    ['truncated', cursor.slice(0, 20)], ['percent-encoded', '%2E%2E'], ['repeated', `${cursor}&cursor=${cursor}`]]) {
    r = await call('GET', `/sessions?cursor=${c}`, { token: a });
    ok(isErr(r, 400, 'invalid_field', 'cursor'), `a ${what} cursor is 400 naming cursor`, r.text);
  }
  r = await call('GET', `/sessions?cursor=${cursor}`, { token: b });
  ok(isErr(r, 400, 'invalid_field', 'cursor'), "another user's cursor is 400 naming cursor", r.text);
  r = await call('GET', '/sessions');
  ok(r.status === 401 && r.headers.get('www-authenticate'), 'listing without a token is 401', r.text);
  r = await call('GET', '/sessions?limit=1000', { token: a });
  ok(r.status === 200 && r.json.sessions.length === 3, 'limit=1000 is accepted', r.text);
}

// ---------------------------------------------------------------- HEAD/OPTIONS

async function testMethods() {
  const a = mint('rec-methods-' + process.pid);
  const sid = await newSession(a);
  const hz = await call('HEAD', '/healthz');
  ok(hz.status === 200 && hz.text === '' && Number(hz.headers.get('content-length')) > 0,
    'HEAD /healthz is 200 with a length and no body', hz.status);
  for (const p of ['/sessions', `/sessions/${sid}`]) {
    const g = await call('GET', p, { token: a });
    const h = await call('HEAD', p, { token: a });
    ok(h.status === g.status && h.text === '' &&
      h.headers.get('content-length') === g.headers.get('content-length') &&
      h.headers.get('content-type') === g.headers.get('content-type'),
    `HEAD ${p.replace(sid, '{id}')} is GET without the body`, `${h.status} ${g.status} ${h.headers.get('content-length')} ${g.headers.get('content-length')}`);
  }
  let r = await call('HEAD', `/sessions/${sid}`);
  ok(r.status === 401 && r.text === '', 'HEAD without a token is 401 without a body', r.status);
  const allow = {
    '/sessions': 'GET, HEAD, POST, OPTIONS',
    [`/sessions/${sid}`]: 'GET, HEAD, DELETE, OPTIONS',
    [`/sessions/${sid}/chunks/presign`]: 'POST, OPTIONS',
    [`/sessions/${sid}/chunks/complete`]: 'POST, OPTIONS',
    [`/sessions/${sid}/manifest`]: 'PUT, OPTIONS',
    [`/sessions/${sid}/finalize`]: 'POST, OPTIONS',
    '/healthz': 'GET, HEAD, OPTIONS',
  };
  for (const [p, want] of Object.entries(allow)) {
    const name = p.replace(sid, '{id}');
    r = await call('OPTIONS', p);
    ok(r.status === 204 && r.headers.get('allow') === want && r.text === '',
      `OPTIONS ${name} answers 204 with Allow: ${want}`, `${r.status} ${r.headers.get('allow')}`);
    r = await call('OPTIONS', p, { headers: { Origin: env.CORS_ORIGIN,
      'Access-Control-Request-Method': 'GET' } });
    ok(r.status === 204 && r.headers.get('access-control-allow-origin') === env.CORS_ORIGIN &&
      r.headers.get('access-control-allow-methods') === want &&
      /authorization/i.test(r.headers.get('access-control-allow-headers') || ''),
    `preflight of ${name} has the CORS headers`, `${r.status} ${[...r.headers].join(' ')}`);
    for (const m of ['PATCH', 'HEAD', 'GET', 'DELETE', 'PUT', 'POST']) {
      const served = want.split(', ').includes(m);
      if (served) continue;
      r = await call(m, p, { token: a });
      ok(r.status === 405 && r.headers.get('allow') === want && (m === 'HEAD' || isErr(r, 405, 'method_not_allowed')),
        `${m} ${name} is 405 with Allow`, `${r.status} ${r.headers.get('allow')} ${r.text}`);
    }
  }
}

// ------------------------------------------------------------------- get

async function testGet() {
  const a = mint('rec-get-' + process.pid);
  const b = mint('rec-get-other-' + process.pid);
  const sid = await newSession(a);
  const bytes1 = crypto.randomBytes(1500);
  const bytes3 = crypto.randomBytes(700);
  await upload(a, sid, 1, bytes1);
  await presign(a, sid, 2, 100);		// presigned, never uploaded
  await upload(a, sid, 3, bytes3);
  await presign(a, sid, 4, 100);
  const p5 = await presign(a, sid, 5, 100);	// uploaded, never completed
  ok(await put(p5, Buffer.alloc(100, 5)) === 200, 'seq 5 is PUT but not completed');
  let r = await call('GET', `/sessions/${sid}`, { token: a });
  ok(r.status === 200 && r.json.sessionId === sid && r.json.state === 'open' &&
    r.json.chunkCount === 2 && r.json.totalBytes === 2200 && r.json.chunks.length === 2 &&
    r.json.manifestKey === prefixOf(`rec-get-${process.pid}`, sid) + 'manifest.json',
  'GET gives the session and its manifest', r.text);
  ok(JSON.stringify(r.json.missing) === '[2,4,5]', 'missing lists the seqs presigned but not completed', r.json && r.json.missing);
  const got = [];
  for (const c of (r.json.chunks || [])) {
    const res = await fetch(c.url);
    got.push(Buffer.from(await res.arrayBuffer()));
    ok(res.status === 200 && /X-Amz-Signature=/.test(c.url) && /X-Amz-Expires=/.test(c.url),
      `the playback URL of seq ${c.seq} is a presigned GET that s3rver serves`, res.status);
  }
  ok(got.length === 2 && got[0].equals(bytes1) && got[1].equals(bytes3),
    'the playback URLs download exactly the uploaded bytes');
  ok(r.json.urlExpiresInSeconds > 0 && r.json.urlExpiresInSeconds <= 300, 'urlExpiresInSeconds is short', r.json.urlExpiresInSeconds);
  const tampered = r.json.chunks[0].url.replace(/X-Amz-Signature=(.)/, (m, c) => 'X-Amz-Signature=' + (c === 'a' ? 'b' : 'a'));
  let res = await fetch(tampered);
  await res.text();
  ok(res.status === 403, 'a tampered playback URL is refused by s3rver', res.status);
  r = await call('GET', `/sessions/${sid}?urls=0`, { token: a });
  ok(r.status === 200 && r.json.chunks.length === 2 && r.json.chunks.every((c) => c.url === undefined) &&
    r.json.urlExpiresInSeconds === undefined, '?urls=0 gives no URLs', r.text);
  r = await call('GET', `/sessions/${sid}?urls=2`, { token: a });
  ok(isErr(r, 400, 'invalid_field', 'urls'), '?urls=2 is 400 naming urls', r.text);
  // completing a missing seq takes it off the list
  const c5 = await call('POST', `/sessions/${sid}/chunks/complete`, { token: a,
    body: { seq: 5, objectKey: p5.objectKey, bytes: 100, tStartMs: 20000, tEndMs: 25000 } });
  r = await call('GET', `/sessions/${sid}?urls=0`, { token: a });
  ok(c5.status === 200 && JSON.stringify(r.json.missing) === '[2,4]', 'a completed seq leaves missing', r.text);
  const missing = await call('GET', '/sessions/session-1-00000000-0000-4000-8000-000000000000', { token: a });
  r = await call('GET', `/sessions/${sid}`, { token: b });
  ok(isErr(r, 404, 'not_found') && r.text === missing.text,
    "another user's session answers exactly like a missing one", r.text + ' / ' + missing.text);
  for (const bad of ['x'.repeat(300), 'bad%21id', 'a.b']) {
    r = await call('GET', `/sessions/${bad}`, { token: a });
    ok(isErr(r, 404, 'not_found'), `a malformed id (${bad.slice(0, 12)}) is 404`, r.text);
  }
  r = await call('GET', `/sessions/${sid}`);
  ok(r.status === 401, 'GET without a token is 401', r.status);
  // after finalize the state says so
  r = await call('POST', `/sessions/${sid}/finalize`, { token: a, body: { durationMs: 25000 } });
  const g = await call('GET', `/sessions/${sid}?urls=0`, { token: a });
  const l = await call('GET', '/sessions', { token: a });
  ok(r.status === 200 && g.json.state === 'final' && g.json.final === true &&
    l.json.sessions[0].state === 'final' && g.json.durationMs === 25000,
  'a finalized session is state final in GET and the list', g.text);
  return { a, b, sid, sub: `rec-get-${process.pid}` };
}

// ---------------------------------------------------------------- delete

async function testDelete(ctx) {
  const { a, b, sid, sub } = ctx;
  const prefix = prefixOf(sub, sid);
  let keys = await s3List(prefix);
  ok(keys.length === 4 && keys.includes(prefix + 'manifest.json'),
    'before: S3 holds the chunks and the manifest', keys);
  let r = await call('DELETE', `/sessions/${sid}`, { token: b });
  ok(isErr(r, 404, 'not_found'), "DELETE of another user's session is 404", r.text);
  keys = await s3List(prefix);
  ok(keys.length === 4, '... and deletes nothing', keys);
  r = await call('DELETE', `/sessions/${sid}`, { token: a });
  ok(r.status === 202 && r.json.sessionId === sid && r.json.state === 'deleting' &&
    /^[0-9a-f-]{36}$/.test(r.json.eventId), 'DELETE is 202 deleting', r.text);
  const eventId = r.json.eventId;
  r = await waitDeleted(a, sid);
  ok(isErr(r, 404, 'not_found'), 'once done, DELETE answers 404 (idempotent)', r.text);
  r = await call('GET', `/sessions/${sid}`, { token: a });
  ok(isErr(r, 404, 'not_found'), 'GET answers 404', r.text);
  r = await call('GET', '/sessions?limit=1000', { token: a });
  ok(r.status === 200 && !r.json.sessions.some((s) => s.sessionId === sid), 'the list no longer has it', r.text);
  keys = await s3List(prefix);
  ok(keys.length === 0, 'ListObjectsV2 of the session prefix shows nothing', keys);
  ok(sqlite(`select (select count(*) from sessions where id='${sid}') + (select count(*) from chunks where session_id='${sid}') + (select count(*) from presigns where session_id='${sid}') + (select count(*) from outbox where session_id='${sid}')`) === '0',
    'its journal rows are gone (session, chunks, presigns, outbox)');
  let ev = [];
  for (let i = 0; i < 50 && ev.length === 0; i++) {
    ev = events('RecordingDeleted', sid);
    if (ev.length === 0) await sleep(100);
  }
  ok(ev.length === 1 && ev[0].detail.eventId === eventId && ev[0].detail.userId === sub &&
    ev[0].detail.objectsDeleted === 4 && ev[0].detail.chunkCount === 3,
  'RecordingDeleted is in the events log with the eventId DELETE gave', ev);
  for (const [m, p, body] of [['POST', 'chunks/presign', chunkBody(9, 10)],
    ['POST', 'finalize', { durationMs: 1 }]]) {
    r = await call(m, `/sessions/${sid}/${p}`, { token: a, body });
    ok(isErr(r, 404, 'not_found'), `${p} of a deleted session is 404`, r.text);
  }
  r = await call('DELETE', `/sessions/${sid}`);
  ok(r.status === 401, 'DELETE without a token is 401', r.status);
}

// ------------------------------------------------- delete with S3 stopped


async function stopS3() {
  const pid = Number(fs.readFileSync(path.join(env.RUN_DIR, 's3rver.pid'), 'utf8'));
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50; i++) {
    try { process.kill(pid, 0); } catch (e) { return; }
    await sleep(100);
  }
}

async function testDeleteS3Down() {
  const sub = 'rec-down-' + process.pid;
  const a = mint(sub);
  const sid = await newSession(a);
  await upload(a, sid, 1, Buffer.alloc(300, 1));
  await upload(a, sid, 2, Buffer.alloc(300, 2));
  const p3 = await presign(a, sid, 3, 10);
  await stopS3();
  let r = await call('DELETE', `/sessions/${sid}`, { token: a });
  ok(r.status === 202 && r.json.state === 'deleting', 'with S3 down, DELETE is still 202', r.text);
  const eventId = r.json && r.json.eventId;
  await sleep(1500);
  r = await call('DELETE', `/sessions/${sid}`, { token: a });
  ok(r.status === 202 && r.json.eventId === eventId, 'while S3 is down it stays 202, same eventId (idempotent)', r.text);
  r = await call('GET', `/sessions/${sid}`, { token: a });
  ok(r.status === 200 && r.json.state === 'deleting' && r.json.chunks.every((c) => c.url === undefined),
    'GET shows state deleting, without playback URLs', r.text);
  r = await call('GET', '/sessions', { token: a });
  ok(r.status === 200 && r.json.sessions[0].sessionId === sid && r.json.sessions[0].state === 'deleting',
    'the list shows it as deleting', r.text);
  for (const [m, p, body] of [['POST', 'chunks/presign', chunkBody(4, 10)],
    ['POST', 'chunks/complete', { seq: 3, objectKey: p3.objectKey, bytes: 10, tStartMs: 10000, tEndMs: 15000 }],
    ['PUT', 'manifest', { sessionId: sid, chunks: [] }],
    ['POST', 'finalize', { durationMs: 10000 }]]) {
    r = await call(m, `/sessions/${sid}/${p}`, { token: a, body });
    ok(isErr(r, 404, 'not_found'), `while deleting, ${p} is 404`, r.text);
  }
  ok(sqlite(`select count(*) from deletions where session_id='${sid}' and phase='objects' and attempts >= 1 and reason is not null`) === '1',
    'the deletion waits in the journal with its failure reason');
  await startS3();
  r = await waitDeleted(a, sid, 30000);
  ok(isErr(r, 404, 'not_found'), 'once S3 is back the delivery loop finishes it: 404', r.text);
  const keys = await s3List(prefixOf(sub, sid));
  ok(keys.length === 0, 'every object of the session is gone', keys);
  let ev = [];
  for (let i = 0; i < 50 && ev.length === 0; i++) {
    ev = events('RecordingDeleted', sid);
    if (ev.length === 0) await sleep(100);
  }
  ok(ev.length === 1 && ev[0].detail.eventId === eventId, 'RecordingDeleted was sent once', ev);
}

// ------------------------------------------------------------- the orphan

async function testOrphan() {
  const sub = 'rec-orphan-' + process.pid;
  const a = mint(sub);
  const sid = await newSession(a);
  await upload(a, sid, 1, Buffer.alloc(50, 1));
  const late = await presign(a, sid, 2, 64);	// issued before the delete
  let r = await call('DELETE', `/sessions/${sid}`, { token: a });
  ok(r.status === 202, 'DELETE with an upload URL still out is 202', r.text);
  r = await waitDeleted(a, sid);
  ok(isErr(r, 404, 'not_found'), 'the deletion is done (404)', r.text);
  const st = await put(late, Buffer.alloc(64, 2));
  let keys = await s3List(prefixOf(sub, sid));
  ok(st === 200 && keys.length === 1, 'a PUT with the old URL still lands: an orphan', `${st} ${keys}`);
  const tomb = sqlite(`select recheck_ms from deletions where session_id='${sid}' and phase='recheck'`);
  ok(Number(tomb) > Date.now(), 'the tombstone waits for the URL to expire', tomb);
  for (let i = 0; i < 150; i++) {
    if (sqlite(`select count(*) from deletions where session_id='${sid}'`) === '0') break;
    await sleep(100);
  }
  keys = await s3List(prefixOf(sub, sid));
  ok(keys.length === 0 && sqlite(`select count(*) from deletions where session_id='${sid}'`) === '0',
    'after the URL expired the tombstone found and deleted the orphan, then went', keys);
  const log = fs.readFileSync(path.join(env.RUN_DIR, 'log', 'audio-api.log'), 'utf8');
  ok(log.includes(`session ${sid}: the tombstone's recheck deleted 1 object`), 'the log says what the recheck deleted');
  const h = await call('GET', '/healthz');
  ok(h.status === 200 && Number.isInteger(h.json.deletions), '/healthz counts the deletions not finished', h.text);
}

// ------------------------------------------------------- cursor stability

async function testCursorStability() {
  const a = mint('rec-many-' + process.pid);
  const t0 = Date.now();
  const ids = await pmap(Array.from({ length: 1000 }), 16, () => newSession(a));
  note(`created 1000 sessions in ${Date.now() - t0} ms`);
  ok(new Set(ids).size === 1000, '1000 sessions created');
  // Delete 100 (spread over the list) while paging through all of it:
  // 50 sent concurrently with the paging, and 50 more deleted to the end
  // (404) after the third page, so rows surely vanish from under the
  // cursor, on both sides of it.
  const doomed = new Set(ids.filter((_, i) => i % 10 === 3));
  const concurrent = [...doomed].filter((_, i) => i % 2 === 0);
  const midway = [...doomed].filter((_, i) => i % 2 === 1);
  const seen = [];
  let pages = 0;
  let overlap = 0;
  let deleting = true;
  // Paced by the paging, four DELETEs per page read, so they span a dozen
  // pages however fast the machine is (on a quiet one 50 unpaced DELETEs
  // were all done within two pages).
  let pagingDone = false;
  const deleter = pmap(concurrent, 2, async (sid, i) => {
    while (pages < 1 + Math.floor(i / 4) && !pagingDone) await sleep(2);
    const r = await call('DELETE', `/sessions/${sid}`, { token: a });
    if (r.status !== 202) throw new Error('DELETE: ' + r.text);
  }).then(() => { deleting = false; });
  let cursor = null;
  let bad = null;
  let gone = 0;
  for (;;) {
    const r = await call('GET', '/sessions?limit=37' + (cursor ? '&cursor=' + cursor : ''), { token: a });
    if (r.status !== 200) { bad = r.text; break; }
    pages++;
    if (deleting) overlap++;
    for (const s of r.json.sessions) seen.push(s.sessionId);
    cursor = r.json.nextCursor;
    if (!cursor) break;
    if (pages === 3) {
      await pmap(midway, 4, async (sid) => {
        await call('DELETE', `/sessions/${sid}`, { token: a });
        if ((await waitDeleted(a, sid)).status === 404) gone++;
      });
    }
    await sleep(20);	// let the concurrent deletions interleave
  }
  pagingDone = true;
  await deleter;
  note(`${pages} pages, ${overlap} of them while DELETEs were being sent; ` +
    `${[...doomed].filter((id) => seen.includes(id)).length} of the 100 doomed were listed`);
  ok(overlap >= 3, 'paging and deleting overlapped', overlap);
  ok(gone === 50, '50 sessions were deleted to the end (404) in the middle of paging', gone);
  ok(bad === null, 'every page answered 200', bad);
  const notYet = midway.filter((id) => !seen.slice(0, 3 * 37).includes(id));
  ok(notYet.length > 0 && notYet.every((id) => !seen.includes(id)),
    'sessions deleted ahead of the cursor are not listed', notYet.length);
  const counts = new Map();
  for (const id of seen) counts.set(id, (counts.get(id) || 0) + 1);
  const dup = [...counts].filter(([, n]) => n > 1);
  ok(dup.length === 0, 'no session appears twice', dup.slice(0, 5));
  const skipped = ids.filter((id) => !doomed.has(id) && !counts.has(id));
  ok(skipped.length === 0, 'no remaining session is skipped', skipped.slice(0, 5));
  ok(seen.every((id) => ids.includes(id)), 'nothing else appears');
  // newest first, by createdAt then id
  let ordered = true;
  const byId = new Map();
  for (let i = 0; i < 1000; i++) byId.set(ids[i], i);
  const r = await call('GET', '/sessions?limit=1000', { token: a });
  const list = r.json.sessions;
  for (let i = 1; i < list.length; i++) {
    const x = list[i - 1];
    const y = list[i];
    if (x.createdAt < y.createdAt || (x.createdAt === y.createdAt && x.sessionId < y.sessionId)) ordered = false;
  }
  ok(ordered, 'the list is newest first');
  for (const sid of doomed) await waitDeleted(a, sid);
  const after = await call('GET', '/sessions?limit=1000', { token: a });
  ok(after.json.sessions.length === 900, 'after the deletions, 900 remain', after.json.sessions.length);
}

main(async () => {
  await testList();
  await testMethods();
  const ctx = await testGet();
  await testDelete(ctx);
  await testOrphan();
  await testDeleteS3Down();
  await testCursorStability();
});
