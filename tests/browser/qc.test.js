// The DIT's QC loop in Chromium (issue 16), against the real setpost serve and worker that
// tests/cli/dashboard.sh starts (SETPOST_QC_CARD: a card holding a frozen take and an empty
// file, from tests/fixtures/make-qc-clips.sh). A broken clip is red with its reason on Today and
// in Clips; a held clip is released from its page by answering its findings with a note.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, raid, shuttle, twoVolumes, api, until as untilWithin, shot, launch, login } from './harness.js';

const qcCard = process.env.SETPOST_QC_CARD;
let browser;
let page;
let frozen;
let empty;

// Probing, QC and proxies take their time: two minutes, asked every quarter second.
const until = (fn, what) => untilWithin(fn, what, 120000, 250);
const clipNamed = async (name) => (await api(`/api/v1/clips?q=${name}`)).items[0];

before(async () => {
  browser = await launch();
  page = await login(await browser.newContext({ viewport: { width: 1280, height: 900 } }), 'dit',
    'dit password 1');
});

after(async () => { await browser?.close(); });

test('QC card offloaded: the empty file is unreadable, the frozen take is held', { skip: !twoVolumes && 'needs two volumes (root, tmpfs)' }, async () => {
  const job = await api('/api/v1/offload-jobs', { method: 'POST', body: {
    source: qcCard, destinations: [raid, shuttle], card: 'A003QC', day: new Date().toISOString().slice(0, 10) } });
  assert.ok(job.job_id);
  empty = await until(async () => { const c = await clipNamed('A001C020_250101_R1AB'); return c?.state === 'media_error' && c; }, 'media_error');
  frozen = await until(async () => { const c = await clipNamed('A001C008_250101_R1AB'); return c?.state === 'qc_hold' && c.proxy === 'done' && c; }, 'qc_hold, proxied');
  assert.match(empty.state_reason, /empty \(0 bytes\)/);
  const done = await until(async () => { const j = await api(`/api/v1/jobs/${job.job_id}`); return j.state === 'done' && j; }, 'the offload job');
  assert.equal(done.progress_text, '2 of 2 files done', 'a finished offload counts the files it did');
});

test('Offload lists every registered offload, whatever started it', async () => {
  // Registered by another tool through the API (no job): still an offload of the day.
  const file = { path: 'B001/B001C001.mov', size: 5, clip: 'B001C001', hashes: { xxh64: '0ea03b369a463d9d' } };
  const copy = (key, name) => ({ volume: { key, name }, path: 'Day01', files: [{ path: file.path, state: 'verified', hashes: file.hashes }] });
  await api('/api/v1/offloads', { method: 'POST', body: {
    production: 'Feature', day: new Date().toISOString().slice(0, 10), card: { label: 'B001REG', camera: 'B' },
    clips: [{ name: 'B001C001' }], files: [file], copies: [copy('uuid:raid-b', 'RAID-B'), copy('uuid:shuttle-b', 'SHUTTLE-B')] } });
  await page.goto(`${base}/#/offload`);
  const row = page.locator('#registered-offloads tr[data-card="B001REG"]');
  await row.waitFor();
  assert.match(await row.textContent(), /1 files, 2 copies.*by token:browser-tests/);
  if (twoVolumes) await page.locator('#registered-offloads tr[data-card="A003QC"]').waitFor();
  await shot(page, 'qc-06-offloads');
});

test('Today: the card is safe to format and says 1 clip unreadable, with why, in red', { skip: !twoVolumes && 'needs two volumes' }, async () => {
  await page.goto(`${base}/#/today`);
  const card = page.locator('article.card[data-label="A003QC"]');
  await card.waitFor();
  assert.equal(await card.locator('.verdict').textContent(), 'SAFE TO FORMAT');
  const badge = card.locator('.badge.bad', { hasText: 'unreadable' });
  await badge.waitFor();
  assert.equal(await badge.textContent(), '1 clip unreadable');
  assert.match(await card.locator('ul.unreadable li').first().textContent(), /A001C020_250101_R1AB: .*empty/);
  assert.equal(await badge.evaluate((e) => getComputedStyle(e).color), await card.locator('ul.unreadable li').first().evaluate((e) => getComputedStyle(e).color));
  await shot(page, 'qc-01-today-unreadable');
});

test('Clips: the unreadable clip is red with its reason; the held clip says QC hold', { skip: !twoVolumes && 'needs two volumes' }, async () => {
  await page.goto(`${base}/#/clips?card_id=${empty.card_id}`);
  const row = page.locator(`tr[data-name="${empty.name}"]`);
  await row.waitFor();
  const state = row.locator('.state');
  assert.equal(await state.textContent(), 'media error');
  assert.match(await state.getAttribute('title'), /empty \(0 bytes\)/);
  const red = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bad').trim());
  const color = await state.evaluate((e) => getComputedStyle(e).color);
  const probe = await page.evaluate((c) => { const d = document.createElement('span'); d.style.color = c; document.body.append(d); const v = getComputedStyle(d).color; d.remove(); return v; }, red);
  assert.equal(color, probe, 'media_error is drawn in the dashboard\'s red');
  assert.equal(await page.locator(`tr[data-name="${frozen.name}"] .state`).textContent(), 'qc hold');
  await shot(page, 'qc-02-clips-red');
  await page.goto(`${base}/#/clip/${empty.id}`);
  await page.locator('#state-reason', { hasText: 'empty (0 bytes)' }).waitFor();
  await page.locator('p.bad', { hasText: 'the media cannot be read' }).waitFor();
  await shot(page, 'qc-03-clip-unreadable');
});

test('the hold life cycle: a note is required, each finding answered, the clip released', { skip: !twoVolumes && 'needs two volumes' }, async () => {
  await page.goto(`${base}/#/clip/${frozen.id}`);
  await page.locator('.viewhead .state', { hasText: 'qc hold' }).waitFor();
  const open = page.locator('table.qc tr[data-disposition=open]');
  assert.ok(await open.count() >= 1);
  assert.match(await page.locator('table.qc').textContent(), /SP-IMG-FREEZE/);
  await shot(page, 'qc-04-hold');
  await open.first().locator('button', { hasText: 'Override' }).click();
  await page.locator('#hold-state', { hasText: 'Write a note first' }).waitFor();
  assert.equal((await api(`/api/v1/clips/${frozen.id}`)).state, 'qc_hold', 'no note: nothing changed');
  for (let n = await open.count(); n > 0; n = await open.count()) {
    await page.fill('#hold-note', 'locked-off plate, meant to be still');
    await open.first().locator('button', { hasText: 'Override' }).click();
    await until(async () => (await open.count()) < n, 'the answer shown');
  }
  await page.locator('.viewhead .state', { hasText: 'proxied' }).waitFor();
  assert.match(await page.locator('table.qc').textContent(), /overridden by dit: locked-off plate/);
  const c = await api(`/api/v1/clips/${frozen.id}`);
  assert.equal(c.state, 'proxied');
  assert.ok(c.events.some((e) => e.kind === 'clip.qc_finding_overridden' && e.actor === 'dit'));
  assert.ok(c.events.some((e) => e.kind === 'clip.qc_released' && e.data.reason === 'locked-off plate, meant to be still'));
  await shot(page, 'qc-05-released');
});
