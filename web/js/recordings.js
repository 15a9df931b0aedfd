// recordings.js: the user's recordings (GET /sessions, newest first,
// cursor-paged), one recording's manifest facts (GET /sessions/{id}),
// playback of its chunks in order as one recording (each chunk's
// presigned GET URL, the next one preloaded so the switch is quick), and
// delete with a confirm (DELETE answers 202 while S3 objects go, 404 after).

import { $, el, notice, fmtBytes, fmtMs, sleep } from './ui.js';

export class Recordings {
  constructor(api) {
    this.api = api;
    this.cursor = null;
    this.current = null;
    this.queue = [];
    this.playing = -1;
    $('list-refresh').addEventListener('click', () => this.load());
    $('list-more').addEventListener('click', () => this.load(this.cursor));
    $('play').addEventListener('click', () => this.play());
    $('delete').addEventListener('click', () => this.remove());
    const player = $('player');
    player.addEventListener('ended', () => this.next());
    player.addEventListener('error', () => this.playError());
  }

  async load(cursor = null) {
    const q = new URLSearchParams({ limit: '20' });
    if (cursor) q.set('cursor', cursor);
    let r;
    try {
      r = await this.api.get(`/sessions?${q}`);
    } catch (e) {
      notice('recordings', `Cannot list recordings: ${e.message}`, 'error');
      return;
    }
    notice('recordings', null);
    const body = $('list-body');
    if (!cursor) body.replaceChildren();
    for (const s of r.sessions || []) {
      const open = el('button', { type: 'button', class: 'link', onclick: () => this.open(s.sessionId) }, 'Open');
      open.setAttribute('aria-label', `Open recording of ${new Date(s.createdAt).toLocaleString()}`);
      body.append(el('tr', { 'data-session': s.sessionId },
        el('td', {}, new Date(s.createdAt).toLocaleString()),
        el('td', {}, fmtMs(s.durationMs || 0)),
        el('td', {}, String(s.chunkCount ?? '')),
        el('td', {}, fmtBytes(s.totalBytes || 0)),
        el('td', {}, s.state),
        el('td', {}, open)));
    }
    this.cursor = r.nextCursor || null;
    $('list-more').hidden = !this.cursor;
    $('list-empty').hidden = body.children.length > 0;
  }

  async open(sid) {
    let s;
    try {
      s = await this.api.get(`/sessions/${encodeURIComponent(sid)}`);
    } catch (e) {
      notice('recordings', `Cannot open the recording: ${e.message}`, 'error');
      return;
    }
    notice('recordings', null);
    this.current = s;
    const chunks = chunksOf(s);
    const facts = [
      ['Session', s.sessionId], ['State', s.state],
      ['Started', s.createdAt && new Date(s.createdAt).toLocaleString()],
      ['Length', fmtMs(s.durationMs || 0)], ['Codec', s.codec], ['Sample rate', s.sampleRate && `${s.sampleRate} Hz`],
      ['Chunks', String(chunks.length)], ['Size', fmtBytes(s.totalBytes || chunks.reduce((a, c) => a + (c.bytes || 0), 0))],
      ['Missing', (s.missing || []).length ? s.missing.join(', ') : 'none'],
    ];
    $('detail-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '')]));
    $('detail-chunks').replaceChildren(...chunks.map((c) =>
      el('li', { 'data-seq': c.seq }, `#${c.seq} ${fmtMs(c.tStartMs)}–${fmtMs(c.tEndMs)} ${fmtBytes(c.bytes || 0)}`)));
    $('detail-h').textContent = `Recording of ${s.createdAt ? new Date(s.createdAt).toLocaleString() : s.sessionId}`;
    $('play-state').textContent = '';
    $('player').removeAttribute('src');
    $('detail').hidden = false;
    $('play').disabled = chunks.length === 0;
    $('detail-h').focus();   // keyboard and screen reader users land on it
  }

  play() {
    this.queue = chunksOf(this.current).map((c) => c.url || c.getUrl);
    this.playing = -1;
    this.retried = false;
    this.next();
  }

  next() {
    const p = $('player');
    this.playing++;
    if (this.playing >= this.queue.length) {
      $('play-state').textContent = this.queue.length ? `Played all ${this.queue.length} chunks.` : '';
      return;
    }
    $('play-state').textContent = `Playing chunk ${this.playing + 1} of ${this.queue.length}.`;
    p.src = this.queue[this.playing];
    p.play().catch(() => {});
    // Warm the next chunk so the switch does not wait for the network.
    const n = this.queue[this.playing + 1];
    if (n) fetch(n, { credentials: 'omit' }).catch(() => {});
  }

  // A chunk URL that fails may have expired: fetch fresh URLs once.
  async playError() {
    if (this.playing < 0 || this.playing >= this.queue.length) return;
    if (this.retried) {
      notice('recordings', `Cannot play chunk ${this.playing + 1}: the audio storage (S3) did not deliver it.`, 'error');
      return;
    }
    this.retried = true;
    try {
      const s = await this.api.get(`/sessions/${encodeURIComponent(this.current.sessionId)}`);
      this.queue = chunksOf(s).map((c) => c.url || c.getUrl);
      this.playing--;
      this.next();
    } catch (e) {
      notice('recordings', `Cannot play: ${e.message}`, 'error');
    }
  }

  async remove() {
    const s = this.current;
    if (!s || !confirm(`Delete this recording (${fmtMs(s.durationMs || 0)}, ${chunksOf(s).length} chunks)? This cannot be undone.`)) return;
    const path = `/sessions/${encodeURIComponent(s.sessionId)}`;
    $('delete').disabled = true;
    try {
      await this.api.del(path);
      notice('recordings', 'Deleting the recording…');
      for (let i = 0; i < 60; i++) {
        try {
          await this.api.get(`${path}?urls=0`);
        } catch (e) {
          if (e.status === 404) break;
        }
        await sleep(1000);
      }
      notice('recordings', 'Recording deleted.');
      $('detail').hidden = true;
      $('player').removeAttribute('src');
      this.current = null;
      const row = document.querySelector(`#list-body tr[data-session="${CSS.escape(s.sessionId)}"]`);
      if (row) row.remove();
      $('list-empty').hidden = $('list-body').children.length > 0;
    } catch (e) {
      notice('recordings', `Cannot delete the recording: ${e.message}`, 'error');
    } finally {
      $('delete').disabled = false;
    }
  }
}

// The chunk list of a GET /sessions/{id} answer, in order.
function chunksOf(s) {
  const list = (s && ((s.manifest && s.manifest.chunks) || s.chunks)) || [];
  return [...list].sort((a, b) => a.seq - b.seq);
}
