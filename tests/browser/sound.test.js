// An ambiguous sound match settled from the clip page (issue 16): two clips of camera F whose
// timecode overlaps point to one take; the page names the take with a question mark, offers
// the DIT "Use <take>" and "No sound (MOS)", and each click sets the match by hand, seen in
// the API and on the page. The editor is offered neither. A production of its own ("Sound"),
// on an early day, registered through the API (POST /offloads), so the other tests' clips and
// Today are untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, base, until, shot, launch, login } from './harness.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const hash = '0123456789abcdef';
const card = (label, kind, clips) => api('/api/v1/offloads', { method: 'POST', body: {
  production: 'Sound', day: '2026-01-06', card: { label, kind },
  clips, files: clips.map((c) => ({ path: `${c.name}.${kind === 'sound' ? 'wav' : 'mov'}`, size: 100, clip: c.name, hashes: { xxh64: hash } })),
} });

test('an ambiguous sound match is settled by the DIT from the clip page', async () => {
  // T030 at 03:00:00:00 (25 fps, 48 kHz, 60 s): samples since midnight = 3 h x 48000.
  await card('S030', 'sound', [{ name: 'T030', start_tc: '03:00:00:00', fps_num: 25, fps_den: 1,
    metadata: { sound: { sample_rate: 48000, samples: 60 * 48000, time_reference: 3 * 3600 * 48000 } } }]);
  const cam = (name, tc) => ({ name, camera: 'F', start_tc: tc, fps_num: 25, fps_den: 1, duration_frames: 250 });
  await card('F001', 'camera', [cam('F001C001', '03:00:00:00')]);
  await card('F002', 'camera', [cam('F002C001', '03:00:04:00')]);
  const clipOf = async (name) => (await api(`/api/v1/clips?q=${name}`)).items[0];
  const sound = async (name) => (await api(`/api/v1/clips/${(await clipOf(name)).id}`)).sound;
  for (const name of ['F001C001', 'F002C001']) {
    await until(async () => (await sound(name))?.method === 'ambiguous', `${name} ambiguous`, 30000, 200);
  }
  const a = await clipOf('F001C001');
  const b = await clipOf('F002C001');

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await login(ctx, 'dit', 'dit password 1');
  await page.goto(`${base}/#/clip/${b.id}`);
  const what = page.locator('#sound-ambiguous');
  await what.waitFor();
  assert.match(await what.textContent(), /T030\? \(\+100 frames: ambiguous/);
  await shot(page, 'sound-01-ambiguous');
  await page.click('#sound-use');
  await until(async () => (await sound('F002C001'))?.method === 'manual', 'F002C001 matched by hand');
  const s = await sound('F002C001');
  assert.equal(s.name, 'T030');
  assert.equal(s.offset_frames, 100);
  await page.locator('#sound-ambiguous').waitFor({ state: 'detached' });

  await page.goto(`${base}/#/clip/${a.id}`);
  await page.locator('#sound-ambiguous').waitFor();
  await page.click('#sound-mos');
  await until(async () => (await sound('F001C001'))?.method === 'manual', 'F001C001 MOS by hand');
  assert.equal((await sound('F001C001')).name ?? null, null);
  await page.locator('#sound-ambiguous').waitFor({ state: 'detached' });
  await shot(page, 'sound-02-mos');
  const day = await api(`/api/v1/days/${a.day_id}/sound`);
  assert.equal(day.ambiguous.length, 0, JSON.stringify(day.ambiguous));
  await ctx.close();

  // The editor sees an ambiguous take but is offered no button.
  const c2 = await card('F003', 'camera', [cam('F003C001', '03:00:08:00'), cam('F003C002', '03:00:08:05')]);
  assert.ok(c2);
  await until(async () => (await sound('F003C001'))?.method === 'ambiguous', 'F003C001 ambiguous', 30000, 200);
  const ectx = await browser.newContext();
  const ed = await login(ectx, 'cutter', 'editor password 1');
  await ed.goto(`${base}/#/clip/${(await clipOf('F003C001')).id}`);
  await ed.locator('#sound-ambiguous').waitFor();
  assert.equal(await ed.locator('#sound-use, #sound-mos').count(), 0, 'no buttons for an editor');
  await ectx.close();
});

// The clip page names the clip's camera proxy (a RED .mov in its .RDC folder, registered as
// files[].camera_proxy) and when the clip was recorded, with where that time came from.
test('the clip page names the camera proxy and the recording time', async () => {
  const name = 'G001_C001_0106AB';
  const dir = `G001_0106AB.RDM/${name}.RDC`;
  await api('/api/v1/offloads', { method: 'POST', body: {
    production: 'Sound', day: '2026-01-06', card: { label: 'G001', kind: 'camera' },
    clips: [{ name, recorded_at: '2026-01-06T09:41:02' }],
    files: [{ path: `${dir}/${name}_001.R3D`, size: 100, clip: name, role: 'media', hashes: { xxh64: hash } },
      { path: `${dir}/${name}_001.mov`, size: 100, clip: name, role: 'sidecar', camera_proxy: true, hashes: { xxh64: hash } }],
  } });
  const c = (await api(`/api/v1/clips?q=${name}`)).items[0];
  const d = await api(`/api/v1/clips/${c.id}`);
  assert.equal(d.camera_proxy?.name, `${name}_001.mov`, JSON.stringify(d.camera_proxy));
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await login(ctx, 'dit', 'dit password 1');
  await page.goto(`${base}/#/clip/${c.id}`);
  const px = page.locator('#camera-proxy');
  await px.waitFor();
  assert.equal(await px.textContent(), `${name}_001.mov`);
  const kv = await page.locator('dl.kv').first().textContent();
  assert.match(kv, /Camera proxy/);
  assert.match(kv, /Recorded2026-01-06 09:41:02 \(registration\)/);
  await shot(page, 'sound-03-camera-proxy');
  await ctx.close();
});
