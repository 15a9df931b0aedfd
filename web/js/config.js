// config.js: the deployment's settings, read from config.json next to the
// page (API path, bridge path, sign-in, chunk length), so a deployment
// edits that file and no code.

const defaults = {
  apiPath: '/api/audio',
  bridgePath: '/asr',
  chunkSeconds: 5,
  language: 'en-US',
  auth: { mode: 'cognito', scope: 'openid email' },
};

export async function loadConfig() {
  const r = await fetch('config.json', { cache: 'no-store' });
  if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
  const c = await r.json();
  const cfg = { ...defaults, ...c, auth: { ...defaults.auth, ...(c.auth || {}) } };
  const secs = Number(cfg.chunkSeconds);
  if (!(secs >= 1 && secs <= 300)) throw new Error('config.json: chunkSeconds must be 1..300');
  cfg.chunkMs = secs * 1000;
  return cfg;
}
