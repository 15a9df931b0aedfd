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
// GET /_proxy/stats answers {mode, forwarded, refused}.
//
// Environment: PROXY_PORT (listen), S3_PORT (s3rver).  It prints
// "s3-fault-proxy listening on 127.0.0.1:PORT" once ready.
'use strict';

const http = require('http');

const listenPort = Number(process.env.PROXY_PORT || 0);
const s3Port = Number(process.env.S3_PORT);
let mode = 'pass';
const stats = { forwarded: 0, refused: 0 };

function control(req, res) {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    if (req.method === 'POST' && req.url === '/_proxy/mode') {
      try {
        const m = JSON.parse(body).mode;
        if (!['pass', 'down', 'manifest'].includes(m)) throw new Error('bad mode');
        mode = m;
      } catch (e) {
        res.writeHead(400);
        res.end(String(e));
        return;
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(Object.assign({ mode }, stats)));
  });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/_proxy/')) {
    control(req, res);
    return;
  }
  if (mode === 'down') {
    stats.refused++;
    req.socket.destroy();
    return;
  }
  if (mode === 'manifest' && req.method === 'PUT' &&
      req.url.split('?')[0].endsWith('/manifest.json')) {
    stats.refused++;
    req.resume();
    req.on('end', () => {
      res.writeHead(503, { 'Content-Type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown' +
        '</Code><Message>Injected by s3-fault-proxy</Message></Error>');
    });
    return;
  }
  stats.forwarded++;
  const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method,
    path: req.url, headers: req.headers }, (ur) => {
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => req.socket.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 5000;
server.listen(listenPort, '127.0.0.1', () => {
  console.log(`s3-fault-proxy listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
