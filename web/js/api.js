// api.js: calls to the storage API (/api/audio by default) with the
// signed-in user's token.  Every failure becomes an ApiError that says
// what went wrong for a person (the API's own "error" text when it gave
// one) and whether trying again can help (retryable), so callers choose
// between backing off and giving up without parsing statuses.

export class ApiError extends Error {
  constructor(message, { status = 0, code = 'network', retryable = false, where = 'api' } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryable = retryable;
    this.where = where;   // api or s3
  }
}

export class Api {
  constructor(cfg, auth) {
    this.base = cfg.apiPath.replace(/\/$/, '');
    this.auth = auth;
  }

  async call(method, path, body) {
    const token = this.auth.token;
    if (!token) throw new ApiError('Not signed in.', { status: 401, code: 'unauthorized' });
    const init = { method, headers: { Authorization: `Bearer ${token}` } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let r;
    try {
      r = await fetch(this.base + path, init);
    } catch {
      throw new ApiError('Cannot reach the storage API (network down?).', { retryable: true });
    }
    if (r.status === 204) return {};
    const text = await r.text();
    let j = null;
    try { j = text ? JSON.parse(text) : {}; } catch { /* not JSON: a proxy's page */ }
    if (r.ok && j) {
      j.httpStatus = r.status;
      return j;
    }
    const msg = (j && j.error) || `HTTP ${r.status} from the storage API`;
    if (r.status === 401) this.auth.expiredNow();
    throw new ApiError(msg, {
      status: r.status, code: (j && j.code) || `http_${r.status}`,
      retryable: r.status === 401 || r.status === 408 || r.status === 429 || r.status >= 500 || !r.ok && !j,
    });
  }

  get(path) { return this.call('GET', path); }
  post(path, body) { return this.call('POST', path, body); }
  del(path) { return this.call('DELETE', path); }
}

// s3Put: PUT a chunk to its presigned URL with exactly the headers the
// presign answer listed (they are signed; anything else is refused).
export async function s3Put(url, headers, blob) {
  let r;
  try {
    r = await fetch(url, { method: 'PUT', headers, body: blob, credentials: 'omit' });
  } catch {
    throw new ApiError('Cannot reach the audio storage (S3).', { where: 's3', retryable: true });
  }
  // 412: written once already (If-None-Match: *), by an earlier try whose
  // answer was lost; complete verifies what S3 holds.
  if (!r.ok && r.status !== 412) {
    const t = await r.text().catch(() => '');
    const code = (/<Code>([^<]*)<\/Code>/.exec(t) || [])[1] || `http_${r.status}`;
    // 403: the URL expired or the clock is off; a new presign fixes both.
    throw new ApiError(`Audio storage (S3) refused the upload: ${code}`, {
      status: r.status, code, where: 's3', retryable: r.status === 403 || r.status >= 500,
    });
  }
}
