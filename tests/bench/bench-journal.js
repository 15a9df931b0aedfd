// bench-journal.js: the load of tests/bench/bench-journal.sh, on stacks
// tests/tools/devstack.sh started.  Each run prepares its chunks first
// (session, presign, PUT to S3: complete HEADs the object) and times only
// the completes, so what it measures is the complete's path through the
// journal.
//
//   node tests/bench/bench-journal.js spread   completes of many sessions
//   node tests/bench/bench-journal.js hot      completes of one session
//
// Environment: BJ_URLS (the API hosts' URLs, comma-separated; client c
// talks to host c mod N), BJ_CLIENTS (concurrent clients), BJ_COMPLETES
// (completes timed), BJ_SESSIONS (spread: sessions per client), plus what
// tests/lib/tap.js's mint needs (JWTMINT, JWT_*).  Prints one JSON line:
// { n, ok, secs, rate, p50, p99 } (ms), and for hot the checks it made
// (correct: every first complete 200, each retry on another host answered
// the same, the chunk counts 1..n each once, the session's count n).
'use strict';

const { mint } = require('../lib/tap');
const api = require('../lib/api');

const env = process.env;
const URLS = (env.BJ_URLS || env.API_URL).split(',');
const CLIENTS = Number(env.BJ_CLIENTS || 4);
const COMPLETES = Number(env.BJ_COMPLETES || 400);
const SESSIONS = Number(env.BJ_SESSIONS || 4);

function call(host, method, p, opts) {
  return api.call(method, p, Object.assign({ base: URLS[host % URLS.length] }, opts));
}

// pmap(items, n, fn): fn over items, n at a time; results in order.
async function pmap(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

async function newSession(host, token) {
  const r = await call(host, 'POST', '/sessions', { token,
    body: { codec: 'webm/opus', sampleRate: 48000, chunkSeconds: 5 } });
  if (r.status !== 201) throw new Error(`create on host ${host}: ${r.status} ${r.text}`);
  return r.json.sessionId;
}

// upload: presign and PUT one chunk; returns the complete's body.
async function upload(host, token, sid, seq) {
  const size = 100 + (seq % 17);
  const p = await call(host, 'POST', `/sessions/${sid}/chunks/presign`, { token,
    body: { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext: 'webm',
      sizeBytes: size, contentType: 'audio/webm' } });
  if (p.status !== 200) throw new Error(`presign: ${p.status} ${p.text}`);
  const res = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers,
    body: Buffer.alloc(size, 'b') });
  await res.text();
  if (res.status !== 200) throw new Error('PUT: ' + res.status);
  return { seq, objectKey: p.json.objectKey, bytes: size,
    tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000 };
}

// timed(work): every job of work run by CLIENTS clients, client c taking
// the jobs of its own (job.client === c) in order; returns the answers
// with their latency in ms and the wall time.
async function timed(work, fn) {
  const lanes = Array.from({ length: CLIENTS }, () => []);
  work.forEach((w, i) => lanes[w.client].push(i));
  const out = new Array(work.length);
  const t0 = process.hrtime.bigint();
  await Promise.all(lanes.map(async (idx) => {
    for (const i of idx) {
      const s = process.hrtime.bigint();
      const r = await fn(work[i]);
      out[i] = { r, ms: Number(process.hrtime.bigint() - s) / 1e6 };
    }
  }));
  return { out, secs: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p / 100) - 1)];
}

function summary(out, secs) {
  const ms = out.map((x) => x.ms).sort((a, b) => a - b);
  const ok = out.filter((x) => x.r.status === 200).length;
  return { n: out.length, ok, secs: +secs.toFixed(3), rate: +(ok / secs).toFixed(1),
    p50: +pct(ms, 50).toFixed(2), p99: +pct(ms, 99).toFixed(2) };
}

// spread: CLIENTS clients, each with SESSIONS sessions of its own (no two
// clients write one session: the figure is the journal's cost, not a
// queue on a row lock), COMPLETES completes in all.
async function spread() {
  const token = mint('bench-journal-' + process.pid);
  const sids = await pmap(Array.from({ length: CLIENTS * SESSIONS }, (_, i) => i), 4,
    (i) => newSession(i % CLIENTS, token));
  const work = [];
  for (let i = 0; i < COMPLETES; i++) {
    const client = i % CLIENTS;
    const k = Math.floor(i / CLIENTS);
    work.push({ client, sid: sids[client * SESSIONS + (k % SESSIONS)],
      seq: Math.floor(k / SESSIONS) + 1 });
  }
  const bodies = await pmap(work, 8, (w) => upload(w.client, token, w.sid, w.seq));
  work.forEach((w, i) => { w.body = bodies[i]; });
  const { out, secs } = await timed(work, (w) => call(w.client, 'POST',
    `/sessions/${w.sid}/chunks/complete`, { token, body: w.body }));
  const bad = out.filter((x) => x.r.status !== 200);
  const s = summary(out, secs);
  if (bad.length) s.errors = bad.slice(0, 3).map((x) => x.r.status + ' ' + x.r.text);
  console.log(JSON.stringify(s));
  process.exit(bad.length ? 1 : 0);
}

// hot: COMPLETES chunks of one session, CLIENTS clients over every host,
// each chunk completed once and retried at once on the next host.
async function hot() {
  const token = mint('bench-journal-hot-' + process.pid);
  const sid = await newSession(0, token);
  const work = Array.from({ length: COMPLETES }, (_, i) => ({ client: i % CLIENTS, seq: i + 1 }));
  const bodies = await pmap(work, 8, (w) => upload(w.client, token, sid, w.seq));
  work.forEach((w, i) => { w.body = bodies[i]; });
  const { out, secs } = await timed(work, (w) => call(w.client, 'POST',
    `/sessions/${sid}/chunks/complete`, { token, body: w.body }));
  const again = await pmap(work, CLIENTS, (w) => call(w.client + 1, 'POST',
    `/sessions/${sid}/chunks/complete`, { token, body: w.body }));
  const s = summary(out, secs);
  const problems = [];
  const not200 = out.filter((x) => x.r.status !== 200);
  if (not200.length) problems.push(`${not200.length} first completes not 200: ` + not200[0].r.status + ' ' + not200[0].r.text);
  const differ = again.filter((a, i) => a.status !== 200 || a.text !== out[i].r.text);
  if (differ.length) problems.push(`${differ.length} retries on another host answered differently`);
  const counts = out.filter((x) => x.r.json).map((x) => x.r.json.chunkCount);
  if (new Set(counts).size !== COMPLETES || Math.max(...counts) !== COMPLETES) {
    problems.push(`chunk counts: ${new Set(counts).size} distinct, max ${Math.max(...counts)}`);
  }
  const events = new Set(out.filter((x) => x.r.json).map((x) => x.r.json.eventId));
  if (events.size !== COMPLETES) problems.push(`${events.size} distinct eventIds`);
  const g = await call(URLS.length - 1, 'GET', `/sessions/${sid}?urls=0`, { token });
  if (g.status !== 200 || g.json.chunkCount !== COMPLETES) {
    problems.push(`the session's chunkCount: ${g.status} ${g.json && g.json.chunkCount}`);
  }
  s.hosts = URLS.length;
  s.correct = problems.length === 0;
  if (problems.length) s.problems = problems;
  console.log(JSON.stringify(s));
  process.exit(problems.length ? 1 : 0);
}

const modes = { spread, hot };
const mode = modes[process.argv[2]];
if (!mode) {
  console.error('usage: bench-journal.js spread|hot');
  process.exit(2);
}
mode().catch((e) => {
  console.error('bench-journal: ' + (e.stack || e));
  process.exit(1);
});
