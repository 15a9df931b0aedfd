// asr-score.js: how many of the spoken words came back, for
// tests/integration/asr-recognizer.sh and tests/bench/bench-recognizer.sh.
//
//   node tests/tools/asr-score.js REFERENCE WSCLIENT_OUTPUT
//
// REFERENCE is the text that was spoken (one sentence a line); the output
// is tests/tools/wsclient's JSON lines (dialect 1, one client, or -n N load mode
// with {"client":i,"msg":...}: then every client is scored and the line is
// for all of them together).  Words are lower-cased letters and
// apostrophes.  Prints one line of key=value:
//   words      reference words (times clients)
//   matched    words in the longest common subsequence of reference and
//              finals (in order, as a word error rate alignment would)
//   share      matched / words
//   wer        word error rate: (substitutions + deletions + insertions) /
//              words, from the edit distance
//   hyp_words  words in the finals
//   finals partials       messages of each type
//   partial_first         1 if every client's first partial came before
//                         its first final (0 if there was no final)
//   times_ok              1 if every final word has 0 <= start <= end and
//                         the starts never go backwards within a client
'use strict';

const fs = require('fs');

function words(s) {
  return (s.toLowerCase().match(/[a-z']+/g) || []);
}

function lcs(a, b) {
  let prev = new Array(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++)
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 :
        Math.max(prev[j], cur[j - 1]);
    prev = cur;
  }
  return prev[b.length];
}

function edits(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

const ref = words(fs.readFileSync(process.argv[2], 'utf8'));
const clients = new Map();
for (const line of fs.readFileSync(process.argv[3], 'utf8').split('\n')) {
  if (!line.startsWith('{'))
    continue;
  let m;
  try { m = JSON.parse(line); } catch (e) { continue; }
  const id = m.client !== undefined ? m.client : 0;
  if (m.msg !== undefined)
    m = m.msg;
  if (!clients.has(id))
    clients.set(id, { hyp: [], finals: 0, partials: 0, firstPartial: -1,
      firstFinal: -1, n: 0, lastStart: -1, timesOk: true });
  const c = clients.get(id);
  c.n++;
  if (m.type === 'partial') {
    c.partials++;
    if (c.firstPartial < 0)
      c.firstPartial = c.n;
  } else if (m.type === 'transcription') {
    c.finals++;
    if (c.firstFinal < 0)
      c.firstFinal = c.n;
    c.hyp.push(...words(m.text || ''));
    for (const w of m.words || []) {
      if (!(w.start >= 0 && w.end >= w.start && w.start >= c.lastStart))
        c.timesOk = false;
      c.lastStart = w.start;
    }
  }
}
let nwords = 0, matched = 0, errors = 0, finals = 0, partials = 0, hyp = 0;
let partialFirst = clients.size > 0, timesOk = true;
for (const c of clients.values()) {
  nwords += ref.length;
  matched += lcs(ref, c.hyp);
  errors += edits(ref, c.hyp);
  finals += c.finals;
  hyp += c.hyp.length;
  partials += c.partials;
  if (!(c.firstFinal > 0 && c.firstPartial > 0 &&
      c.firstPartial < c.firstFinal))
    partialFirst = false;
  timesOk = timesOk && c.timesOk;
}
const r = (x) => (nwords > 0 ? x / nwords : 0).toFixed(3);
console.log(`clients=${clients.size} words=${nwords} matched=${matched} ` +
  `share=${r(matched)} wer=${r(errors)} hyp_words=${hyp} ` +
  `finals=${finals} ` +
  `partials=${partials} partial_first=${partialFirst ? 1 : 0} ` +
  `times_ok=${timesOk ? 1 : 0}`);
