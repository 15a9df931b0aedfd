// web-test.js: the web app (web/) in a real headless Chromium (Debian's
// /usr/bin/chromium driven by puppeteer-core; no browser is downloaded)
// against the real local stack tests/integration/web-browser.sh starts: lighttpd
// serving the page, audio-api, s3rver, audio-bridge and the Riva stand-in
// playing tests/data/web.standin.  The microphone is Chromium's fake capture
// device playing a WAV made by espeak-ng.
//
//   node tests/integration/web-test.js [PHASE...]
//
// Phases (all by default, in this order): load, cognito, record, offline, reload,
// recordings, denied, expired, bridgedown, s3down (last: it stops s3rver).  Figures (word -> partial
// latency, chunk end -> complete 200, page weight) are printed as
// "# figure ..." lines.  Screenshots go to $WEB_TEST_OUT.
// TRANSCRIPT_MODE=standin (default) expects the script's words exactly;
// the PocketSphinx recognizer's variant hooks in at checkTranscript().
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const puppeteer = require('puppeteer-core');
const { ok, note, fail, sleep, mint, finish } = require('../lib/tap.js');

const env = process.env;
const PAGE = env.WEB_URL;
const ORIGIN = new URL(PAGE).origin;
const S3_ORIGIN = new URL(env.S3_ENDPOINT).origin;
const OUT = env.WEB_TEST_OUT;
const CHUNK_MS = Number(env.WEB_CHUNK_SECONDS || 5) * 1000;
const S3_DIR = path.join(env.RUN_DIR, 's3', env.S3_BUCKET);
const SCRIPT = path.join(__dirname, '..', 'data', 'web.standin');
const MODE = env.TRANSCRIPT_MODE || 'standin';
const DEFAULT_PHASES = ['load', 'cognito', 'record', 'offline', 'reload', 'recordings', 'denied', 'expired', 'bridgedown', 's3down'];
const phases = process.argv.slice(2);
const want = (p) => (phases.length === 0 ? DEFAULT_PHASES : phases).includes(p);

fs.mkdirSync(OUT, { recursive: true });

// --------------------------------------------------------------- helpers

// The stand-in's script: partial lines (bytes, text) and the finals' text.
function readScript() {
  const partials = [];
  const finals = [];
  for (const line of fs.readFileSync(SCRIPT, 'utf8').split('\n')) {
    const m = /^(\d+) (partial|final) [0-9.]+ (.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[2] === 'partial') partials.push({ bytes: Number(m[1]), text: m[3] });
    else finals.push(m[3]);
  }
  return { partials, finals };
}

function pct(list, p) {
  if (!list.length) return NaN;
  const s = [...list].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function objectFile(key) {
  const parts = key.split('/');
  const last = parts.pop();
  return path.join(S3_DIR, ...parts, `${last}._S3rver_object`);
}

function sessionObjects(sub, sid) {
  const dir = path.join(S3_DIR, 'users', sub, 'audio', 'sessions', sid, 'chunks');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('._S3rver_object')).sort();
}

function readManifest(sub, sid) {
  const f = objectFile(`users/${sub}/audio/sessions/${sid}/manifest.json`);
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
}

// Duration (s) of a media file as ffprobe decodes it (last packet's end),
// its codec, or null when ffprobe cannot read it.
function probe(file) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries',
    'stream=codec_name:packet=pts_time,duration_time', '-of', 'json', file], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const j = JSON.parse(r.stdout);
  const pk = (j.packets || []).filter((p) => p.pts_time !== undefined);
  if (!pk.length) return null;
  const last = pk[pk.length - 1];
  return { codec: j.streams && j.streams[0] && j.streams[0].codec_name,
    seconds: Number(last.pts_time) + Number(last.duration_time || 0), packets: pk.length };
}

async function api(method, p, token) {
  const r = await fetch(env.API_URL + p, { method, headers: { Authorization: `Bearer ${token}` } });
  let body = null;
  try { body = await r.json(); } catch { /* empty */ }
  return { status: r.status, body };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${MODE === 'standin' ? '' : MODE + '-'}${name}.png`), fullPage: true });
}

async function text(page, sel) {
  return page.$eval(sel, (e) => e.textContent).catch(() => null);
}

async function noticeText(page, key) {
  return text(page, `#notices li[data-key="${key}"]`);
}

async function waitFor(page, fn, arg, timeout, what) {
  try {
    await page.waitForFunction(fn, { timeout, polling: 100 }, arg);
    return true;
  } catch {
    note(`timed out (${timeout} ms) waiting for ${what}`);
    return false;
  }
}

// Every page gets: uncaught errors and console errors recorded, every
// request to another origin recorded, and (before any script of the page
// runs) an observer that stamps each change of the transcript with
// performance.now(), the page's own clock.
const uncaught = [];
const foreign = [];
const requests = [];
async function watch(page, label) {
  page.on('pageerror', (e) => uncaught.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Uncaught|Unhandled/i.test(m.text())) uncaught.push(`${label}: ${m.text()}`);
    if (env.WEB_TEST_VERBOSE) note(`console ${m.type()}: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    if (u.origin !== ORIGIN) foreign.push({ url: r.url(), type: r.resourceType(), method: r.method() });
    requests.push({ url: r.url(), method: r.method(), at: Date.now() });
  });
  page.on('requestfinished', (r) => {
    const resp = r.response();
    requests.push({ url: r.url(), method: r.method(), done: Date.now(), status: resp && resp.status() });
  });
  await page.evaluateOnNewDocument(() => {
    window.__seen = [];
    document.addEventListener('DOMContentLoaded', () => {
      const p = document.getElementById('partial');
      const f = document.getElementById('finals');
      if (!p || !f) return;   // not the recorder page (the Hosted UI)
      const mo = new MutationObserver(() => {
        window.__seen.push({ t: performance.now(), partial: p.textContent.trim(), finals: f.textContent });
      });
      mo.observe(p, { childList: true, characterData: true, subtree: true });
      mo.observe(f, { childList: true, characterData: true, subtree: true });
    });
  });
}

async function signIn(page, user) {
  await page.waitForSelector('#dev-user', { visible: true, timeout: 10000 });
  await page.type('#dev-user', user);
  await page.keyboard.press('Enter');   // keyboard only: the form submits
  await page.waitForSelector('#rec-start', { visible: true, timeout: 10000 });
}

// record(page, ms, during): press Start, run during() while recording,
// press Stop at ms; returns the session id.
async function record(page, ms, during) {
  await page.click('#rec-start');
  await waitFor(page, () => window.audioApp.rec, null, 10000, 'the recording to start');
  const sid = await page.evaluate(() => window.audioApp.rec && window.audioApp.rec.sid);
  const t0 = Date.now();
  if (during) await during(t0);
  const left = ms - (Date.now() - t0);
  if (left > 0) await sleep(left);
  await page.click('#rec-stop');
  return sid;
}

async function waitSaved(page, sid, timeout = 60000) {
  return waitFor(page, (s) => window.audioApp.finalized.some((f) => f.sid === s), sid, timeout,
    `session ${sid} to be finalized`);
}

// The checks every finished session must pass: each chunk object is a
// WebM (EBML header) ffprobe decodes, of about the chunk length (the last
// may be shorter); the final manifest lists them all, in order, seqs
// 1..N once each, with their sizes, and the timeline has no gap.
function checkSession(label, sub, sid, opts = {}) {
  const m = readManifest(sub, sid);
  if (!ok(m && m.final === true, `${label}: the manifest in S3 is final`, m)) return null;
  const chunks = m.chunks || [];
  const objs = sessionObjects(sub, sid);
  ok(chunks.length > 0 && objs.length === chunks.length,
    `${label}: ${chunks.length} chunks in the manifest, ${objs.length} chunk objects in S3 (no duplicate, none lost)`,
    { objs, chunks: chunks.map((c) => c.seq) });
  ok(chunks.every((c, i) => c.seq === i + 1), `${label}: manifest seqs are 1..N in order`, chunks.map((c) => c.seq));
  ok(chunks.every((c, i) => i === 0 ? c.tStartMs === 0 : c.tStartMs === chunks[i - 1].tEndMs),
    `${label}: chunks tile the timeline without gaps`, chunks.map((c) => [c.tStartMs, c.tEndMs]));
  let sizes = true, ebml = true, decodes = true, lengths = true;
  const bad = [];
  chunks.forEach((c, i) => {
    const f = objectFile(c.key);
    const st = fs.existsSync(f) ? fs.statSync(f) : null;
    if (!st || st.size !== c.bytes) { sizes = false; bad.push(`size ${c.seq}`); }
    if (!st) return;
    const head = Buffer.alloc(4);
    const fd = fs.openSync(f, 'r');
    fs.readSync(fd, head, 0, 4, 0);
    fs.closeSync(fd);
    if (head.toString('hex') !== '1a45dfa3') { ebml = false; bad.push(`ebml ${c.seq}`); }
    const p = probe(f);
    if (!p || p.codec !== 'opus') { decodes = false; bad.push(`probe ${c.seq}`); return; }
    const declared = (c.tEndMs - c.tStartMs) / 1000;
    const last = i === chunks.length - 1;
    if (!last && (Math.abs(declared - CHUNK_MS / 1000) > 0.5)) { lengths = false; bad.push(`declared ${c.seq}=${declared}`); }
    if (Math.abs(p.seconds - declared) > 0.5) { lengths = false; bad.push(`decoded ${c.seq}=${p.seconds} vs ${declared}`); }
  });
  ok(sizes, `${label}: every object's size is the manifest's bytes`, bad);
  // The page presigns each chunk with its SHA-256 and writeOnce; complete
  // recorded the checksum S3 checked and the object's ETag.
  ok(chunks.every((c) => /^[A-Za-z0-9+/]{43}=$/.test(c.sha256 || '') && /^"[0-9a-f]{32}"$/.test(c.etag || '')),
    `${label}: every chunk in the manifest has its sha256 and ETag`, chunks.map((c) => [c.seq, c.sha256, c.etag]));
  ok(ebml, `${label}: every chunk starts with the EBML (WebM) header`, bad);
  ok(decodes, `${label}: ffprobe decodes every chunk as Opus`, bad);
  ok(lengths, `${label}: every chunk is about ${CHUNK_MS / 1000} s (declared and decoded; the last may be shorter)`, bad);
  if (opts.minChunks) ok(chunks.length >= opts.minChunks, `${label}: at least ${opts.minChunks} chunks`, chunks.length);
  return m;
}

// The transcript check.  With the stand-in the page must show exactly its
// script's finals.  With the PocketSphinx recognizer
// (TRANSCRIPT_MODE=pocketsphinx) it must show at least WEB_MIN_SHARE of
// the words espeak-ng spoke ($WEB_TEST_REF): each reference word counts
// once if it is among the words shown (a bag of words, since the fake
// microphone loops the file and the recording may start anywhere in it).
// Measured on the 2-core VM (2026-12-04, machine busy): 46-65% of the 26
// words of sentences 1-3 over six runs (the first utterance of a stream
// comes out worst: the recognizer's cepstral mean adapts over it), so 35%
// leaves room for a slower machine without passing a broken path (no
// audio, wrong rate or garbage gives a few words at most).
const MIN_SHARE = Number(env.WEB_MIN_SHARE || 0.35);
const words = (t) => t.toLowerCase().match(/[a-z']+/g) || [];
function checkTranscript(label, shown, script) {
  if (MODE === 'standin') {
    ok(shown.finals === script.finals.join(' ') && shown.partial === '',
      `${label}: the transcript shows the stand-in's scripted words exactly (finals black, no partial left)`, shown);
    return;
  }
  if (MODE === 'pocketsphinx') {
    const ref = words(fs.readFileSync(env.WEB_TEST_REF, 'utf8'));
    const bag = new Map();
    for (const w of words(shown.finals)) bag.set(w, (bag.get(w) || 0) + 1);
    let hit = 0;
    for (const w of ref) {
      if (bag.get(w) > 0) {
        hit++;
        bag.set(w, bag.get(w) - 1);
      }
    }
    const share = hit / ref.length;
    figures.recognizerShare = share;
    note(`figure PocketSphinx through the page: ${hit} of ${ref.length} spoken words shown (${(100 * share).toFixed(0)}%): "${shown.finals}"`);
    ok(share >= MIN_SHARE, `${label}: the transcript shows at least ${MIN_SHARE * 100}% of the spoken words (PocketSphinx)`, shown.finals);
    return;
  }
  ok(false, `${label}: TRANSCRIPT_MODE=${MODE} is not known (standin, pocketsphinx)`);
}

// --------------------------------------------------------------- phases

const figures = {};

async function phaseLoad(ctx) {
  const page = await ctx.browser.newPage();
  await watch(page, 'load');
  const served = [];
  page.on('response', async (r) => {
    const u = new URL(r.url());
    if (u.origin !== ORIGIN || /^\/(api|asr|dev)\//.test(u.pathname)) return;
    try {
      served.push({ path: u.pathname, bytes: (await r.buffer()).length });
    } catch { /* redirects have no body */ }
  });
  await page.setViewport({ width: 390, height: 800 });   // a phone
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  ok(await page.$eval('#view-signin', (e) => !e.hidden), 'load: the sign-in view shows');
  ok(await page.$eval('label[for="dev-user"]', (e) => e.textContent.trim() === 'User name'), 'load: the user name field has a label');
  await shot(page, '01-signin-phone');
  // A bad user name: the dev sign-in says why.
  await page.type('#dev-user', 'no spaces allowed');
  await page.$eval('#dev-user', (e) => e.removeAttribute('pattern'));
  await page.keyboard.press('Enter');
  await waitFor(page, () => document.querySelector('#notices li[data-key="auth"]'), null, 5000, 'the sign-in error');
  ok(/user names are/.test(await noticeText(page, 'auth') || ''), 'load: a refused user name is explained', await noticeText(page, 'auth'));
  await page.$eval('#dev-user', (e) => { e.value = ''; });
  await signIn(page, ctx.user);
  ok(/Signed in as/.test(await text(page, '#who-name')), 'load: signed in, the name shows', await text(page, '#who-name'));
  // The worklet module loads with the first recording; count it too.
  await page.evaluate(() => fetch('js/pcm-worklet.js').then((r) => r.text()));
  await sleep(300);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  ok(width <= 390, 'load: nothing overflows a 390 px wide screen', width);
  await shot(page, '02-signed-in-phone');
  const bytes = served.reduce((a, s) => a + s.bytes, 0);
  figures.pageWeight = { files: served.length, bytes };
  note(`figure page weight: ${served.length} files, ${bytes} bytes (${served.map((s) => s.path).join(' ')})`);
  ok(served.length >= 10 && bytes < 200 * 1024, 'load: the whole page is under 200 KB', figures.pageWeight);
  ok(foreign.length === 0, 'load: nothing loads from another origin', foreign);
  await page.close();
}

// Word end -> its partial on screen: the stand-in "hears" the word when
// its byte count reaches B; sample B/2 of the stream was captured when the
// page got the frame holding it, less the samples after it.  Also the
// upload figure.
function latencyFigures(st, script) {
  const lat = [];
  for (const p of script.partials) {
    const s = p.bytes / 2;
    const f = st.sent.find((x) => x.stream === st.stream && x.start < s && s <= x.end);
    const seen = st.seen.find((x) => x.partial === p.text);
    if (!f || !seen) continue;
    lat.push(seen.t - (f.t - (f.end - s) / 16));
  }
  ok(lat.length === script.partials.length, `record: every scripted partial appeared on the page (${lat.length}/${script.partials.length})`);
  figures.partial = { n: lat.length, p50: pct(lat, 50), p99: pct(lat, 99) };
  note(`figure word end -> partial on screen (stand-in): n=${lat.length} p50=${figures.partial.p50.toFixed(1)} ms p99=${figures.partial.p99.toFixed(1)} ms`);
  figures.upload = { n: st.times.length, p50: pct(st.times, 50), p99: pct(st.times, 99) };
  note(`figure chunk end -> complete 200: n=${st.times.length} p50=${figures.upload.p50.toFixed(1)} ms p99=${figures.upload.p99.toFixed(1)} ms`);
  ok(lat.every((x) => x > 0 && x < 2000), 'record: every partial within 2 s of its word', lat.map(Math.round));

}

// Sign-in with the Hosted UI (tests/tools/cognito-standin.js, which checks the
// PKCE verifier against the challenge as Cognito does): the page is given
// a Cognito config.json, goes to /oauth2/authorize, comes back with a code,
// exchanges it, uses the token, renews it before it expires (8 s tokens),
// signs out; an answer meant for another tab (state) is refused.
async function phaseCognito(ctx) {
  const bc = await ctx.browser.createBrowserContext();
  const page = await bc.newPage();
  await watch(page, 'cognito');
  const cfg = { apiPath: '/api/audio', bridgePath: '/asr', chunkSeconds: CHUNK_MS / 1000,
    auth: { mode: 'cognito', domain: env.COGNITO_URL, clientId: env.JWT_CLIENT_ID, scope: 'openid email' } };
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/config.json' && r.url().startsWith(ORIGIN)) {
      return r.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(cfg) });
    }
    return r.continue();
  });
  const stats = async () => (await fetch(`${env.COGNITO_URL}/_standin/stats`)).json();
  // A forged redirect (no sign-in started in this tab) is refused.
  await page.goto(`${PAGE}?code=forged&state=forged`, { waitUntil: 'networkidle0' });
  await waitFor(page, () => document.querySelector('#notices li[data-key="auth"]'), null, 5000, 'the forged-state message');
  ok(/does not match this tab/.test(await noticeText(page, 'auth') || ''), 'cognito: a redirect this tab did not start is refused', await noticeText(page, 'auth'));
  ok(!page.url().includes('code='), 'cognito: the code is taken out of the address bar', page.url());
  await page.waitForSelector('#cognito-button', { visible: true });
  await Promise.all([page.waitForNavigation(), page.click('#cognito-button')]);
  ok(page.url().startsWith(`${env.COGNITO_URL}/oauth2/authorize`), 'cognito: Sign in goes to the Hosted UI', page.url());
  const au = new URL(page.url());
  ok(au.searchParams.get('code_challenge_method') === 'S256' && au.searchParams.get('redirect_uri') === PAGE,
    'cognito: authorization code request with PKCE (S256) back to the page', page.url());
  await page.type('#username', ctx.user);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await waitFor(page, () => /Signed in as/.test(document.getElementById('who-name').textContent), null, 10000, 'the sign-in');
  ok((await text(page, '#who-name')) === `Signed in as ${ctx.user}@example.com`, 'cognito: signed in with the Hosted UI (code exchanged with the verifier)', await text(page, '#who-name'));
  ok(!page.url().includes('code='), 'cognito: no code left in the address bar', page.url());
  const s0 = await page.evaluate(() => JSON.parse(sessionStorage.getItem('audio-auth')));
  ok(s0 && s0.refreshToken && s0.idToken, 'cognito: ID and refresh tokens kept in sessionStorage');
  const st0 = await stats();
  await sleep(9000);   // the 8 s token is renewed about 2 s before it ends
  const st1 = await stats();
  const s1 = await page.evaluate(() => JSON.parse(sessionStorage.getItem('audio-auth')));
  ok(st1.refreshes > st0.refreshes && s1.idToken !== s0.idToken && s1.expiresAt > s0.expiresAt,
    'cognito: the token was renewed with the refresh token before it expired', { st0, st1 });
  await page.click('#nav-recordings');
  await waitFor(page, () => !document.getElementById('list-empty').hidden || document.querySelector('#list-body tr'), null, 10000, 'the list');
  ok(!(await noticeText(page, 'recordings')) && !(await noticeText(page, 'auth')), 'cognito: the renewed token works with the API');
  await shot(page, '03-cognito-signed-in');
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#sign-out')]);
  ok(page.url() === PAGE && await page.$eval('#view-signin', (e) => !e.hidden), 'cognito: sign out goes through /logout and back to the sign-in view', page.url());
  ok(await page.evaluate(() => sessionStorage.getItem('audio-auth') === null), 'cognito: sign out forgets the tokens');
  ok((await stats()).refused === 0, 'cognito: the stand-in refused nothing the page sent');
  await bc.close();
}

async function phaseRecord(ctx) {
  const page = await ctx.browser.newPage();
  await watch(page, 'record');
  await page.setViewport({ width: 1000, height: 900 });
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  await signIn(page, ctx.user);
  const script = readScript();
  const stream0 = await page.evaluate(() => window.audioApp.live.stream);
  const sid = await record(page, 15500, async () => {
    await sleep(7000);
    await shot(page, '03-recording');
  });
  ctx.sessions.push(sid);
  ok(await waitSaved(page, sid), 'record: the session is finalized');
  // The recognizer's last finals may come after the storage path is done.
  await waitFor(page, () => !document.getElementById('rec-start').disabled, null, 15000, 'the live transcript to stop');
  await shot(page, '04-saved');
  const shown = await page.evaluate(() => ({
    finals: document.getElementById('finals').textContent,
    partial: document.getElementById('partial').textContent.trim(),
    partialColor: getComputedStyle(document.getElementById('partial')).color,
    finalColor: getComputedStyle(document.getElementById('finals')).color,
  }));
  checkTranscript('record', shown, script);
  ok(shown.finalColor === 'rgb(0, 0, 0)' && shown.partialColor !== shown.finalColor,
    'record: finals are black, partials grey', shown);
  const st = await page.evaluate((s0) => ({
    streams: window.audioApp.live.stream - s0,
    stream: window.audioApp.live.stream,
    sent: window.audioApp.live.sent,
    seen: window.__seen,
    times: window.audioApp.uploader.times,
    jobs: window.audioApp.uploader.list().map((j) => ({ seq: j.chunk.seq, state: j.state, sid: j.chunk.sessionId })),
  }), stream0);
  ok(st.streams === 1, 'record: one bridge session, no reconnect', st.streams);
  ok(st.jobs.filter((j) => j.sid === sid).every((j) => j.state === 'done'), 'record: every chunk shows "uploaded"', st.jobs);

  if (MODE === 'standin') latencyFigures(st, script);
  else ok(st.seen.some((x) => x.partial !== ''), 'record: partials appeared while speaking', st.seen.length);
  // finalize came after the last complete answered.
  const mine = requests.filter((r) => r.url.includes(sid));
  const completes = mine.filter((r) => /\/chunks\/complete$/.test(r.url) && r.done && r.status === 200);
  const fin = mine.find((r) => /\/finalize$/.test(r.url) && r.at);
  ok(fin && completes.length > 0 && completes.every((c) => c.done <= fin.at),
    `record: finalize was sent after the last of ${completes.length} completes answered 200`);
  const m = checkSession('record', ctx.user, sid, { minChunks: 3 });
  if (m) {
    ok(m.chunks.length === completes.length, 'record: one complete per chunk (no duplicate upload)', completes.length);
  }
  await page.close();
}

async function phaseOffline(ctx) {
  const page = await ctx.browser.newPage();
  await watch(page, 'offline');
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  await signIn(page, ctx.user);
  const stream0 = await page.evaluate(() => window.audioApp.live.stream);
  let during = {};
  const sid = await record(page, 21000, async (t0) => {
    await sleep(4000);
    await page.setOfflineMode(true);
    await sleep(6000);
    during = {
      live: await noticeText(page, 'live'),
      storage: await noticeText(page, 'storage'),
      badge: await text(page, '#live-state'),
      waiting: await page.evaluate(() => window.audioApp.uploader.pending()),
    };
    await shot(page, '05-offline');
    await sleep(Math.max(0, 14000 - (Date.now() - t0)));
    await page.setOfflineMode(false);
    await waitFor(page, () => window.audioApp.live.status === 'live', null, 15000, 'the bridge to reconnect');
    during.back = await noticeText(page, 'live');
  });
  ctx.sessions.push(sid);
  ok(/offline/i.test(during.live || ''), 'offline: the page says the live transcript is paused by the network', during);
  ok(/offline/i.test(during.storage || '') && during.waiting >= 1, 'offline: the page says chunks wait in the browser', during);
  const after = await page.evaluate((s0) => ({ streams: window.audioApp.live.stream - s0 }), stream0);
  ok(after.streams >= 2, 'offline: the WebSocket reconnected (a second bridge session)', after);
  ok(/reconnected after \d+ s/.test(during.back || ''), 'offline: the page says the live transcript reconnected', during.back);
  ok(await waitSaved(page, sid), 'offline: the session is finalized after the network came back');
  const jobs = await page.evaluate((s) => window.audioApp.uploader.list(s).map((j) => j.state), sid);
  ok(jobs.length >= 4 && jobs.every((s) => s === 'done'), 'offline: every chunk uploaded', jobs);
  checkSession('offline', ctx.user, sid, { minChunks: 4 });
  await shot(page, '06-back-online');
  await page.close();
}

async function phaseReload(ctx) {
  const page = await ctx.browser.newPage();
  await watch(page, 'reload');
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  await signIn(page, ctx.user);
  // Hold every PUT to S3: the chunk is "being uploaded" when the page goes.
  await page.setRequestInterception(true);
  let held = 0;
  const onReq = (r) => {
    if (r.url().startsWith(S3_ORIGIN) && r.method() === 'PUT') {
      held++;
      return;   // never answered: in flight until the reload cancels it
    }
    r.continue();
  };
  page.on('request', onReq);
  const sid = await page.evaluate(() => 0) || null;
  await page.click('#rec-start');
  await waitFor(page, () => window.audioApp.rec, null, 10000, 'the recording to start');
  const sess = await page.evaluate(() => window.audioApp.rec.sid);
  ctx.sessions.push(sess);
  await sleep(CHUNK_MS + 2500);
  ok(held >= 1, 'reload: a chunk PUT is in flight', held);
  await shot(page, '07-before-reload');
  page.off('request', onReq);
  await page.setRequestInterception(false);
  await page.reload({ waitUntil: 'networkidle0' });
  await waitFor(page, () => document.querySelector('#notices li[data-key="resume"]'), null, 10000, 'the resume notice');
  const msg = await noticeText(page, 'resume');
  ok(/Finishing an earlier recording/.test(msg || ''), 'reload: the next visit says it finishes the earlier recording', msg);
  ok(await waitSaved(page, sess), 'reload: the next visit completed and finalized the session');
  await shot(page, '08-after-reload');
  const m = checkSession('reload', ctx.user, sess);
  if (m) {
    ok(m.chunks.length === 2, 'reload: the held chunk and the interrupted one are both there', m.chunks.map((c) => [c.seq, c.tStartMs, c.tEndMs]));
  }
  void sid;
  await page.close();
}

async function phaseRecordings(ctx) {
  const page = await ctx.browser.newPage();
  await watch(page, 'recordings');
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  await signIn(page, ctx.user);
  await page.click('#nav-recordings');
  const sid = ctx.sessions[0];
  const listed = await waitFor(page, (s) => document.querySelector(`#list-body tr[data-session="${s}"]`), sid, 10000, 'the list');
  ok(listed, 'recordings: the list shows the recorded session');
  const order = await page.$$eval('#list-body tr', (rs) => rs.map((r) => r.dataset.session));
  const expect = [...ctx.sessions].reverse();
  ok(JSON.stringify(order.filter((s) => expect.includes(s))) === JSON.stringify(expect), 'recordings: newest first', { order, expect });
  await shot(page, '09-list');
  if (!listed) { await page.close(); return; }
  await page.focus(`#list-body tr[data-session="${sid}"] button`);
  await page.keyboard.press('Enter');   // keyboard operable
  await waitFor(page, () => !document.getElementById('detail').hidden, null, 10000, 'the recording to open');
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id === 'detail-h'),
    'recordings: opened from the keyboard, the focus moves to the recording');
  const facts = await text(page, '#detail-facts');
  ok(facts && facts.includes(sid) && /Chunks/.test(facts), 'recordings: the manifest facts show', facts);
  const chunks = await page.$$eval('#detail-chunks li', (l) => l.length);
  const gets = new Set();
  page.on('request', (r) => {
    if (r.url().startsWith(S3_ORIGIN) && r.method() === 'GET') gets.add(new URL(r.url()).pathname);
  });
  await page.$eval('#player', (a) => { a.defaultPlaybackRate = 16; a.playbackRate = 16; a.muted = true; });
  await page.click('#play');
  await page.$eval('#player', (a) => a.addEventListener('loadedmetadata', () => { a.playbackRate = 16; }));
  const played = await waitFor(page, (n) => /Played all/.test(document.getElementById('play-state').textContent), chunks, 30000, 'playback');
  ok(played && chunks >= 3, `recordings: all ${chunks} chunks played in order`, await text(page, '#play-state'));
  ok(gets.size >= chunks, `recordings: playback requested every chunk (${gets.size} GETs for ${chunks} chunks)`, [...gets]);
  await shot(page, '10-detail');
  page.once('dialog', (d) => d.accept());
  await page.click('#delete');
  const gone = await waitFor(page, () => /Recording deleted/.test((document.querySelector('#notices li[data-key="recordings"]') || {}).textContent || ''), null, 60000, 'the delete');
  ok(gone, 'recordings: delete (confirmed) says the recording is deleted');
  const token = mint(ctx.user);
  const r = await api('GET', `/sessions/${sid}`, token);
  ok(r.status === 404, 'recordings: the API answers 404 for the deleted session', r);
  ok(sessionObjects(ctx.user, sid).length === 0, 'recordings: its chunk objects are gone from S3');
  ok(!(await page.$(`#list-body tr[data-session="${sid}"]`)), 'recordings: the list no longer shows it');
  await page.close();
}

async function phaseDenied(ctx) {
  const denying = await launch('deny');
  try {
    const page = await denying.newPage();
    await watch(page, 'denied');
    await page.goto(PAGE, { waitUntil: 'networkidle0' });
    await signIn(page, ctx.user);
    await page.focus('#rec-start');
    await page.keyboard.press('Enter');   // keyboard operable
    await waitFor(page, () => document.querySelector('#notices li[data-key="mic"]'), null, 10000, 'the mic message');
    const msg = await noticeText(page, 'mic');
    ok(/denied/i.test(msg || '') && /Allow the microphone/.test(msg || ''), 'denied: a clear message says the mic was denied and what to do', msg);
    ok(await page.$eval('#rec-start', (b) => !b.disabled), 'denied: Start can be pressed again');
    ok(await page.evaluate(() => !window.audioApp.rec), 'denied: no session was started');
    await shot(page, '11-mic-denied');
  } finally {
    await denying.close();
  }
}

async function phaseExpired(ctx) {
  const bc = await ctx.browser.createBrowserContext();
  const page = await bc.newPage();
  await watch(page, 'expired');
  await page.setRequestInterception(true);
  let n = 0;
  page.on('request', (r) => {
    if (!r.url().endsWith('/dev/token')) return r.continue();
    if (n++ === 0) {
      // The first sign-in gets a token that lives 4 s ...
      return r.continue({ postData: JSON.stringify({ user: ctx.user, ttl: 4 }) });
    }
    // ... and renewing it fails, as a revoked Cognito refresh token does.
    return r.respond({ status: 401, contentType: 'application/json', body: '{"error":"refresh token revoked"}' });
  });
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  await signIn(page, ctx.user);
  await sleep(5000);
  await page.click('#nav-recordings').catch(() => {});
  await waitFor(page, () => /expired/.test((document.querySelector('#notices li[data-key="auth"]') || {}).textContent || ''),
    null, 10000, 'the expired message');
  const msg = await noticeText(page, 'auth');
  ok(/sign-in has expired/i.test(msg || '') && /Sign in again/.test(msg || ''), 'expired: a clear message says the sign-in expired', msg);
  ok(await page.$eval('#view-signin', (e) => !e.hidden), 'expired: the sign-in form is offered again');
  // The API refuses the expired token (the page does not just guess).
  const tok = await page.evaluate(() => JSON.parse(sessionStorage.getItem('audio-auth')).idToken);
  const r = await api('GET', '/healthz', tok);
  const r2 = await fetch(`${env.API_URL}/sessions`, {
    method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: '{}',
  });
  ok(r.status === 200 && r2.status === 401, 'expired: the API answers 401 to that token', r2.status);
  await shot(page, '12-expired');
  await bc.close();
}

async function phaseBridgeDown(ctx) {
  const pidf = path.join(env.RUN_DIR, 'audio-bridge.pid');
  const pid = Number(fs.readFileSync(pidf, 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50; i++) {
    try { process.kill(pid, 0); } catch { break; }
    await sleep(100);
  }
  const page = await ctx.browser.newPage();
  await watch(page, 'bridgedown');
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  await signIn(page, ctx.user);
  let msg = null;
  const sid = await record(page, 6000, async () => {
    await waitFor(page, () => /bridge/.test((document.querySelector('#notices li[data-key="live"]') || {}).textContent || ''),
      null, 5000, 'the bridge message');
    msg = await noticeText(page, 'live');
    await shot(page, '13-bridge-down');
  });
  ok(/cannot reach the live transcription service/.test(msg || '') && /recording continues/.test(msg || ''),
    'bridge down: a clear message, and the recording goes on', msg);
  ok(await waitSaved(page, sid), 'bridge down: the recording is still saved');
  ctx.sessions.push(sid);
  await page.close();
}

// S3 down (s3rver stopped; the API still answers): the chunk PUTs fail,
// the page says the audio storage is unreachable and keeps the chunks.
async function phaseS3Down(ctx) {
  const pid = Number(fs.readFileSync(path.join(env.RUN_DIR, 's3rver.pid'), 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50; i++) {
    try { process.kill(pid, 0); } catch { break; }
    await sleep(100);
  }
  const page = await ctx.browser.newPage();
  await watch(page, 's3down');
  await page.goto(PAGE, { waitUntil: 'networkidle0' });
  await signIn(page, ctx.user);
  let msg = null;
  await record(page, 6000, async () => {
    await waitFor(page, () => /\(S3\)/.test((document.querySelector('#notices li[data-key="storage"]') || {}).textContent || ''),
      null, 15000, 'the S3 message');
    msg = await noticeText(page, 'storage');
  });
  ok(/audio storage \(S3\) is not reachable/.test(msg || '') && /wait in this browser/.test(msg || ''),
    'S3 down: a clear message, and the chunks wait in the browser', msg);
  await sleep(1500);
  const jobs = await page.evaluate(() => window.audioApp.uploader.list().map((j) => j.state));
  ok(jobs.length >= 1 && jobs.every((j) => j === 'retry' || j === 'uploading' || j === 'waiting'),
    'S3 down: every chunk is kept for a retry, none given up', jobs);
  const stored = await page.evaluate(async () => {
    const sid = window.audioApp.uploader.list()[0].chunk.sessionId;
    return (await (await import('./js/store.js')).store.chunks(sid)).length;
  });
  ok(stored === jobs.length, 'S3 down: the waiting chunks are in IndexedDB', { stored, jobs: jobs.length });
  await shot(page, '14-s3-down');
  await page.close();
}

// --------------------------------------------------------------- main

// A headless Chromium with the fake microphone; fakeUi "deny" answers
// every microphone prompt with a refusal (the user said no).
function launch(fakeUi = '') {
  const args = [`--use-fake-ui-for-media-stream${fakeUi ? '=' + fakeUi : ''}`,
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${env.WEB_TEST_WAV}`, '--autoplay-policy=no-user-gesture-required',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows', '--mute-audio',
    // Containers (CI) often have a tiny /dev/shm; Chromium then crashes.
    '--disable-dev-shm-usage'];
  // Chromium's sandbox needs user namespaces it cannot have as root (CI).
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  return puppeteer.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
    userDataDir: path.join(env.RUN_DIR, `chromium-profile${fakeUi ? '-' + fakeUi : ''}`),
  });
}

(async () => {
  const browser = await launch();
  note(`browser ${await browser.version()}`);
  const ctx = { browser, user: `web-${Date.now().toString(36)}`, sessions: [] };
  const run = async (name, fn) => {
    if (!want(name)) return;
    const t = Date.now();
    try {
      await fn(ctx);
    } catch (e) {
      fail(e);
    }
    note(`phase ${name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
  try {
    await run('load', phaseLoad);
    await run('cognito', phaseCognito);
    await run('record', phaseRecord);
    await run('offline', phaseOffline);
    await run('reload', phaseReload);
    await run('recordings', phaseRecordings);
    await run('denied', phaseDenied);
    await run('expired', phaseExpired);
    await run('bridgedown', phaseBridgeDown);
    await run('s3down', phaseS3Down);
    ok(uncaught.length === 0, 'no uncaught error in any page console', uncaught);
  } catch (e) {
    fail(e);
  } finally {
    await browser.close();
  }
  fs.writeFileSync(path.join(OUT, `figures-${MODE}.json`), JSON.stringify(figures, null, 2));
  note(`screenshots and figures in ${OUT}`);
  finish();
})();
