// manifest-fence-test.js: the fenced manifest write, driven against the
// stack tests/integration/manifest-fence.sh starts (devstack's environment
// plus PROXY_URL, the s3-fault-proxy.js in front of s3rver, API_PID and
// API_CONF), on SQLite or, with JOURNAL_BACKEND=postgresql, PostgreSQL.  One session goes through every scenario; after each the
// manifest in S3 must be the journal's newest revision, the journal's
// synced revision that one and its kept ETag the one S3 answers.  A poller
// reads manifest.json (unsigned, straight from s3rver) every 50 ms while
// the fence is on and checks the revision never goes down.
'use strict';

const fs = require('fs');

const { ok, note, sleep, mint, main } = require('../lib/tap');
const api = require('../lib/api');

const env = process.env;

async function control(path, obj) {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(env.PROXY_URL + path, obj === undefined ? {} :
        { method: 'POST', body: JSON.stringify(obj),
          headers: { 'Content-Type': 'application/json' } });
      return await res.json();
    } catch (e) {
      if (i >= 3) throw e;
      await sleep(100);
    }
  }
}
const proxy = {
  stats: () => control('/_proxy/stats'),
  hold: (suffix) => control('/_proxy/hold', { suffix, count: 1 }),
  lose: (suffix) => control('/_proxy/lose', { suffix, count: 1 }),
  conflict: (suffix) => control('/_proxy/conflict', { suffix, count: 1 }),
  release: () => control('/_proxy/release', {}),
};

function journalRow(sid) {
  const [rev, synced, etag] = api.journalSql('select revision || \'|\' || synced_revision || ' +
    `'|' || coalesce(manifest_etag, '') from sessions where id = '${sid}'`).split('|');
  return { revision: Number(rev), synced: Number(synced), etag };
}
function outboxPending(sid) {
  return Number(api.journalSql(`select count(*) from outbox where session_id = '${sid}'`));
}

// The manifest in S3, read signed: { status, m (parsed or null), etag }.
function manifest(key) {
  const r = api.s3Request('GET', key);
  let m = null;
  try { m = r.status === 200 ? JSON.parse(r.body) : null; } catch (e) { m = null; }
  return { status: r.status, m, etag: r.etag };
}

async function waitFor(what, fn, timeoutMs = 20000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return true;
    if (Date.now() - t0 > timeoutMs) {
      note(`gave up waiting for ${what} after ${timeoutMs} ms`);
      return false;
    }
    await sleep(50);
  }
}

// presign, PUT, complete chunk seq; 5xx retried as a client does.
async function chunk(token, sid, seq) {
  for (let i = 0; i < 50; i++) {
    const p = await api.call('POST', `/sessions/${sid}/chunks/presign`, { token,
      body: { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext: 'webm',
        sizeBytes: 64, contentType: 'audio/webm' } });
    if (p.status !== 200) { await sleep(200); continue; }
    const put = await fetch(p.json.putUrl, { method: 'PUT', headers: p.json.headers,
      body: Buffer.alloc(64, 'a') });
    await put.text();
    if (put.status !== 200) { await sleep(200); continue; }
    const r = await api.call('POST', `/sessions/${sid}/chunks/complete`, { token,
      body: { seq, objectKey: p.json.objectKey, bytes: 64, tStartMs: (seq - 1) * 5000,
        tEndMs: seq * 5000 } });
    if (r.status === 200) return r;
    if (r.status < 500) throw new Error(`complete ${seq}: ${r.status} ${r.text}`);
    await sleep(200);
  }
  throw new Error(`chunk ${seq} never completed`);
}

// Wait until S3 holds the journal's newest revision and nothing is queued;
// then check S3 against the journal (and, fenced, the ETag it keeps).
// Returns the manifest.
async function settled(label, sid, key, n, fenced = true) {
  await waitFor(`${label} to settle`, () => {
    const j = journalRow(sid);
    const s = manifest(key);
    return outboxPending(sid) === 0 && s.m && s.m.revision === j.revision &&
      j.synced === j.revision;
  });
  const j = journalRow(sid);
  const s = manifest(key);
  const seqs = s.m ? s.m.chunks.map((c) => c.seq).join(',') : '';
  const want = Array.from({ length: n }, (_, i) => i + 1).join(',');
  ok(s.m && s.m.revision === j.revision && j.synced === j.revision && seqs === want &&
    s.m.note === undefined && outboxPending(sid) === 0,
  `${label}: S3 holds the journal's revision ${j.revision} with chunks ${want}, synced, ` +
    'nothing queued', { journal: j, s3: s.m && { revision: s.m.revision, seqs, note: s.m.note } });
  if (fenced) {
    ok(j.etag !== '' && j.etag === s.etag, `${label}: the journal keeps the ETag S3 answers ` +
      `(${s.etag})`, { journal: j.etag, s3: s.etag });
  }
  return s;
}

// Reads manifest.json every 50 ms; notes every time the revision went down.
function poller(key) {
  const url = `${env.S3_ENDPOINT}/${env.S3_BUCKET}/${key}`;
  const st = { stop: false, reads: 0, max: 0, down: [] };
  st.done = (async () => {
    while (!st.stop) {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const text = await r.text();
        if (r.status === 200) {
          const m = JSON.parse(text);
          st.reads++;
          // A manifest someone else wrote (the scenarios mark theirs)
          // is not one of the API's revisions.
          if (m.note === undefined) {
            if (m.revision < st.max) st.down.push(`${st.max} -> ${m.revision}`);
            st.max = Math.max(st.max, m.revision);
          }
        }
      } catch (e) {
        // a read cut short by the stack: the next one counts
      }
      await sleep(50);
    }
  })();
  return st;
}

function delta(a, b) {
  return { ifMatch: b.manifestPuts.ifMatch - a.manifestPuts.ifMatch,
    ifNoneMatch: b.manifestPuts.ifNoneMatch - a.manifestPuts.ifNoneMatch,
    plain: b.manifestPuts.plain - a.manifestPuts.plain,
    refused: b.preconditionFailed - a.preconditionFailed,
    conflicts: b.conflicts - a.conflicts };
}

async function run() {
  const user = `fence-${process.pid}`;
  const token = mint(user);
  const c = await api.call('POST', '/sessions', { token,
    body: { codec: 'webm/opus', sampleRate: 48000, chunkSeconds: 5 } });
  if (c.status !== 201) throw new Error('cannot create a session: ' + c.text);
  const sid = c.json.sessionId;
  const key = `users/${user}/audio/sessions/${sid}/manifest.json`;
  const suffix = `${sid}/manifest.json`;
  const watch = poller(key);

  note('fence on: the first write creates (If-None-Match: *), the next ones match');
  let s0 = await proxy.stats();
  await chunk(token, sid, 1);
  await settled('first write', sid, key, 1);
  let s1 = await proxy.stats();
  let d = delta(s0, s1);
  ok(d.ifNoneMatch === 1 && d.ifMatch === 0 && d.plain === 0,
    'the first manifest write is If-None-Match: * (create only)', d);
  await chunk(token, sid, 2);
  await settled('second write', sid, key, 2);
  d = delta(s1, await proxy.stats());
  ok(d.ifMatch === 1 && d.ifNoneMatch === 0 && d.plain === 0 && d.refused === 0,
    'the next one is If-Match the ETag the journal kept', d);

  note('a write held in flight past its writer\'s lease while newer revisions are written');
  s0 = await proxy.stats();
  await proxy.hold(suffix);
  const t0 = Date.now();
  await chunk(token, sid, 3);
  note(`complete of chunk 3 answered after ${Date.now() - t0} ms (its manifest write timed out)`);
  let st = await proxy.stats();
  ok(st.holding === 1, 'the proxy holds the immediate write of revision 3', st.holding);
  // The writer gave up (its lease released); the delivery loop writes 3.
  await settled('revision 3 by another deliverer', sid, key, 3);
  await chunk(token, sid, 4);
  const before = await settled('revision 4', sid, key, 4);
  await proxy.release();
  await waitFor('the held write to be answered', async () =>
    (await proxy.stats()).heldAnswers.length === st.heldAnswers.length + 1);
  st = await proxy.stats();
  ok(st.heldAnswers[st.heldAnswers.length - 1] === 412,
    'the held write of revision 3, released after revision 4 was written, is refused (412)',
    st.heldAnswers);
  const after = manifest(key);
  ok(after.etag === before.etag && after.m && after.m.revision === 4,
    'and it changed nothing: S3 still holds revision 4, same ETag',
    { before: before.etag, after: after.etag, revision: after.m && after.m.revision });
  await settled('after the refused write', sid, key, 4);

  note('a manifest changed behind the API\'s back');
  s0 = await proxy.stats();
  const foreign = api.s3Request('PUT', key, JSON.stringify({ sessionId: sid, revision: 1,
    chunks: [], note: 'written behind the API' }));
  ok(foreign.status === 200, 'someone PUTs another manifest.json straight to S3', foreign.status);
  await chunk(token, sid, 5);
  await settled('converged after a foreign write', sid, key, 5);
  d = delta(s0, await proxy.stats());
  ok(d.refused === 1 && d.ifMatch === 2,
    'the next write was refused (412), read back and written again If-Match the new ETag', d);

  note('a manifest deleted behind the API\'s back');
  s0 = await proxy.stats();
  const del = api.s3Request('DELETE', key);
  ok(del.status === 204, 'someone deletes manifest.json', del.status);
  await chunk(token, sid, 6);
  await settled('converged after a deletion', sid, key, 6);
  d = delta(s0, await proxy.stats());
  ok(d.refused === 1 && d.ifMatch === 1 && d.ifNoneMatch === 1,
    'the next write was refused, found nothing and created it (If-None-Match: *)', d);

  note('a write S3 took whose answer was lost');
  s0 = await proxy.stats();
  await proxy.lose(suffix);
  await chunk(token, sid, 7);
  await settled('after a lost answer', sid, key, 7);
  d = delta(s0, await proxy.stats());
  ok((await proxy.stats()).lost >= 1 && d.refused === 1 && d.ifMatch === 2,
    'the retry was refused, found revision 7 in S3 and recorded it without writing again', d);

  note('two conditional writes raced: S3 answers 409 ConditionalRequestConflict');
  const c2 = await api.call('POST', '/sessions', { token,
    body: { codec: 'webm/opus', sampleRate: 48000, chunkSeconds: 5 } });
  if (c2.status !== 201) throw new Error('cannot create a session: ' + c2.text);
  const sid2 = c2.json.sessionId;
  const key2 = `users/${user}/audio/sessions/${sid2}/manifest.json`;
  await chunk(token, sid2, 1);
  await settled('second session, first write', sid2, key2, 1);
  s0 = await proxy.stats();
  await proxy.conflict(`${sid2}/manifest.json`);
  await chunk(token, sid2, 2);
  await settled('after a 409', sid2, key2, 2);
  d = delta(s0, await proxy.stats());
  ok(d.conflicts === 1 && d.ifMatch === 2 && d.ifNoneMatch === 0 && d.plain === 0,
    'the write answered 409 was read back and written again If-Match, not unconditionally', d);

  // The poller shares this process's event loop with the checks above,
  // whose sqlite3 and curl calls block it (spawnSync): on a loaded machine
  // it may not have read the newest revision yet.  Let it.
  await waitFor('the poller to read revision 7', () => watch.max >= 7);
  watch.stop = true;
  await watch.done;
  ok(watch.down.length === 0 && watch.reads > 20 && watch.max === 7,
    `with the fence on a poller never saw the manifest go backwards (${watch.reads} reads, ` +
    `up to revision ${watch.max})`, watch.down);

  note('manifest_fence = off (SIGHUP)');
  fs.appendFileSync(env.API_CONF, '\nmanifest_fence = off\n');
  process.kill(Number(env.API_PID), 'SIGHUP');
  await sleep(1000);
  s0 = await proxy.stats();
  await chunk(token, sid, 8);
  await settled('fence off', sid, key, 8, false);
  d = delta(s0, await proxy.stats());
  ok(d.plain === 1 && d.ifMatch === 0 && d.ifNoneMatch === 0,
    'with manifest_fence = off the write carries no condition header', d);

  note('baseline: the same held write without the fence');
  await proxy.hold(suffix);
  await chunk(token, sid, 9);
  await settled('revision 9 by another deliverer', sid, key, 9, false);
  await chunk(token, sid, 10);
  await settled('revision 10', sid, key, 10, false);
  st = await proxy.stats();
  await proxy.release();
  await waitFor('the held write to be answered', async () =>
    (await proxy.stats()).heldAnswers.length === st.heldAnswers.length + 1);
  const back = manifest(key);
  const j = journalRow(sid);
  ok(back.m && back.m.revision === j.revision - 1 && back.m.chunks.length === 9,
    `without the fence the held write lands: S3 goes back to revision ${back.m && back.m.revision} ` +
    `(journal ${j.revision}), which the fence refused above`, back.m && back.m.revision);
  d = delta(s0, await proxy.stats());
  ok(d.ifMatch === 0 && d.ifNoneMatch === 0 && d.refused === 0,
    'and no write was conditional while the fence was off', d);
}

main(run);
