#!/usr/bin/env node
// s3-fault-proxy.js: a loopback HTTP proxy in front of the real S3 server
// (s3rver) that the fault tests switch between behaviours at run time.
//
// audio-api talks to this proxy as its S3 endpoint; every request is passed
// byte for byte (method, path, headers including Host, body) to s3rver,
// which still checks each SigV4 signature.  Modes, set with
// POST /_proxy/mode {"mode": ...}:
//   pass      forward everything (the default)
//   down      drop every connection without an answer (S3 unreachable)
//   manifest  answer 503 SlowDown to PUTs of .../manifest.json, forward
//             the rest: chunk HEADs work, manifest writes fail
//
// Conditional writes.  s3rver ignores If-Match and If-None-Match on PUT;
// S3 (since 2024), R2, Ceph RGW and MinIO honour them, and the manifest
// fence relies on it.  So the proxy enforces them as S3 does: a PUT that
// carries either takes a lock on its key, the object is HEADed upstream
// (s3rver takes unsigned requests), and when the condition does not hold
// the answer is 412 PreconditionFailed with S3's XML error, nothing
// forwarded; otherwise the PUT is forwarded as it came (its headers are
// signed) and the lock is released once s3rver has answered it.  Two
// conditional PUTs of one key are thus applied one after the other, each
// checked against what the other left.
//
// Held writes.  POST /_proxy/hold {"suffix": "/manifest.json", "count": 1}
// holds the next `count` PUTs whose path ends with suffix: their bodies
// are read and they wait, whatever their client does meanwhile (it may
// time out and go: the write is still in flight, as in a slow network),
// until POST /_proxy/release, which applies them as above (conditions
// checked then, against the object as it is then).  With {"method":
// "POST", "query": "delete", "count": 1} the next DeleteObjects (POST
// ?delete) is held instead: method and a query parameter name the call.
//
// Lost answers.  POST /_proxy/lose {"suffix": "/manifest.json", "count": 1}:
// the next `count` PUTs whose path ends with suffix are applied (conditions
// checked as above) but their answer is dropped: the client's connection
// is closed instead, as when a network fails after S3 took a write.
//
// Racing conditional writes.  POST /_proxy/conflict {"suffix":
// "/manifest.json", "count": 1}: the next `count` conditional PUTs whose
// path ends with suffix are answered 409 ConditionalRequestConflict, as
// S3 answers a conditional write that raced another one on the same key;
// nothing is forwarded.
//
// Listing uploads.  s3rver has no ListMultipartUploads either (GET
// /bucket?uploads answers 501 NotImplemented once the signature is
// checked).  The proxy forwards it so s3rver still checks the signature
// (a bad one stays 403) and answers, in S3's ListMultipartUploadsResult
// XML, the uploads it saw created and not yet aborted or completed whose
// key starts with prefix, by key then time, up to max-uploads
// (IsTruncated beyond).  A create whose answer never reached its client
// is listed all the same, as S3 would.
//
// Multipart abort.  s3rver has no AbortMultipartUpload (its DELETE with
// ?uploadId= answers 405 MethodNotAllowed, after checking the signature)
// and no ListMultipartUploads.  The proxy stands in for the abort as S3
// answers it: the DELETE is forwarded first, so s3rver checks its SigV4
// signature (a bad one is answered 403 as it came); on s3rver's 405 the
// proxy answers 204 for an upload it saw created (it reads the UploadId
// of every CreateMultipartUpload answer passing through) and not yet
// aborted or completed, else 404 NoSuchUpload.  An aborted upload's
// UploadPart and CompleteMultipartUpload are then answered 404
// NoSuchUpload, as S3 does.  Mode `abort-fail` answers every abort 503
// SlowDown (nothing forwarded), for the retry and give-up paths.
//
// GET /_proxy/uploads answers {open: [{uploadId, key}], gone: [uploadId]}:
// the uploads seen created and still open, and those aborted or completed.
//
// GET /_proxy/stats answers {mode, holding, forwarded, refused,
// manifestPuts: {ifMatch, ifNoneMatch, plain}, preconditionFailed, conflicts, held,
// released, heldAnswers: [status of each released write, in order], lost,
// mpu: {created, aborted, abortRefused, abortFailed, noSuchUpload, listed,
// open}} (open: uploads created and neither aborted nor completed).
//
// Environment: PROXY_PORT (listen), S3_PORT (s3rver).  It prints
// "s3-fault-proxy listening on 127.0.0.1:PORT" once ready.
'use strict';

const http = require('http');

const listenPort = Number(process.env.PROXY_PORT || 0);
const s3Port = Number(process.env.S3_PORT);
let mode = 'pass';
const stats = { forwarded: 0, refused: 0,
  manifestPuts: { ifMatch: 0, ifNoneMatch: 0, plain: 0 },
  preconditionFailed: 0, conflicts: 0, held: 0, released: 0, heldAnswers: [], lost: 0,
  mpu: { created: 0, aborted: 0, abortRefused: 0, abortFailed: 0, noSuchUpload: 0,
    listed: 0, open: 0 } };
// UploadIds seen created, and those aborted or completed since.
// UploadId -> {key, initiated} of each upload seen created and neither
// aborted nor completed since.
const uploadsOpen = new Map();
const uploadsGone = new Set();
let hold = { suffix: '', count: 0, method: 'PUT', query: '' };
let lose = { suffix: '', count: 0 };
let conflict = { suffix: '', count: 0 };
let heldWrites = [];

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', () => resolve(Buffer.concat(parts)));
  });
}

function control(req, res) {
  readBody(req).then((buf) => {
    const body = buf.toString();
    try {
      if (req.method === 'POST' && req.url === '/_proxy/mode') {
        const m = JSON.parse(body).mode;
        if (!['pass', 'down', 'manifest', 'abort-fail'].includes(m)) throw new Error('bad mode');
        mode = m;
      } else if (req.method === 'POST' && req.url === '/_proxy/hold') {
        const h = JSON.parse(body);
        if (typeof (h.suffix || '') !== 'string' || !(h.count >= 0)) throw new Error('bad hold');
        hold = { suffix: h.suffix || '', count: h.count, method: h.method || 'PUT',
          query: h.query || '' };
      } else if (req.method === 'POST' && req.url === '/_proxy/lose') {
        const l = JSON.parse(body);
        if (typeof l.suffix !== 'string' || !(l.count >= 0)) throw new Error('bad lose');
        lose = { suffix: l.suffix, count: l.count };
      } else if (req.method === 'POST' && req.url === '/_proxy/conflict') {
        const c = JSON.parse(body);
        if (typeof c.suffix !== 'string' || !(c.count >= 0)) throw new Error('bad conflict');
        conflict = { suffix: c.suffix, count: c.count };
      } else if (req.method === 'GET' && req.url === '/_proxy/uploads') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ open: [...uploadsOpen.entries()].map(([id, u]) =>
          ({ uploadId: id, key: u.key })), gone: [...uploadsGone] }));
        return;
      } else if (req.method === 'POST' && req.url === '/_proxy/release') {
        const w = heldWrites;
        heldWrites = [];
        hold.count = 0;
        for (const run of w) run();
      }
    } catch (e) {
      res.writeHead(400);
      res.end(String(e));
      return;
    }
    stats.mpu.open = uploadsOpen.size;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(Object.assign({ mode, holding: heldWrites.length }, stats)));
  });
}

// One lock per object key: fn runs once every earlier holder is done.
const locks = new Map();
async function locked(key, fn) {
  const prev = locks.get(key) || Promise.resolve();
  let release;
  const mine = new Promise((r) => { release = r; });
  const tail = prev.then(() => mine);
  locks.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(key) === tail) locks.delete(key);
  }
}

// HEAD the object upstream, unsigned: {status, etag}.
function headUpstream(req) {
  return new Promise((resolve) => {
    const h = http.request({ host: '127.0.0.1', port: s3Port, method: 'HEAD',
      path: req.url.split('?')[0], headers: { host: req.headers.host } }, (r) => {
      r.resume();
      r.on('end', () => resolve({ status: r.statusCode, etag: r.headers.etag || '' }));
    });
    h.on('error', () => resolve({ status: 0, etag: '' }));
    h.end();
  });
}

// Does the PUT's condition hold for what HEAD found?  As S3: If-None-Match
// (only * is allowed on PUT) holds when there is no object; If-Match holds
// when there is one and its ETag is listed (or the list is *).
function conditionHolds(req, head) {
  const exists = head.status === 200;
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*') return !exists;
    return !exists || !inm.split(',').map((s) => s.trim()).includes(head.etag);
  }
  const im = req.headers['if-match'];
  if (!exists) return false;
  return im.trim() === '*' || im.split(',').map((s) => s.trim()).includes(head.etag);
}

// Forward req (its body already read into buf) and pipe the answer back
// (or, when lost, close the client's connection instead); resolves with
// the status once the answer is complete.
function forward(req, res, buf, lost) {
  return new Promise((resolve) => {
    stats.forwarded++;
    const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method,
      path: req.url, headers: req.headers }, (ur) => {
      if (lost) {
        ur.resume();
        ur.on('end', () => { stats.lost++; req.socket.destroy(); resolve(ur.statusCode); });
        return;
      }
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
      ur.on('end', () => resolve(ur.statusCode));
      ur.on('error', () => resolve(0));
    });
    up.on('error', () => { req.socket.destroy(); resolve(0); });
    up.end(buf);
  });
}

function preconditionFailed(req, res) {
  stats.preconditionFailed++;
  const which = req.headers['if-none-match'] !== undefined ? 'If-None-Match' : 'If-Match';
  res.writeHead(412, { 'Content-Type': 'application/xml' });
  res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
    '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
    `<Condition>${which}</Condition><RequestId>s3-fault-proxy</RequestId></Error>`);
  return 412;
}

function conditionalConflict(res) {
  stats.conflicts++;
  res.writeHead(409, { 'Content-Type': 'application/xml' });
  res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ConditionalRequestConflict' +
    '</Code><Message>A conflicting operation occurred. If using PutObject you can retry the ' +
    'request.</Message><RequestId>s3-fault-proxy</RequestId></Error>');
  return 409;
}

// A PUT with its body in buf: check its condition under the key's lock.
function conditionalPut(req, res, buf, lost) {
  const key = req.url.split('?')[0];
  if (conflict.count > 0 && conflict.suffix !== '' && key.endsWith(conflict.suffix)) {
    conflict.count--;
    return Promise.resolve(conditionalConflict(res));
  }
  return locked(key, async () => {
    const head = await headUpstream(req);
    if (!conditionHolds(req, head)) return preconditionFailed(req, res);
    return forward(req, res, buf, lost);
  });
}

function noSuchUpload(res, id) {
  stats.mpu.noSuchUpload++;
  res.writeHead(404, { 'Content-Type': 'application/xml' });
  res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code>' +
    '<Message>The specified upload does not exist. The upload ID may be invalid, ' +
    'or the upload may have been aborted or completed.</Message>' +
    `<UploadId>${id}</UploadId><RequestId>s3-fault-proxy</RequestId></Error>`);
}

// Does url's query carry the parameter name (with or without a value)?
function hasQueryParam(url, name) {
  const q = url.indexOf('?');
  return q >= 0 && new URLSearchParams(url.slice(q + 1)).has(name);
}

// The uploadId query parameter of req, or null.
function uploadIdOf(req) {
  const q = req.url.indexOf('?');
  if (q < 0) return null;
  return new URLSearchParams(req.url.slice(q + 1)).get('uploadId');
}

// AbortMultipartUpload, which s3rver lacks: see the head comment.
function abortUpload(req, res, id) {
  if (mode === 'abort-fail') {
    stats.mpu.abortFailed++;
    req.resume();
    res.writeHead(503, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
      '<Message>Injected by s3-fault-proxy</Message></Error>');
    return;
  }
  stats.forwarded++;
  const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method,
    path: req.url, headers: req.headers }, (ur) => {
    const parts = [];
    ur.on('data', (d) => parts.push(d));
    ur.on('end', () => {
      const text = Buffer.concat(parts).toString();
      if (ur.statusCode !== 405 || !/MethodNotAllowed/.test(text)) {
        // Not past s3rver's signature check (or s3rver learnt the call).
        stats.mpu.abortRefused++;
        res.writeHead(ur.statusCode, ur.headers);
        res.end(text);
        return;
      }
      if (!uploadsOpen.has(id)) {
        noSuchUpload(res, id);
        return;
      }
      uploadsOpen.delete(id);
      uploadsGone.add(id);
      stats.mpu.aborted++;
      res.writeHead(204, { 'x-amz-request-id': 's3-fault-proxy' });
      res.end();
    });
  });
  up.on('error', () => req.socket.destroy());
  req.pipe(up);
}

// The object key of a path-style request (/bucket/key...), decoded.
function objectKeyOf(req) {
  const p = req.url.split('?')[0];
  const slash = p.indexOf('/', 1);
  return slash < 0 ? '' : decodeURIComponent(p.slice(slash + 1));
}

function xmlText(t) {
  return String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ListMultipartUploads, which s3rver lacks: see the head comment.
function listUploads(req, res) {
  stats.forwarded++;
  const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method,
    path: req.url, headers: req.headers }, (ur) => {
    const parts = [];
    ur.on('data', (d) => parts.push(d));
    ur.on('end', () => {
      const text = Buffer.concat(parts).toString();
      if (ur.statusCode === 403) {
        res.writeHead(ur.statusCode, ur.headers);
        res.end(text);
        return;
      }
      const q = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
      const prefix = q.get('prefix') || '';
      const max = Math.min(Number(q.get('max-uploads') || 1000), 1000);
      const bucket = req.url.split('?')[0].slice(1).split('/')[0];
      const all = [...uploadsOpen.entries()]
        .filter(([, u]) => u.key.startsWith(prefix))
        .sort((a, b) => (a[1].key < b[1].key ? -1 : a[1].key > b[1].key ? 1 :
          a[1].initiated < b[1].initiated ? -1 : 1));
      const page = all.slice(0, max);
      stats.mpu.listed++;
      res.writeHead(200, { 'Content-Type': 'application/xml',
        'x-amz-request-id': 's3-fault-proxy' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>' +
        '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${xmlText(bucket)}</Bucket><KeyMarker></KeyMarker>` +
        '<UploadIdMarker></UploadIdMarker>' +
        (all.length > max ? `<NextKeyMarker>${xmlText(page[page.length - 1][1].key)}` +
          `</NextKeyMarker><NextUploadIdMarker>${xmlText(page[page.length - 1][0])}` +
          '</NextUploadIdMarker>' : '') +
        `<Prefix>${xmlText(prefix)}</Prefix><MaxUploads>${max}</MaxUploads>` +
        `<IsTruncated>${all.length > max}</IsTruncated>` +
        page.map(([id, u]) => `<Upload><Key>${xmlText(u.key)}</Key>` +
          `<UploadId>${xmlText(id)}</UploadId><Initiator><ID>s3-fault-proxy</ID>` +
          '<DisplayName>s3-fault-proxy</DisplayName></Initiator><Owner>' +
          '<ID>s3-fault-proxy</ID><DisplayName>s3-fault-proxy</DisplayName></Owner>' +
          `<StorageClass>STANDARD</StorageClass><Initiated>${u.initiated}</Initiated>` +
          '</Upload>').join('') +
        '</ListMultipartUploadsResult>');
    });
  });
  up.on('error', () => req.socket.destroy());
  req.pipe(up);
}

// CreateMultipartUpload and CompleteMultipartUpload pass through; the
// proxy notes which uploads exist.
function trackUpload(req, res, id) {
  stats.forwarded++;
  const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method,
    path: req.url, headers: req.headers }, (ur) => {
    const parts = [];
    ur.on('data', (d) => parts.push(d));
    ur.on('end', () => {
      const body = Buffer.concat(parts);
      const m = /<UploadId>([^<]+)<\/UploadId>/.exec(body.toString());
      if (id === null && ur.statusCode === 200 && m) {
        stats.mpu.created++;
        uploadsOpen.set(m[1], { key: objectKeyOf(req),
          initiated: new Date().toISOString() });
      } else if (id !== null && ur.statusCode === 200 &&
          /CompleteMultipartUploadResult/.test(body.toString())) {
        uploadsOpen.delete(id);
        uploadsGone.add(id);
      }
      res.writeHead(ur.statusCode, ur.headers);
      res.end(body);
    });
  });
  up.on('error', () => req.socket.destroy());
  req.pipe(up);
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/_proxy/')) {
    control(req, res);
    return;
  }
  const mpuId = mode === 'down' ? null : uploadIdOf(req);
  if (mpuId !== null && uploadsGone.has(mpuId) && req.method !== 'DELETE') {
    req.resume();
    req.on('end', () => noSuchUpload(res, mpuId));
    return;
  }
  if (mpuId !== null && req.method === 'DELETE') {
    abortUpload(req, res, mpuId);
    return;
  }
  if (mode !== 'down' && req.method === 'GET' && hasQueryParam(req.url, 'uploads')) {
    listUploads(req, res);
    return;
  }
  if (mode !== 'down' && req.method === 'POST' &&
      (mpuId !== null || /[?&]uploads(=|&|$)/.test(req.url))) {
    trackUpload(req, res, mpuId);
    return;
  }
  if (mode === 'down') {
    stats.refused++;
    req.socket.destroy();
    return;
  }
  const path = req.url.split('?')[0];
  const isManifest = req.method === 'PUT' && path.endsWith('/manifest.json');
  if (mode === 'manifest' && isManifest) {
    stats.refused++;
    req.resume();
    req.on('end', () => {
      res.writeHead(503, { 'Content-Type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown' +
        '</Code><Message>Injected by s3-fault-proxy</Message></Error>');
    });
    return;
  }
  const conditional = req.method === 'PUT' &&
    (req.headers['if-match'] !== undefined || req.headers['if-none-match'] !== undefined);
  if (isManifest) {
    if (req.headers['if-match'] !== undefined) stats.manifestPuts.ifMatch++;
    else if (req.headers['if-none-match'] !== undefined) stats.manifestPuts.ifNoneMatch++;
    else stats.manifestPuts.plain++;
  }
  const held = hold.count > 0 && req.method === hold.method &&
    (hold.query !== '' ? hasQueryParam(req.url, hold.query) :
      hold.suffix !== '' && path.endsWith(hold.suffix));
  const lost = !held && req.method === 'PUT' && lose.count > 0 && lose.suffix !== '' &&
    path.endsWith(lose.suffix);
  if (lost) lose.count--;
  if (!conditional && !held && !lost) {
    stats.forwarded++;
    const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method,
      path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
    return;
  }
  if (held) {
    hold.count--;
    stats.held++;
  }
  readBody(req).then((buf) => {
    const apply = () => (conditional ? conditionalPut(req, res, buf, lost) :
      forward(req, res, buf, lost));
    if (!held) {
      apply();
      return;
    }
    heldWrites.push(() => {
      stats.released++;
      apply().then((status) => stats.heldAnswers.push(status));
    });
  });
});
server.keepAliveTimeout = 5000;
server.listen(listenPort, '127.0.0.1', () => {
  console.log(`s3-fault-proxy listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
