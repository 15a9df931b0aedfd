// auth.js: sign-in.  Two modes, chosen by config.json:
//   cognito: the Cognito Hosted UI, OAuth 2.0 authorization code flow with
//            PKCE for a public app client (no secret in the page); the ID
//            token is what the API and the bridge are given, the refresh
//            token renews it before it expires;
//   dev:     the local stack only (tests/tools/devstack.sh): a user name is
//            POSTed to auth.tokenPath and the stack mints a token for it.
// Tokens live in memory and sessionStorage (gone with the tab, never in a
// cookie).  Listeners get "change" whenever the signed-in state changes;
// state "expired" means the token ran out and could not be renewed.

const KEY = 'audio-auth';
const PKCE_KEY = 'audio-auth-pkce';

function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// The claims of a JWT (not verified here: the API and the bridge verify).
export function jwtClaims(jwt) {
  try {
    const p = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(p))));
  } catch {
    return null;
  }
}

export class AuthError extends Error {}

export class Auth extends EventTarget {
  constructor(cfg) {
    super();
    this.cfg = cfg.auth;
    this.s = null;          // {idToken, refreshToken?, expiresAt, user, sub}
    this.state = 'signed-out';
    this.timer = 0;
    this.failures = 0;
  }

  get token() {
    return this.state === 'signed-in' ? this.s.idToken : null;
  }
  get user() { return this.s ? this.s.user : null; }
  get sub() { return this.s ? this.s.sub : null; }

  // init(): finish a Hosted UI redirect (?code=&state=) or restore the
  // tab's tokens.  Throws AuthError with a message for the user.
  async init() {
    const q = new URLSearchParams(location.search);
    if (this.cfg.mode === 'cognito' && (q.has('code') || q.has('error'))) {
      history.replaceState(null, '', location.pathname);
      if (q.has('error')) {
        throw new AuthError(`Sign-in failed: ${q.get('error_description') || q.get('error')}`);
      }
      const pk = JSON.parse(sessionStorage.getItem(PKCE_KEY) || 'null');
      sessionStorage.removeItem(PKCE_KEY);
      if (!pk || pk.state !== q.get('state')) {
        throw new AuthError('Sign-in failed: the answer from the sign-in page does not match this tab. Try again.');
      }
      await this.tokenRequest({
        grant_type: 'authorization_code', code: q.get('code'),
        redirect_uri: this.redirectUri(), code_verifier: pk.verifier,
      });
      return;
    }
    const saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (saved && saved.idToken) {
      this.s = saved;
      if (saved.expiresAt - Date.now() > 5000) {
        this.set('signed-in');
      } else {
        await this.refresh().catch(() => this.set('expired'));
      }
    }
  }

  redirectUri() {
    return location.origin + location.pathname;
  }

  async signInDev(user) {
    this.s = { user };
    await this.devToken(user);
  }

  // Hosted UI: remember a fresh PKCE verifier and state, then leave.
  async signInCognito() {
    if (!this.cfg.domain || !this.cfg.clientId || /YOUR-/.test(this.cfg.domain + this.cfg.clientId)) {
      throw new AuthError('Sign-in is not configured: set auth.domain and auth.clientId in config.json.');
    }
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
    const u = new URL('/oauth2/authorize', this.cfg.domain);
    u.search = new URLSearchParams({
      response_type: 'code', client_id: this.cfg.clientId, redirect_uri: this.redirectUri(),
      scope: this.cfg.scope || 'openid email', state,
      code_challenge_method: 'S256', code_challenge: challenge,
    });
    location.assign(u.toString());
  }

  signOut() {
    const wasCognito = this.cfg.mode === 'cognito' && this.s;
    this.s = null;
    sessionStorage.removeItem(KEY);
    this.set('signed-out');
    if (wasCognito && this.cfg.domain && this.cfg.clientId) {
      const u = new URL('/logout', this.cfg.domain);
      u.search = new URLSearchParams({ client_id: this.cfg.clientId, logout_uri: this.redirectUri() });
      location.assign(u.toString());
    }
  }

  async tokenRequest(params) {
    let r;
    try {
      r = await fetch(new URL('/oauth2/token', this.cfg.domain), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: this.cfg.clientId, ...params }),
      });
    } catch {
      throw new AuthError('Cannot reach the sign-in service (network).');
    }
    const j = await r.json().catch(() => ({}));
    if (!r.ok || !j.id_token) {
      throw new AuthError(`Sign-in service refused: ${j.error_description || j.error || 'HTTP ' + r.status}`);
    }
    const c = jwtClaims(j.id_token) || {};
    this.s = {
      idToken: j.id_token,
      refreshToken: j.refresh_token || (this.s && this.s.refreshToken),
      expiresAt: c.exp ? c.exp * 1000 : Date.now() + (j.expires_in || 3600) * 1000,
      user: c.email || c['cognito:username'] || c.sub,
      sub: c.sub,
    };
    this.save();
  }

  async devToken(user) {
    let r;
    try {
      r = await fetch(this.cfg.tokenPath || 'dev/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user, ttl: this.cfg.devTokenSeconds || 3600 }),
      });
    } catch {
      throw new AuthError('Cannot reach the dev sign-in (network).');
    }
    const j = await r.json().catch(() => ({}));
    if (!r.ok || !j.idToken) {
      throw new AuthError(`Dev sign-in refused: ${j.error || 'HTTP ' + r.status}`);
    }
    const c = jwtClaims(j.idToken) || {};
    this.s = { idToken: j.idToken, expiresAt: c.exp * 1000, user, sub: c.sub };
    this.save();
  }

  save() {
    sessionStorage.setItem(KEY, JSON.stringify(this.s));
    this.failures = 0;
    this.set('signed-in');
  }

  async refresh() {
    if (this.cfg.mode === 'dev') return this.devToken(this.s.user);
    if (!this.s.refreshToken) throw new AuthError('no refresh token');
    return this.tokenRequest({ grant_type: 'refresh_token', refresh_token: this.s.refreshToken });
  }

  set(state) {
    this.state = state;
    clearTimeout(this.timer);
    if (state === 'signed-in') this.schedule();
    this.dispatchEvent(new Event('change'));
  }

  // Renew a while before expiry (a quarter of the lifetime, at most a
  // minute); on failure try again every few seconds until the token has
  // run out, then say so.
  schedule() {
    const left = this.s.expiresAt - Date.now();
    const life = this.s.lifetime || (this.s.lifetime = left);
    const margin = Math.min(60000, life / 4);
    const wait = this.failures ? 3000 : Math.max(0, left - margin);
    this.timer = setTimeout(() => this.renew(), Math.min(wait, 2 ** 31 - 1));
  }

  async renew() {
    try {
      await this.refresh();
    } catch {
      this.failures++;
      if (Date.now() >= this.s.expiresAt - 1000) {
        this.set('expired');
      } else {
        this.schedule();
      }
    }
  }

  // expiredNow(): the API or the bridge refused the token.
  expiredNow() {
    if (this.state !== 'signed-in') return;
    this.renew();
  }
}
