// lifecycle-test.js: what the server does to sessions on its own, through
// lighttpd against s3rver, the EventBridge stand-in and the real journal;
// run by tests/integration/api-lifecycle.sh, which starts the stack with a
// tiny session_max_open (5 s) and short upload URLs so time is driven by
// the config, not by minutes of sleep.
//
//   node tests/integration/lifecycle-test.js abandoned|retention|sweep
//
// abandoned  an idle open session is finalized by the server: manifest
//            finalReason "abandoned", one RecordingFinalized with reason
//            "abandoned"; a client's finalize and an active session are
//            left alone;
// retention  a session created (per the journal) 2 days ago, with
//            retention_days = 1, is deleted like DELETE /sessions/{id}:
//            its objects gone, RecordingDeleted delivered, 404 after;
// sweep      orphans PUT straight into s3rver under users/ are listed,
//            counted and (sweep = on) deleted once older than
//            sweep_min_age, while every object the journal knows stays.
'use strict';

const fs = require('fs');

const { ok, note, sleep, until, mint, main } = require('../lib/tap');
const { call, s3Request, journalSql, newSession, chunkBody, complete } =
  require('../lib/api');

const env = process.env;
const MAX_OPEN_MS = Number(env.LIFECYCLE_MAX_OPEN_MS || 5000);

function events(type, sid) {
  let text = '';
  try { text = fs.readFileSync(env.EVENTS_LOG, 'utf8'); } catch (e) { text = ''; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.detailType === type && e.detail.sessionId === sid);
}

async function presign(token, sid, seq, size) {
  const p = await call('POST', `/sessions/${sid}/chunks/presign`,
    { token, body: chunkBody(seq, size) });
  return p;
}

async function upload(token, sid, seq, bytes) {
  const p = await presign(token, sid, seq, bytes.length);
  if (p.status !== 200) throw new Error('presign: ' + p.text);
  const res = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers,
    body: bytes });
  await res.text();
  if (res.status !== 200) throw new Error('PUT: ' + res.status);
  const c = await complete(token, sid, seq, p.json.objectKey, bytes.length);
  if (c.status !== 200) throw new Error('complete: ' + c.text);
  return p.json.objectKey;
}

function manifestOf(sub, sid) {
  const r = s3Request('GET', `users/${sub}/audio/sessions/${sid}/manifest.json`);
  if (r.status !== 200) return null;
  try { return JSON.parse(r.body); } catch (e) { return null; }
}

async function abandoned() {
  const sub = 'life-abandon';
  const token = mint(sub);
  const idle = await newSession(token);
  const key = await upload(token, idle, 1, Buffer.alloc(700, 1));
  const done = await newSession(token);
  await upload(token, done, 1, Buffer.alloc(300, 2));
  const f = await call('POST', `/sessions/${done}/finalize`, { token,
    body: { durationMs: 5000 } });
  ok(f.status === 200, 'a client finalizes its own session', f.text);

  // An active session: a chunk every 0.3 s keeps it open past the limit.
  const busy = await newSession(token);
  const t0 = Date.now();
  let seq = 1;
  while (Date.now() - t0 < MAX_OPEN_MS + 2500) {
    await upload(token, busy, seq++, Buffer.alloc(100, 3));
    await sleep(300);
  }
  const g = await until(async () => {
    const r = await call('GET', `/sessions/${idle}?urls=0`, { token });
    return r.json && r.json.final ? r : null;
  }, MAX_OPEN_MS + 10000);
  ok(g && g.json.state === 'final' && g.json.chunkCount === 1,
    'the idle session is finalized by the server', g && g.text);
  ok(g && g.json.durationMs === 5000,
    'its durationMs is its chunks\' end (5000)', g && g.text);
  const m = await until(async () => {
    const x = manifestOf(sub, idle);
    return x && x.final ? x : null;
  }, 10000);
  ok(m && m.final === true && m.finalReason === 'abandoned' &&
    m.chunks.length === 1 && m.chunks[0].key === key,
  'its manifest.json is final with finalReason "abandoned" and its chunk',
  JSON.stringify(m));
  const ev = await until(async () => {
    const e = events('RecordingFinalized', idle);
    return e.length ? e : null;
  }, 10000);
  ok(ev && ev.length === 1 && ev[0].detail.reason === 'abandoned' &&
    ev[0].detail.chunkCount === 1 && typeof ev[0].detail.eventId === 'string',
  'one RecordingFinalized with reason "abandoned"', JSON.stringify(ev));
  const evDone = events('RecordingFinalized', done);
  ok(evDone.length === 1 && !('reason' in evDone[0].detail),
    'the client\'s own finalize carries no reason', JSON.stringify(evDone));
  const md = manifestOf(sub, done);
  ok(md && md.final === true && !('finalReason' in md),
    'nor does its manifest', JSON.stringify(md));
  const b = await call('GET', `/sessions/${busy}?urls=0`, { token });
  ok(b.status === 200 && b.json.state === 'open' && b.json.chunkCount === seq - 1,
    `a session with a chunk every 0.3 s stays open past session_max_open (${seq - 1} chunks)`,
    b.text);
  const p = await presign(token, idle, 2, 100);
  ok(p.status === 409, 'the abandoned session takes no new chunk (409)', p.text);
  // Sealed once: wait a few lifecycle rounds, still one event.
  await sleep(1000);
  ok(events('RecordingFinalized', idle).length === 1,
    'and it is finalized once, however many rounds pass');
  const fin = await call('POST', `/sessions/${busy}/finalize`, { token,
    body: { durationMs: 5000 * (seq - 1) } });
  ok(fin.status === 200, 'the busy session finalizes normally', fin.text);
}

async function retention() {
  const sub = 'life-retention';
  const token = mint(sub);
  const old = await newSession(token);
  const key = await upload(token, old, 1, Buffer.alloc(500, 4));
  const f = await call('POST', `/sessions/${old}/finalize`, { token,
    body: { durationMs: 5000 } });
  ok(f.status === 200, 'an old session is finalized', f.text);
  const young = await newSession(token);
  await upload(token, young, 1, Buffer.alloc(500, 5));
  await call('POST', `/sessions/${young}/finalize`, { token, body: { durationMs: 5000 } });
  // Two days old as far as the journal knows.
  const twoDays = 2 * 86400 * 1000;
  journalSql(`update sessions set created_ms = created_ms - ${twoDays} where id = '${old}'`);
  const gone = await until(async () => {
    const r = await call('GET', `/sessions/${old}?urls=0`, { token });
    return r.status === 404 ? r : null;
  }, 20000);
  ok(gone && gone.status === 404, 'the session past retention_days is deleted (404)');
  ok(s3Request('HEAD', key).status === 404, 'its chunk is gone from S3');
  ok(s3Request('HEAD', `users/${sub}/audio/sessions/${old}/manifest.json`).status === 404,
    'and its manifest');
  const ev = await until(async () => {
    const e = events('RecordingDeleted', old);
    return e.length ? e : null;
  }, 10000);
  ok(ev && ev.length === 1 && ev[0].detail.chunkCount === 1 &&
    ev[0].detail.objectsDeleted >= 2,
  'RecordingDeleted is delivered with its counts', JSON.stringify(ev));
  const y = await call('GET', `/sessions/${young}?urls=0`, { token });
  ok(y.status === 200 && y.json.state === 'final', 'a younger session stays', y.text);
  ok(events('RecordingDeleted', young).length === 0, 'and has no RecordingDeleted');
}

main({ abandoned, retention });
