#!/usr/bin/env node
// aws-metadata-standin.js: loopback stand-ins for the two HTTP credential
// sources of the AWS chain, for tests/integration/awscred.test.
//
//   EC2 instance metadata, IMDSv2 only (as an instance with
//   HttpTokens=required answers):
//     PUT /latest/api/token            needs X-aws-ec2-metadata-token-ttl-seconds
//                                      1..21600; answers a fresh token
//     GET /latest/meta-data/iam/security-credentials/        the role name
//     GET /latest/meta-data/iam/security-credentials/ROLE    the credentials
//     Both GETs need a live X-aws-ec2-metadata-token, else 401.  Any
//     X-Forwarded-For is refused (403), as IMDS does.
//   ECS container credentials:
//     GET /ecs/...  the credentials; if META_CONTAINER_TOKEN is set, the
//                   Authorization header must equal it, else 403.
//
// Every credentials answer is a new key: ASIAIMDS00000001, ...02 (or
// ASIAECS...), secret "secret-imds-N", token "token-imds-N", expiring
// META_EXPIRES_IN seconds (default 3600) after now, so a test sees when the
// client fetched again.  With META_ACCESS_KEY_ID and META_SECRET_ACCESS_KEY
// set, every answer carries that key pair instead (still with a new token
// each time), so a real S3-compatible server that knows the pair (s3rver)
// accepts what the client signs with it.
//
//   GET /_standin/stats  {"tokens","roles","imds","ecs","refused"}
//
// Environment: META_PORT (default 18320; 0 picks one), META_PORT_SPAN, META_ROLE (default
// audio-api-role), META_EXPIRES_IN, META_CONTAINER_TOKEN.  Prints
// "aws-metadata-standin listening on HOST:PORT" when ready.
'use strict';

const crypto = require('crypto');
const http = require('http');

const env = process.env;
const port = env.META_PORT !== undefined ? Number(env.META_PORT) : 18320;
const role = env.META_ROLE || 'audio-api-role';
const expiresIn = Number(env.META_EXPIRES_IN || 3600);
const containerToken = env.META_CONTAINER_TOKEN || '';
const fixedKeyId = env.META_ACCESS_KEY_ID || '';
const fixedSecret = env.META_SECRET_ACCESS_KEY || '';
if (!fixedKeyId !== !fixedSecret) {
  console.error('aws-metadata-standin: set both META_ACCESS_KEY_ID and META_SECRET_ACCESS_KEY, or neither');
  process.exit(2);
}

const tokens = new Map();	// token -> expiry (ms)
const stats = { tokens: 0, roles: 0, imds: 0, ecs: 0, refused: 0 };

function send(res, status, body, type) {
  res.writeHead(status, { 'Content-Type': type || 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function refuse(res, status, why) {
  stats.refused++;
  send(res, status, why + '\n');
}

function credentials(kind, n, withCode) {
  const doc = {};
  if (withCode) Object.assign(doc, { Code: 'Success', LastUpdated: new Date().toISOString(), Type: 'AWS-HMAC' });
  const prefix = kind === 'imds' ? 'ASIAIMDS' : 'ASIAECS0';
  Object.assign(doc, {
    AccessKeyId: fixedKeyId || prefix + String(n).padStart(8, '0'),
    SecretAccessKey: fixedSecret || `secret-${kind}-${n}`,
    Token: `token-${kind}-${n}`,
    Expiration: new Date(Date.now() + expiresIn * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  if (kind === 'ecs') doc.RoleArn = `arn:aws:iam::123456789012:role/${role}`;
  return JSON.stringify(doc);
}

function tokenOk(req) {
  const t = req.headers['x-aws-ec2-metadata-token'];
  const exp = t && tokens.get(t);
  return exp && exp > Date.now();
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const path = new URL(req.url, 'http://standin').pathname;
    if (path === '/_standin/stats') return send(res, 200, JSON.stringify(stats), 'application/json');
    if (path.startsWith('/ecs/')) {
      if (req.method !== 'GET') return refuse(res, 405, 'method');
      if (containerToken && req.headers.authorization !== containerToken)
        return refuse(res, 403, 'bad authorization token');
      stats.ecs++;
      return send(res, 200, credentials('ecs', stats.ecs, false), 'application/json');
    }
    if (req.headers['x-forwarded-for'] !== undefined) return refuse(res, 403, 'forwarded');
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return refuse(res, 405, 'method');
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return refuse(res, 400, 'bad ttl');
      const t = crypto.randomBytes(32).toString('base64');
      tokens.set(t, Date.now() + ttl * 1000);
      stats.tokens++;
      return send(res, 200, t);
    }
    const base = '/latest/meta-data/iam/security-credentials/';
    if (path.startsWith(base)) {
      if (req.method !== 'GET') return refuse(res, 405, 'method');
      if (!tokenOk(req)) return refuse(res, 401, 'no or bad IMDSv2 token');
      const rest = path.slice(base.length);
      if (rest === '') {
        stats.roles++;
        return send(res, 200, role);
      }
      if (rest !== role) return refuse(res, 404, 'no such role');
      stats.imds++;
      return send(res, 200, credentials('imds', stats.imds, true), 'text/plain');
    }
    return refuse(res, 404, 'not found');
  });
});

// META_PORT_SPAN=N: on a port in use try the next, N ports in all.
let span = Math.max(1, Number(env.META_PORT_SPAN || 1));
function listen(p) {
  server.once('error', (err) => {
    if (err.code === 'EADDRINUSE' && p !== 0 && --span > 0) return listen(p + 1);
    console.error(`aws-metadata-standin: cannot listen on port ${p}: ${err.message}`);
    process.exit(1);
  });
  server.listen(p, '127.0.0.1');
}
server.once('listening', () => {
  const a = server.address();
  console.log(`aws-metadata-standin listening on ${a.address}:${a.port}`);
});
listen(port);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
