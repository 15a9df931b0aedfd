// ui.js: the small DOM helpers every view uses, and the notices: one
// message per concern (mic, auth, live, storage, ...), replaced when that
// concern's state changes and removed when it is fine again, so the page
// never fails silently and never piles up stale messages.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

// notice(key, text, level): show or replace the message for one concern
// (level: info, warn, error); text null removes it.
export function notice(key, text, level = 'info') {
  const list = $('notices');
  let li = list.querySelector(`li[data-key="${key}"]`);
  if (text === null || text === undefined) {
    if (li) li.remove();
    return;
  }
  if (!li) {
    li = el('li', { 'data-key': key });
    list.append(li);
  }
  li.className = level;
  li.setAttribute('role', level === 'error' ? 'alert' : 'status');
  if (li.textContent !== text) li.textContent = text;
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function fmtMs(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// backoff(attempt): exponential, capped, with jitter so that many clients
// back from the same outage do not return in step.
export function backoff(attempt, base = 500, cap = 15000) {
  const d = Math.min(cap, base * 2 ** Math.min(attempt, 10));
  return Math.round(d * (0.5 + Math.random() / 2));
}
