// The dashboard in Chromium against a real setpost serve and worker (started by
// tests/cli/dashboard.sh, which passes SETPOST_URL, SETPOST_TOKEN, SETPOST_CARDS, SETPOST_DESTS).
// Each test leaves a screenshot in artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, raid, shuttle, twoVolumes, api, until, shot, launch, login } from './harness.js';

let browser;
let admin; // the DIT's browser context
let today; // a page left on Today the whole time
let clips; // a page left on Clips

before(async () => {
  browser = await launch();
  admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

after(async () => { await browser?.close(); });

test('log in: a wrong password is refused, the right one opens Today', async () => {
  const page = await admin.newPage();
  await page.goto(`${base}/`);
  await page.fill('#login input[name=name]', 'dit');
  await page.fill('#login input[name=password]', 'wrong password');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  await page.fill('#login input[name=password]', 'dit password 1');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('.view-today .empty');
  await page.waitForSelector('#live.ok');
  assert.equal(await page.textContent('#who'), 'dit · admin');
  await shot(page, '01-login-today-empty');
  today = page;
});

test('a registered offload shows up live: its card on Today and its clips in Clips', async () => {
  clips = await admin.newPage();
  await clips.goto(`${base}/#/clips`);
  await clips.waitForSelector('.view-clips td.empty');
  await clips.waitForSelector('#live.ok');
  // Marks the pages: a reload would lose the marks.
  await today.evaluate(() => { window.notReloaded = true; });
  await clips.evaluate(() => { window.notReloaded = true; });
  const file = (p, size, clip, h) => ({ path: p, size, clip, hashes: { xxh64: h } });
  const files = [file('A001R1AB/A001C001.mov', 5, 'A001C001', '0ea03b369a463d9d'),
    file('A001R1AB/A001C002.mov', 4, 'A001C002', '7680e5f98f4a80fd')];
  const copy = (key, name) => ({ volume: { key, name }, path: 'Day01',
    files: files.map((f) => ({ path: f.path, state: 'verified', hashes: f.hashes })) });
  const res = await api('/api/v1/offloads', { method: 'POST', body: {
    production: 'Feature', day: new Date().toISOString().slice(0, 10),
    card: { label: 'A001R1AB', camera: 'A' },
    clips: [{ name: 'A001C001', scene: '14B', take: '3' }, { name: 'A001C002', scene: '14B', take: '4' }],
    files, copies: [copy('uuid:raid', 'RAID'), copy('uuid:shuttle', 'SHUTTLE')] } });
  assert.equal(res.safe_to_format, true);
  const card = today.locator('article.card[data-label="A001R1AB"]');
  await card.waitFor();
  assert.equal(await card.locator('.verdict').textContent(), 'SAFE TO FORMAT');
  await until(async () => (await card.locator('dd[data-stage=verified] .count').textContent()) === '2/2', 'verified 2/2');
  await clips.waitForSelector('tr[data-name="A001C002"]');
  assert.equal(await clips.locator('tbody tr').count(), 2);
  assert.ok(await today.evaluate(() => window.notReloaded) && await clips.evaluate(() => window.notReloaded), 'no reload');
  await shot(today, '02-today-card-live');
  await shot(clips, '02-clips-live');
});

test('circling a take in Clips is saved (by click and by keyboard)', async () => {
  const row = clips.locator('tr[data-name="A001C001"]');
  await row.locator('button.circle').click();
  await until(async () => (await row.locator('button.circle').getAttribute('aria-pressed')) === 'true', 'pressed');
  const id = Number(await row.getAttribute('data-id'));
  assert.equal((await api(`/api/v1/clips/${id}`)).circled, true);
  // Keyboard: j j selects the second row, c circles it.
  await clips.locator('.view-clips h2').click();
  await clips.keyboard.press('j');
  await clips.keyboard.press('j');
  await clips.keyboard.press('c');
  const second = clips.locator('tr[data-name="A001C002"]');
  await until(async () => (await second.locator('button.circle').getAttribute('aria-pressed')) === 'true', 'second pressed');
  assert.equal((await api(`/api/v1/clips/${Number(await second.getAttribute('data-id'))}`)).circled, true);
  await shot(clips, '03-clips-circled');
});

test('a CDL change previews on the canvas and is saved', async () => {
  const id = Number(await clips.locator('tr[data-name="A001C001"]').getAttribute('data-id'));
  await clips.keyboard.press('k');
  await clips.keyboard.press('Enter');
  await clips.waitForURL(`**/#/clip/${id}`);
  const canvas = clips.locator('#look-preview');
  await canvas.waitFor();
  await clips.waitForFunction(() => document.getElementById('look-preview').dataset.source);
  const pixel = () => clips.evaluate(() => {
    const c = document.getElementById('look-preview');
    return Array.from(c.getContext('2d').getImageData(10, 10, 1, 1).data);
  });
  const beforePx = await pixel();
  const slider = clips.locator('input[name="slope-R"]');
  await slider.fill('2');
  await slider.dispatchEvent('change');
  const afterPx = await until(async () => { const p = await pixel(); return p[0] !== beforePx[0] ? p : null; }, 'the preview to change');
  // ASC CDL: red = clamp(r * 2) ^ 1; green and blue untouched at saturation 1.
  assert.equal(afterPx[0], Math.round(Math.min(1, (beforePx[0] / 255) * 2) * 255));
  assert.equal(afterPx[1], beforePx[1]);
  await clips.locator('#look-state', { hasText: 'saved' }).waitFor();
  const look = await until(async () => (await api(`/api/v1/clips/${id}`)).look, 'the look saved');
  assert.deepEqual(look.slope, [2, 1, 1]);
  await clips.locator('input[name="sat"]').fill('0');
  await clips.locator('input[name="sat"]').dispatchEvent('change');
  await until(async () => (await api(`/api/v1/clips/${id}`)).look?.sat === 0, 'sat saved');
  const grey = await pixel();
  assert.equal(grey[0], grey[1], 'saturation 0 is grey');
  await shot(clips, '04-clip-look');
});

test('an offload started from the page runs on the worker and gives its verdict', async () => {
  await today.keyboard.press('3');
  await today.waitForSelector('#offload-form input[name=source]');
  await today.fill('#offload-form input[name=source]', `${process.env.SETPOST_CARDS}/arri`);
  await today.fill('#offload-form input[name=card]', 'A002R1AB');
  if (twoVolumes) {
    await today.check(`#offload-form input[name=dest][value="${raid}"]`);
    await today.check(`#offload-form input[name=dest][value="${shuttle}"]`);
  } else {
    await today.fill('#offload-form textarea[name=more]', `${raid}\n${shuttle}`);
  }
  await today.click('#offload-form button[type=submit]');
  const verdict = today.locator('#offload-watch .verdict');
  await verdict.waitFor({ timeout: 30000 });
  assert.equal(await verdict.textContent(), twoVolumes ? 'SAFE TO FORMAT' : 'NOT SAFE TO FORMAT');
  await shot(today, '05-offload-verdict');
  await today.keyboard.press('1');
  await today.locator('article.card[data-label="A002R1AB"]').waitFor();
});

test('a failed job shows its reason and is retried from Jobs', async () => {
  await today.keyboard.press('3');
  await today.waitForSelector('#offload-form input[name=source]');
  await today.fill('#offload-form input[name=source]', '/nonexistent/card/A003');
  await today.fill('#offload-form textarea[name=more]', raid);
  await today.click('#offload-form button[type=submit]');
  await today.locator('#offload-watch .verdict', { hasText: 'Failed' }).waitFor({ timeout: 30000 });
  const job = Number(new URL(today.url()).hash.split('job=')[1]);
  await today.keyboard.press('4');
  await today.click('.tabs button:text("failed")');
  const row = today.locator(`tr[data-job="${job}"]`);
  await row.waitFor();
  assert.match(await row.locator('td.reason').textContent(), /\S/);
  await shot(today, '06-jobs-failed');
  await row.locator('button.retry').click();
  await until(async () => (await api(`/api/v1/events?kind=job.retried&subject_id=${job}`)).items.length === 1, 'job.retried');
  // It runs again and fails again, and shows up again among the failed.
  await until(async () => (await api(`/api/v1/jobs/${job}`)).state === 'dead' && (await api(`/api/v1/jobs/${job}`)).attempts === 1, 'the second run');
  await today.locator(`tr[data-job="${job}"] button.retry`).waitFor();
});

test('an editor is not offered what only the DIT may do', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const page = await login(ctx, 'cutter', 'editor password 1');
  assert.equal(await page.textContent('#who'), 'cutter · editor');
  assert.equal(await page.locator('#nav a[data-view=offload]').isHidden(), true);
  assert.equal(await page.locator('#nav a[data-view=deliveries]').isHidden(), true);
  await page.locator('article.card[data-label="A001R1AB"]').waitFor();
  await page.goto(`${base}/#/offload`);
  await page.waitForSelector('.view-today');
  await page.goto(`${base}/#/clips`);
  await page.waitForSelector('tr[data-name="A001C001"]');
  assert.equal(await page.locator('button.circle').count(), 0);
  // The search is the server's: '/' focuses it, the table follows the typing.
  await page.locator('.view-clips h2').click();
  await page.keyboard.press('/');
  await page.keyboard.type('A001R1AB');
  await until(async () => (await page.locator('table.clips tbody tr').count()) === 2 &&
    (await page.locator('tr[data-name="A001C002"]').count()) === 1, 'the search');
  assert.match(page.url(), /q=A001R1AB/);
  await page.goto(`${base}/#/clips`);
  await page.waitForSelector('tr[data-name="A001C001"]');
  assert.equal(await page.locator('tr[data-name="A001C001"] .circle.on').count(), 1, 'sees the circled take');
  await page.click('tr[data-name="A001C001"] a.clipname');
  await page.waitForSelector('#look-preview');
  assert.equal(await page.locator('input[type=range]').count(), 0);
  assert.equal(await page.locator('textarea[name=notes]').count(), 0);
  await page.goto(`${base}/#/jobs?state=dead`);
  await page.waitForSelector('table.jobs tr[data-state=dead]');
  assert.equal(await page.locator('button.retry, button.cancel').count(), 0);
  await shot(page, '07-editor');
  await page.click('#logout');
  await page.waitForSelector('#login-section:not([hidden])');
  await ctx.close();
});

test('a lost event stream is shown and recovers with a catch-up reload', async () => {
  await today.keyboard.press('2');
  await today.waitForSelector('tr[data-name="A001C001"]');
  // Cut the stream: the next connection attempts fail until the route is lifted.
  await today.route('**/api/v1/events/stream*', (r) => r.abort());
  await today.click('#live');
  await today.locator('#live.bad').waitFor();
  await shot(today, '08-connection-lost');
  const id = Number(await today.locator('tr[data-name="A001C002"]').getAttribute('data-id'));
  await api(`/api/v1/clips/${id}`, { method: 'PATCH', body: { scene: '99' } });
  await today.unroute('**/api/v1/events/stream*');
  await today.locator('#live.ok').waitFor({ timeout: 20000 });
  await today.locator('tr[data-name="A001C002"] td:nth-child(3)', { hasText: '99/4' }).waitFor();
});
