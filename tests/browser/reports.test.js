// Paperwork on the dashboard (issue 18), against the real setpost serve tests/cli/dashboard.sh
// starts: Today links each card to its offload report and the day to its day report (HTML
// opens in a tab of its own, PDF is a PDF); the Workflow view lets an admin save the agreed
// workflow sheet as a new version, shows the server's reason for one it refuses (nothing
// changes), and links the sheet to sign; an editor reads it without a form. The clip view's
// Camera panel shows the settings a Sony card's M01.XML carries, and says so for a clip that
// carries none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, base, launch, login, shot, until, raid, shuttle, twoVolumes } from './harness.js';

let browser;
let context;
let page;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await login(context, 'dit', 'dit password 1');
});

after(async () => { await browser?.close(); });

// A card registered as another tool would, on a day and production of its own.
async function register() {
  const day = '2026-11-28';
  const file = { path: 'W001/W001C001.mov', size: 5, clip: 'W001C001', hashes: { xxh64: '0ea03b369a463d9d' } };
  const copy = (key, name) => ({ volume: { key, name }, path: 'Day01', files: [{ path: file.path, state: 'verified', hashes: file.hashes }] });
  await api('/api/v1/offloads', { method: 'POST', body: {
    production: 'Paperwork Feature', day, card: { label: 'W001PAPER', camera: 'W' },
    clips: [{ name: 'W001C001' }], files: [file], copies: [copy('uuid:raid-w', 'RAID-W'), copy('uuid:shuttle-w', 'SHUTTLE-W')] } });
  const prod = (await api('/api/v1/productions')).items.find((p) => p.name === 'Paperwork Feature');
  const dayRow = (await api('/api/v1/days')).items.find((d) => d.shoot_date === day && d.production_id === prod.id);
  const card = (await api('/api/v1/cards?limit=200')).items.find((k) => k.label === 'W001PAPER');
  return { prod, day: dayRow, card };
}

test('Today: a card links to its offload report, the day to its day report', async () => {
  const { day, card } = await register();
  await page.goto(`${base}/#/today?day=${day.id}`);
  const tile = page.locator(`article.card[data-card="${card.id}"]`);
  await tile.waitFor();
  const html = tile.locator('.card-report a', { hasText: 'HTML' });
  assert.equal(await html.getAttribute('href'), `/api/v1/cards/${card.id}/report?format=html`);
  assert.equal(await tile.locator('.card-report a', { hasText: 'PDF' }).getAttribute('href'), `/api/v1/cards/${card.id}/report?format=pdf`);
  const [tab] = await Promise.all([context.waitForEvent('page'), html.click()]);
  await tab.waitForLoadState();
  const text = await tab.textContent('body');
  assert.match(text, /Offload report/);
  assert.match(text, /W001PAPER/);
  assert.match(text, /W001C001/);
  await shot(tab, 'reports-01-card-report');
  await tab.close();
  // The PDF link answers a PDF to the session that follows it.
  const pdf = await page.evaluate(async (u) => {
    const r = await fetch(u);
    const b = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), magic: String.fromCharCode(...b.slice(0, 5)) };
  }, `/api/v1/cards/${card.id}/report?format=pdf`);
  assert.deepEqual(pdf, { status: 200, type: 'application/pdf', magic: '%PDF-' });
  const dayLink = page.locator('.viewhead .day-report a', { hasText: 'HTML' });
  assert.equal(await dayLink.getAttribute('href'), `/api/v1/days/${day.id}/report?format=html`);
  const [dtab] = await Promise.all([context.waitForEvent('page'), dayLink.click()]);
  await dtab.waitForLoadState();
  assert.match(await dtab.textContent('body'), /Shooting day report[\s\S]*Paperwork Feature/);
  await dtab.close();
  await shot(page, 'reports-02-today-links');
});

test('Workflow: an admin saves a sheet, a refused one changes nothing, an editor reads it', async () => {
  const prod = (await api('/api/v1/productions')).items.find((p) => p.name === 'Paperwork Feature');
  await page.goto(`${base}/#/workflow?production=${prod.id}`);
  await page.locator('#workflow-form textarea').waitFor();
  assert.match(await page.textContent('#workflow-version'), /No workflow sheet/);
  const sheet = { frame_rate: '23.976', resolution: '3840x2160', codecs: ['prores'],
    contacts: [{ role: 'DIT', name: 'Ana Lima' }], sound: { format: 'BWF 48 kHz', in_camera: true } };
  await page.fill('#workflow-form textarea', JSON.stringify(sheet, null, 2));
  await page.click('#workflow-form button[type=submit]');
  await until(async () => /Saved as version 1/.test(await page.textContent('#workflow-msg')), 'saved');
  const w = await api(`/api/v1/productions/${prod.id}/workflow`);
  assert.equal(w.version, 1);
  assert.deepEqual(w.sheet, sheet);
  assert.equal(await page.locator('#workflow-links a', { hasText: 'PDF' }).getAttribute('href'), `/api/v1/productions/${prod.id}/workflow.pdf`);
  await shot(page, 'reports-03-workflow-saved');
  // Refused: the server's reason, and version 1 stays.
  await page.fill('#workflow-form textarea', JSON.stringify({ ...sheet, frame_rate: 'fast' }));
  await page.click('#workflow-form button[type=submit]');
  await until(async () => /Not saved: .*frame_rate/.test(await page.textContent('#workflow-msg')), 'refusal shown');
  assert.equal((await api(`/api/v1/productions/${prod.id}/workflow`)).version, 1);
  await shot(page, 'reports-04-workflow-refused');
  // An editor: the sheet, the links, no form.
  const ed = await login(await browser.newContext({ viewport: { width: 1280, height: 900 } }), 'cutter', 'editor password 1');
  await ed.goto(`${base}/#/workflow?production=${prod.id}`);
  await ed.locator('pre#workflow-sheet').waitFor();
  assert.match(await ed.textContent('pre#workflow-sheet'), /"frame_rate": "23.976"/);
  assert.equal(await ed.locator('#workflow-form').count(), 0);
  assert.match(await ed.textContent('#workflow-version'), /Version 1/);
});

test('Clip view: the Camera panel shows what the card carries, nothing else', { skip: !twoVolumes && 'needs two volumes (root, tmpfs)' }, async () => {
  const job = await api('/api/v1/offload-jobs', { method: 'POST', body: {
    source: `${process.env.SETPOST_CARDS}/sony`, destinations: [raid, shuttle], card: 'S004CAM', day: '2026-11-29' } });
  assert.ok(job.job_id);
  const probed = async (name) => {
    const c = (await api(`/api/v1/clips?q=${name}`)).items[0];
    if (!c) return null;
    const d = await api(`/api/v1/clips/${c.id}`);
    return d.camera_metadata ? d : null;
  };
  const rich = await until(() => probed('A004C002_250103J4'), 'the Sony clip probed', 120000, 250);
  await page.goto(`${base}/#/clip/${rich.id}`);
  const panel = page.locator('#camera-metadata');
  await panel.waitFor();
  const text = await panel.textContent();
  for (const want of ['MPC-3610', 'Cooke S4/i 50mm', 'ISO/EI', '500', '4300K', '172.8deg', 'T2.3', '50.00mm']) {
    assert.ok(text.includes(want), `the Camera panel lacks ${want}: ${text}`);
  }
  assert.ok(!text.includes('Look'), `no look: the XML names none: ${text}`);
  await shot(page, 'reports-05-clip-camera');
  const bare = await until(() => probed('A004C003_250103K7'), 'the other Sony clip probed', 120000, 250);
  await page.goto(`${base}/#/clip/${bare.id}`);
  await panel.waitFor();
  const t2 = await panel.textContent();
  assert.ok(!/ISO|White balance|Shutter|T-stop/.test(t2), `settings shown that the card does not carry: ${t2}`);
});
