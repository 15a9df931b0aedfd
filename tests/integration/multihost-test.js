// multihost-test.js: two API hosts behind no balancer, driven directly
// (tests/integration/multihost.sh starts them with DEVSTACK_HOSTS=2).
//
//   node tests/integration/multihost-test.js baseline   SQLite: hosts share nothing
//   node tests/integration/multihost-test.js shared     PostgreSQL: one journal, both hosts
//   node tests/integration/multihost-test.js faults     PostgreSQL: recorders on both
//        hosts through kill -9 of a worker and the delivery child of A, SIGTERM
//        of host B, PostgreSQL stopped 5 s and S3 stopped 5 s
//   node tests/integration/multihost-test.js poll       (a child of `shared`: reads
//        manifests from S3 until told to stop, noting any revision that went down)
//
// The stack is described by the environment tests/tools/devstack.sh env
// prints (API_URL_1, API_URL_2, S3_ENDPOINT, JOURNAL, JWT_*, RUN_DIR, ...)
// plus JWTMINT.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const { ok, note, sleep, until, mint, main, pmap } = require('../lib/tap');
const api = require('../lib/api');
const { s3Get, journalSql: journal, children } = api;

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

// ------------------------------------------------------------------ shared

// Until the outbox is empty (60 s at most): its rows and dead rows, as
// "count|dead".
async function outboxDrained() {
  const until = Date.now() + 60000;
  let left = '';
  do {
    left = journal('SELECT count(*), coalesce(sum(dead), 0) FROM outbox');
    if (left === '0|0') break;
    await sleep(200);
  } while (Date.now() < until);
  return left;
}

function manifestKey(sub, sid) {
  return `users/${sub}/audio/sessions/${sid}/manifest.json`;
}

function s3Manifest(key) {
  const r = s3Get(key);
  if (r.status !== 200) return null;
  try {
    return JSON.parse(r.body);
  } catch (e) {
    return null;
  }
}

// The poller (part `poll`): reads each manifest of POLL_KEYS (one per
// line in that file) in turn until POLL_STOP exists, and writes to
// POLL_OUT how many reads it made and every time a revision went down.
async function testPoll() {
  const keys = fs.readFileSync(env.POLL_KEYS, 'utf8').split('\n').filter(Boolean);
  const last = {};
  const downs = [];
  let reads = 0;
  while (!fs.existsSync(env.POLL_STOP)) {
    for (const k of keys) {
      const m = s3Manifest(k);
      if (!m) continue;
      reads++;
      if (last[k] !== undefined && m.revision < last[k]) {
        downs.push(`${k}: ${last[k]} -> ${m.revision}`);
      }
      last[k] = m.revision;
    }
    // The test waits on this: that the poller is reading before the
    // work starts, and has read enough before it is stopped.
    fs.writeFileSync(env.POLL_OUT + '.progress', String(reads));
    await sleep(50);
  }
  fs.writeFileSync(env.POLL_OUT, JSON.stringify({ reads, downs }));
}

// Complete body on host, then the same body on the other host: both
// answers, which must be the same.
async function completeTwice(host, token, sid, body) {
  const first = await call(host, 'POST', `/sessions/${sid}/chunks/complete`, { token, body });
  const again = await call(1 - host, 'POST', `/sessions/${sid}/chunks/complete`, { token, body });
  return { first, again };
}

async function testShared() {
  const sub = 'mh-' + process.pid;
  const u = mint(sub);
  let r;

  // The baseline's opposite: what A created, B serves.
  const sid0 = await newSession(0, u);
  const b0 = await uploadChunk(0, u, sid0, 1, 100);
  r = await call(1, 'POST', `/sessions/${sid0}/chunks/complete`, { token: u, body: b0 });
  ok(r.status === 200 && r.json.chunkCount === 1,
    'shared journal: a chunk of a session created on A completes on B', r.status + ' ' + r.text);

  // 20 sessions, 5 chunks each, created on alternating hosts; the
  // uploads of all of them and the hot session's 200 first.
  const NS = Number(env.MH_SESSIONS || 20);
  const NC = 5;
  const NH = Number(env.MH_HOT || 200);
  const sids = await pmap(Array.from({ length: NS }, (_, i) => i), 4,
    (i) => newSession(i % 2, u));
  const hot = await newSession(1, u);
  const keysFile = path.join(env.RUN_DIR, 'poll-keys');
  fs.writeFileSync(keysFile, [hot, ...sids.slice(0, 4)].map((s) => manifestKey(sub, s)).join('\n') + '\n');
  const pollOut = path.join(env.RUN_DIR, 'poll-out.json');
  const pollStop = path.join(env.RUN_DIR, 'poll-stop');
  const poller = spawn('node', [__filename, 'poll'], { stdio: ['ignore', 'ignore', 'inherit'],
    env: Object.assign({}, env, { POLL_KEYS: keysFile, POLL_OUT: pollOut, POLL_STOP: pollStop }) });
  const pollerDone = new Promise((resolve) => poller.on('exit', resolve));
  const pollReads = () => {
    try {
      return Number(fs.readFileSync(pollOut + '.progress', 'utf8'));
    } catch (e) {
      return -1;
    }
  };
  // Its first round done (the manifests do not exist yet: 0 reads), so it
  // reads throughout the work, however slowly a loaded machine starts it.
  await until(() => pollReads() >= 0, 30000);

  const t0 = Date.now();
  const work = [];
  sids.forEach((sid, i) => {
    for (let seq = 1; seq <= NC; seq++) work.push({ sid, seq, host: (i + seq) % 2 });
  });
  for (let seq = 1; seq <= NH; seq++) work.push({ sid: hot, seq, host: seq % 2 });
  const bodies = await pmap(work, 12, (w) => uploadChunk(w.host, u, w.sid, w.seq, 10 + (w.seq % 7)));
  note(`${work.length} chunks presigned and PUT through both hosts in ${Date.now() - t0} ms`);

  // Every complete at once (the 20 sessions' alternating between hosts,
  // the hot session's split across both), each retried on the other host.
  const t1 = Date.now();
  const res = await pmap(work, 48, (w, i) => completeTwice(w.host, u, w.sid, bodies[i]));
  const answered = res.filter((x) => x.first.status === 200);
  ok(answered.length === work.length,
    `${work.length} concurrent completes on both hosts (${NH} of one session) all answer 200 (${Date.now() - t1} ms)`,
    res.filter((x) => x.first.status !== 200).slice(0, 3).map((x) => x.first.status + ' ' + x.first.text));
  const differ = res.filter((x) => x.first.status !== 200 || x.again.status !== 200 ||
    x.first.text !== x.again.text);
  ok(differ.length === 0, 'every complete retried on the other host gets the identical answer',
    differ.slice(0, 3).map((x) => [x.first.text, x.again.text]));
  const hotCounts = res.filter((x, i) => work[i].sid === hot && x.first.json)
    .map((x) => x.first.json.chunkCount);
  ok(Math.max(...hotCounts) === NH && new Set(hotCounts).size === NH,
    `the hot session's ${NH} completes saw ${NH} distinct chunk counts, the last all ${NH} (one writer at a time)`,
    [Math.max(...hotCounts), new Set(hotCounts).size]);

  // Finalize on A, then the same on B: the same answer.
  const fin = { durationMs: NH * 5000, final: true };
  const f1 = await call(0, 'POST', `/sessions/${hot}/finalize`, { token: u, body: fin });
  const f2 = await call(1, 'POST', `/sessions/${hot}/finalize`, { token: u, body: fin });
  ok(f1.status === 200 && f1.json.chunkCount === NH && f2.status === 200 && f1.text === f2.text,
    'finalize on A, then on B: the same answer', [f1.status, f1.text, f2.status, f2.text]);
  for (const sid of sids) {
    await call(sids.indexOf(sid) % 2, 'POST', `/sessions/${sid}/finalize`,
      { token: u, body: { durationMs: NC * 5000, final: true } });
  }

  // Afterwards: the outbox drains, every answered chunk is in the journal
  // and its manifest, the manifest's revision is the journal's.
  const left = await outboxDrained();
  ok(left === '0|0', 'the outbox drains to empty, 0 dead', left);
  // Its reads went on while the outbox drained; a starved poller gets
  // the time to make its rounds before it is judged.
  await until(() => pollReads() > 10, 30000);
  fs.writeFileSync(pollStop, '');
  await pollerDone;
  const all = [sid0, hot, ...sids];
  const want = {};
  work.forEach((w, i) => {
    if (res[i].first.status === 200) (want[w.sid] = want[w.sid] || new Set()).add(w.seq);
  });
  (want[sid0] = new Set()).add(1);
  const missingJ = [];
  const missingM = [];
  const revs = [];
  for (const sid of all) {
    const inJ = new Set(journal(`SELECT seq FROM chunks WHERE session_id = '${sid}'`)
      .split('\n').filter(Boolean).map(Number));
    const m = s3Manifest(manifestKey(sub, sid));
    const inM = new Set(m ? m.chunks.map((c) => c.seq) : []);
    for (const seq of want[sid]) {
      if (!inJ.has(seq)) missingJ.push(`${sid}#${seq}`);
      if (!inM.has(seq)) missingM.push(`${sid}#${seq}`);
    }
    const jr = Number(journal(`SELECT revision FROM sessions WHERE id = '${sid}'`));
    if (!m || m.revision !== jr) revs.push(`${sid}: manifest ${m && m.revision}, journal ${jr}`);
  }
  ok(missingJ.length === 0, 'every chunk answered 200 is in the journal', missingJ.slice(0, 5));
  ok(missingM.length === 0, 'every chunk answered 200 is in its S3 manifest', missingM.slice(0, 5));
  ok(revs.length === 0, `manifest revision = journal revision for all ${all.length} sessions`, revs.slice(0, 5));

  const logged = new Set(fs.readFileSync(env.EVENTS_LOG, 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l).detail.eventId));
  const ids = res.filter((x) => x.first.json && x.first.json.eventId).map((x) => x.first.json.eventId);
  const lost = ids.filter((id) => !logged.has(id));
  ok(ids.length === answered.length && lost.length === 0,
    `every eventId answered (${ids.length}) is in the events log`, lost.slice(0, 5));
  const poll = JSON.parse(fs.readFileSync(pollOut, 'utf8'));
  ok(poll.reads > 10 && poll.downs.length === 0,
    `a poller reading manifest.json throughout (${poll.reads} reads) never saw a revision go down`,
    poll.downs.slice(0, 5));
}

// ------------------------------------------------------------------ faults

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return false;
  }
}

// pg_ctl as the cluster's owner (tests/lib/pg.sh: PG_CTL, PG_USER, PGDATA).
function pgCtl(...args) {
  const cmd = process.getuid() === 0 ?
    ['runuser', ['-u', env.PG_USER, '--', env.PG_CTL, '-D', env.PGDATA, '-w', '-s', ...args]] :
    [env.PG_CTL, ['-D', env.PGDATA, '-w', '-s', ...args]];
  // Its output to a file: a postmaster it starts keeps what it inherits.
  const log = path.join(env.RUN_DIR, 'log', 'pg_ctl.log');
  const fd = fs.openSync(log, 'a');
  const r = spawnSync(cmd[0], cmd[1], { cwd: '/', stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed (${log})`);
}

async function healthy(host) {
  for (let i = 0; i < 200; i++) {
    const r = await call(host, 'GET', '/healthz', { timeoutMs: 2000 });
    if (r.status === 200) return true;
    await sleep(100);
  }
  return false;
}

// Recorders on both hosts, as the web app records: each step retried
// (the other host first) until it answers 200.  Every answer is kept with
// when it was asked and answered, to judge the outage windows.
async function testFaults() {
  const sub = 'mhf-' + process.pid;
  const u = mint(sub);
  const answers = [];	// {t0, t1, status, route, text, retryAfter}
  const done = [];	// {sid, seq, json} of every complete answered 200
  let stop = false;
  let hostTurn = 0;

  async function step(route, method, p, body) {
    for (let attempt = 0; ; attempt++) {
      const host = (hostTurn++) % 2;
      const t0 = Date.now();
      const r = await call(host, method, p, { token: u, body, timeoutMs: 15000 });
      answers.push({ t0, t1: Date.now(), status: r.status, route, host, text: r.text.slice(0, 120),
        retryAfter: r.headers.get('retry-after'), rid: r.headers.get('x-request-id'), json: r.json });
      if (r.status === 200 || r.status === 201) return r;
      if (stop && attempt > 300) throw new Error(`${route} never answered: ${r.status} ${r.text}`);
      await sleep(100);
    }
  }

  async function recorder(n) {
    const sid = (await step('create', 'POST', '/sessions', { codec: 'webm/opus',
      sampleRate: 48000, chunkSeconds: 5, deviceInfo: { userAgent: 'multihost-faults' } })).json.sessionId;
    let seq = 0;
    while (!stop) {
      seq++;
      const size = 10 + (seq % 7);
      const p = await step('presign', 'POST', `/sessions/${sid}/chunks/presign`,
        { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext: 'webm', sizeBytes: size,
          contentType: 'audio/webm' });
      for (;;) {
        try {
          const res = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers,
            body: Buffer.alloc(size, 'f'), signal: AbortSignal.timeout(10000) });
          await res.text();
          if (res.status === 200) break;
        } catch (e) {
          // S3 down: try again
        }
        await sleep(100);
      }
      const body = { seq, objectKey: p.json.objectKey, bytes: size,
        tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000 };
      const c = await step('complete', 'POST', `/sessions/${sid}/chunks/complete`, body);
      done.push({ sid, seq, json: c.json });
      await sleep(20 * n);
    }
    const f = await step('finalize', 'POST', `/sessions/${sid}/finalize`,
      { durationMs: seq * 5000, final: true });
    return { sid, seq, fin: f.json };
  }

  const tStart = Date.now();
  const marks = {};
  const recs = Array.from({ length: Number(env.MH_RECORDERS || 6) }, (_, i) => recorder(i));
  await sleep(1500);

  // kill -9 a worker and the delivery child of host A.
  const masterA = Number(env.API_PID);
  const kidsA = children(masterA);
  const worker = kidsA.find((k) => k.comm !== 'audio-deliver');
  const deliverer = kidsA.find((k) => k.comm === 'audio-deliver');
  ok(worker && deliverer, 'host A runs workers and a delivery child', kidsA);
  marks['kill -9 A'] = Date.now();
  if (worker) process.kill(worker.pid, 'SIGKILL');
  if (deliverer) process.kill(deliverer.pid, 'SIGKILL');
  let back = false;
  for (let i = 0; i < 100 && !back; i++) {
    await sleep(100);
    const k = children(masterA);
    back = k.length === kidsA.length && k.some((x) => x.comm === 'audio-deliver') &&
      !k.some((x) => x.pid === worker.pid || x.pid === deliverer.pid);
  }
  ok(back, 'host A\'s master replaced the killed worker and delivery child');
  await sleep(1500);

  // SIGTERM host B: it drains and exits; the recorders go on through A.
  const pidFileB = path.join(env.RUN_DIR, 'host2', 'audio-api.pid');
  const masterB = Number(fs.readFileSync(pidFileB, 'utf8'));
  marks['SIGTERM B'] = Date.now();
  process.kill(masterB, 'SIGTERM');
  for (let i = 0; i < 300 && alive(masterB); i++) await sleep(100);
  marks['B gone'] = Date.now();
  ok(!alive(masterB), 'host B\'s master exits on SIGTERM');
  const nB = done.length;
  await sleep(1500);
  ok(done.length > nB, `with host B gone, completes go on through A (${done.length - nB})`);
  const b = spawn(env.AUDIO_API || path.join(env.BUILDDIR, 'fcgi', 'audio-api'),
    ['-f', path.join(env.RUN_DIR, 'host2', 'audio-api.conf')],
  { detached: true, env, stdio: ['ignore', fs.openSync(path.join(env.RUN_DIR, 'log', 'host2-audio-api.log'), 'a'),
    fs.openSync(path.join(env.RUN_DIR, 'log', 'host2-audio-api.log'), 'a')] });
  fs.writeFileSync(pidFileB, String(b.pid));
  marks['B again'] = Date.now();
  b.unref();
  ok(await healthy(1), 'host B started again serves');

  // PostgreSQL stopped 5 s: only 503s (with Retry-After) meanwhile.
  marks['PG stop'] = Date.now();
  pgCtl('-m', 'fast', 'stop');
  const pgDown = Date.now();
  await sleep(5000);
  const pgUp = Date.now();
  pgCtl('start');
  const during = answers.filter((a) => a.t0 >= pgDown && a.t1 <= pgUp);
  const notUnavail = during.filter((a) => a.status !== 503 || !a.retryAfter ||
    !a.json || typeof a.json.error !== 'string');
  ok(during.length > 10 && notUnavail.length === 0,
    `PostgreSQL stopped 5 s: all ${during.length} answers meanwhile are 503 with Retry-After and a JSON error`,
    notUnavail.slice(0, 5).map((a) => `${a.route} ${a.status} ${a.text}`));
  const n0 = done.length;
  for (let i = 0; i < 300 && done.length < n0 + 6; i++) await sleep(100);
  ok(done.length >= n0 + 6, 'PostgreSQL back: completes answer 200 again, on their own', done.length - n0);

  // S3 stopped 5 s.
  const s3pid = Number(fs.readFileSync(path.join(env.RUN_DIR, 's3rver.pid'), 'utf8'));
  marks['S3 stop'] = Date.now();
  process.kill(s3pid, 'SIGKILL');
  while (alive(s3pid)) await sleep(50);
  await sleep(5000);
  await api.startS3();
  const n1 = done.length;
  for (let i = 0; i < 300 && done.length < n1 + 6; i++) await sleep(100);
  ok(done.length >= n1 + 6, 'S3 back after 5 s: completes answer 200 again', done.length - n1);

  stop = true;
  const fins = await Promise.all(recs);
  // The API's own answers carry X-Request-Id; the web server's do not.
  const show = (a) => `${a.route} ${a.status} on ${a.host ? 'B' : 'A'} at +${a.t0 - tStart} ms: ${a.text}`;
  note('at +ms: ' + Object.entries(marks).map(([k, v]) => `${k} ${v - tStart}`).join(', '));
  const api500 = answers.filter((a) => a.status === 500 && a.rid);
  ok(api500.length === 0,
    `no 500 from the API in ${answers.length} answers (${answers.filter((a) => a.status === 503).length} were 503)`,
    api500.slice(0, 5).map(show));
  // The web server answers 500 itself for a request whose worker was
  // killed under it (at most the one in flight on A's killed worker): only
  // then.  When B's master stops, its workers serve what its FastCGI
  // socket had queued before they leave, and its path is gone first, so
  // B's web server answers 503 from then on: none of those is a 500.
  const web500 = answers.filter((a) => a.status >= 500 && a.status !== 503 && !a.rid);
  const atKill = web500.filter((a) => a.host === 0 && a.t1 >= marks['kill -9 A'] &&
    a.t0 <= marks['kill -9 A'] + 1000);
  const atTerm = web500.filter((a) => a.host === 1 && a.t1 >= marks['SIGTERM B'] &&
    a.t0 <= marks['B gone'] + 1000);
  const stray = web500.filter((a) => !atKill.includes(a) && !atTerm.includes(a));
  ok(atKill.length <= 1 && atTerm.length === 0 && stray.length === 0,
    `the web server's own 5xx other than 503: ${atKill.length} at A's kill -9, ` +
    `${atTerm.length} as B's master stopped, none else`,
    web500.slice(0, 5).map(show));

  // Afterwards, as in `shared`.
  const left = await outboxDrained();
  ok(left === '0|0', 'the outbox drains to empty, 0 dead', left);
  const missingJ = [];
  const missingM = [];
  const revs = [];
  for (const f of fins) {
    const inJ = new Set(journal(`SELECT seq FROM chunks WHERE session_id = '${f.sid}'`)
      .split('\n').filter(Boolean).map(Number));
    const m = s3Manifest(manifestKey(sub, f.sid));
    const inM = new Set(m ? m.chunks.map((c) => c.seq) : []);
    for (const d of done.filter((x) => x.sid === f.sid)) {
      if (!inJ.has(d.seq)) missingJ.push(`${f.sid}#${d.seq}`);
      if (!inM.has(d.seq)) missingM.push(`${f.sid}#${d.seq}`);
    }
    const jr = Number(journal(`SELECT revision FROM sessions WHERE id = '${f.sid}'`));
    if (!m || m.revision !== jr || !m.final) revs.push(`${f.sid}: manifest ${m && m.revision}, journal ${jr}`);
  }
  ok(missingJ.length === 0, `every chunk answered 200 (${done.length}) is in the journal`, missingJ.slice(0, 5));
  ok(missingM.length === 0, 'every chunk answered 200 is in its S3 manifest', missingM.slice(0, 5));
  ok(revs.length === 0, `manifest revision = journal revision, final, for all ${fins.length} sessions`,
    revs.slice(0, 5));
  const logged = new Set(fs.readFileSync(env.EVENTS_LOG, 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l).detail.eventId));
  const lost = done.filter((d) => !logged.has(d.json.eventId));
  ok(lost.length === 0, `every eventId answered (${done.length}) is in the events log`,
    lost.slice(0, 5).map((d) => d.json.eventId));
}

main({ baseline: testBaseline, shared: testShared, faults: testFaults, poll: testPoll });
