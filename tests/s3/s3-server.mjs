// The S3-compatible server setpost's S3 delivery tests and benchmark run on loopback: s3rver
// (npm, 3.7.1), with what it lacks and the S3 API has added in front of its router.
//
//   node tests/s3/s3-server.mjs PORT DIR --bucket NAME [--bucket NAME...] --key ID:SECRET
//        [--corrupt-part N] [--part-delay N:MS]... [--fail-part N:COUNT]... [--quiet]
//
// Listens on 127.0.0.1:PORT (0 picks a free port), keeps objects under DIR, makes the buckets
// named, and accepts requests signed (AWS SigV4) with the one key pair given; anything else
// is refused as S3 does (InvalidAccessKeyId, SignatureDoesNotMatch, NoSuchBucket). When ready
// it prints "port N" as its first line; then one JSON line per request:
//   {"method":"PUT","path":"/b/k","part":3,"upload":"ab..","bytes":8388608,"inflight":2,"status":200}
// (part/upload: UploadPart's partNumber and uploadId; bytes: the request's Content-Length;
// inflight: the UploadParts this server was receiving or storing when this one came, itself
// included: how many parts a client keeps on the wire).
//
// What s3rver 3.7.1 does itself: buckets, objects with x-amz-meta-* metadata, HEAD, GET,
// multipart uploads (create, UploadPart, complete, abort), SigV4 checks. What is added here,
// following the S3 API reference:
//   - SigV4 signatures (Authorization: AWS4-HMAC-SHA256): s3rver 3.7.1 checks the access key
//     id only; here the canonical request is rebuilt from the request as it arrived and the
//     signature compared (403 SignatureDoesNotMatch), and unsigned requests are refused.
//   - ListParts (GET /bucket/key?uploadId=X): PartNumber, ETag, Size and ChecksumSHA256 of
//     each part stored, after the same signature check as every other request.
//   - UploadPart and PutObject verify the body against x-amz-checksum-sha256 (base64 SHA-256),
//     Content-MD5 (base64 MD5) and a hex x-amz-content-sha256 when sent, and answer
//     400 BadDigest (or XAmzContentSHA256Mismatch) without storing the part on a mismatch.
//   - PutObject and UploadPart answer once the bytes are in their file: s3rver 3.7.1 answers
//     when its hashing stream ends, before the file is written out, so a HEAD or GET right
//     after could see a short object.
//   - --corrupt-part N: every UploadPart numbered N has one byte flipped as it arrives (a
//     link or a disk that damages data), so its checksum no longer matches.
//   - --part-delay N:MS (N a part number, or * for every other part): UploadPart N is
//     answered MS milliseconds after its body arrived (a slow bucket, parts that finish out
//     of order).
//   - --fail-part N:COUNT: the first COUNT UploadParts numbered N are answered 503 SlowDown
//     (as S3 does under load) after their body arrived, and not stored.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');
const S3Error = require('s3rver/lib/models/error');
const authentication = require('s3rver/lib/middleware/authentication');

function usage(msg) {
  process.stderr.write(`s3-server.mjs: ${msg}\nusage: node s3-server.mjs PORT DIR --bucket NAME ` +
    '--key ID:SECRET [--corrupt-part N] [--quiet]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length < 2) usage('PORT and DIR are needed');
const port = Number(args[0]);
const dir = args[1];
const buckets = [];
let key = null;
let corruptPart = 0;
const partDelay = {};
const partFail = {};
let partsNow = 0;
let quiet = false;
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--bucket') buckets.push(args[++i]);
  else if (args[i] === '--key') key = args[++i];
  else if (args[i] === '--corrupt-part') corruptPart = Number(args[++i]);
  else if (args[i] === '--part-delay') {
    const [n, ms] = String(args[++i]).split(':');
    partDelay[n] = Number(ms);
  } else if (args[i] === '--fail-part') {
    const [n, count] = String(args[++i]).split(':');
    partFail[Number(n)] = Number(count);
  } else if (args[i] === '--quiet') quiet = true;
  else usage(`unknown option ${args[i]}`);
}
if (!key || !key.includes(':')) usage('--key ID:SECRET is needed');

// Only the key pair given: s3rver's built-in S3RVER/S3RVER pair is revoked. s3rver itself
// checks only the access key id of a SigV4 request; the signature is checked here (sigv4).
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
const [keyId, secret] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
AWSAccount.DUMMY_ACCOUNT.createKeyPair(keyId, secret);

fs.mkdirSync(dir, { recursive: true });
const server = new S3rver({
  address: '127.0.0.1',
  port,
  silent: true,
  directory: dir,
  serviceEndpoint: 'localhost',
  configureBuckets: buckets.map((name) => ({ name })),
});

const authenticate = authentication();

// Writes content (a stream) to file, resolving with its size and MD5 once the file has it all.
function writeHashed(file, content) {
  return new Promise((resolve, reject) => {
    const md5 = crypto.createHash('md5');
    let size = 0;
    const out = fs.createWriteStream(file);
    content.on('data', (c) => { md5.update(c); size += c.length; });
    content.on('error', reject);
    out.on('error', reject);
    out.on('close', () => resolve({ size, md5: md5.digest('hex') }));
    content.pipe(out);
  });
}

server.store.putObject = async function putObject(object) {
  const file = this.getResourcePath(object.bucket, object.key, 'object');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  const { size, md5 } = await writeHashed(file, content);
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size, md5 };
};

server.store.putPart = async function putPart(bucket, uploadId, partNumber, content) {
  const file = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId,
    String(Number(partNumber)));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { size, md5 } = await writeHashed(file, content);
  fs.writeFileSync(`${file}.md5`, md5);
  return { size, md5 };
};

function splitPath(p) {
  const s = p.replace(/^\/+/, '');
  const i = s.indexOf('/');
  return i < 0 ? { bucket: decodeURIComponent(s), key: '' } :
    { bucket: decodeURIComponent(s.slice(0, i)), key: decodeURIComponent(s.slice(i + 1)) };
}

function uploadDir(ctx, bucket, uploadId) {
  return path.join(ctx.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

async function listParts(ctx, bucket) {
  const d = uploadDir(ctx, bucket, ctx.query.uploadId);
  if (!fs.existsSync(path.join(d, 'key'))) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may ' +
      'be invalid, or the upload may have been aborted or completed.',
    { UploadId: ctx.query.uploadId });
  }
  const parts = fs.readdirSync(d).filter((f) => /^[0-9]+$/.test(f)).map(Number)
    .sort((a, b) => a - b)
    .map((n) => {
      const p = path.join(d, String(n));
      const part = {
        PartNumber: n,
        ETag: JSON.stringify(fs.existsSync(`${p}.md5`) ? fs.readFileSync(`${p}.md5`, 'utf8') : ''),
        Size: fs.statSync(p).size,
      };
      if (fs.existsSync(`${p}.sha256`)) part.ChecksumSHA256 = fs.readFileSync(`${p}.sha256`, 'utf8');
      return part;
    });
  ctx.body = {
    ListPartsResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Bucket: bucket,
      Key: ctx.params.key,
      UploadId: ctx.query.uploadId,
      IsTruncated: false,
      Part: parts,
    },
  };
}

// The body's checksums, as S3 checks them: a mismatch stores nothing.
function verifyBody(ctx, body) {
  const sha = ctx.get('x-amz-checksum-sha256');
  const md5 = ctx.get('content-md5');
  const content = ctx.get('x-amz-content-sha256');
  const digest = crypto.createHash('sha256').update(body).digest();
  if (sha && digest.toString('base64') !== sha) {
    throw new S3Error('BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
  }
  if (md5 && crypto.createHash('md5').update(body).digest('base64') !== md5) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  if (/^[0-9a-f]{64}$/.test(content) && digest.toString('hex') !== content) {
    throw new S3Error('BadDigest',
      "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return digest.toString('base64');
}

async function added(ctx, next) {
  const { bucket, key: objectKey } = splitPath(ctx.path);
  const isPart = ctx.method === 'PUT' && 'uploadId' in ctx.query && 'partNumber' in ctx.query;
  const isPut = ctx.method === 'PUT' && !('uploadId' in ctx.query) && objectKey &&
    Object.keys(ctx.query).length === 0;
  if (ctx.method === 'GET' && 'uploadId' in ctx.query && objectKey) {
    ctx.params = { bucket, key: objectKey };
    return authenticate(ctx, async () => {
      if (!(await ctx.store.getBucket(bucket))) {
        throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
      }
      return listParts(ctx, bucket);
    });
  }
  if (!isPart && !isPut) return next();
  if (isPart) ctx.state.inflight = ++partsNow;
  try {
    const body = await readBody(ctx.req);
    if (isPart && Number(ctx.query.partNumber) === corruptPart && body.length > 0) {
      body[body.length >> 1] ^= 0x55;
    }
    const sha = verifyBody(ctx, body);
    if (isPart && partFail[Number(ctx.query.partNumber)] > 0) {
      partFail[Number(ctx.query.partNumber)]--;
      throw new S3Error('SlowDown', 'Please reduce your request rate.');
    }
    const wait = isPart ? partDelay[Number(ctx.query.partNumber)] ?? partDelay['*'] : 0;
    if (wait) await new Promise((r) => { setTimeout(r, wait); });
    const req = Readable.from([body]);
    req.headers = ctx.req.headers;
    ctx.req = req;
    await next();
    if (isPart && ctx.status === 200) {
      fs.writeFileSync(path.join(uploadDir(ctx, bucket, ctx.query.uploadId), `${Number(ctx.query.partNumber)}.sha256`), sha);
    }
  } finally {
    if (isPart) partsNow--;
  }
}
const rfc3986 = (v) => encodeURIComponent(v).replace(/[!'()*]/g,
  (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (k, v) => crypto.createHmac('sha256', k).update(v).digest();

// The signature S3 would compute for this request, compared with the one it carries.
function sigv4(ctx) {
  const auth = ctx.get('authorization');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!auth) throw new S3Error('AccessDenied', 'Access Denied');
  if (!m) throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  const [, id, date, region, service, signed, signature] = m;
  if (id !== keyId) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: id });
  }
  const raw = ctx.req.url;
  const q = raw.indexOf('?');
  const uri = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1).split('&').filter((x) => x).map((kv) => {
    const e = kv.indexOf('=');
    const k = decodeURIComponent(e < 0 ? kv : kv.slice(0, e));
    const v = e < 0 ? '' : decodeURIComponent(kv.slice(e + 1).replace(/\+/g, ' '));
    return [rfc3986(k), rfc3986(v)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const names = signed.split(';');
  const headers = names.map((n) => `${n}:${String(ctx.get(n)).trim().replace(/ +/g, ' ')}\n`).join('');
  const payload = ctx.get('x-amz-content-sha256') || 'UNSIGNED-PAYLOAD';
  const canonical = [ctx.method, uri, query, headers, signed, payload].join('\n');
  const stamp = ctx.get('x-amz-date');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope,
    crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  if (hmac(key, toSign).toString('hex') !== signature) {
    process.stderr.write(`SignatureDoesNotMatch; the canonical request here:\n${canonical}\n`);
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not ' +
      'match the signature you provided. Check your key and signing method.',
    { AWSAccessKeyId: id, CanonicalRequest: canonical });
  }
}

async function log(ctx, next) {
  let status = 0;
  try {
    sigv4(ctx);
    await next();
    status = ctx.status;
  } catch (e) {
    status = e.status || e.statusCode || 500;
    throw e;
  } finally {
    if (!quiet) {
      const line = { method: ctx.method, path: ctx.path, status,
        bytes: Number(ctx.get('content-length') || 0) };
      if (ctx.query.partNumber) line.part = Number(ctx.query.partNumber);
      if (ctx.query.uploadId) line.upload = ctx.query.uploadId;
      if (ctx.state.inflight) line.inflight = ctx.state.inflight;
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
}

// Before s3rver's router (the last middleware): after its logging, XML and vhost layers.
server.middleware.splice(server.middleware.length - 1, 0, added);
server.middleware.unshift(log);

const { port: bound } = await server.run();
process.stdout.write(`port ${bound}\n`);
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close().finally(() => process.exit(0)));
}
