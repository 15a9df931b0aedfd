// tap.js: the TAP lines and the exit status of every Node test
// (tests/integration/*.js; tests/lib/tap.sh is the same for the shell
// tests): numbered "ok N - ..." / "not ok N - ..." lines, notes, the run of
// a test's parts (main), sleeping and polling, tokens minted with
// tests/tools/jwtmint (the key and claims tests/tools/devstack.sh env
// describes), and the exit status (the number of failures, capped at 100).
'use strict';

const { spawnSync } = require('child_process');
const path = require('path');

const env = process.env;
let checks = 0;
let failures = 0;

function ok(cond, what, extra) {
  checks++;
  if (cond) {
    console.log(`ok ${checks} - ${what}`);
  } else {
    failures++;
    console.log(`not ok ${checks} - ${what}` + (extra !== undefined ?
      `\n#   got: ${typeof extra === 'string' ? extra : JSON.stringify(extra).slice(0, 2000)}` : ''));
  }
  return cond;
}

function note(s) {
  console.log('# ' + s);
}

// An exception ended the run: one failure, with its stack.
function fail(e) {
  failures++;
  console.log('not ok - exception: ' + (e.stack || e));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Poll fn every 100 ms until it answers truthy or ms pass; its last answer.
async function until(fn, ms) {
  let v;
  for (let t = 0; t <= ms; t += 100) {
    if ((v = await fn())) return v;
    await sleep(100);
  }
  return v;
}

// An ID token for sub; opts.iss / opts.aud replace the stack's issuer and
// app client, opts.extra adds jwtmint arguments (e.g. --iat, --ttl).
function mint(sub, opts = {}) {
  const r = spawnSync(env.JWTMINT, ['token', env.JWT_PRIVATE_KEY, env.JWT_KID,
    opts.iss || env.JWT_ISSUER, opts.aud || env.JWT_CLIENT_ID, sub, '--use', 'id',
    ...(opts.extra || [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('jwtmint failed: ' + r.stderr);
  return r.stdout.trim();
}

function finish(suffix = '') {
  console.log(`# ${checks} checks, ${failures} failed${suffix}`);
  process.exit(failures > 100 ? 100 : failures);
}

// main(parts, opts): run the part named by the first argument (parts maps
// names to async functions; a function alone is run whatever the
// arguments), an exception being one failure; then opts.cleanup(), and
// finish() with opts.suffix() after the summary.  An unknown part: usage on
// stderr and exit status 2.
async function main(parts, opts = {}) {
  const part = typeof parts === 'function' ? parts : parts[process.argv[2]];
  if (!part) {
    console.error(`usage: ${path.basename(process.argv[1])} ${Object.keys(parts).join('|')}`);
    process.exit(2);
  }
  try {
    await part();
  } catch (e) {
    fail(e);
  }
  if (opts.cleanup) opts.cleanup();
  finish(opts.suffix ? opts.suffix() : '');
}

// fn(item, index) over items, at most conc at a time; the results in the
// items' order.
async function pmap(items, conc, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function run() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: conc }, run));
  return out;
}

module.exports = { ok, note, fail, sleep, until, mint, finish, main, pmap };
