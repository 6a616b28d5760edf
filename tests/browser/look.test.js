// The look preview tells the truth (issue 16): with a show LUT set, the clip page applies the CDL
// then the LUT to the poster frame, and its pixels match a frame of the proxy the worker made
// with that look; without the LUT they would not. A production of its own ("Looks"): a card
// of one still clip (SMPTE HD bars) offloaded by the CLI, so the other tests' clips are
// untouched (its day is an early one: Today keeps showing theirs) and no frame alignment is
// needed. The page's LUT sampling is also checked against
// the server's own (the LUT re-sampled at 33 points by GET look.cube?part=lut).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, base, token, until, shot, launch, login, raid, shuttle } from './harness.js';
import { parseCube, sample } from '../../web/lut.js';
import { normal, applyImage } from '../../web/cdl.js';

const bin = process.env.SETPOST_BIN;
let browser;
let tmp;

before(async () => {
  browser = await launch();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-look-'));
});
after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// A 17-point LUT that no CDL can imitate: channels rotated (out R from in G, G from B, B from
// R) with a curve on each.
function rotatingCube(n = 17) {
  const lines = ['TITLE "rotate"', `LUT_3D_SIZE ${n}`];
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < n; g++) {
      for (let r = 0; r < n; r++) {
        const [R, G, B] = [r / (n - 1), g / (n - 1), b / (n - 1)];
        lines.push([G ** 0.8, 0.1 + 0.8 * B, R ** 1.3].map((v) => v.toFixed(6)).join(' '));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

// Mean absolute difference per channel (0..255) of RGBA a and RGB b, over the pixels of both.
function meanDiff(rgba, rgb) {
  let sum = 0;
  const n = rgb.length / 3;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) sum += Math.abs(rgba[i * 4 + c] - rgb[i * 3 + c]);
  }
  return sum / (n * 3);
}

test('the look preview applies the CDL then the show LUT, as the proxy does', { skip: !bin && 'SETPOST_BIN not set' }, async () => {
  // The card: one still clip, offloaded to the two volumes and registered by the CLI.
  const card = path.join(tmp, 'L001');
  fs.mkdirSync(card);
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'smptehdbars=size=640x360:rate=25:duration=2',
    '-c:v', 'prores_ks', '-profile:v', '0', '-pix_fmt', 'yuv422p10le', path.join(card, 'L001C001.mov')]);
  execFileSync(bin, ['offload', card, '--to', raid, '--to', shuttle, '--register', base, '--token', token,
    '--production', 'Looks', '--day', '2026-01-05', '--no-progress']);
  const clip = await until(async () => (await api('/api/v1/clips?q=L001C001')).items[0], 'the clip registered');
  const prod = (await api('/api/v1/productions')).items.find((p) => p.name === 'Looks').id;
  // A still chart is a frozen picture to QC: no hold for that here.
  await api(`/api/v1/productions/${prod}`, { method: 'PATCH', body: { settings: { qc: { hold: 'never' } } } });
  const done = async (v) => (await api(`/api/v1/renditions?clip_id=${clip.id}`)).items
    .filter((r) => r.state === 'done' && r.version > v).sort((a, b) => b.version - a.version)[0];
  const first = await until(() => done(0), 'the first proxy', 120000, 500);

  // The show LUT and a CDL: the proxy is made again with both.
  const cubeText = rotatingCube();
  const res = await fetch(`${base}/api/v1/luts?name=rotate&production_id=${prod}`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' }, body: cubeText });
  const lut = await res.json();
  assert.equal(res.status, 201, JSON.stringify(lut));
  await api(`/api/v1/productions/${prod}`, { method: 'PATCH', body: { show_lut_id: lut.id } });
  const cdl = { slope: [1.1, 0.95, 1.0], offset: [0.02, 0, -0.02], power: [0.9, 1.0, 1.1], sat: 0.9 };
  await api(`/api/v1/clips/${clip.id}`, { method: 'PATCH', body: { look: cdl } });
  const idle = async () => (await api('/api/v1/jobs?kind=transcode&state=queued')).items.length === 0 &&
    (await api('/api/v1/jobs?kind=transcode&state=running')).items.length === 0;
  let proxy;
  await until(async () => (proxy = await done(first.version)) && idle(), 'the proxy made with the look', 180000, 500);
  proxy = await done(first.version);

  // The page's LUT sampling against the server's: the 17-point LUT re-sampled at 33 points
  // there (most of them inside its cells).
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  const got = await fetch(`${base}/api/v1/clips/${clip.id}/look.cube?part=lut&size=33`, auth);
  const text = await got.text();
  assert.equal(got.status, 200, text);
  const server = parseCube(text);
  const mine = parseCube(cubeText);
  let worst = 0;
  const o = [0, 0, 0];
  for (let b = 0; b < 33; b++) for (let g = 0; g < 33; g++) for (let r = 0; r < 33; r++) {
    sample(mine, [r / 32, g / 32, b / 32], o);
    const k = 3 * (r + 33 * (g + 33 * b));
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(o[c] - server.data[k + c]));
  }
  assert.ok(worst < 2e-6, `the page samples the LUT as the server does (worst ${worst})`);
  const none = await fetch(`${base}/api/v1/clips/${clip.id}/look.cube?part=other`, auth);
  assert.equal(none.status, 400);

  // The clip page: its preview, read back from the canvas.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await login(ctx, 'dit', 'dit password 1');
  await page.goto(`${base}/#/clip/${clip.id}`);
  await page.waitForFunction(() => document.getElementById('look-preview')?.dataset.source === 'poster' &&
    document.getElementById('look-preview')?.dataset.lut === 'on', null, { timeout: 20000 });
  const shown = await page.evaluate(() => {
    const c = document.getElementById('look-preview');
    return { w: c.width, h: c.height, px: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
  });
  // The poster's own pixels (what the preview starts from), drawn the way the page draws them.
  const poster = await page.evaluate(async (url) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = Math.min(640, img.naturalWidth);
    c.height = Math.round(c.width * img.naturalHeight / img.naturalWidth);
    c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  }, clip.poster ?? `/api/v1/clips/${clip.id}/thumbnails/0.jpg`);
  await shot(page, 'look-01-preview-with-show-lut');
  await ctx.close();

  // A frame of the proxy at the canvas's size, by ffmpeg.
  const file = path.join(tmp, `proxy-${proxy.id}`);
  fs.writeFileSync(file, Buffer.from(await (await fetch(`${base}/api/v1/renditions/${proxy.id}/file`, auth)).arrayBuffer()));
  const frame = execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-ss', '1', '-i', file, '-frames:v', '1',
    '-vf', `scale=${shown.w}:${shown.h}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 });
  assert.equal(frame.length, shown.w * shown.h * 3);

  // The CDL alone on the same poster: what the preview showed before it knew the LUT.
  const src = { data: Uint8ClampedArray.from(poster), width: shown.w, height: shown.h };
  const cdlOnly = { data: new Uint8ClampedArray(poster.length) };
  applyImage(normal(cdl), src, cdlOnly);
  const withLut = meanDiff(shown.px, frame);
  const without = meanDiff(cdlOnly.data, frame);
  console.log(`# preview vs proxy frame: ${withLut.toFixed(2)} of 255 with the LUT, ${without.toFixed(2)} with the CDL alone`);
  // What remains is the two pictures' own paths (a JPEG poster decoded by Chromium against an
  // H.264 proxy decoded by ffmpeg, each with its own YUV matrix and rounding): about 9 of 255 on
  // these saturated bars, where the CDL alone is off by about 58.
  assert.ok(withLut < 12, `the preview matches the proxy (mean difference ${withLut.toFixed(2)} of 255)`);
  assert.ok(without > 4 * withLut, `the LUT matters here (CDL alone: ${without.toFixed(2)})`);
});
