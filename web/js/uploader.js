// uploader.js: the upload queue of the storage path.  For every chunk:
// presign -> PUT to S3 with exactly the returned headers -> complete, two
// chunks at a time.  Each presign names the chunk's SHA-256, which S3 then
// checks the body against and complete compares with what S3 kept, and
// asks for writeOnce (If-None-Match: *), so a stored chunk is never
// replaced: a retry whose PUT finds the chunk already stored (412) goes on
// to complete, which verifies it.  Whatever can heal (network down, S3 or the API
// unavailable, an expired URL or token) is retried with backoff, and at
// once when the browser says it is back online; the chunk stays in
// IndexedDB until complete has answered, so a reload or a crash resumes it
// (complete is idempotent, so a retry after a lost answer is harmless).
// What cannot heal (the API refused the chunk itself) is shown as failed.
// "change" fires on every state change, "drained" when a session has no
// chunk left in the queue.

import { ApiError, s3Put } from './api.js';
import { store } from './store.js';
import { backoff } from './ui.js';

const PARALLEL = 2;

// The base64 SHA-256 of blob, as x-amz-checksum-sha256 carries it; null
// where the page has no WebCrypto (a plain-http origin other than
// localhost), and the chunk then goes without it.
async function sha256Base64(blob) {
  if (!globalThis.crypto || !crypto.subtle) return null;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  let s = '';
  for (const b of d) s += String.fromCharCode(b);
  return btoa(s);
}

export class Uploader extends EventTarget {
  constructor(api, auth) {
    super();
    this.api = api;
    this.auth = auth;
    this.jobs = new Map();      // "sid/seq" -> job
    this.running = 0;
    this.timer = 0;
    this.times = [];            // ms from a chunk's end to its complete's 200
    this.lastError = null;
    addEventListener('online', () => this.retryNow());
    auth.addEventListener('change', () => auth.token && this.retryNow());
  }

  // add(chunk): chunk is already in IndexedDB; endedAt (performance.now()
  // when its recording ended) is known only for chunks of this visit.
  add(chunk, state = 'waiting') {
    const key = `${chunk.sessionId}/${chunk.seq}`;
    if (this.jobs.has(key) && this.jobs.get(key).state !== 'failed') return;
    this.jobs.set(key, { key, chunk, state, attempts: 0, nextAt: 0, error: null });
    this.changed();
    this.pump();
  }

  // markDone: the server already has this chunk (a resumed session).
  markDone(chunk) {
    const key = `${chunk.sessionId}/${chunk.seq}`;
    this.jobs.set(key, { key, chunk, state: 'done', attempts: 0, nextAt: 0, error: null });
    this.changed();
  }

  list(sid) {
    return [...this.jobs.values()].filter((j) => !sid || j.chunk.sessionId === sid)
      .sort((a, b) => a.chunk.seq - b.chunk.seq);
  }

  pending(sid) {
    return this.list(sid).filter((j) => j.state !== 'done' && j.state !== 'failed').length;
  }

  forget(sid) {
    for (const j of this.list(sid)) this.jobs.delete(j.key);
    this.changed();
  }

  retryNow() {
    for (const j of this.jobs.values()) if (j.state === 'retry') j.nextAt = 0;
    this.pump();
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  pump() {
    clearTimeout(this.timer);
    const now = Date.now();
    let next = Infinity;
    for (const j of this.list()) {
      if (this.running >= PARALLEL) break;
      if (j.state !== 'waiting' && j.state !== 'retry') continue;
      if (j.nextAt > now) {
        next = Math.min(next, j.nextAt);
        continue;
      }
      if (!this.auth.token) continue;
      this.running++;
      this.upload(j).finally(() => {
        this.running--;
        this.pump();
      });
    }
    if (next !== Infinity) this.timer = setTimeout(() => this.pump(), next - now);
  }

  async upload(j) {
    const c = j.chunk;
    const sid = encodeURIComponent(c.sessionId);
    j.state = 'uploading';
    j.attempts++;
    this.changed();
    try {
      const body = {
        seq: c.seq, tStartMs: c.tStartMs, tEndMs: c.tEndMs, ext: c.ext,
        sizeBytes: c.blob.size, contentType: c.contentType, writeOnce: true,
      };
      const sha256 = await sha256Base64(c.blob);
      if (sha256) body.sha256 = sha256;
      const p = await this.api.post(`/sessions/${sid}/chunks/presign`, body);
      await s3Put(p.putUrl, p.headers, c.blob);
      await this.api.post(`/sessions/${sid}/chunks/complete`, {
        seq: c.seq, objectKey: p.objectKey, bytes: c.blob.size,
        tStartMs: c.tStartMs, tEndMs: c.tEndMs,
      });
      if (c.endedAt !== undefined) this.times.push(performance.now() - c.endedAt);
      j.state = 'done';
      j.error = null;
      this.lastError = null;
      await store.deleteChunk(c.sessionId, c.seq);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(String(e.message || e));
      j.error = err;
      this.lastError = err;
      // object_missing / object_mismatch: the PUT did not land whole; PUT again.
      if (err.retryable || err.code === 'object_missing' || err.code === 'object_mismatch') {
        j.state = 'retry';
        j.nextAt = Date.now() + (err.status === 401 ? 1000 : backoff(j.attempts - 1, 500, 15000));
      } else {
        j.state = 'failed';
      }
    }
    this.changed();
    if (this.pending(c.sessionId) === 0) {
      this.dispatchEvent(new CustomEvent('drained', { detail: c.sessionId }));
    }
  }
}
