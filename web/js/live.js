// live.js: the real-time path.  The microphone goes through the pcm16
// AudioWorklet (16 kHz PCM16, 100 ms frames) to audio-bridge over a
// WebSocket on the page's own origin (config bridgePath, /asr), the token
// in Sec-WebSocket-Protocol (["audio-bridge", "bearer.<jwt>"]: a browser
// cannot set headers on a WebSocket).  Dialect 1 of the bridge protocol:
// connection -> start_transcription -> session_started -> audio ->
// partial / transcription (and display, from bridges that send it) ->
// stop_transcription -> session_stopped.
// A lost connection is retried with backoff (at once when the browser is
// back online); audio of the gap is not transcribed (the recording keeps
// it).  Events: "status" (this.status, this.message) and "transcript".

import { backoff } from './ui.js';

const MAX_BUFFERED = 256 * 1024;

export class Live extends EventTarget {
  constructor(cfg, auth) {
    super();
    this.cfg = cfg;
    this.auth = auth;
    this.ws = null;
    this.wanted = false;
    this.status = 'off';
    this.message = null;
    this.level = 0;
    this.attempts = 0;
    this.timer = 0;
    this.prior = '';           // finals of earlier bridge sessions
    this.finals = '';          // finals of this bridge session
    this.partial = '';
    this.byMessages = false;   // partial/transcription seen: ignore display
    this.samples = 0;          // samples sent in this bridge session
    this.stream = 0;           // bridge sessions started so far
    this.sent = [];            // {stream, start, end, t} for the latency test
    this.lostAt = 0;
    this.ever = false;
    addEventListener('offline', () => this.offline());
    addEventListener('online', () => this.wanted && !this.ws && this.connect());
  }

  async attach(ctx, source) {
    await ctx.audioWorklet.addModule('js/pcm-worklet.js');
    this.node = new AudioWorkletNode(ctx, 'pcm16', {
      numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
      channelCount: 1, channelCountMode: 'explicit',
      processorOptions: { rate: 16000, frameSamples: 1600 },
    });
    this.node.port.onmessage = (e) => this.frame(e.data);
    const mute = ctx.createGain();
    mute.gain.value = 0;
    source.connect(this.node).connect(mute).connect(ctx.destination);
  }

  text() {
    return { final: [this.prior, this.finals].filter(Boolean).join(' '), partial: this.partial };
  }

  reset() {
    this.prior = this.finals = this.partial = '';
    this.emit('transcript');
  }

  emit(type) {
    this.dispatchEvent(new Event(type));
  }

  setStatus(status, message, level = 'info') {
    this.status = status;
    this.message = message === null ? null : { text: message, level };
    this.emit('status');
  }

  start() {
    this.wanted = true;
    this.attempts = 0;
    this.ever = false;
    this.connect();
  }

  url() {
    const u = new URL(this.cfg.bridgePath, location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  connect() {
    clearTimeout(this.timer);
    if (!this.wanted || this.ws) return;
    if (!navigator.onLine) {
      this.setStatus('offline', 'The network is offline: live transcript paused; recording continues and chunks wait in this browser.', 'warn');
      return;
    }
    const token = this.auth.token;
    if (!token) {
      this.setStatus('error', 'Live transcript paused: not signed in.', 'warn');
      return;
    }
    if (this.status !== 'reconnecting') this.setStatus('connecting', null);
    let ws;
    try {
      ws = new WebSocket(this.url(), ['audio-bridge', `bearer.${token}`]);
    } catch (e) {
      this.setStatus('error', `Live transcript: ${e.message}`, 'error');
      return;
    }
    ws.binaryType = 'arraybuffer';
    ws.opened = false;
    this.ws = ws;
    ws.onopen = () => { ws.opened = true; };
    ws.onmessage = (e) => this.onMessage(ws, e.data);
    ws.onclose = (e) => this.onClose(ws, e);
    ws.onerror = () => {};   // onclose follows and says what to do
  }

  onMessage(ws, data) {
    if (typeof data !== 'string') return;
    let m;
    try { m = JSON.parse(data); } catch { return; }
    switch (m.type) {
    case 'connection':
      ws.send(JSON.stringify({
        type: 'start_transcription', enable_partials: true, sample_rate: 16000,
        language: this.cfg.language || 'en-US',
        // Asked for, whatever the bridge's default (a bridge set up for
        // the Python bridge's page sends only display).
        messages: ['partial', 'transcription'],
      }));
      break;
    case 'session_started': {
      ws.started = true;
      this.samples = 0;
      this.stream++;
      this.finals = '';
      this.partial = '';
      const gap = this.lostAt ? Math.round((performance.now() - this.lostAt) / 1000) : 0;
      this.setStatus('live', this.ever && this.lostAt ?
        `Live transcript reconnected after ${gap} s; speech during the gap was recorded but not transcribed.` : null);
      this.ever = true;
      this.lostAt = 0;
      this.attempts = 0;
      clearInterval(ws.pinger);
      ws.pinger = setInterval(() => ws.readyState === 1 && ws.send('{"type":"ping"}'), 20000);
      break;
    }
    case 'partial':
      this.byMessages = true;
      this.partial = m.text || '';
      this.emit('transcript');
      break;
    case 'transcription':
      this.byMessages = true;
      if (m.text) this.finals = [this.finals, m.text].filter(Boolean).join(' ');
      this.partial = '';
      this.emit('transcript');
      break;
    case 'display':
      if (this.byMessages) break;
      this.finals = (m.stable_text || '').trim();
      this.partial = m.is_final ? '' : (m.partial_suffix || '').trim();
      this.emit('transcript');
      break;
    case 'error':
      if (m.code === 'unavailable' || m.code === 'upstream_error') {
        this.setStatus('error', 'The speech recognizer behind the live transcript is unavailable; retrying. Recording continues.', 'warn');
      } else if (m.code !== 'conflict') {
        this.setStatus(this.status, `Live transcript: ${m.error || m.code}`, 'warn');
      }
      break;
    case 'session_stopped':
      ws.started = false;
      if (ws.stopWait) ws.stopWait();
      else if (this.wanted) {
        // Riva failed under the bridge: start again after a pause.
        this.lostAt = this.lostAt || performance.now();
        const d = backoff(this.attempts++, 1000, 10000);
        this.timer = setTimeout(() => ws.readyState === 1 && this.onMessage(ws, '{"type":"connection"}'), d);
      }
      break;
    default:
      break;
    }
  }

  onClose(ws, e) {
    clearInterval(ws.pinger);
    if (this.ws !== ws) return;
    this.ws = null;
    if (ws.stopWait) ws.stopWait();
    this.prior = this.text().final;
    this.finals = '';
    this.partial = '';
    this.emit('transcript');
    if (!this.wanted) {
      this.setStatus('off', null);
      return;
    }
    this.lostAt = this.lostAt || performance.now();
    if (!navigator.onLine) {
      this.offline();
      return;
    }
    const d = backoff(this.attempts++, 500, 10000);
    let why;
    if (this.auth.state !== 'signed-in') why = 'your sign-in has expired';
    else if (!ws.opened) why = 'cannot reach the live transcription service (bridge)';
    else why = `the connection was closed (code ${e.code}${e.reason ? ': ' + e.reason : ''})`;
    this.setStatus('reconnecting',
      `Live transcript ${this.ever ? 'interrupted' : 'unavailable'}: ${why}. Reconnecting in ${Math.ceil(d / 1000)} s; recording continues.`, 'warn');
    this.timer = setTimeout(() => this.connect(), d);
  }

  offline() {
    if (!this.wanted) return;
    this.lostAt = this.lostAt || performance.now();
    if (this.ws) {
      // Its close event waits for a closing handshake the network may
      // not carry (seconds on a busy link): let go of it now.  onClose
      // comes back here with ws null; the late event finds ws replaced.
      const ws = this.ws;
      ws.close(1000, 'offline');
      this.onClose(ws, { code: 1000, reason: 'offline' });
      return;
    }
    clearTimeout(this.timer);
    this.setStatus('offline', 'The network is offline: live transcript paused; recording continues and chunks wait in this browser.', 'warn');
  }

  frame({ pcm, level }) {
    this.level = level;
    const ws = this.ws;
    if (!ws || !ws.started || ws.readyState !== 1 || ws.stopping) return;
    if (ws.bufferedAmount > MAX_BUFFERED) return;
    ws.send(pcm);
    const n = pcm.byteLength / 2;
    this.sent.push({ stream: this.stream, start: this.samples, end: this.samples + n, t: performance.now() });
    if (this.sent.length > 2000) this.sent.splice(0, 1000);
    this.samples += n;
  }

  // stop(): end the recognition, wait (at most 8 s: a CPU recognizer may
  // still be decoding the last utterance) for its last finals, close.
  async stop() {
    this.wanted = false;
    clearTimeout(this.timer);
    const ws = this.ws;
    if (ws && ws.readyState === 1 && ws.started) {
      ws.stopping = true;
      const done = new Promise((r) => { ws.stopWait = r; });
      ws.send('{"type":"stop_transcription"}');
      await Promise.race([done, new Promise((r) => setTimeout(r, 8000))]);
    }
    if (this.ws) this.ws.close(1000, 'done');
    this.ws = null;
    this.prior = this.text().final;
    this.finals = this.partial = '';
    this.emit('transcript');
    this.setStatus('off', null);
  }

  detach() {
    if (this.node) this.node.disconnect();
    this.node = null;
  }
}
