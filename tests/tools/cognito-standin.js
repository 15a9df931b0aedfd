#!/usr/bin/env node
// cognito-standin.js: a loopback Cognito Hosted UI for the web app test:
// the OAuth 2.0 endpoints a public app client uses, checked as Cognito
// checks them, so the page's authorization code flow with PKCE is tested
// end to end (Cognito itself cannot run here).
//
//   GET  /oauth2/authorize   response_type=code, the app client, a
//                            redirect_uri, state, code_challenge_method=S256
//                            and a code_challenge: a sign-in form
//   POST /login              the form: a one-time code (60 s), 302 to
//                            redirect_uri?code=...&state=...
//   POST /oauth2/token       grant_type=authorization_code (client_id,
//                            code, the same redirect_uri, code_verifier whose
//                            SHA-256 is the challenge) or refresh_token:
//                            {id_token, access_token, refresh_token?,
//                            expires_in, token_type}; CORS like Cognito's
//   GET  /logout             302 to logout_uri
//   GET  /_standin/stats     counters (codes, refreshes, refused)
//
// Tokens are minted by tests/tools/jwtmint with the local stack's key, issuer
// and app client (JWTMINT, JWT_PRIVATE_KEY, JWT_KID, JWT_ISSUER,
// JWT_CLIENT_ID), living COGNITO_TTL seconds (default 3600).  Listens on
// 127.0.0.1:COGNITO_PORT; prints "cognito-standin ready PORT".
'use strict';

const http = require('http');
const crypto = require('crypto');
const { spawnSync } = require('child_process');

const env = process.env;
const port = Number(env.COGNITO_PORT);
const ttl = Number(env.COGNITO_TTL || 3600);
const codes = new Map();      // code -> {user, clientId, redirectUri, challenge, at}
const refresh = new Map();    // refresh token -> user
const stats = { authorize: 0, codes: 0, tokens: 0, refreshes: 0, refused: 0 };

function mint(user, use) {
  const r = spawnSync(env.JWTMINT, ['token', env.JWT_PRIVATE_KEY, env.JWT_KID,
    env.JWT_ISSUER, env.JWT_CLIENT_ID, user, '--use', use, '--ttl', String(ttl),
    '--email', `${user}@example.com`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('jwtmint: ' + r.stderr);
  return r.stdout.trim();
}

function b64url(buf) {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function send(res, status, body, headers = {}) {
  const json = typeof body !== 'string';
  res.writeHead(status, {
    'Content-Type': json ? 'application/json' : 'text/html; charset=utf-8',
    'Cache-Control': 'no-store', ...headers,
  });
  res.end(json ? JSON.stringify(body) : body);
}

function refuse(res, error, description) {
  stats.refused++;
  send(res, 400, { error, error_description: description }, { 'Access-Control-Allow-Origin': '*' });
}

function readBody(req) {
  return new Promise((ok, bad) => {
    let b = '';
    req.on('data', (d) => {
      b += d;
      if (b.length > 8192) bad(new Error('body too large'));
    });
    req.on('end', () => ok(new URLSearchParams(b)));
  });
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function handle(req, res) {
  const u = new URL(req.url, `http://127.0.0.1:${port}`);
  const q = u.searchParams;
  if (req.method === 'GET' && u.pathname === '/oauth2/authorize') {
    stats.authorize++;
    if (q.get('response_type') !== 'code' || q.get('client_id') !== env.JWT_CLIENT_ID ||
        !q.get('redirect_uri') || q.get('code_challenge_method') !== 'S256' ||
        !/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') || '') || !q.get('state') ||
        !(q.get('scope') || '').split(' ').includes('openid')) {
      return send(res, 400, '<p>invalid_request</p>');
    }
    const hidden = ['client_id', 'redirect_uri', 'state', 'code_challenge']
      .map((k) => `<input type="hidden" name="${k}" value="${esc(q.get(k))}">`).join('');
    return send(res, 200, `<!doctype html><title>Sign in</title><form method="post" action="/login">${hidden}` +
      '<label for="username">Username</label><input id="username" name="username">' +
      '<button type="submit">Sign in</button></form>');
  }
  if (req.method === 'POST' && u.pathname === '/login') {
    const f = await readBody(req);
    const user = f.get('username') || '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(user)) return send(res, 400, '<p>bad username</p>');
    const code = b64url(crypto.randomBytes(24));
    codes.set(code, { user, clientId: f.get('client_id'), redirectUri: f.get('redirect_uri'),
      challenge: f.get('code_challenge'), at: Date.now() });
    stats.codes++;
    const to = new URL(f.get('redirect_uri'));
    to.searchParams.set('code', code);
    to.searchParams.set('state', f.get('state'));
    res.writeHead(302, { Location: to.toString() });
    return res.end();
  }
  if (req.method === 'OPTIONS' && u.pathname === '/oauth2/token') {
    res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'content-type' });
    return res.end();
  }
  if (req.method === 'POST' && u.pathname === '/oauth2/token') {
    const f = await readBody(req);
    if (f.get('client_id') !== env.JWT_CLIENT_ID) return refuse(res, 'invalid_client', 'unknown client');
    let user;
    const out = {};
    if (f.get('grant_type') === 'authorization_code') {
      const c = codes.get(f.get('code') || '');
      codes.delete(f.get('code') || '');      // one use only
      if (!c || Date.now() - c.at > 60000) return refuse(res, 'invalid_grant', 'unknown or expired code');
      if (c.redirectUri !== f.get('redirect_uri')) return refuse(res, 'invalid_grant', 'redirect_uri differs');
      const want = b64url(crypto.createHash('sha256').update(f.get('code_verifier') || '').digest());
      if (want !== c.challenge) return refuse(res, 'invalid_grant', 'code_verifier does not match the challenge');
      user = c.user;
      out.refresh_token = b64url(crypto.randomBytes(32));
      refresh.set(out.refresh_token, user);
      stats.tokens++;
    } else if (f.get('grant_type') === 'refresh_token') {
      user = refresh.get(f.get('refresh_token') || '');
      if (!user) return refuse(res, 'invalid_grant', 'refresh token unknown or revoked');
      stats.refreshes++;
    } else {
      return refuse(res, 'unsupported_grant_type', f.get('grant_type') || 'none');
    }
    return send(res, 200, { id_token: mint(user, 'id'), access_token: mint(user, 'access'),
      ...out, expires_in: ttl, token_type: 'Bearer' }, { 'Access-Control-Allow-Origin': '*' });
  }
  if (req.method === 'GET' && u.pathname === '/logout') {
    if (q.get('client_id') !== env.JWT_CLIENT_ID || !q.get('logout_uri')) return send(res, 400, '<p>bad logout</p>');
    res.writeHead(302, { Location: q.get('logout_uri') });
    return res.end();
  }
  if (req.method === 'GET' && u.pathname === '/_standin/stats') return send(res, 200, stats);
  return send(res, 404, '<p>not found</p>');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => send(res, 500, { error: String(e.message) }));
});
server.listen(port, '127.0.0.1', () => console.log(`cognito-standin ready ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
