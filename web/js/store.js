// store.js: the page's IndexedDB, where recorded audio waits until S3 has
// it.  A chunk is written here the moment MediaRecorder hands it over and
// deleted only after the API answered "complete"; the chunk being recorded
// is saved piece by piece (one piece a second) so a reload loses at most a
// second.  Stores:
//   sessions  {sessionId, sub, state: recording|stopped, durationMs, ...}
//   chunks    {sessionId, seq, tStartMs, tEndMs, blob, contentType, ext}
//   partials  {sessionId, seq, tStartMs, tEndMs, pieces: [Blob]}

const DB = 'audio-capture';
let dbp = null;

function req(r) {
  return new Promise((ok, bad) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => bad(r.error);
  });
}

function db() {
  if (!dbp) {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => {
      const d = r.result;
      d.createObjectStore('sessions', { keyPath: 'sessionId' });
      d.createObjectStore('chunks', { keyPath: ['sessionId', 'seq'] });
      d.createObjectStore('partials', { keyPath: ['sessionId', 'seq'] });
    };
    dbp = req(r);
  }
  return dbp;
}

async function tx(stores, mode, fn) {
  const d = await db();
  const t = d.transaction(stores, mode);
  const out = fn(...stores.map((s) => t.objectStore(s)));
  await new Promise((ok, bad) => {
    t.oncomplete = ok;
    t.onerror = () => bad(t.error);
    t.onabort = () => bad(t.error || new Error('IndexedDB transaction aborted'));
  });
  return out instanceof IDBRequest ? out.result : out;
}

const range = (sid) => IDBKeyRange.bound([sid, 0], [sid, Infinity]);

export const store = {
  putSession: (s) => tx(['sessions'], 'readwrite', (st) => st.put(s)),
  getSession: (sid) => tx(['sessions'], 'readonly', (st) => st.get(sid)),
  sessions: () => tx(['sessions'], 'readonly', (st) => st.getAll()),
  deleteSession: (sid) => tx(['sessions', 'chunks', 'partials'], 'readwrite', (s, c, p) => {
    s.delete(sid);
    c.delete(range(sid));
    p.delete(range(sid));
  }),
  // A finished chunk replaces the pieces saved while it was recorded.
  putChunk: (c) => tx(['chunks', 'partials'], 'readwrite', (cs, ps) => {
    cs.put(c);
    ps.delete([c.sessionId, c.seq]);
  }),
  chunks: (sid) => tx(['chunks'], 'readonly', (st) => st.getAll(range(sid))),
  deleteChunk: (sid, seq) => tx(['chunks'], 'readwrite', (st) => st.delete([sid, seq])),
  putPartial: (p) => tx(['partials'], 'readwrite', (st) => st.put(p)),
  partials: (sid) => tx(['partials'], 'readonly', (st) => st.getAll(range(sid))),
};
