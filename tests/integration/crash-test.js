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
// finalize a worker dies (fault hook after-finalize) right after the
//          client's finalize committed: the session's open multipart
//          upload is due for its abort all the same (scheduled in the
//          finalize's transaction);
// purge    rows of finished multipart uploads (aborted, completed) leave
//          the journal after multipart_purge_after; an open one stays;
// create   a worker dies (fault hook mpu-after-create) after S3 made a
//          multipart upload and before the journal recorded it: the
//          intent recorded before the Create is resolved by the delivery
//          loop, which lists the key's uploads (ListMultipartUploads,
//          answered by the proxy) and aborts the one no one knows; the
//          client's retry gets a new upload, which is left alone and
//          completes;
// sweep    the orphan sweep's DeleteObjects of a chunk uploaded and never
//          completed is held by the proxy: meanwhile a complete of that
//          chunk and a new URL for its seq are refused (503 busy), also
//          after the deliverer is killed -9 during the held call (the
//          claim outlives it until its lease ends); the held delete lands,
//          the journal never knew the object, and once the claim is gone
//          the client uploads again and completes, and the sweep keeps
//          that object.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const { ok, note, sleep, until, mint, main } = require('../lib/tap');
const { call, journalSql, s3Request, children, newSession, chunkBody, complete,
  putParts } = require('../lib/api');

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

// The master's delivery child (named audio-deliver): [pid].
function deliverer() {
  return children(Number(env.API_PID)).filter((c) => c.comm === 'audio-deliver')
    .map((c) => c.pid);
}

function fault(point) {
  fs.writeFileSync(path.join(env.FAULT_DIR, point), '');
}

function faultFired(point) {
  return !fs.existsSync(path.join(env.FAULT_DIR, point));
}

function presign(token, sid, seq, size) {
  return call('POST', `/sessions/${sid}/chunks/presign`,
    { token, body: chunkBody(seq, size) });
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

// ------------------------------------------------------------ finalize

async function finalizeCrash() {
  note('a worker dies right after a client\'s finalize committed');
  const token = mint('crash-finalize');
  const sid = await newSession(token);
  let r = await presign(token, sid, 1, 6 * MIB);
  ok(r.status === 200 && mpuRow(r.json.uploadId).abortAt === -1,
    'an open multipart upload, no abort scheduled', show(r));
  const up = r.json.uploadId;
  fault('after-finalize');
  const before = Date.now();
  r = await call('POST', `/sessions/${sid}/finalize`, { token,
    body: { durationMs: 5000, final: true } });
  ok(r.status >= 500 && faultFired('after-finalize'),
    `the worker died right after the finalize committed (the client got ${r.status})`);
  const row = mpuRow(up);
  // finalize_grace 0 + presign_expires 2 s + s3_timeout 3 s.
  ok(journalSql(`SELECT finalized FROM sessions WHERE id = '${sid}'`) === '1' &&
    row.state === 'open' && row.abortAt >= before + 5000 && row.abortAt <= Date.now() + 5000,
  'the session is sealed and its open upload due for its abort when its URLs run out',
  JSON.stringify(row));
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

// Run fn while a URL for another seq every second keeps session sid from
// being abandoned (session_max_open is 6 s here).
async function keptOpen(token, sid, fn) {
  let alive = true;
  const keepalive = (async () => {
    while (alive) {
      await presign(token, sid, 99, 100);
      await sleep(1000);
    }
  })();
  try {
    return await fn();
  } finally {
    alive = false;
    await keepalive;
  }
}

// -------------------------------------------------------------- create

async function createCrash() {
  note('a worker dies between CreateMultipartUpload and its journal row');
  const token = mint('crash-create');
  const sid = await newSession(token);
  await keptOpen(token, sid, () => createCrashIn(token, sid));
}

async function createCrashIn(token, sid) {
  const s0 = (await proxy('/_proxy/stats')).mpu;
  fault('mpu-after-create');
  let r = await presign(token, sid, 1, 6 * MIB);
  ok(r.status >= 500 && faultFired('mpu-after-create'),
    `the worker died right after S3 made the upload (the client got ${r.status})`);
  const ofSession = async () => {
    const u = await proxy('/_proxy/uploads');
    return { open: u.open.filter((x) => x.key.includes(sid)).map((x) => x.uploadId),
      gone: u.gone };
  };
  const u1 = await ofSession();
  ok(u1.open.length === 1, 'S3 holds the new upload', JSON.stringify(u1.open));
  const lost = u1.open[0];
  ok(journalSql(`SELECT count(*) FROM multipart_uploads WHERE session_id = '${sid}'`) ===
    '0' && journalSql('SELECT count(*) FROM multipart_intents WHERE ' +
    `session_id = '${sid}'`) === '1',
  'the journal has no row of it, but the intent recorded before the Create');
  // The client tries again at once: a new upload, recorded.
  r = await presign(token, sid, 1, 6 * MIB);
  ok(r.status === 200 && r.json.uploadStrategy === 'multipart' &&
    r.json.uploadId !== lost && mpuRow(r.json.uploadId).state === 'open',
  'the client\'s retry gets a new upload', show(r));
  const p = r.json;
  const parts = await putParts(p, crypto.randomBytes(6 * MIB));
  const done = await until(async () => {
    const u = await ofSession();
    return u.gone.includes(lost) && journalSql('SELECT count(*) FROM ' +
      `multipart_intents WHERE session_id = '${sid}'`) === '0' ? u : null;
  }, 30000);
  const s2 = (await proxy('/_proxy/stats')).mpu;
  ok(done && s2.listed > s0.listed && done.open.length === 1 && done.open[0] === p.uploadId,
    'the delivery loop listed the key\'s uploads and aborted the one no one knew, not ' +
    'the retry\'s', JSON.stringify({ done, lost, s2 }));
  ok(journalSql(`SELECT count(*) FROM multipart_uploads WHERE upload_id = '${lost}'`) === '0',
    'the aborted upload never entered the journal');
  r = await complete(token, sid, 1, p.objectKey, 6 * MIB, { uploadId: p.uploadId, parts });
  ok(r.status === 200 && r.json.chunkCount === 1,
    'the retry\'s upload was left alone: its complete puts the chunk together', show(r));
  const u3 = await ofSession();
  ok(u3.open.length === 0, 'S3 holds no open upload of that chunk any more',
    JSON.stringify(u3.open));
  // The stand-in's listing is still signature-checked by s3rver.
  const u = new URL(env.PROXY_URL);
  const bad = new SignatureV4({ credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: 'not-the-secret' }, region: env.AWS_REGION, service: 's3',
  sha256: Sha256, uriEscapePath: false });
  const q = { 'max-uploads': '1000', prefix: 'users/', uploads: '' };
  const req = await bad.sign({ method: 'GET', protocol: 'http:', hostname: u.hostname,
    port: Number(u.port), path: `/${env.S3_BUCKET}`, query: q,
    headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const forged = await fetch(`${env.PROXY_URL}/${env.S3_BUCKET}?max-uploads=1000&` +
    'prefix=users%2F&uploads=', { headers: req.headers });
  const ftext = await forged.text();
  ok(forged.status === 403 && /SignatureDoesNotMatch/.test(ftext),
    'a ListMultipartUploads with a bad signature is refused (403 SignatureDoesNotMatch)',
    `${forged.status} ${ftext.slice(0, 200)}`);
}

// --------------------------------------------------------------- sweep

// Every chunk the journal knows of session sid is in S3.
function knownChunksInS3(sid) {
  const keys = journalSql(`SELECT key FROM chunks WHERE session_id = '${sid}'`)
    .split('\n').filter(Boolean);
  return keys.filter((k) => s3Request('HEAD', k).status !== 200);
}

async function sweepRace() {
  note('a complete races the orphan sweep\'s delete of its object');
  const token = mint('crash-sweep');
  const sid = await newSession(token);
  await keptOpen(token, sid, () => sweepRaceIn(token, sid));
}

async function sweepRaceIn(token, sid) {
  const body = Buffer.alloc(600, 7);
  let p = await presign(token, sid, 1, body.length);
  const key = p.json.objectKey;
  let res = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers, body });
  await res.text();
  ok(p.status === 200 && res.status === 200, 'a chunk is uploaded and not completed');
  await proxy('/_proxy/hold', { method: 'POST', query: 'delete', count: 1 });
  const held = await until(async () => (await proxy('/_proxy/stats')).holding === 1, 20000);
  ok(held, 'its URL ran out: the sweep judged it an orphan, and its DeleteObjects is ' +
    'under way (held by the proxy)');
  let r = await complete(token, sid, 1, key, body.length);
  ok(r.status === 503 && r.json && r.json.code === 'busy' && r.json.field === 'seq',
    'a complete of that chunk meanwhile is refused: 503 busy, naming seq', show(r));
  r = await presign(token, sid, 1, body.length);
  ok(r.status === 503 && r.json && r.json.code === 'busy',
    'and so is a new upload URL for its seq', show(r));
  const victim = deliverer();
  process.kill(victim[0], 'SIGKILL');
  const now = await until(() => {
    const d = deliverer();
    return d.length === 1 && d[0] !== victim[0] ? d : null;
  }, 10000);
  ok(now, 'the deliverer is killed -9 during its DeleteObjects and restarted');
  r = await complete(token, sid, 1, key, body.length);
  ok(r.status === 503 && r.json && r.json.code === 'busy',
    'the claim outlives the killed deliverer: the complete is still refused', show(r));
  await proxy('/_proxy/release', {});
  const gone = await until(() => s3Request('HEAD', key).status === 404, 10000);
  ok(gone, 'the held delete lands: the orphan is gone',
    JSON.stringify(await proxy('/_proxy/stats')));
  const lost = knownChunksInS3(sid);
  ok(lost.length === 0 &&
    journalSql(`SELECT count(*) FROM chunks WHERE session_id = '${sid}'`) === '0',
  'the journal never knew it: no chunk the journal knows was deleted', JSON.stringify(lost));
  // Once the claim has expired, the client uploads again.
  r = await until(async () => {
    const x = await presign(token, sid, 1, body.length);
    return x.status === 200 ? x : null;
  }, 20000);
  ok(r && r.status === 200, 'once the claim has expired, a new URL is handed out',
    r && show(r));
  p = r;
  res = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers, body });
  await res.text();
  r = await complete(token, sid, 1, key, body.length);
  ok(res.status === 200 && r.status === 200 && r.json.chunkCount === 1,
    'the chunk is uploaded again and completed', show(r));
  // A few passes later the known chunk is still there.
  const passes = (await call('GET', '/healthz')).json.sweep.passes;
  await until(async () => (await call('GET', '/healthz')).json.sweep.passes >= passes + 3,
    20000);
  const missing = knownChunksInS3(sid);
  ok(missing.length === 0, 'three sweep passes later every chunk the journal knows is in S3',
    JSON.stringify(missing));
}

async function run() {
  const only = { sweep: sweepRace, create: createCrash, finalize: finalizeCrash };
  if (only[env.CRASH_ONLY]) {
    await only[env.CRASH_ONLY]();
    return;
  }
  const aborted = await abandon();
  await finalizeCrash();
  await purge(aborted);
  await createCrash();
  await sweepRace();
}

main(run);
