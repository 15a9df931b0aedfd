// outbox-test.js: fault tests and the soak test of durable delivery.
//
//   node tests/integration/outbox-test.js faults        the fault scenarios (make check)
//   node tests/integration/outbox-test.js soak SECONDS  simulated recorders with random
//                                           faults for SECONDS, then check
//
// The stack (tests/integration/outbox-faults.sh, tests/bench/outbox-soak.sh) is the local one
// of tests/tools/devstack.sh: lighttpd in front of an `audio-api --workers N`
// pool whose master runs the delivery loop as an extra child, s3rver (which
// checks SigV4) behind tests/tools/s3-fault-proxy.js, the EventBridge stand-in
// (which checks SigV4 with the AWS SDK's signer and logs accepted events to
// EVENTS_LOG) and the real SQLite journal.  Besides devstack's environment
// it reads PROXY_URL, FAULT_DIR (audio-api's AUDIO_API_FAULT_DIR),
// API_PID (the master) and DISKFULL_DIR (a small tmpfs holding the journal,
// or empty when the disk-full scenario cannot run here).
//
// Every scenario ends with the invariant: every chunk in the journal is in
// its session's S3 manifest and the manifest holds nothing else (final flag
// included); every event the journal committed (one per completed chunk,
// one per finalize) is in the EventBridge log at least once with its Detail,
// and the log holds no other event; the outbox is empty (nothing pending,
// nothing dead).  Each check prints "ok N - ..." / "not ok N - ..."; the
// exit status is the number of failures.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const { ok, note, sleep, mint, main } = require('../lib/tap');
const api = require('../lib/api');
const { s3Get } = api;

const env = process.env;





// A GET whose connection fails is sent once more (tests/lib/api.js).
function call(method, p, opts = {}) {
  return api.call(method, p, Object.assign({ retryGet: true }, opts));
}

// Control calls to the stand-ins (idempotent): retried a few times when
// the connection fails (node reusing a kept-alive socket the server just
// closed).
async function control(url, init) {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(url, init);
      return await res.json();
    } catch (e) {
      if (i >= 3) throw e;
      await sleep(100);
    }
  }
}
function post(url, obj) {
  return control(url, { method: 'POST', body: JSON.stringify(obj || {}),
    headers: { 'Content-Type': 'application/json' } });
}
function getJson(url) {
  return control(url, {});
}
const standin = {
  fail: (spec) => post(env.EVENTS_ENDPOINT + '/_standin/fail', spec),
  stats: () => getJson(env.EVENTS_ENDPOINT + '/_standin/stats'),
};
const proxy = {
  mode: (mode) => post(env.PROXY_URL + '/_proxy/mode', { mode }),
};

const sqlite = api.journalSql;

// `audio-api --outbox ARGS...` against the stack's config.
function admin(...args) {
  const r = spawnSync(path.join(env.BUILDDIR, 'fcgi/audio-api'),
    ['-f', env.API_CONF, '--outbox', ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}
function outboxCounts() {
  const line = admin('list').out.split('\n')[0] || '';
  const o = {};
  for (const kv of line.split(' ')) {
    const [k, v] = kv.split('=');
    if (k) o[k] = Number(v);
  }
  return o;
}


function deliverer() {
  const r = spawnSync('pgrep', ['-x', 'audio-deliver', '-P', String(env.API_PID)],
    { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

// ------------------------------------------------------------ recorders

async function newSession(token) {
  for (let i = 0; i < 100; i++) {
    const r = await call('POST', '/sessions', { token,
      body: { codec: 'webm/opus', sampleRate: 48000, chunkSeconds: 5 } });
    if (r.status === 201) return r.json.sessionId;
    if (r.status !== 503 && r.status !== 502 && r.status !== 0) {
      throw new Error('cannot create a session: ' + r.status + ' ' + r.text);
    }
    await sleep(200);
  }
  throw new Error('cannot create a session: still failing');
}

// One recorder's chunk: presign, PUT, complete, each retried on 5xx the
// way a real client does.  Returns every status the complete answered.
async function chunk(token, sid, seq, size, deadlineMs = 60000) {
  const t0 = Date.now();
  const statuses = [];
  let p = null;
  while (Date.now() - t0 < deadlineMs) {
    if (!p) {
      const r = await call('POST', `/sessions/${sid}/chunks/presign`, { token,
        body: { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext: 'webm',
          sizeBytes: size, contentType: 'audio/webm' } });
      if (r.status !== 200) {
        if (r.status >= 500 || r.status === 0) { await sleep(200); continue; }
        throw new Error('presign: ' + r.status + ' ' + r.text);
      }
      let put;
      try {
        put = await fetch(r.json.putUrl, { method: 'PUT', headers: r.json.headers,
          body: Buffer.alloc(size, 'a'), signal: AbortSignal.timeout(10000) });
        await put.text();
      } catch (e) {
        put = { status: 0 };
      }
      if (put.status !== 200) { await sleep(200); continue; }
      p = r.json;
    }
    const r = await call('POST', `/sessions/${sid}/chunks/complete`, { token,
      body: { seq, objectKey: p.objectKey, bytes: size, tStartMs: (seq - 1) * 5000,
        tEndMs: seq * 5000 } });
    statuses.push(r.status);
    if (r.status === 200) return { statuses, json: r.json };
    if (r.status < 500 && r.status !== 0) {
      throw new Error('complete: ' + r.status + ' ' + r.text);
    }
    await sleep(200);
  }
  throw new Error(`chunk ${seq} of ${sid} never completed: ${statuses}`);
}

async function finalize(token, sid, durationMs, deadlineMs = 60000) {
  const t0 = Date.now();
  const statuses = [];
  while (Date.now() - t0 < deadlineMs) {
    const r = await call('POST', `/sessions/${sid}/finalize`, { token,
      body: { durationMs, final: true } });
    statuses.push(r.status);
    if (r.status === 200) return statuses;
    if (r.status < 500 && r.status !== 0) {
      throw new Error('finalize: ' + r.status + ' ' + r.text);
    }
    await sleep(300);
  }
  throw new Error(`finalize of ${sid} never succeeded: ${statuses}`);
}

// A recorder: one session, n chunks, optionally finalized.
async function recorder(name, n, opts = {}) {
  const token = mint(name);
  const sid = await newSession(token);
  const statuses = [];
  for (let seq = 1; seq <= n; seq++) {
    const c = await chunk(token, sid, seq, opts.size || 64);
    statuses.push(...c.statuses);
    if (opts.pauseMs) await sleep(opts.pauseMs);
  }
  if (opts.finalize !== false) statuses.push(...await finalize(token, sid, n * 5000));
  return { sid, token, statuses };
}

// ------------------------------------------------------------ invariant

function readEvents() {
  let text = '';
  try { text = fs.readFileSync(env.EVENTS_LOG, 'utf8'); } catch (e) { text = ''; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// Check the invariant once; returns a list of problems (empty: holds).
function invariantProblems() {
  const problems = [];
  const counts = outboxCounts();
  if (counts.pending !== 0 || counts.dead !== 0) {
    problems.push(`outbox not empty: ${JSON.stringify(counts)}`);
  }
  const sessions = sqlite("select id || '|' || owner || '|' || finalized || '|' || " +
    "revision || '|' || coalesce(final_event_id, '') from sessions").split('\n').filter(Boolean)
    .map((l) => { const [id, owner, fin, rev, fev] = l.split('|');
      return { id, owner, finalized: fin === '1', revision: Number(rev), finalEvent: fev }; });
  const rows = sqlite("select session_id || '|' || seq || '|' || key || '|' || bytes || '|' || " +
    "coalesce(event_id, '') from chunks").split('\n').filter(Boolean)
    .map((l) => { const [sid, seq, key, bytes, ev] = l.split('|');
      return { sid, seq: Number(seq), key, bytes: Number(bytes), ev }; });
  const bySession = new Map();
  for (const c of rows) {
    if (!bySession.has(c.sid)) bySession.set(c.sid, []);
    bySession.get(c.sid).push(c);
  }
  const want = new Map();	// eventId -> expected detail fields
  for (const s of sessions) {
    const chunks = (bySession.get(s.id) || []).sort((a, b) => a.seq - b.seq);
    for (const c of chunks) {
      if (c.ev) want.set(c.ev, { sessionId: s.id, chunkSeq: c.seq, chunkKey: c.key, bytes: c.bytes });
    }
    if (s.finalEvent) {
      want.set(s.finalEvent, { sessionId: s.id, chunkCount: chunks.length });
    }
    if (s.revision === 0) continue;
    const key = `users/${s.owner}/audio/sessions/${s.id}/manifest.json`;
    const g = s3Get(key);
    let m = null;
    try { m = g.status === 200 ? JSON.parse(g.body) : null; } catch (e) { m = null; }
    if (!m) {
      problems.push(`no manifest in S3 for ${s.id} (${g.status})`);
      continue;
    }
    const got = (m.chunks || []).map((c) => `${c.seq}:${c.key}:${c.bytes}`).join(',');
    const exp = chunks.map((c) => `${c.seq}:${c.key}:${c.bytes}`).join(',');
    if (got !== exp) {
      problems.push(`manifest of ${s.id} has [${got.slice(0, 200)}], journal [${exp.slice(0, 200)}]`);
    }
    if (Boolean(m.final) !== s.finalized) {
      problems.push(`manifest of ${s.id} final=${m.final}, journal finalized=${s.finalized}`);
    }
  }
  const seen = new Map();
  for (const e of readEvents()) {
    const id = e.detail && e.detail.eventId;
    seen.set(id, (seen.get(id) || 0) + 1);
    const w = want.get(id);
    if (!w) {
      problems.push(`event ${id} in the log is not one the journal committed`);
      continue;
    }
    for (const [k, v] of Object.entries(w)) {
      if (e.detail[k] !== v) problems.push(`event ${id}: ${k}=${e.detail[k]}, journal ${v}`);
    }
  }
  for (const id of want.keys()) {
    if (!seen.has(id)) problems.push(`event ${id} committed but not in the log`);
  }
  return { problems, sessions: sessions.length, chunks: rows.length, events: want.size,
    logged: [...seen.values()].reduce((a, b) => a + b, 0),
    duplicates: [...seen.values()].filter((n) => n > 1).length };
}

// Wait up to timeoutMs for the invariant; report it as one check.
async function invariant(label, timeoutMs) {
  const t0 = Date.now();
  let r;
  // First the cheap part: wait for the outbox to drain (the full check
  // reads every manifest back from S3, which takes a while on big runs).
  for (;;) {
    const c = outboxCounts();
    if ((c.pending === 0 && c.dead === 0) || Date.now() - t0 > timeoutMs) break;
    await sleep(100);
  }
  const drained = Date.now() - t0;
  for (;;) {
    r = invariantProblems();
    if (r.problems.length === 0 || Date.now() - t0 > timeoutMs) break;
    await sleep(250);
  }
  const ms = Date.now() - t0;
  ok(r.problems.length === 0, `${label}: every journal chunk is in its S3 manifest, every ` +
    `event in the log, nothing else (${r.sessions} sessions, ${r.chunks} chunks, ` +
    `${r.events} events, ${r.logged} logged, ${r.duplicates} duplicated; outbox drained ` +
    `after ${drained} ms, held after ${ms} ms)`,
  r.problems.slice(0, 10));
  return Object.assign(r, { ms, drained });
}

function logIdsOf(sids) {
  const set = new Set(sids);
  return readEvents().filter((e) => set.has(e.detail.sessionId)).map((e) => e.detail.eventId);
}

// ------------------------------------------------------------ scenarios

async function s3Faults() {
  note('S3 manifest writes failing while recorders complete chunks, then back');
  await proxy.mode('manifest');
  const recs = await Promise.all([1, 2, 3].map((i) =>
    recorder(`s3m-${i}-${process.pid}`, 4, { finalize: false })));
  const all = recs.flatMap((r) => r.statuses);
  ok(all.every((s) => s === 200), 'with manifest writes failing, every complete still answers 200 ' +
    '(the chunk is committed, its manifest write queued)', all);
  const c = outboxCounts();
  ok(c.pending >= 3, 'the manifest writes wait in the outbox', c);
  let h = await call('GET', '/healthz');
  ok(h.json && h.json.outbox && h.json.outbox.pending >= 3, '/healthz shows the backlog', h.text);
  await proxy.mode('pass');
  const r1 = await invariant('S3 back', 15000);
  ok(r1.ms < 10000, `manifests caught up within 10 s of S3 coming back (${r1.ms} ms)`);

  note('S3 down entirely while recorders work, then back');
  const token = mint(`s3d-${process.pid}`);
  const sid = await newSession(token);
  await chunk(token, sid, 1, 64);
  await proxy.mode('down');
  const during = [];
  const pending = (async () => {
    for (let seq = 2; seq <= 4; seq++) during.push(...(await chunk(token, sid, seq, 64, 60000)).statuses);
  })();
  await sleep(1500);
  h = await call('GET', '/healthz');
  ok(h.status === 503 && h.json && h.json.s3 !== 'ok', 'with S3 down /healthz is 503 naming S3', h.text);
  await sleep(1500);
  await proxy.mode('pass');
  const tBack = Date.now();
  await pending;
  await finalize(token, sid, 20000);
  ok(during.every((s) => s === 200 || s === 503 || s === 502) && during.includes(200),
    'during the outage the API answered only 200s and clean 5xx (no 500s), and the recorder ' +
    'finished once S3 was back', during);
  const r2 = await invariant('S3 down then back', 15000);
  note(`caught up ${Date.now() - tBack} ms after S3 came back`);
  ok(r2.problems.length === 0, 'nothing accepted during the outage was lost');
}

// Wait until the stand-in has injected at least n failures in all.
async function injectedAtLeast(n, timeoutMs) {
  const t0 = Date.now();
  while ((await standin.stats()).injected < n && Date.now() - t0 < timeoutMs) {
    await sleep(100);
  }
}

async function eventBridgeFaults() {
  note('EventBridge failing (5xx, 503), throttling, partially failing');
  const before = await standin.stats();
  const modes = [
    { mode: '5xx', count: 2 }, { mode: 'unavailable', count: 1 },
    { mode: 'throttle', count: 2 },
  ];
  const sids = [];
  let want = 0;
  for (const m of modes) {
    await standin.fail(m);
    const r = await recorder(`ebf-${m.mode}-${process.pid}`, 6, { finalize: true });
    sids.push(r.sid);
    // The deliverer may be backing off from the previous mode: let it take
    // this mode's failures before the next mode replaces them.
    want += m.count;
    await injectedAtLeast(before.injected + want, 20000);
  }
  // Partial failure needs a batch of several entries: hold the deliverer
  // (SIGSTOP) while a session's 7 events pile up, so they go in one
  // request whose every 2nd entry the stand-in fails.
  const d = deliverer();
  process.kill(d[0], 'SIGSTOP');
  let held;
  try {
    held = await recorder(`ebf-partial-${process.pid}`, 6, { finalize: true });
    await standin.fail({ mode: 'partial', count: 1, every: 2 });
  } finally {
    process.kill(d[0], 'SIGCONT');
  }
  sids.push(held.sid);
  const r = await invariant('EventBridge faults', 30000);
  const after = await standin.stats();
  ok(after.injected - before.injected >= 6, `the stand-in injected the failures (${after.injected - before.injected})`);
  ok(after.failedEntries - before.failedEntries >= 3, 'a 200 answer failed every 2nd entry of ' +
    `a batch (FailedEntryCount ${after.failedEntries - before.failedEntries})`);
  const ids = logIdsOf(sids);
  ok(ids.length === new Set(ids).size && ids.length === sids.length * 7,
    `only the failed entries were retried: each of the ${sids.length * 7} events logged exactly once`,
    { logged: ids.length, unique: new Set(ids).size });
  void r;

  note('EventBridge stuck: /healthz turns 503 past health_outbox_stuck');
  await standin.fail({ mode: '5xx' });
  const stuck = await recorder(`ebs-${process.pid}`, 1, { finalize: false });
  let h;
  const t0 = Date.now();
  for (;;) {
    h = await call('GET', '/healthz');
    if (h.status === 503 || Date.now() - t0 > 15000) break;
    await sleep(250);
  }
  ok(h.status === 503 && h.json.outbox && h.json.outbox.stuck === true && h.json.s3 === 'ok' &&
    h.json.journal === 'ok', `/healthz is 503 with outbox.stuck once delivery is stuck (${Date.now() - t0} ms)`, h.text);
  await standin.fail({ mode: 'none' });
  await invariant('EventBridge back', 15000);
  h = await call('GET', '/healthz');
  ok(h.status === 200 && h.json.outbox.stuck === false, '/healthz is 200 again once the backlog drained', h.text);
  void stuck;

  note('EventBridge refusing an entry for good (400 ValidationException): dead, then requeued');
  await standin.fail({ mode: 'validation', count: 1 });
  const v = await recorder(`ebv-${process.pid}`, 1, { finalize: false });
  let dead;
  for (let i = 0; i < 60; i++) {
    dead = admin('dead');
    if (/state=dead/.test(dead.out)) break;
    await sleep(250);
  }
  ok(dead.status === 0 && /state=dead/.test(dead.out) && /ValidationException/.test(dead.out) &&
    dead.out.includes(v.sid), '`audio-api --outbox dead` shows the parked event with the reason', dead.out);
  const c = outboxCounts();
  ok(c.dead >= 1, 'the counts line shows it dead', c);
  h = await call('GET', '/healthz');
  ok(h.json && h.json.outbox && h.json.outbox.dead >= 1, '/healthz reports the dead item', h.text);
  const rq = admin('requeue-dead');
  ok(rq.status === 0 && /requeued=[1-9]/.test(rq.out), '`audio-api --outbox requeue-dead` requeues it', rq.out + rq.err);
  const bad = admin('requeue', '999999999');
  ok(bad.status === 1, 'requeue of an id that is not dead fails', bad.out + bad.err);
  const usage = admin('frobnicate');
  ok(usage.status === 2 && /usage/.test(usage.err), 'an unknown --outbox verb is a usage error', usage.err);
  await invariant('requeued', 15000);
}

async function killDeliverer() {
  note('kill -9 of the delivery process mid-batch, then restart');
  const victim = deliverer();
  ok(victim.length === 1, 'the master runs one delivery child', victim);
  await standin.fail({ mode: 'slow', delayMs: 3000, count: 1 });
  const before = (await standin.stats()).requests;
  const rec = recorder(`kill-${process.pid}`, 5, { finalize: true });
  let st;
  for (let i = 0; i < 100; i++) {
    st = await standin.stats();
    if (st.requests > before) break;
    await sleep(50);
  }
  await sleep(200);
  process.kill(victim[0], 'SIGKILL');
  let now = [];
  for (let i = 0; i < 50; i++) {
    now = deliverer();
    if (now.length === 1 && now[0] !== victim[0]) break;
    await sleep(100);
  }
  ok(now.length === 1 && now[0] !== victim[0], 'the master restarted the delivery child', now);
  const r = await rec;
  await invariant('after kill -9 mid-batch', 30000);
  const ids = logIdsOf([r.sid]);
  ok(ids.length > new Set(ids).size && new Set(ids).size === 6,
    'the batch EventBridge took from the killed deliverer was sent again with the same ' +
    'eventIds (at least once; consumers drop duplicates)', ids);
}

async function crashAfterCommit() {
  note('a worker crashes between the commit and the immediate manifest write');
  const token = mint(`cac-${process.pid}`);
  const sid = await newSession(token);
  await chunk(token, sid, 1, 64);
  // Upload chunk 2, then arm the hook for its complete.
  const p = await call('POST', `/sessions/${sid}/chunks/presign`, { token,
    body: { seq: 2, tStartMs: 5000, tEndMs: 10000, ext: 'webm', sizeBytes: 64, contentType: 'audio/webm' } });
  const put = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers, body: Buffer.alloc(64, 'b') });
  await put.text();
  fs.writeFileSync(path.join(env.FAULT_DIR, 'after-commit'), '');
  const body = { seq: 2, objectKey: p.json.objectKey, bytes: 64, tStartMs: 5000, tEndMs: 10000 };
  let r = await call('POST', `/sessions/${sid}/chunks/complete`, { token, body });
  ok(r.status !== 200 && !fs.existsSync(path.join(env.FAULT_DIR, 'after-commit')),
    `the worker died after the commit (the client got ${r.status})`);
  const ev = sqlite(`select event_id from chunks where session_id='${sid}' and seq=2`);
  ok(ev.length === 36, 'the chunk is committed in the journal', ev);
  await invariant('after a crash between commit and the immediate attempt', 15000);
  r = await call('POST', `/sessions/${sid}/chunks/complete`, { token, body });
  ok(r.status === 200 && r.json.eventId === ev && r.json.chunkCount === 2,
    'the client\'s retry answers 200 with the same eventId', r.text);
  await invariant('after the retry', 5000);
}

async function diskFull() {
  if (api.journalIsPg()) {
    console.log('# SKIP disk-full scenario: the journal is PostgreSQL here (a full disk ' +
      'under an SQLite file is the SQLite run\'s); NOT run here');
    return;
  }
  if (!env.DISKFULL_DIR) {
    console.log('# SKIP disk-full scenario: no small tmpfs for the journal (needs root); ' +
      'NOT run here');
    return;
  }
  note('the journal\'s disk is full: clean 503s, no corruption, recovery when space returns');
  const token = mint(`full-${process.pid}`);
  const sid = await newSession(token);
  // Upload first (S3 has room), then fill the journal's filesystem.
  const bodies = [];
  for (let seq = 1; seq <= 40; seq++) {
    const p = await call('POST', `/sessions/${sid}/chunks/presign`, { token,
      body: { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext: 'webm', sizeBytes: 64,
        contentType: 'audio/webm' } });
    const put = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers, body: Buffer.alloc(64, 'f') });
    await put.text();
    bodies.push({ seq, objectKey: p.json.objectKey, bytes: 64, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000 });
  }
  // Empty the WAL first: a WAL left large by the earlier scenarios has room
  // for many more commits, and how many depends on their history.  With
  // it truncated, the next commits must grow it into a full disk.
  for (let i = 0; i < 20 && !/^0\|/.test(sqlite('pragma wal_checkpoint(truncate)')); i++) {
    await sleep(100);
  }
  const filler = path.join(env.DISKFULL_DIR, 'filler');
  spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { encoding: 'utf8' });
  const statuses = [];
  const unclean = [];
  for (const b of bodies) {
    const r = await call('POST', `/sessions/${sid}/chunks/complete`, { token, body: b });
    statuses.push(r.status);
    if (r.status === 503 && !(r.json && r.json.code === 'unavailable' &&
        r.headers.get('retry-after'))) {
      unclean.push(r.text);
    }
  }
  ok(unclean.length === 0, 'each 503 is clean JSON (code unavailable) with Retry-After', unclean);
  const n503 = statuses.filter((s) => s === 503).length;
  ok(n503 > 0 && statuses.every((s) => s === 200 || s === 503),
    `with the journal disk full, completes answer 503 (${n503} of ${statuses.length}), never 500`, statuses);
  const accepted = statuses.filter((s) => s === 200).length;
  fs.rmSync(filler, { force: true });
  for (const b of bodies) await chunkRetry(token, sid, b);
  const integ = sqlite('pragma integrity_check');
  ok(integ === 'ok', 'the journal passes integrity_check after the disk was full', integ);
  const n = sqlite(`select count(*) from chunks where session_id='${sid}'`);
  ok(n === '40', `space back: every chunk completes (${accepted} were accepted while full, none lost)`, n);
  await invariant('after the disk was full', 20000);
}

async function chunkRetry(token, sid, body) {
  for (let i = 0; i < 100; i++) {
    const r = await call('POST', `/sessions/${sid}/chunks/complete`, { token, body });
    if (r.status === 200) return;
    await sleep(200);
  }
  throw new Error('complete never succeeded after the disk had room again');
}

// ------------------------------------------------------------ soak

async function soak(seconds) {
  const end = Date.now() + seconds * 1000;
  const nrec = Number(env.SOAK_RECORDERS || 8);
  const stat = { sessions: 0, chunks: 0, finalized: 0, faults: {}, statuses: {} };
  const count = (k, o) => { o[k] = (o[k] || 0) + 1; };
  let stop = false;
  const rec = async (i) => {
    let gen = 0;
    while (!stop) {
      const token = mint(`soak-${i}-${gen++}`);
      const sid = await newSession(token);
      stat.sessions++;
      const n = 3 + Math.floor(Math.random() * 10);
      for (let seq = 1; seq <= n && !stop; seq++) {
        const c = await chunk(token, sid, seq, 32 + Math.floor(Math.random() * 4000), 120000);
        for (const s of c.statuses) count(s, stat.statuses);
        stat.chunks++;
        await sleep(100 + Math.random() * 400);
      }
      if (!stop && Math.random() < 0.8) {
        await finalize(token, sid, n * 5000, 120000);
        stat.finalized++;
      }
    }
  };
  const faults = async () => {
    while (Date.now() < end) {
      await sleep(3000 + Math.random() * 7000);
      if (Date.now() >= end) break;
      const f = ['s3-manifest', 's3-down', 'eb-5xx', 'eb-throttle', 'eb-partial', 'eb-slow',
        'kill-deliverer', 'kill-worker', 'crash-after-commit'][Math.floor(Math.random() * 9)];
      count(f, stat.faults);
      const ms = 1000 + Math.random() * 4000;
      switch (f) {
        case 's3-manifest': await proxy.mode('manifest'); await sleep(ms); await proxy.mode('pass'); break;
        case 's3-down': await proxy.mode('down'); await sleep(ms); await proxy.mode('pass'); break;
        case 'eb-5xx': await standin.fail({ mode: '5xx', count: 5 }); break;
        case 'eb-throttle': await standin.fail({ mode: 'throttle', count: 5 }); break;
        case 'eb-partial': await standin.fail({ mode: 'partial', count: 5, every: 3 }); break;
        case 'eb-slow': await standin.fail({ mode: 'slow', count: 2, delayMs: 1500 }); break;
        case 'kill-deliverer': {
          const d = deliverer();
          if (d.length) process.kill(d[0], 'SIGKILL');
          break;
        }
        case 'kill-worker': {
          const r = spawnSync('pgrep', ['-x', 'audio-api', '-P', String(env.API_PID)], { encoding: 'utf8' });
          const w = r.stdout.split('\n').filter(Boolean).map(Number);
          if (w.length) process.kill(w[Math.floor(Math.random() * w.length)], 'SIGKILL');
          break;
        }
        case 'crash-after-commit': fs.writeFileSync(path.join(env.FAULT_DIR, 'after-commit'), ''); break;
      }
    }
  };
  const t0 = Date.now();
  const runners = Array.from({ length: nrec }, (_, i) => rec(i));
  await faults();
  stop = true;
  await Promise.all(runners);
  await proxy.mode('pass');
  await standin.fail({ mode: 'none' });
  fs.rmSync(path.join(env.FAULT_DIR, 'after-commit'), { force: true });
  const loadMs = Date.now() - t0;
  const r = await invariant('soak', 60000);
  const st = await standin.stats();
  note(`soak: ${(loadMs / 1000).toFixed(1)} s of load, ${nrec} recorders, ${stat.sessions} sessions, ` +
    `${stat.chunks} chunks, ${stat.finalized} finalized`);
  note(`soak: complete answers ${JSON.stringify(stat.statuses)}; faults ${JSON.stringify(stat.faults)}`);
  note(`soak: ${r.events} events committed, ${r.logged} logged (${r.duplicates} duplicated by design), ` +
    `stand-in ${JSON.stringify(st)}; outbox drained ${r.drained} ms and the invariant was ` +
    `confirmed ${r.ms} ms after the load stopped`);
}

const t0 = Date.now();
main({
  faults: async () => {
    await invariant('a fresh stack', 5000);
    await crashAfterCommit();
    await s3Faults();
    await eventBridgeFaults();
    await killDeliverer();
    await diskFull();
  },
  soak: () => soak(Number(process.argv[3] || 180)),
}, { suffix: () => `, ${((Date.now() - t0) / 1000).toFixed(1)} s` });
