// sweep-test.js: the orphan sweep (fcgi/deliver_sweep.c) through lighttpd
// against s3rver and the real journal; run by tests/integration/api-sweep.sh,
// which starts the stack with sweep = dry-run, 3 keys a round (so a pass
// takes several rounds and resumes from the journal each time), 3 s
// upload URLs, sweep_grace 1 s and sweep_min_age 2 s.
//
//   node tests/integration/sweep-test.js
//
// Orphans are made on purpose: a chunk uploaded and never completed, an
// object of a session that never existed and one the API never writes
// (PUT straight into s3rver), and a PUT into a deleted session's prefix
// after its deletion and tombstone are done.  Completed chunks overwritten
// behind the API's back, one with another size, one with other bytes of
// the same size (its ETag differs from the one complete recorded), are
// reported.  The
// dry run lists and counts them and deletes nothing; after the config is
// switched to sweep = on (SIGHUP) the orphans go and every object the
// journal knows (chunks, manifests, the changed chunks) stays.
'use strict';

const fs = require('fs');
const path = require('path');

const { ok, note, sleep, until, mint, main } = require('../lib/tap');
const { call, s3Request, journalSql, newSession, chunkBody, complete } =
  require('../lib/api');

const env = process.env;

async function presignPut(token, sid, seq, bytes) {
  const p = await call('POST', `/sessions/${sid}/chunks/presign`,
    { token, body: chunkBody(seq, bytes.length) });
  if (p.status !== 200) throw new Error('presign: ' + p.text);
  const res = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers,
    body: bytes });
  await res.text();
  if (res.status !== 200) throw new Error('PUT: ' + res.status);
  return p.json.objectKey;
}

async function upload(token, sid, seq, bytes) {
  const key = await presignPut(token, sid, seq, bytes);
  const c = await complete(token, sid, seq, key, bytes.length);
  if (c.status !== 200) throw new Error('complete: ' + c.text);
  return key;
}

async function sweep() {
  const r = await call('GET', '/healthz');
  return r.json && r.json.sweep;
}

// Wait for two whole passes to end after now (the second one began after
// everything made so far was old enough); the stats after them.
async function twoPasses(ms = 30000) {
  const first = await sweep();
  const want = (first ? first.passes : 0) + 2;
  return until(async () => {
    const s = await sweep();
    return s && s.passes >= want ? s : null;
  }, ms);
}

function exists(key) {
  return s3Request('HEAD', key).status === 200;
}

async function test() {
  const sub = 'sweep-a';
  const token = mint(sub);
  const pre = (sid) => `users/${sub}/audio/sessions/${sid}/`;

  // Known: a finalized session (2 chunks, manifest), an open one.
  const k = await newSession(token);
  const k1 = await upload(token, k, 1, Buffer.alloc(600, 1));
  const k2 = await upload(token, k, 2, Buffer.alloc(700, 2));
  const f = await call('POST', `/sessions/${k}/finalize`, { token,
    body: { durationMs: 10000 } });
  if (f.status !== 200) throw new Error('finalize: ' + f.text);
  const open = await newSession(token);
  const o1 = await upload(token, open, 1, Buffer.alloc(500, 3));
  // Orphan: uploaded, never completed (its URL lives 3 s, grace 1 s).
  const never = await presignPut(token, open, 2, Buffer.alloc(400, 4));
  // Orphans PUT straight into s3rver: a session that never was, a key
  // the API never writes.
  const ghost = pre('session-1-ghost') + 'chunks/00001-000000-005000.webm';
  const junk = `users/${sub}/notes.txt`;
  ok(s3Request('PUT', ghost, 'ghost audio').status === 200 &&
    s3Request('PUT', junk, 'notes').status === 200,
  'objects PUT straight into s3rver under users/');
  // A PUT after a delete: the session, its deletion and its tombstone
  // are all gone first.
  const d = await newSession(token);
  await upload(token, d, 1, Buffer.alloc(300, 5));
  const del = await call('DELETE', `/sessions/${d}`, { token });
  if (del.status !== 202) throw new Error('DELETE: ' + del.text);
  const gone = await until(() =>
    journalSql(`select count(*) from deletions where session_id = '${d}'`) === '0' &&
    journalSql(`select count(*) from sessions where id = '${d}'`) === '0', 20000);
  ok(gone, 'the deleted session and its tombstone are gone');
  const late = pre(d) + 'chunks/00002-005000-010000.webm';
  ok(s3Request('PUT', late, 'late audio').status === 200,
    'a PUT lands in the deleted session\'s prefix afterwards');
  // Known chunks changed behind the API's back: reported, kept.
  ok(s3Request('PUT', k2, 'eighteen bytes!!!!').status === 200,
    'a completed chunk is overwritten with another size');
  ok(s3Request('PUT', k1, Buffer.alloc(600, 9)).status === 200,
    'another with the same size and other bytes (another ETag)');
  const orphans = [never, ghost, junk, late];
  const known = [k1, k2, pre(k) + 'manifest.json', o1, pre(open) + 'manifest.json'];
  await until(() => exists(pre(open) + 'manifest.json'), 10000);

  // Dry run: listed, counted, logged, nothing deleted.
  await sleep(4500);		/* past the URL's expiry and grace */
  const s = await twoPasses();
  ok(s && s.mode === 'dry-run', 'healthz shows the sweep in dry-run', JSON.stringify(s));
  ok(s && s.lastPass.orphans === orphans.length && s.deleted === 0,
    `a dry-run pass finds the ${orphans.length} orphans and deletes none`,
    JSON.stringify(s));
  ok(s && s.lastPass.listed === orphans.length + known.length,
    `it listed every object under users/ (${orphans.length + known.length}), 3 a round`,
    JSON.stringify(s));
  ok(s && s.lastPass.mismatched === 2, 'and reports the two changed chunks',
    JSON.stringify(s));
  ok(orphans.every(exists) && known.every(exists), 'every object is still there');
  const logs = fs.readdirSync(path.join(env.RUN_DIR, 'log'))
    .map((n) => fs.readFileSync(path.join(env.RUN_DIR, 'log', n), 'utf8')).join('');
  ok(orphans.every((key) => logs.includes('would delete ' + key)),
    'the log names each orphan it would delete');
  ok(logs.includes(k2 + ': a completed chunk whose size changed') &&
    logs.includes(k1 + ': a completed chunk whose ETag changed'),
  'and the changed chunks, by size and by ETag');

  // On: SIGHUP with sweep = on.
  const conf = path.join(env.RUN_DIR, 'audio-api.conf');
  fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8')
    .replace(/^sweep = dry-run$/m, 'sweep = on'));
  process.kill(Number(env.API_PID), 'SIGHUP');
  const on = await until(async () => {
    const x = await sweep();
    return x && x.mode === 'on' ? x : null;
  }, 10000);
  ok(on, 'after SIGHUP the sweep is on');
  // The pass under way at the switch may have passed some orphans in dry
  // run: wait for a whole pass that finds none left.
  const after = await until(async () => {
    const x = await sweep();
    return x && x.lastPass.orphans === 0 && x.deleted > 0 ? x : null;
  }, 30000);
  ok(after && after.lastPass.orphans === 0, 'a pass ends with no orphan left',
    JSON.stringify(after));
  ok(after && after.deleted === orphans.length,
    `the ${orphans.length} orphans were deleted, counted in healthz`, JSON.stringify(after));
  ok(after && after.lastPass.listed === known.length && after.lastPass.mismatched === 2,
    'the journal\'s objects are what is left (the changed chunks still reported)',
    JSON.stringify(after));
  ok(orphans.every((key) => !exists(key)), 'they are gone from S3');
  ok(known.every(exists), 'every object the journal knows is still there');
  const logs2 = fs.readdirSync(path.join(env.RUN_DIR, 'log'))
    .map((n) => fs.readFileSync(path.join(env.RUN_DIR, 'log', n), 'utf8')).join('');
  ok(orphans.every((key) => logs2.includes('deleted orphan ' + key)),
    'each deletion is logged');
  const g = await call('GET', `/sessions/${k}?urls=0`, { token });
  ok(g.status === 200 && g.json.chunkCount === 2, 'the known session is intact', g.text);
  note(`sweep after the run: ${JSON.stringify(after)}`);
}

main(test);
