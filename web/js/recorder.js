// recorder.js: the storage path's MediaRecorder.  A new MediaRecorder is
// started on the stream every chunk length, so each chunk is a complete,
// standalone playable file (its own WebM header), not a slice of one long
// stream.  The next recorder starts before the previous one stops, so no
// audio falls between two chunks; both share one time stamp, so the
// chunks' [tStartMs, tEndMs) tile the recording without gaps.  While a
// chunk records, its pieces (one a second) go to onPiece so that a reload
// can still save what was recorded so far.

const TYPES = [
  ['audio/webm;codecs=opus', 'webm'],
  ['audio/webm', 'webm'],
  ['audio/ogg;codecs=opus', 'ogg'],
  ['audio/mp4', 'mp4'],
];

export function pickType() {
  for (const [t, ext] of TYPES) {
    if (window.MediaRecorder && MediaRecorder.isTypeSupported(t)) return { type: t, ext };
  }
  return null;
}

export class ChunkRecorder {
  // opts: {chunkMs, type, onChunk({seq,tStartMs,tEndMs,blob,endedAt}), onPiece(seg)}
  constructor(stream, opts) {
    this.stream = stream;
    this.o = opts;
    this.seg = null;
    this.seq = 0;
    this.timer = 0;
    this.stopping = null;
    this.finishing = new Set();
  }

  start() {
    this.t0 = performance.now();
    this.begin(0);
    this.tick();
  }

  elapsed() {
    return performance.now() - this.t0;
  }

  tick() {
    const due = this.t0 + (this.seq) * this.o.chunkMs;
    this.timer = setTimeout(() => this.rotate(), Math.max(0, due - performance.now()));
  }

  begin(tStartMs) {
    const mr = new MediaRecorder(this.stream, { mimeType: this.o.type, audioBitsPerSecond: 48000 });
    const seg = { seq: ++this.seq, tStartMs, tEndMs: null, pieces: [], mr };
    mr.ondataavailable = (e) => {
      if (e.data && e.data.size) seg.pieces.push(e.data);
      if (seg.tEndMs === null) this.o.onPiece(seg, Math.round(this.elapsed()));
    };
    mr.onstop = () => this.finish(seg);
    mr.start(1000);
    this.seg = seg;
  }

  rotate() {
    const old = this.seg;
    const now = Math.round(this.elapsed());
    this.begin(now);
    this.end(old, now);
    this.tick();
  }

  end(seg, now) {
    seg.tEndMs = now;
    seg.endedAt = performance.now();
    seg.done = new Promise((r) => { seg.resolve = r; });
    this.finishing.add(seg);
    seg.mr.stop();
  }

  // The chunk is handed over (onChunk may be async: it stores the chunk)
  // before stop() can resolve, so nobody finalizes without it.
  async finish(seg) {
    this.finishing.delete(seg);
    const blob = new Blob(seg.pieces, { type: this.o.type });
    try {
      // A stop just after a rotation leaves a chunk of a few ms: nothing to keep.
      if (blob.size > 0 && seg.tEndMs - seg.tStartMs >= 100) {
        this.lastEnd = Math.max(this.lastEnd || 0, seg.tEndMs);
        await this.o.onChunk({ seq: seg.seq, tStartMs: seg.tStartMs, tEndMs: seg.tEndMs, blob, endedAt: seg.endedAt });
      }
    } finally {
      seg.resolve();
    }
  }

  // stop(): end the current chunk; resolves when every chunk was handed
  // to onChunk, with the recording's length in ms (the last chunk's end).
  async stop() {
    clearTimeout(this.timer);
    const now = Math.round(this.elapsed());
    if (this.seg && this.seg.tEndMs === null) this.end(this.seg, now);
    await Promise.all([...this.finishing].map((s) => s.done));
    return this.lastEnd || now;
  }
}
