// s3rver.js: run @20minutes/s3rver (an S3-compatible server that checks
// SigV4 signatures) on loopback for the local stack and the integration
// tests, with the S3 behaviours of tests/tools/s3rver-s3rules.js.
//
//   node tests/tools/s3rver.js --port 18081 --dir run/s3 --bucket audio-dev \
//       --access-key-id AKID
//
// The secret key comes from $S3RVER_SECRET_ACCESS_KEY (never argv).  The
// key pair is registered as the only account besides s3rver's built-in
// dummy one, so a request signed with any other secret is refused with
// SignatureDoesNotMatch.  Prints "s3rver ready <port>" once listening;
// SIGTERM closes it.
//
// --cors-origins "ORIGIN ORIGIN..." (optional) gives the bucket the CORS
// rule a browser deployment needs (README, "The web app"): the page PUTs
// chunks to presigned URLs and plays them back with presigned GETs from
// its own origin, so S3 must allow PUT/GET/HEAD from that origin with the
// headers a presigned PUT carries.
'use strict';

const S3rver = require('@20minutes/s3rver');
const AWSAccount = require('@20minutes/s3rver/lib/models/account');
const FilesystemStore = require('@20minutes/s3rver/lib/stores/filesystem');
// Checksums, conditional PUTs and SSE headers as S3 has them (see there).
const s3rules = require('./s3rver-s3rules');

// s3rver 4.0.4's DeleteObjects deletes its keys concurrently, and each
// delete then removes the directories it emptied: two keys in one
// directory race, one fails with ENOENT and the whole request answers 500
// although every key is gone.  Real S3 does not; run the deletes one after
// another so a DeleteObjects answers what S3 would.
const deleteObject = FilesystemStore.prototype.deleteObject;
let deleting = Promise.resolve();
FilesystemStore.prototype.deleteObject = function (bucket, key) {
  const run = deleting.then(() => deleteObject.call(this, bucket, key));
  deleting = run.catch(() => {});
  return run;
};

// s3rver 4.0.4 makes ListObjectsV2's NextContinuationToken with DES, which
// the OpenSSL 3 under Node 18+ no longer has without its legacy provider:
// every truncated page (max-keys below what the prefix holds) answered 500
// InternalError.  Its token is its own business (made and read back only
// by s3rver), so the same token is made with AES-128-CBC instead, the DES
// key and IV (8 bytes each) doubled to AES's 16; the token keeps its shape
// (the 8-byte IV, then the ciphertext).
const crypto = require('crypto');
const createCipheriv = crypto.createCipheriv;
const createDecipheriv = crypto.createDecipheriv;
const desAsAes = (fn) => function (alg, key, iv, ...rest) {
  if (alg === 'des') {
    return fn.call(crypto, 'aes-128-cbc', Buffer.concat([key, key]),
      Buffer.concat([iv, iv]), ...rest);
  }
  return fn.call(crypto, alg, key, iv, ...rest);
};
crypto.createCipheriv = desAsAes(createCipheriv);
crypto.createDecipheriv = desAsAes(createDecipheriv);

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  if (i === -1) {
    if (def === undefined) {
      console.error(`s3rver.js: --${name} is required`);
      process.exit(2);
    }
    return def;
  }
  return process.argv[i + 1];
}

const port = Number(arg('port'));
const dir = arg('dir');
const bucket = arg('bucket');
const accessKeyId = arg('access-key-id');
const corsOrigins = arg('cors-origins', '').split(/\s+/).filter(Boolean);
const secret = process.env.S3RVER_SECRET_ACCESS_KEY;
if (!secret) {
  console.error('s3rver.js: S3RVER_SECRET_ACCESS_KEY is not set');
  process.exit(2);
}

// Only our key pair may sign: drop the built-in S3RVER/S3RVER pair.
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secret);

function corsXml(origins) {
  return '<CORSConfiguration><CORSRule>' +
    origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('') +
    '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>' +
    '<AllowedMethod>HEAD</AllowedMethod>' +
    '<AllowedHeader>content-type</AllowedHeader>' +
    '<AllowedHeader>x-amz-server-side-encryption</AllowedHeader>' +
    '<AllowedHeader>x-amz-checksum-sha256</AllowedHeader>' +
    '<AllowedHeader>content-md5</AllowedHeader>' +
    '<AllowedHeader>if-none-match</AllowedHeader>' +
    '<AllowedHeader>x-amz-server-side-encryption-aws-kms-key-id</AllowedHeader>' +
    '<AllowedHeader>x-amz-server-side-encryption-bucket-key-enabled</AllowedHeader>' +
    '<AllowedHeader>x-amz-meta-*</AllowedHeader>' +
    '<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>';
}

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory: dir,
  silent: !process.env.S3RVER_VERBOSE,
  configureBuckets: [{ name: bucket, configs: corsOrigins.length ? [corsXml(corsOrigins)] : [] }],
});

s3rules.install(server);
server.run((err) => {
  if (err) {
    console.error('s3rver.js: ' + err.message);
    process.exit(1);
  }
  console.log(`s3rver ready ${port}`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
