// s3rver-s3rules.js: S3 behaviours that @20minutes/s3rver 4.0.4 lacks and
// our API relies on, reproduced inside it for the tests
// (tests/tools/s3rver.js requires this file before it starts s3rver).
//
// What s3rver does itself: it checks every SigV4 signature, so a PUT
// whose signed headers (Content-MD5, x-amz-checksum-sha256, If-None-Match,
// x-amz-server-side-encryption*) were changed, dropped or added is refused
// 403 SignatureDoesNotMatch; its ETag for a single PUT is the hex MD5 of
// the body.  What it does not do, and this file adds, as S3 documents it:
//
//   - x-amz-checksum-sha256 on PUT: the body's SHA-256 (base64) must match,
//     else 400 BadDigest and nothing is written; the value is stored with
//     the object and answered as x-amz-checksum-sha256 on a HEAD or GET
//     that sends x-amz-checksum-mode: ENABLED (and only then).
//   - If-None-Match: * on PUT: 412 PreconditionFailed when the key exists;
//     If-Match: ETAG on PUT: 412 unless the object exists with that ETag.
//     The check and the write of one key run one after another.
//   - x-amz-server-side-encryption, -aws-kms-key-id and -bucket-key-enabled
//     given on PUT are stored and answered on HEAD and GET, as S3 answers
//     how an object is encrypted (s3rver encrypts nothing); an object
//     stored without them reports AES256, S3's default encryption of every
//     object since January 2023.
//
//   - Multipart checksums (S3's composite SHA-256): an upload created with
//     x-amz-checksum-algorithm: SHA256 takes only parts that carry
//     x-amz-checksum-sha256 (InvalidRequest otherwise) matching their
//     bytes (400 BadDigest, nothing stored); CompleteMultipartUpload must
//     list each part's ChecksumSHA256 (InvalidRequest when one is missing)
//     equal to the part's (InvalidPart otherwise); the object then keeps
//     the composite, base64(sha256(part digests concatenated))-N, answered
//     as x-amz-checksum-sha256 under x-amz-checksum-mode as above.
//   - If-None-Match: * on CompleteMultipartUpload: 412 PreconditionFailed
//     when an object already has the key; the upload stays, as on S3.
//   - The SSE headers of a CreateMultipartUpload: s3rver keeps a Create's
//     headers with the upload and gives them to the object at complete,
//     so the object answers them on HEAD as any PUT's (above).  As on S3,
//     a Create signed in its Authorization header must sign every x-amz-*
//     header it carries (403 AccessDenied "There were headers present in
//     the request which were not signed" otherwise), so an SSE header or
//     checksum algorithm the API sent unsigned is refused.
//
// Left as s3rver has it: Content-MD5 is not verified (S3 would answer
// BadDigest).  complete's own check of the ETag against the presigned MD5
// is then the only thing that refuses a corrupted body sent with a correct
// Content-MD5, which is what tests/integration/api-integrity.sh asserts.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { AsyncLocalStorage } = require('async_hooks');
const { Readable } = require('stream');
const S3Object = require('@20minutes/s3rver/lib/models/object');
const S3Error = require('@20minutes/s3rver/lib/models/error');
const FilesystemStore = require('@20minutes/s3rver/lib/stores/filesystem');

const STORED = [
  'x-amz-checksum-sha256',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-bucket-key-enabled',
];
// Seen by putObject below (S3Object keeps only listed request headers),
// never stored.
const CONDITIONS = ['if-none-match', 'if-match'];
S3Object.ALLOWED_METADATA.push(...STORED, ...CONDITIONS);

// The whole body; rejected when the client goes before sending it all
// (a close before the end), as s3rver's own pipeline would.
function readAll(content) {
  if (Buffer.isBuffer(content)) return Promise.resolve(content);
  // 'end', not finished(): a multipart complete's body is s3rver's
  // concatenation of the part files, which finished() may report done
  // after the first parts (the object then held 10 of 12 MiB).
  return new Promise((resolve, reject) => {
    const parts = [];
    let ended = false;
    content.on('data', (d) => parts.push(d));
    content.on('end', () => { ended = true; resolve(Buffer.concat(parts)); });
    content.on('error', reject);
    content.on('close', () => { if (!ended) reject(new Error('premature close')); });
  });
}

// One queue per key: a condition is checked against what the previous
// write of that key left.  Only the check and the write queue, never the
// reading of a body, so a client that stalls holds up nobody.
const queues = new Map();
function serial(id, fn) {
  const prev = queues.get(id) || Promise.resolve();
  const run = prev.then(fn);
  const tail = run.catch(() => {});
  queues.set(id, tail);
  tail.then(() => { if (queues.get(id) === tail) queues.delete(id); });
  return run;
}

async function currentEtag(store, bucket, key) {
  try {
    return (await store.getMetadata(bucket, key)).etag;
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

// s3rver writes an object's body, then its metadata.json: killed in
// between (the fault tests kill it) it leaves an empty metadata.json, and
// every HEAD, GET and conditional PUT of the key then fails with 500,
// where S3's writes are atomic.  Such a file is dropped (the object keeps
// its body and ETag) so the key heals as it would on S3.
const getMetadata = FilesystemStore.prototype.getMetadata;
FilesystemStore.prototype.getMetadata = async function (bucket, key) {
  let m;
  try {
    m = await getMetadata.call(this, bucket, key);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    await fs.promises.unlink(this.getResourcePath(bucket, key, 'metadata.json'))
      .catch(() => {});
    m = await getMetadata.call(this, bucket, key);
  }
  if (m['x-amz-server-side-encryption'] === undefined) {
    m['x-amz-server-side-encryption'] = 'AES256';
  }
  return m;
};

const putObject = FilesystemStore.prototype.putObject;
FilesystemStore.prototype.putObject = async function (object) {
  const m = object.metadata;
  // A multipart complete: the conditions of the complete request, the
  // composite checksum of the parts (the parts were checked one by one).
  const mpu = completing.getStore();
  const inm = mpu ? mpu.inm : m['if-none-match'];
  const im = mpu ? undefined : m['if-match'];
  for (const h of CONDITIONS) delete m[h];
  // A PUT's checksum is checked against its body; a multipart object keeps
  // the composite of its parts instead.
  const want = mpu ? undefined : m['x-amz-checksum-sha256'];
  if (mpu) {
    delete m['x-amz-checksum-sha256'];
    if (mpu.composite) m['x-amz-checksum-sha256'] = mpu.composite;
  }
  const body = await readAll(object.content);
  return serial(`${object.bucket}/${object.key}`, async () => {
    if (want !== undefined &&
        crypto.createHash('sha256').update(body).digest('base64') !== want) {
      throw new S3Error('BadDigest',
        'The sha256 you specified did not match the calculated checksum.');
    }
    if (inm !== undefined || im !== undefined) {
      const etag = await currentEtag(this, object.bucket, object.key);
      const list = (v) => v.split(',').map((s) => s.trim());
      const holds = inm !== undefined
        ? (inm.trim() === '*' ? etag === null : etag === null || !list(inm).includes(etag))
        : etag !== null && (im.trim() === '*' || list(im).includes(etag));
      if (!holds) {
        throw new S3Error('PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          { Condition: inm !== undefined ? 'If-None-Match' : 'If-Match' });
      }
    }
    // Handed back as a stream, not the Buffer: s3rver's putContent
    // answers a Buffer before its file is written (writeStream.end, then
    // resolve), so a HEAD right after the answer saw a partly written
    // object (8 of a 12 MiB multipart complete); a stream goes through its
    // pipeline, which answers once the file is written, as S3 answers
    // once the object is stored.
    object.content = Readable.from([body], { objectMode: false });
    return putObject.call(this, object);
  });
};

// The request being served (its headers, its parsed XML body), for the
// store methods below, which s3rver calls without it; and, inside a
// CompleteMultipartUpload, what the object put together must carry.
const request = new AsyncLocalStorage();
const completing = new AsyncLocalStorage();

const sha256b64 = (buf) => crypto.createHash('sha256').update(buf).digest('base64');

function uploadDir(store, bucket, uploadId) {
  return path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
}

// Whether the upload was created with x-amz-checksum-algorithm: SHA256
// (s3rver keeps the Create's headers in the upload's metadata file).
async function uploadWantsSha256(store, bucket, uploadId) {
  try {
    const meta = JSON.parse(await fs.promises.readFile(
      path.join(uploadDir(store, bucket, uploadId), 'metadata')));
    return String(meta['x-amz-checksum-algorithm'] || '').toUpperCase() === 'SHA256';
  } catch (err) {
    return false;
  }
}

const putPart = FilesystemStore.prototype.putPart;
FilesystemStore.prototype.putPart = async function (bucket, uploadId, partNumber, content) {
  const ctx = request.getStore();
  const given = ctx ? ctx.get('x-amz-checksum-sha256') : '';
  const wants = await uploadWantsSha256(this, bucket, uploadId);
  if (!given && !wants) return putPart.call(this, bucket, uploadId, partNumber, content);
  const body = await readAll(content);
  const sum = sha256b64(body);
  if (given && given !== sum) {
    throw new S3Error('BadDigest',
      'The sha256 you specified did not match the calculated checksum.');
  }
  if (wants && !given) {
    throw new S3Error('InvalidRequest', 'Checksum Type mismatch occurred, ' +
      'expected checksum Type: sha256, actual checksum Type: null');
  }
  const r = await putPart.call(this, bucket, uploadId, partNumber,
    Readable.from([body], { objectMode: false }));
  await fs.promises.writeFile(path.join(uploadDir(this, bucket, uploadId),
    `${partNumber}.sha256`), sum);
  return r;
};

const putObjectMultipart = FilesystemStore.prototype.putObjectMultipart;
FilesystemStore.prototype.putObjectMultipart = async function (bucket, uploadId, parts) {
  const ctx = request.getStore();
  const inm = ctx ? ctx.get('if-none-match') : '';
  let composite;
  if (await uploadWantsSha256(this, bucket, uploadId)) {
    const listed = [].concat(ctx.request.body.CompleteMultipartUpload.Part)
      .sort((a, b) => Number(a.PartNumber) - Number(b.PartNumber));
    const digests = [];
    for (const p of listed) {
      const n = Number(p.PartNumber);
      if (typeof p.ChecksumSHA256 !== 'string' || p.ChecksumSHA256 === '') {
        throw new S3Error('InvalidRequest', 'The upload was created using a ' +
          'sha256 checksum. The complete request must include the checksum ' +
          `for each part. It was missing for part ${n} in the request.`);
      }
      let stored = null;
      try {
        stored = (await fs.promises.readFile(path.join(
          uploadDir(this, bucket, uploadId), `${n}.sha256`))).toString();
      } catch (err) {
        stored = null;
      }
      if (stored !== p.ChecksumSHA256) {
        throw new S3Error('InvalidPart', 'One or more of the specified parts ' +
          'could not be found. The part may not have been uploaded, or the ' +
          'specified entity tag may not match the part\'s entity tag.');
      }
      digests.push(Buffer.from(stored, 'base64'));
    }
    composite = `${sha256b64(Buffer.concat(digests))}-${digests.length}`;
  }
  return completing.run({ composite, inm: inm || undefined },
    () => putObjectMultipart.call(this, bucket, uploadId, parts));
};

// The x-amz-* headers of a header-signed request that its SignedHeaders
// leaves out (x-amz-content-sha256 and x-amz-date are always signed).
function unsignedAmzHeaders(ctx) {
  const m = /SignedHeaders=([^,\s]+)/.exec(ctx.get('authorization') || '');
  if (!m) return [];
  const signed = new Set(m[1].split(';'));
  return Object.keys(ctx.headers)
    .filter((h) => h.startsWith('x-amz-') && !signed.has(h));
}

// Koa middleware, first in the chain: the request, for the store methods;
// a CreateMultipartUpload with unsigned x-amz-* headers is refused.
function remember(ctx, next) {
  if (ctx.method === 'POST' && /(^|&)uploads(=|&|$)/.test(ctx.querystring)) {
    const unsigned = unsignedAmzHeaders(ctx);
    if (unsigned.length > 0) {
      throw new S3Error('AccessDenied', 'There were headers present in the ' +
        'request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
    }
  }
  return request.run(ctx, next);
}

// Koa middleware, first in the chain: S3 answers an object's checksum only
// to a request that asks for it.
function checksumMode(ctx, next) {
  return next().then(() => {
    if ((ctx.get('x-amz-checksum-mode') || '').toUpperCase() !== 'ENABLED') {
      ctx.remove('x-amz-checksum-sha256');
    }
  });
}

// install(server): add the middleware to an S3rver before run().
exports.install = function (server) {
  server.middleware.unshift(checksumMode);
  server.middleware.unshift(remember);
};
