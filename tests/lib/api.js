// api.js: what the Node drivers of the storage API tests (api-test.js,
// api-creds.js, api-presign-sdk.js, outbox-test.js, recordings-test.js)
// share to speak to the stack tests/tools/devstack.sh started: API calls,
// the chunk protocol's requests, signed reads straight from s3rver, restarting s3rver, reading the
// journal behind the API's back (SQLite or PostgreSQL), and finding a
// master's children.  The stack is described by the environment
// (API_URL, S3_ENDPOINT, S3_BUCKET, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, RUN_DIR).
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const env = process.env;

// One API call.  opts: base (the API's URL, by default API_URL: another
// host of a several-host stack), token, body (an object sent as JSON, or a
// string sent as is with opts.contentType), headers, timeoutMs (20 s), retryGet (a
// GET whose connection fails is sent once more: a kept-alive connection
// the server closed as it was reused).  Returns { status, headers, json,
// text }; status 0 when no answer came (text says why).
async function call(method, p, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (opts.token) {
    headers.Authorization = 'Bearer ' + opts.token;
  }
  let body;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] = opts.contentType || 'application/json';
  }
  let res;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch((opts.base || env.API_URL) + p, { method, headers, body,
        signal: AbortSignal.timeout(opts.timeoutMs || 20000) });
      break;
    } catch (e) {
      if (!opts.retryGet || method !== 'GET' || attempt > 0) {
        return { status: 0, headers: new Headers(), json: null, text: String(e) };
      }
    }
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// A request for an object straight to s3rver (GET, HEAD, DELETE, or PUT
// of body), signed by curl's own SigV4 with the stack's key pair (given to
// curl in a config on stdin, not argv).  Returns { status, body, etag }.
function s3Request(method, key, body) {
  const url = `${env.S3_ENDPOINT}/${env.S3_BUCKET}/${key}`;
  const args = ['-s', '-K', '-', '-w', '\n%{http_code}\n%header{etag}',
    '--aws-sigv4', `aws:amz:${env.AWS_REGION}:s3`,
    '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD'];
  let file = null;
  if (method === 'HEAD') {
    args.push('-I');
  } else if (method === 'PUT') {
    file = path.join(env.RUN_DIR, `s3put-${process.pid}`);
    fs.writeFileSync(file, body);
    args.push('-T', file, '-H', 'content-type: application/json');
  } else if (method !== 'GET') {
    args.push('-X', method);
  }
  args.push(url);
  const r = spawnSync('curl', args, { encoding: 'utf8',
    input: `user = "${env.AWS_ACCESS_KEY_ID}:${env.AWS_SECRET_ACCESS_KEY}"\n` });
  if (file) fs.rmSync(file, { force: true });
  const j = r.stdout.lastIndexOf('\n');
  const i = r.stdout.lastIndexOf('\n', j - 1);
  return { status: Number(r.stdout.slice(i + 1, j)), body: r.stdout.slice(0, i),
    etag: r.stdout.slice(j + 1) };
}

// A GET of an object straight from s3rver (s3Request()): { status, body }.
function s3Get(key) {
  const r = s3Request('GET', key);
  return { status: r.status, body: r.body };
}

// Start s3rver again on the stack's port and data (after a test stopped
// it), checking signatures with secret (by default the stack's own);
// its pid goes where devstack.sh keeps it, so `devstack.sh down` stops it.
// Resolves once it is ready (or after 5 s) with the child.
async function startS3(secret = env.AWS_SECRET_ACCESS_KEY) {
  const child = spawn('node', [path.join(__dirname, '..', 'tools', 's3rver.js'),
    '--port', String(new URL(env.S3_ENDPOINT).port),
    '--dir', path.join(env.RUN_DIR, 's3'), '--bucket', env.S3_BUCKET,
    '--access-key-id', env.AWS_ACCESS_KEY_ID],
  { env: Object.assign({}, env, { S3RVER_SECRET_ACCESS_KEY: secret }),
    stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  fs.writeFileSync(path.join(env.RUN_DIR, 's3rver.pid'), String(child.pid));
  await new Promise((resolve) => {
    child.stdout.on('data', (d) => { if (/ready/.test(String(d))) resolve(); });
    setTimeout(resolve, 5000);
  });
  child.stdout.destroy();
  child.unref();
  return child;
}

// The first column of sql's rows, one per line, read straight from the
// stack's journal behind the API's back: sqlite3 on the file, or psql on
// the PostgreSQL DSN (JOURNAL; the password comes from PGPASSFILE).  Keep
// sql to what both dialects say alike (|| concatenation, lower case).
function journalSql(sql) {
  const pg = /^postgres(ql)?:/.test(env.JOURNAL || '');
  const r = pg ?
    spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
      env.JOURNAL, '-c', sql], { encoding: 'utf8' }) :
    spawnSync('sqlite3', ['-cmd', '.timeout 5000', env.JOURNAL, sql],
      { encoding: 'utf8' });
  return (r.stdout || '').trim();
}

function journalIsPg() {
  return /^postgres(ql)?:/.test(env.JOURNAL || '');
}

// ---------------------------------------------------- the chunk protocol

// A session as the web app creates it; its id (an exception unless 201).
async function newSession(token) {
  const r = await call('POST', '/sessions', { token, body: { codec: 'webm/opus' } });
  if (r.status !== 201) throw new Error('create: ' + r.text);
  return r.json.sessionId;
}

// The presign body of chunk seq (5 s each) of size bytes.
function chunkBody(seq, size, ext = 'webm', contentType = 'audio/webm') {
  return { seq, tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000, ext,
    sizeBytes: size, contentType };
}

// Complete chunk seq stored at key with bytes bytes; extra fields (uploadId,
// parts, checksums) merged into the body.  The answer of call().
function complete(token, sid, seq, key, bytes, extra) {
  return call('POST', `/sessions/${sid}/chunks/complete`, { token,
    body: Object.assign({ seq, objectKey: key, bytes,
      tStartMs: (seq - 1) * 5000, tEndMs: seq * 5000 }, extra || {}) });
}

// PUT every part of body through the part URLs of a multipart presign
// answer p, with its headers and each part's own (a part's checksum):
// [{partNumber, etag}] (an exception on a part S3 refuses).
async function putParts(p, body) {
  const parts = [];
  for (const part of p.parts) {
    const res = await fetch(part.url, { method: 'PUT',
      headers: Object.assign({}, p.headers, part.headers || {}),
      body: body.subarray(part.offset, part.offset + part.sizeBytes) });
    await res.text();
    if (res.status !== 200) throw new Error(`UploadPart ${part.partNumber}: ${res.status}`);
    parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag') });
  }
  return parts;
}

// The live children of process parent, read from /proc (no procps
// needed): [{pid, comm}].
function children(parent) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === parent && f[0] !== 'Z') out.push({ pid: Number(d), comm });
    } catch (e) {
      // gone meanwhile
    }
  }
  return out;
}

module.exports = { call, s3Get, s3Request, startS3, journalSql, journalIsPg,
  newSession, chunkBody, complete, putParts, children };
