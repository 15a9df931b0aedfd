// pcm-worklet.js: the AudioWorklet of the real-time path.  It takes the
// microphone at the AudioContext's rate (44.1 or 48 kHz, whatever the
// device runs at), low-pass filters it below the new Nyquist frequency
// (31-tap windowed sinc), resamples it to 16 kHz by linear interpolation,
// and posts 100 ms frames of 16-bit little-endian PCM (1600 samples, 3200
// bytes: what the bridge expects) with their RMS level for the meter.

const TAPS = 31;

class Pcm16Processor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const p = (options && options.processorOptions) || {};
    this.rate = p.rate || 16000;
    this.frame = p.frameSamples || 1600;
    this.step = sampleRate / this.rate;
    const fc = Math.min(0.5, (0.45 * this.rate) / sampleRate);
    const h = new Float32Array(TAPS);
    const m = (TAPS - 1) / 2;
    let sum = 0;
    for (let i = 0; i < TAPS; i++) {
      const x = i - m;
      const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      h[i] = sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (TAPS - 1)));
      sum += h[i];
    }
    for (let i = 0; i < TAPS; i++) h[i] /= sum;
    this.h = h;
    this.hist = new Float32Array(TAPS);
    this.hi = 0;
    this.t = 0;        // index of the filtered input sample being made
    this.pos = 0;      // input position of the next output sample
    this.prev = 0;
    this.buf = new Int16Array(this.frame);
    this.n = 0;
    this.sq = 0;
  }

  emit(v) {
    if (v > 1) v = 1;
    else if (v < -1) v = -1;
    this.sq += v * v;
    this.buf[this.n++] = v < 0 ? v * 32768 : v * 32767;
    if (this.n === this.frame) {
      const level = Math.sqrt(this.sq / this.frame);
      this.port.postMessage({ pcm: this.buf.buffer, level }, [this.buf.buffer]);
      this.buf = new Int16Array(this.frame);
      this.n = 0;
      this.sq = 0;
    }
  }

  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    const h = this.h, hist = this.hist;
    for (let i = 0; i < ch.length; i++) {
      hist[this.hi] = ch[i];
      let acc = 0;
      let k = this.hi;
      for (let j = 0; j < TAPS; j++) {
        acc += h[j] * hist[k];
        k = k === 0 ? TAPS - 1 : k - 1;
      }
      this.hi = this.hi === TAPS - 1 ? 0 : this.hi + 1;
      while (this.pos <= this.t) {
        this.emit(this.prev + (acc - this.prev) * (this.pos - (this.t - 1)));
        this.pos += this.step;
      }
      this.prev = acc;
      this.t++;
    }
    return true;
  }
}

registerProcessor('pcm16', Pcm16Processor);
