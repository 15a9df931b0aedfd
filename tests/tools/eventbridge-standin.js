#!/usr/bin/env node
// eventbridge-standin.js: a loopback Amazon EventBridge for tests and the
// local stack.
//
// It speaks PutEvents as AWS does (POST /, application/x-amz-json-1.1,
// X-Amz-Target: AWSEvents.PutEvents) and checks what it receives:
//   - the SigV4 signature, recomputed with the AWS SDK's own signer
//     (@smithy/signature-v4 + @aws-crypto/sha256-js), never our C signer;
//     the payload hash header, if sent, must match the body; the date must
//     be within 15 minutes; the scope must name this region and "events";
//   - the body: 1..10 entries, total entry size (AWS's rule) below 256 KB,
//     Source/DetailType/Detail present, Detail a JSON object, known buses.
// Accepted events are appended, one JSON line each, to EVENTS_LOG, before
// the answer is sent (so an answered EventId is always in the log).
//
// It can be told to fail, from the environment at start
// (STANDIN_FAIL=mode[:count]) or at run time (POST /_standin/fail with
// {"mode": ..., "count": N, "code": ..., "delayMs": N, "every": N}):
//   5xx         500 InternalException for whole requests
//   unavailable 503 ServiceUnavailableException
//   throttle    400 ThrottlingException for whole requests
//   partial     200 with every "every"-th entry (default 2nd) failed with
//               "code" (default ThrottlingException), FailedEntryCount set
//   validation  400 ValidationException
//   slow        wait delayMs (default 5000) before answering normally
//   none        back to normal
// count is how many requests the mode applies to (default: until changed).
//
// Control endpoints (loopback only, not signed):
//   GET  /_standin/stats        counters, as JSON
//   GET  /_standin/events       the accepted events, as a JSON array
//   POST /_standin/fail         set the failure mode (see above)
//   POST /_standin/credentials  {"accessKeyId","secretAccessKey",
//                                "sessionToken"?}: accept another key
//   POST /_standin/reset        counters to zero, failure mode none
//
// Environment: STANDIN_PORT (default 18330; 0 picks one), STANDIN_PORT_SPAN
// (try this many ports from STANDIN_PORT on; default 1), STANDIN_HOST
// (127.0.0.1), EVENTS_LOG (default ./events.jsonl), STANDIN_REGION
// (AWS_REGION, else us-east-1), STANDIN_ACCESS_KEY_ID /
// STANDIN_SECRET_ACCESS_KEY (else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY),
// STANDIN_SESSION_TOKEN (if set, requests must carry it), STANDIN_BUSES
// (comma-separated bus names accepted besides "default"; unset: any),
// STANDIN_FAIL.  It prints "eventbridge-standin listening on HOST:PORT"
// once ready and exits on SIGTERM/SIGINT.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const MAX_BODY = 1024 * 1024;
const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
const SKEW_MS = 15 * 60 * 1000;

const env = process.env;
const host = env.STANDIN_HOST || '127.0.0.1';
const port = env.STANDIN_PORT !== undefined ? Number(env.STANDIN_PORT) : 18330;
const region = env.STANDIN_REGION || env.AWS_REGION || 'us-east-1';
const eventsLog = env.EVENTS_LOG || 'events.jsonl';
const buses = env.STANDIN_BUSES ?
    new Set(['default', ...env.STANDIN_BUSES.split(',').filter(Boolean)]) :
    null;

// accessKeyId -> { secretAccessKey, sessionToken }
const keys = new Map();
function addKey(id, secret, token) {
  if (id && secret) keys.set(id, { secretAccessKey: secret, sessionToken: token || '' });
}
addKey(env.STANDIN_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID,
    env.STANDIN_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY,
    env.STANDIN_SESSION_TOKEN);

let fail = { mode: 'none', count: -1, code: 'ThrottlingException', delayMs: 5000, every: 2 };
const stats = {};
function resetStats() {
  for (const k of ['requests', 'accepted', 'failedEntries', 'refusedSignature',
    'refusedBody', 'injected']) stats[k] = 0;
}
resetStats();

function setFail(spec) {
  const modes = ['none', '5xx', 'unavailable', 'throttle', 'partial', 'validation', 'slow'];
  if (!modes.includes(spec.mode)) throw new Error(`unknown mode ${spec.mode}`);
  fail = {
    mode: spec.mode,
    count: spec.count === undefined ? -1 : Number(spec.count),
    code: spec.code || 'ThrottlingException',
    delayMs: spec.delayMs === undefined ? 5000 : Number(spec.delayMs),
    every: spec.every === undefined ? 2 : Math.max(1, Number(spec.every)),
  };
}
if (env.STANDIN_FAIL) {
  const [mode, count] = env.STANDIN_FAIL.split(':');
  setFail({ mode, count: count === undefined ? undefined : Number(count) });
}

// Take one request's worth of the failure mode, if any is left.
function takeFailure() {
  if (fail.mode === 'none' || fail.count === 0) return null;
  if (fail.count > 0) fail.count--;
  stats.injected++;
  return fail;
}

function answer(res, status, obj, extraHeaders) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': crypto.randomUUID(),
    ...(extraHeaders || {}),
  });
  res.end(body);
}

function awsError(res, status, type, message) {
  answer(res, status, { __type: type, message }, { 'x-amzn-ErrorType': type });
}

// Parse "AWS4-HMAC-SHA256 Credential=AK/20250101/region/svc/aws4_request,
// SignedHeaders=a;b, Signature=hex".
function parseAuthorization(h) {
  const m = /^AWS4-HMAC-SHA256 (.*)$/.exec(h || '');
  if (!m) return null;
  const parts = {};
  for (const p of m[1].split(',')) {
    const eq = p.indexOf('=');
    if (eq < 0) return null;
    parts[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  if (!parts.Credential || !parts.SignedHeaders || !parts.Signature) return null;
  const cred = parts.Credential.split('/');
  if (cred.length !== 5 || cred[4] !== 'aws4_request') return null;
  return {
    accessKeyId: cred[0], date: cred[1], region: cred[2], service: cred[3],
    signedHeaders: parts.SignedHeaders.split(';'), signature: parts.Signature,
  };
}

function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

// Returns null if the signature is right, else [status, type, message].
async function checkSignature(req, rawBody) {
  const auth = parseAuthorization(req.headers.authorization);
  if (!auth) return [400, 'IncompleteSignatureException', 'Authorization header is missing or malformed'];
  const amzDate = req.headers['x-amz-date'];
  const when = parseAmzDate(amzDate);
  if (!when) return [400, 'IncompleteSignatureException', 'X-Amz-Date is missing or malformed'];
  if (Math.abs(Date.now() - when.getTime()) > SKEW_MS)
    return [400, 'InvalidSignatureException', 'Signature expired: the request date is more than 15 minutes away'];
  if (auth.date !== amzDate.slice(0, 8))
    return [400, 'InvalidSignatureException', 'Credential scope date does not match X-Amz-Date'];
  if (auth.region !== region)
    return [400, 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${auth.region}'`];
  if (auth.service !== 'events')
    return [400, 'InvalidSignatureException', `Credential should be scoped to correct service: 'events', not '${auth.service}'`];
  for (const h of ['host', 'x-amz-date'])
    if (!auth.signedHeaders.includes(h))
      return [400, 'InvalidSignatureException', `Header ${h} must be signed`];
  const key = keys.get(auth.accessKeyId);
  if (!key) return [400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'];
  const token = req.headers['x-amz-security-token'] || '';
  if (key.sessionToken && token !== key.sessionToken)
    return [400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'];
  const sent = req.headers['x-amz-content-sha256'];
  if (sent !== undefined &&
      sent !== crypto.createHash('sha256').update(rawBody).digest('hex'))
    return [400, 'InvalidSignatureException', 'x-amz-content-sha256 does not match the body'];

  // Rebuild the request from what was signed and sign it again with the
  // SDK's signer; only the signed headers take part.
  const headers = {};
  for (const h of auth.signedHeaders) {
    if (req.headers[h] === undefined)
      return [400, 'InvalidSignatureException', `Signed header ${h} is missing`];
    if (h !== 'x-amz-security-token') headers[h] = req.headers[h];
  }
  const url = new URL(req.url, 'http://standin');
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      sessionToken: token || undefined,
    },
    region, service: 'events', sha256: Sha256, applyChecksum: false,
    uriEscapePath: true,
  });
  const signed = await signer.sign({
    method: req.method, protocol: 'http:', hostname: 'standin',
    path: url.pathname, query, headers, body: rawBody,
  }, { signingDate: when, signingRegion: region, signingService: 'events' });
  const mine = parseAuthorization(signed.headers.authorization);
  if (mine.signedHeaders.join(';') !== auth.signedHeaders.join(';'))
    return [400, 'InvalidSignatureException', 'SignedHeaders are not in canonical form'];
  const a = Buffer.from(mine.signature), b = Buffer.from(auth.signature);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b))
    return [400, 'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.'];
  return null;
}

// AWS's entry size rule.
function entrySize(e) {
  let n = 0;
  if (e.Time !== undefined && e.Time !== null) n += 14;
  n += Buffer.byteLength(String(e.Source || ''));
  n += Buffer.byteLength(String(e.DetailType || ''));
  if (e.Detail !== undefined) n += Buffer.byteLength(String(e.Detail));
  for (const r of e.Resources || []) n += Buffer.byteLength(String(r));
  return n;
}

// Per-entry problems, as AWS reports them inside a 200.
function entryProblem(e) {
  if (typeof e !== 'object' || e === null || Array.isArray(e))
    return ['InvalidArgument', 'Entry is not an object.'];
  for (const f of ['Source', 'DetailType', 'Detail']) {
    if (typeof e[f] !== 'string' || e[f].length === 0)
      return ['InvalidArgument', `Parameter ${f} is not valid. Reason: ${f} is a required argument.`];
  }
  if (Buffer.byteLength(e.Source) > 256 || e.Source.startsWith('aws.'))
    return ['InvalidArgument', 'Parameter Source is not valid. Reason: Source is reserved or too long.'];
  if (Buffer.byteLength(e.DetailType) > 128)
    return ['InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is too long.'];
  let d;
  try { d = JSON.parse(e.Detail); } catch (err) { d = undefined; }
  if (typeof d !== 'object' || d === null || Array.isArray(d))
    return ['MalformedDetail', 'Detail is malformed.'];
  if (e.Time !== undefined && (typeof e.Time !== 'number' || !Number.isFinite(e.Time)))
    return ['InvalidArgument', 'Parameter Time is not valid.'];
  return null;
}

async function putEvents(req, res, rawBody) {
  if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents')
    return awsError(res, 400, 'UnknownOperationException', 'Operation is not supported');
  const ctype = (req.headers['content-type'] || '').split(';')[0].trim();
  if (ctype !== 'application/x-amz-json-1.1')
    return awsError(res, 400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1');
  const bad = await checkSignature(req, rawBody);
  if (bad) {
    stats.refusedSignature++;
    return awsError(res, bad[0], bad[1], bad[2]);
  }
  const f = takeFailure();
  if (f && f.mode === 'slow') await new Promise((r) => setTimeout(r, f.delayMs));
  if (f && f.mode === '5xx') return awsError(res, 500, 'InternalException', 'Injected internal error');
  if (f && f.mode === 'unavailable') return awsError(res, 503, 'ServiceUnavailableException', 'Injected outage');
  if (f && f.mode === 'throttle') return awsError(res, 400, 'ThrottlingException', 'Rate exceeded');
  if (f && f.mode === 'validation') return awsError(res, 400, 'ValidationException', 'Injected validation error');

  let body;
  try { body = JSON.parse(rawBody.toString('utf8')); } catch (err) { body = undefined; }
  if (typeof body !== 'object' || body === null || !Array.isArray(body.Entries)) {
    stats.refusedBody++;
    return awsError(res, 400, 'SerializationException', 'Body is not a PutEvents request');
  }
  const entries = body.Entries;
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    stats.refusedBody++;
    return awsError(res, 400, 'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`);
  }
  const total = entries.reduce((n, e) => n + (typeof e === 'object' && e ? entrySize(e) : 0), 0);
  if (total >= MAX_ENTRY_BYTES) {
    stats.refusedBody++;
    return awsError(res, 400, 'ValidationException', `Total size of the entries in the request is over the limit (${total} bytes).`);
  }
  for (const e of entries) {
    const bus = e && e.EventBusName;
    if (buses && bus !== undefined && !buses.has(bus)) {
      stats.refusedBody++;
      return awsError(res, 400, 'ResourceNotFoundException', `Event bus ${bus} does not exist.`);
    }
  }

  const out = [];
  const lines = [];
  let failed = 0;
  entries.forEach((e, i) => {
    const problem = entryProblem(e);
    if (problem) {
      failed++;
      out.push({ ErrorCode: problem[0], ErrorMessage: problem[1] });
      return;
    }
    if (f && f.mode === 'partial' && (i + 1) % f.every === 0) {
      failed++;
      out.push({ ErrorCode: f.code, ErrorMessage: `Injected ${f.code}` });
      return;
    }
    const id = crypto.randomUUID();
    out.push({ EventId: id });
    lines.push(JSON.stringify({
      id, receivedAt: new Date().toISOString(), source: e.Source,
      detailType: e.DetailType, eventBusName: e.EventBusName || 'default',
      time: e.Time === undefined ? null : e.Time, detail: JSON.parse(e.Detail),
      accessKeyId: parseAuthorization(req.headers.authorization).accessKeyId,
    }) + '\n');
  });
  if (lines.length > 0) fs.appendFileSync(eventsLog, lines.join(''));
  stats.accepted += lines.length;
  stats.failedEntries += failed;
  return answer(res, 200, { FailedEntryCount: failed, Entries: out });
}

function control(req, res, rawBody) {
  const path = new URL(req.url, 'http://standin').pathname;
  const json = (status, obj) => {
    const b = JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(b) });
    res.end(b);
  };
  let body = {};
  if (req.method === 'POST' && rawBody.length > 0) {
    try { body = JSON.parse(rawBody.toString('utf8')); } catch (err) { return json(400, { error: 'bad JSON' }); }
  }
  if (req.method === 'GET' && path === '/_standin/stats')
    return json(200, { ...stats, failMode: fail.mode, failLeft: fail.count });
  if (req.method === 'GET' && path === '/_standin/events') {
    let text = '';
    try { text = fs.readFileSync(eventsLog, 'utf8'); } catch (err) { text = ''; }
    return json(200, text.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  if (req.method === 'POST' && path === '/_standin/fail') {
    try { setFail(body); } catch (err) { return json(400, { error: err.message }); }
    return json(200, fail);
  }
  if (req.method === 'POST' && path === '/_standin/credentials') {
    if (!body.accessKeyId || !body.secretAccessKey) return json(400, { error: 'accessKeyId and secretAccessKey needed' });
    addKey(body.accessKeyId, body.secretAccessKey, body.sessionToken);
    return json(200, { ok: true });
  }
  if (req.method === 'POST' && path === '/_standin/reset') {
    resetStats();
    setFail({ mode: 'none' });
    return json(200, { ok: true });
  }
  return json(404, { error: 'no such control endpoint' });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) tooBig = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (tooBig) return awsError(res, 413, 'RequestEntityTooLarge', 'Request is too large');
    const raw = Buffer.concat(chunks);
    if (req.url.startsWith('/_standin/')) return control(req, res, raw);
    stats.requests++;
    if (req.method !== 'POST' || new URL(req.url, 'http://standin').pathname !== '/')
      return awsError(res, 404, 'UnknownOperationException', 'Only POST / is served');
    putEvents(req, res, raw).catch((err) => {
      console.error(`eventbridge-standin: ${err.stack || err}`);
      if (!res.headersSent) awsError(res, 500, 'InternalFailure', 'stand-in bug');
    });
  });
});

// With STANDIN_PORT_SPAN=N, a port in use makes it try the next one, up
// to N ports in all (tests running side by side); the line printed names
// the port it got.
let span = Math.max(1, Number(env.STANDIN_PORT_SPAN || 1));
function listen(p) {
  server.once('error', (err) => {
    if (err.code === 'EADDRINUSE' && p !== 0 && --span > 0) return listen(p + 1);
    console.error(`eventbridge-standin: cannot listen on port ${p}: ${err.message}`);
    process.exit(1);
  });
  server.listen(p, host);
}
server.once('listening', () => {
  const a = server.address();
  console.log(`eventbridge-standin listening on ${a.address}:${a.port}`);
});
listen(port);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
