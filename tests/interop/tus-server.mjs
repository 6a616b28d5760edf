// A reference tus 1.0 server for setpost's interop tests: @tus/server with a FileStore.
//
//   node tests/interop/tus-server.mjs PORT DIR [--expire-ms N] [--checksum] [--fail LIST]
//
// Listens on 127.0.0.1:PORT (0 picks a free port) with the creation URL /files, stores each
// upload as DIR/<id> with its info (length, offset, decoded Upload-Metadata) in DIR/<id>.json.
// When ready it prints "port N" as its first line; then one JSON line per request:
//   {"n":1,"method":"PATCH","url":"/files/ab12","offset":"0","length":"1048576",
//    "checksum":"sha1 ...","auth":"Bearer x","status":204,"upload_offset":"1048576","ms":12}
// (offset/length: the request's Upload-Offset and Content-Length; checksum/auth: its
// Upload-Checksum and Authorization headers when sent; upload_offset: the answer's).
//
//   --expire-ms N   uploads expire N ms after creation (then HEAD and PATCH answer 410)
//   --checksum      offer the checksum extension (sha1) and verify Upload-Checksum on PATCH:
//                   460 on a mismatch, 400 for another algorithm. @tus/file-store itself does
//                   not offer checksums, so the PATCH body is checked here before it is stored.
//   --fail LIST     answer chosen PATCH requests with an error instead, e.g. "503@2,460@3":
//                   the 2nd PATCH gets 503 and the 3rd 460 (body read and thrown away).
import crypto from 'node:crypto';
import http from 'node:http';
import process from 'node:process';

import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

function usage(msg) {
  process.stderr.write(`tus-server.mjs: ${msg}\n` +
    'usage: node tus-server.mjs PORT DIR [--expire-ms N] [--checksum] [--fail STATUS@N,...]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { expireMs: 0, checksum: false, fail: new Map() };
  if (argv.length < 2) usage('PORT and DIR are required');
  o.port = Number(argv[0]);
  o.dir = argv[1];
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) usage(`bad port ${argv[0]}`);
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--expire-ms') {
      o.expireMs = Number(argv[++i]);
      if (!Number.isInteger(o.expireMs) || o.expireMs <= 0) usage('bad --expire-ms');
    } else if (argv[i] === '--checksum') {
      o.checksum = true;
    } else if (argv[i] === '--fail') {
      for (const item of String(argv[++i] ?? '').split(',')) {
        const m = /^(\d{3})@(\d+)$/.exec(item);
        if (!m) usage(`bad --fail item ${item}`);
        o.fail.set(Number(m[2]), Number(m[1]));
      }
    } else {
      usage(`unknown argument ${argv[i]}`);
    }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const tus = new Server({
  path: '/files',
  datastore: new FileStore({
    directory: opts.dir,
    expirationPeriodInMilliseconds: opts.expireMs || undefined,
  }),
});

let requests = 0;
let patches = 0;

function log(entry) {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}

// Remembers the status and the Upload-Offset of the answer, whoever writes it.
function watch(req, res, entry) {
  const writeHead = res.writeHead;
  res.writeHead = function (status, ...rest) {
    entry.status = status;
    const h = rest.find((x) => x && typeof x === 'object');
    const pairs = Array.isArray(h) ? (Array.isArray(h[0]) ? h : pairsOf(h)) : Object.entries(h ?? {});
    for (const [k, v] of pairs) if (String(k).toLowerCase() === 'upload-offset') entry.upload_offset = String(v);
    if (opts.checksum && req.method === 'OPTIONS') addChecksumHeaders(pairs, rest, h);
    return writeHead.call(this, status, ...rest);
  };
  res.on('close', () => {
    entry.status ??= res.statusCode;
    entry.ms = Date.now() - entry.t0;
    delete entry.t0;
    log(entry);
  });
}

function pairsOf(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

// OPTIONS under --checksum: "checksum" joins Tus-Extension, Tus-Checksum-Algorithm is added.
function addChecksumHeaders(pairs, rest, h) {
  const ext = pairs.find(([k]) => String(k).toLowerCase() === 'tus-extension');
  const value = ext ? `${ext[1]},checksum` : 'checksum';
  const idx = rest.indexOf(h);
  const obj = Object.fromEntries(pairs.filter(([k]) => String(k).toLowerCase() !== 'tus-extension'));
  obj['Tus-Extension'] = value;
  obj['Tus-Checksum-Algorithm'] = 'sha1';
  if (idx >= 0) rest[idx] = obj;
  else rest.push(obj);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function reply(res, status, text) {
  res.writeHead(status, { 'Tus-Resumable': '1.0.0', 'Content-Type': 'text/plain' });
  res.end(text);
}

// PATCH under --checksum: verify the whole body, then hand it to tus as a web Request.
async function checkedPatch(req, res) {
  const body = await readBody(req);
  const [algo, digest] = String(req.headers['upload-checksum']).split(' ');
  if (algo !== 'sha1') return reply(res, 400, `unsupported checksum algorithm ${algo}\n`);
  if (crypto.createHash('sha1').update(body).digest('base64') !== digest) {
    return reply(res, 460, 'checksum mismatch\n');
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const web = await tus.handleWeb(new Request(`http://${req.headers.host}${req.url}`, {
    method: 'PATCH', headers, body,
  }));
  const out = {};
  web.headers.forEach((v, k) => { out[k] = v; });
  res.writeHead(web.status, out);
  res.end(Buffer.from(await web.arrayBuffer()));
}

async function handle(req, res) {
  const entry = { n: ++requests, method: req.method, url: req.url, t0: Date.now() };
  for (const [k, h] of [['offset', 'upload-offset'], ['length', 'content-length'],
    ['upload_length', 'upload-length'], ['checksum', 'upload-checksum']]) {
    if (req.headers[h] !== undefined) entry[k] = req.headers[h];
  }
  if (req.headers.authorization !== undefined) entry.auth = req.headers.authorization;
  watch(req, res, entry);
  try {
    // @tus/server answers on any path; a real deployment routes only its own.
    if (!/^\/files(\/[^/?]+)?\/?(\?.*)?$/.test(req.url)) return reply(res, 404, 'not found\n');
    if (req.method === 'PATCH') {
      const fail = opts.fail.get(++patches);
      if (fail) {
        await readBody(req);
        return reply(res, fail, `injected failure ${fail}\n`);
      }
      if (opts.checksum && req.headers['upload-checksum'] !== undefined) {
        return await checkedPatch(req, res);
      }
    }
    return await tus.handle(req, res);
  } catch (e) {
    entry.error = String(e?.message ?? e);
    if (!res.headersSent) reply(res, 500, 'server error\n');
    else res.destroy();
  }
}

const server = http.createServer((req, res) => { handle(req, res); });
server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`port ${server.address().port}\n`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
