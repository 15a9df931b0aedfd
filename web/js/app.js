// app.js: the page.  Boots from config.json, signs in (auth.js), and wires
// the two paths one getUserMedia stream feeds: the storage path
// (recorder.js -> store.js -> uploader.js: chunks to S3 through the API)
// and the real-time path (live.js: PCM to the bridge, transcripts back);
// then the recordings view (recordings.js).  On sign-in it finishes the
// sessions an earlier visit left unfinished (chunks still in IndexedDB,
// compared with the session's "missing" list) and finalizes a session only
// once its queue is empty.

import { loadConfig } from './config.js';
import { Auth, AuthError } from './auth.js';
import { Api } from './api.js';
import { store } from './store.js';
import { Uploader } from './uploader.js';
import { ChunkRecorder, pickType } from './recorder.js';
import { Live } from './live.js';
import { Recordings } from './recordings.js';
import { $, el, notice, fmtBytes, fmtMs, backoff, sleep } from './ui.js';

const CODECS = { webm: 'webm/opus', ogg: 'ogg/opus', mp4: 'mp4/aac' };

const app = window.audioApp = {};

function show(view) {
  for (const v of ['signin', 'record', 'recordings']) $(`view-${v}`).hidden = v !== view && !(v === 'signin' && view === 'both');
  if (view === 'both') $('view-record').hidden = false;
  $('nav-record').setAttribute('aria-current', view === 'record' ? 'page' : 'false');
  $('nav-recordings').setAttribute('aria-current', view === 'recordings' ? 'page' : 'false');
}

async function boot() {
  let cfg;
  try {
    cfg = app.cfg = await loadConfig();
  } catch (e) {
    notice('config', `The page cannot start: ${e.message}`, 'error');
    return;
  }
  const auth = app.auth = new Auth(cfg);
  const api = app.api = new Api(cfg, auth);
  const up = app.uploader = new Uploader(api, auth);
  const live = app.live = new Live(cfg, auth);
  app.recordings = new Recordings(api);
  app.finalized = [];

  $('dev-signin').hidden = cfg.auth.mode !== 'dev';
  $('cognito-signin').hidden = cfg.auth.mode === 'dev';
  $('dev-signin').addEventListener('submit', async (e) => {
    e.preventDefault();
    const user = $('dev-user').value.trim();
    try {
      notice('auth', null);
      await auth.signInDev(user);
    } catch (err) {
      notice('auth', err.message, 'error');
    }
  });
  $('cognito-button').addEventListener('click', () =>
    auth.signInCognito().catch((err) => notice('auth', err.message, 'error')));
  $('sign-out').addEventListener('click', () => {
    if (app.rec) stopRecording();
    auth.signOut();
  });
  $('nav-record').addEventListener('click', () => show('record'));
  $('nav-recordings').addEventListener('click', () => {
    show('recordings');
    app.recordings.load();
  });
  $('rec-start').addEventListener('click', startRecording);
  $('rec-stop').addEventListener('click', stopRecording);

  auth.addEventListener('change', () => authChanged());
  up.addEventListener('change', renderChunks);
  up.addEventListener('drained', (e) => maybeFinalize(e.detail));
  live.addEventListener('transcript', renderTranscript);
  live.addEventListener('status', renderLive);

  try {
    await auth.init();
  } catch (e) {
    notice('auth', e.message, 'error');
  }
  authChanged();
}

let resumed = false;

function authChanged() {
  const a = app.auth;
  $('who').hidden = a.state === 'signed-out';
  $('who-name').textContent = a.user ? `Signed in as ${a.user}` : '';
  $('nav').hidden = a.state !== 'signed-in';
  if (a.state === 'signed-in') {
    notice('auth', null);
    if ($('view-record').hidden && $('view-recordings').hidden) show('record');
    else $('view-signin').hidden = true;
    if (!resumed) {
      resumed = true;
      resume().catch((e) => notice('resume', `Could not finish an earlier recording: ${e.message}`, 'error'));
    }
  } else if (a.state === 'expired') {
    notice('auth', 'Your sign-in has expired. Sign in again to continue; audio recorded meanwhile is kept in this browser and uploads after you sign in.', 'error');
    show(app.rec || !$('view-record').hidden ? 'both' : 'signin');
    if (a.user) $('dev-user').value = a.user;
  } else {
    show('signin');
  }
}

// ---------------------------------------------------------------- record

async function startRecording() {
  const cfg = app.cfg;
  $('rec-start').disabled = true;
  notice('mic', null);
  const t = pickType();
  if (!t) {
    notice('mic', 'This browser cannot record audio (no MediaRecorder for WebM, Ogg or MP4).', 'error');
    $('rec-start').disabled = false;
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  } catch (e) {
    const msg = {
      NotAllowedError: 'Microphone access was denied. Allow the microphone for this site (the icon in the address bar, or the browser\'s site settings), then press Start recording again.',
      NotFoundError: 'No microphone was found. Connect one and press Start recording again.',
      NotReadableError: 'The microphone could not be started: another program may be using it.',
    }[e.name] || `The microphone could not be opened: ${e.message}`;
    notice('mic', msg, 'error');
    $('rec-state').textContent = 'Not recording: no microphone.';
    $('rec-start').disabled = false;
    return;
  }
  let s;
  try {
    s = await app.api.post('/sessions', {
      codec: CODECS[t.ext], sampleRate: 48000, chunkSeconds: cfg.chunkMs / 1000,
      deviceInfo: { userAgent: navigator.userAgent.slice(0, 200) },
    });
  } catch (e) {
    stream.getTracks().forEach((tr) => tr.stop());
    notice('storage', `Cannot start a recording: ${e.message}`, 'error');
    $('rec-start').disabled = false;
    return;
  }
  notice('storage', null);
  const sid = s.sessionId;
  const sess = { sessionId: sid, sub: app.auth.sub, state: 'recording', startedAt: Date.now(), type: t.type, ext: t.ext };
  await store.putSession(sess);

  const ctx = new AudioContext();
  const source = ctx.createMediaStreamSource(stream);
  app.live.reset();
  try {
    await app.live.attach(ctx, source);
    app.live.start();
  } catch (e) {
    notice('live', `Live transcript unavailable in this browser: ${e.message}`, 'warn');
  }
  const rec = new ChunkRecorder(stream, {
    chunkMs: cfg.chunkMs, type: t.type,
    onChunk: async (c) => {
      const chunk = { ...c, sessionId: sid, contentType: t.type, ext: t.ext };
      await store.putChunk(chunk);
      app.uploader.add(chunk);
    },
    onPiece: (seg, now) => {
      store.putPartial({ sessionId: sid, seq: seg.seq, tStartMs: seg.tStartMs, tEndMs: now,
        pieces: seg.pieces.slice(), contentType: t.type, ext: t.ext }).catch(() => {});
    },
  });
  const cur = app.rec = { sid, sess, stream, ctx, rec };
  // Held while this tab records: another tab's resume leaves it alone.
  if (navigator.locks) {
    navigator.locks.request(`audio-rec-${sid}`, () => new Promise((release) => {
      cur.release = release;
      if (cur.stopped) release();
    }));
  }
  rec.start();
  $('rec-stop').disabled = false;
  $('rec-state').textContent = `Recording (session ${sid}).`;
  app.tick = setInterval(() => {
    $('rec-timer').textContent = fmtMs(rec.elapsed());
    $('rec-level').value = Math.min(1, app.live.level * 4);
  }, 200);
}

async function stopRecording() {
  const r = app.rec;
  if (!r) return;
  app.rec = null;
  $('rec-stop').disabled = true;
  clearInterval(app.tick);
  const durationMs = await r.rec.stop();
  r.stream.getTracks().forEach((tr) => tr.stop());
  $('rec-level').value = 0;
  r.sess.state = 'stopped';
  r.sess.durationMs = durationMs;
  await store.putSession(r.sess);
  r.stopped = true;
  if (r.release) r.release();
  $('rec-state').textContent = `Stopped after ${fmtMs(durationMs)}; uploading.`;
  // The storage path does not wait for the recognizer's last words.
  maybeFinalize(r.sid);
  await app.live.stop();
  app.live.detach();
  r.ctx.close();
  $('rec-start').disabled = false;
}

// finalize only when the session is stopped and none of its chunks waits.
const finalizing = new Set();
async function maybeFinalize(sid) {
  if (finalizing.has(sid) || (app.rec && app.rec.sid === sid)) return;
  const s = await store.getSession(sid);
  if (!s || s.state !== 'stopped' || app.uploader.pending(sid) > 0) return;
  const failed = app.uploader.list(sid).filter((j) => j.state === 'failed');
  if (failed.length) {
    notice('storage', `Recording not finished: chunk ${failed.map((j) => j.chunk.seq).join(', ')} could not be uploaded (${failed[0].error.message}).`, 'error');
    return;
  }
  finalizing.add(sid);
  try {
    for (let i = 0; ; i++) {
      try {
        const r = await app.api.post(`/sessions/${encodeURIComponent(sid)}/finalize`, { durationMs: s.durationMs, final: true });
        await store.deleteSession(sid);
        app.finalized.push({ sid, at: performance.now(), answer: r });
        notice('storage', null);
        notice('saved', `Saved: recording of ${fmtMs(s.durationMs)}, ${r.chunkCount} chunks, ${fmtBytes(r.totalBytes || 0)}.`);
        if (!app.rec) $('rec-state').textContent = `Saved (session ${sid}).`;
        return;
      } catch (e) {
        if (!e.retryable) {
          notice('storage', `Could not finish the recording: ${e.message}`, 'error');
          return;
        }
        notice('storage', `Finishing the recording: ${e.message}; retrying.`, 'warn');
        await sleep(backoff(i, 1000, 15000));
      }
    }
  } finally {
    finalizing.delete(sid);
  }
}

// Sessions an earlier visit left behind: turn the pieces of an interrupted
// chunk into a chunk, skip what the server has, upload the rest, finalize.
async function resume() {
  const mine = (await store.sessions()).filter((s) => s.sub === app.auth.sub);
  for (const s of mine) {
    if (s.state === 'recording' && navigator.locks) {
      const held = await navigator.locks.query();
      if (held.held.some((l) => l.name === `audio-rec-${s.sessionId}`)) continue;  // another tab records it
    }
    if (s.state === 'recording') {
      for (const p of await store.partials(s.sessionId)) {
        const blob = new Blob(p.pieces, { type: p.contentType });
        if (blob.size > 0 && p.tEndMs > p.tStartMs) {
          await store.putChunk({ sessionId: p.sessionId, seq: p.seq, tStartMs: p.tStartMs, tEndMs: p.tEndMs,
            blob, contentType: p.contentType, ext: p.ext });
        }
      }
    }
    const chunks = await store.chunks(s.sessionId);
    if (s.state === 'recording') {
      s.durationMs = chunks.reduce((a, c) => Math.max(a, c.tEndMs), 0) || 1;
      s.state = 'stopped';
      await store.putSession(s);
    }
    let have = new Set();
    try {
      const srv = await app.api.get(`/sessions/${encodeURIComponent(s.sessionId)}?urls=0`);
      const list = (srv.manifest && srv.manifest.chunks) || srv.chunks || [];
      const missing = new Set(srv.missing || []);
      have = new Set(list.map((c) => c.seq).filter((q) => !missing.has(q)));
      const lost = [...missing].filter((q) => !chunks.some((c) => c.seq === q));
      if (lost.length) {
        notice('resume', `Chunk ${lost.join(', ')} of an earlier recording never reached this browser's storage and cannot be uploaded.`, 'warn');
      }
    } catch (e) {
      // No session route (older API) or offline: upload all we have;
      // complete is idempotent.
    }
    notice('resume', `Finishing an earlier recording (session ${s.sessionId}): ${chunks.filter((c) => !have.has(c.seq)).length} chunk(s) to upload.`);
    for (const c of chunks) {
      if (have.has(c.seq)) {
        await store.deleteChunk(c.sessionId, c.seq);
        app.uploader.markDone(c);
      } else {
        app.uploader.add(c);
      }
    }
    maybeFinalize(s.sessionId);
  }
}

// ---------------------------------------------------------------- render

const STATE_TEXT = { waiting: 'waiting', uploading: 'uploading', retry: 'retrying', done: 'uploaded', failed: 'failed' };

function renderChunks() {
  const up = app.uploader;
  const jobs = up.list();
  $('chunks').replaceChildren(...jobs.map((j) => {
    const c = j.chunk;
    let t = `#${c.seq} ${fmtMs(c.tStartMs)}–${fmtMs(c.tEndMs)} ${fmtBytes(c.blob.size)}: ${STATE_TEXT[j.state]}`;
    if (j.state === 'retry' || j.state === 'failed') t += ` (${j.error.message})`;
    return el('li', { class: j.state, 'data-seq': c.seq, 'data-session': c.sessionId, 'data-state': j.state }, t);
  }));
  const waiting = jobs.filter((j) => j.state !== 'done' && j.state !== 'failed').length;
  const done = jobs.filter((j) => j.state === 'done').length;
  $('upload-summary').textContent = jobs.length ?
    `${done} of ${jobs.length} chunks uploaded${waiting ? `, ${waiting} waiting` : ''}.` : 'Nothing to upload.';
  const err = jobs.find((j) => j.state === 'retry' && j.error);
  if (err) {
    const e = err.error;
    const where = !navigator.onLine ? 'The network is offline' :
      e.where === 's3' ? 'The audio storage (S3) is not reachable or refused the upload' :
      e.status === 401 ? 'Your sign-in needs renewing' : 'The storage API is not reachable';
    notice('storage', `${where}: ${waiting} chunk(s) wait in this browser and upload when it is back. Last error: ${e.message}`, 'warn');
  } else if (!jobs.some((j) => j.state === 'failed')) {
    notice('storage', null);
  }
}

function renderTranscript() {
  const t = app.live.text();
  $('finals').textContent = t.final;
  $('partial').textContent = t.partial ? (t.final ? ' ' : '') + t.partial : '';
}

function renderLive() {
  const l = app.live;
  const b = $('live-state');
  b.textContent = { off: 'off', connecting: 'connecting', live: 'live', reconnecting: 'reconnecting', offline: 'offline', error: 'unavailable' }[l.status];
  b.className = 'badge' + (l.status === 'live' ? ' on' : l.status === 'off' || l.status === 'connecting' ? '' : ' bad');
  notice('live', l.message ? l.message.text : null, l.message ? l.message.level : undefined);
}

boot();
