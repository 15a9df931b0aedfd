// crash-test.js: the crash windows of the storage lifecycle, on the stack
// tests/integration/api-crash.sh starts (multipart over 5 MiB, URLs of
// 2 s, sessions abandoned after 6 s idle, finished multipart rows purged
// after 3 s, the orphan sweep on with a 1 s safety age; S3 = s3rver behind
// tests/tools/s3-fault-proxy.js; FAULT_DIR is audio-api's fault hook
// directory, API_PID its master).
//
//   node tests/integration/crash-test.js
//
// abandon  the deliverer dies right after sealing an abandoned session
//          (fault hook after-abandon): the session's open multipart
//          upload is aborted all the same (its abort was scheduled in the
//          seal's transaction);
// purge    rows of finished multipart uploads (aborted, completed) leave
//          the journal after multipart_purge_after; an open one stays.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const { ok, note, sleep, mint, main } = require('../lib/tap');
const { call, journalSql } = require('../lib/api');

const env = process.env;
const MIB = 1024 * 1024;

function show(r) {
  return `${r.status} ${r.text.slice(0, 300)}`;
}

async function proxy(p, obj) {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(env.PROXY_URL + p, obj === undefined ? {} :
        { method: 'POST', body: JSON.stringify(obj) });
      return await res.json();
    } catch (e) {
      if (i >= 3) throw e;
      await sleep(100);
    }
  }
}

function deliverer() {
  const r = spawnSync('pgrep', ['-x', 'audio-deliver', '-P', String(env.API_PID)],
    { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

function fault(point) {
  fs.writeFileSync(path.join(env.FAULT_DIR, point), '');
}

function faultFired(point) {
  return !fs.existsSync(path.join(env.FAULT_DIR, point));
}

async function until(fn, ms) {
  let v;
  for (let t = 0; t <= ms; t += 100) {
    if ((v = await fn())) return v;
    await sleep(100);
  }
  return v;
}

async function newSession(token) {
  const r = await call('POST', '/sessions', { token, body: { codec: 'webm/opus' } });
  if (r.status !== 201) throw new Error('create: ' + r.text);
  return r.json.sessionId;
}

function presign(token, sid, seq, size) {
  return call('POST', `/sessions/${sid}/chunks/presign`, { token,
    body: { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext: 'webm',
      sizeBytes: size, contentType: 'audio/webm' } });
}

function complete(token, sid, seq, key, bytes, extra) {
  return call('POST', `/sessions/${sid}/chunks/complete`, { token,
    body: Object.assign({ seq, objectKey: key, bytes,
      tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000 }, extra || {}) });
}

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

function mpuRow(uploadId) {
  const r = journalSql("SELECT state || '|' || coalesce(abort_at_ms, -1) FROM " +
    `multipart_uploads WHERE upload_id = '${uploadId}'`);
  if (r === '') return null;
  const [state, abortAt] = r.split('|');
  return { state, abortAt: Number(abortAt) };
}

// ------------------------------------------------------------- abandon

async function abandon() {
  note('the deliverer dies right after sealing an abandoned session');
  const token = mint('crash-abandon');
  const sid = await newSession(token);
  const r = await presign(token, sid, 1, 6 * MIB);
  ok(r.status === 200 && r.json.uploadStrategy === 'multipart',
    'a 6 MiB chunk is presigned as a multipart upload', show(r));
  const up = r.json.uploadId;
  const victim = deliverer();
  ok(victim.length === 1, 'the master runs one delivery child', victim);
  fault('after-abandon');
  const sealed = await until(() => journalSql('SELECT final_reason FROM sessions ' +
    `WHERE id = '${sid}'`) === 'abandoned', 20000);
  ok(sealed, 'the idle session is sealed as abandoned');
  const died = await until(() => faultFired('after-abandon'), 5000);
  const now = await until(() => {
    const d = deliverer();
    return d.length === 1 && d[0] !== victim[0] ? d : null;
  }, 10000);
  ok(died && now, 'the deliverer died right after the seal committed, and was restarted',
    JSON.stringify({ victim, now }));
  const row = await until(() => {
    const x = mpuRow(up);
    return x && x.state === 'aborted' ? x : null;
  }, 15000);
  ok(row, 'the abandoned session\'s open multipart upload is aborted all the same',
    JSON.stringify(mpuRow(up)));
  return up;
}

// --------------------------------------------------------------- purge

async function purge(aborted) {
  note('rows of finished multipart uploads are purged; live ones stay');
  const token = mint('crash-purge');
  const sid = await newSession(token);
  let r = await presign(token, sid, 1, 6 * MIB);
  const live = r.json.uploadId;
  ok(r.status === 200 && mpuRow(live).state === 'open', 'an open upload', show(r));
  r = await presign(token, sid, 2, 6 * MIB);
  const p = r.json;
  const parts = await putParts(p, crypto.randomBytes(6 * MIB));
  r = await complete(token, sid, 2, p.objectKey, 6 * MIB, { uploadId: p.uploadId, parts });
  ok(r.status === 200 && mpuRow(p.uploadId).state === 'completed',
    'a completed upload', show(r));
  const gone = await until(() => mpuRow(p.uploadId) === null &&
    (aborted === null || mpuRow(aborted) === null), 15000);
  ok(gone, 'the completed and the aborted upload\'s rows are purged after ' +
    'multipart_purge_after', JSON.stringify({ c: mpuRow(p.uploadId), a: aborted && mpuRow(aborted) }));
  const l = mpuRow(live);
  ok(l && l.state === 'open', 'the open upload\'s row stays', JSON.stringify(l));
  r = await call('GET', `/sessions/${sid}?urls=0`, { token });
  ok(r.status === 200 && r.json.chunkCount === 1, 'the completed chunk is still the session\'s',
    show(r));
}

async function run() {
  const aborted = await abandon();
  await purge(aborted);
}

main(run);
