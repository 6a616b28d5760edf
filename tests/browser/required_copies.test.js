// The production's required copies from the dashboard (issue 21): an admin changes them on Today
// and every card of the production is judged again at once, on that page, on another open page
// (live, no reload) and in the API. A production of its own, so the other browser tests' cards
// are untouched whichever order the files run in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.env.SETPOST_URL;
const token = process.env.SETPOST_TOKEN;
let browser;

async function api(p, opts = {}) {
  const res = await fetch(base + p, {
    method: opts.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const body = await res.json();
  assert.ok(res.ok, `${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const shot = (page, name) => page.screenshot({ path: path.join(here, 'artifacts', `${name}.png`), fullPage: true });

// A page of context at url; the first one logs in (the others share its session).
async function open(context, url, first) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${base}/`);
  if (first) {
    await page.fill('#login input[name=name]', 'dit');
    await page.fill('#login input[name=password]', 'dit password 1');
    await page.click('#login button[type=submit]');
  }
  await page.waitForSelector('#nav:not([hidden])');
  await page.goto(url);
  await page.waitForSelector('#live.ok');
  return page;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.SETPOST_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

test('required copies changed on Today re-judge every card of the production, everywhere at once', async () => {
  // Two cards of production "Copies", each file verified on two volumes: safe at 2 copies.
  const file = (p, h) => ({ path: p, size: 6, hashes: { xxh64: h } });
  const copy = (files, key, name) => ({ volume: { key, name }, path: 'Day09',
    files: files.map((f) => ({ path: f.path, state: 'verified', hashes: f.hashes })) });
  let day;
  for (const [label, hs] of [['K001', ['1111111111111111', '2222222222222222']], ['K002', ['3333333333333333']]]) {
    const files = hs.map((h, i) => file(`${label}/${label}C00${i + 1}.mov`, h));
    const res = await api('/api/v1/offloads', { method: 'POST', body: {
      production: 'Copies', day: '2026-12-09', card: { label, camera: 'K' }, files,
      copies: [copy(files, 'uuid:copies-raid', 'RAID'), copy(files, 'uuid:copies-shuttle', 'SHUTTLE')] } });
    assert.equal(res.safe_to_format, true, `${label} safe at 2 copies`);
    day = res.day_id;
  }
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const dit = await open(ctx, `${base}/#/today?day=${day}`, true);
  const other = await open(ctx, `${base}/#/today?day=${day}`, false);
  await other.evaluate(() => { window.notReloaded = true; });
  const verdicts = (page) => page.locator('article.card .verdict').allTextContents();
  for (const page of [dit, other]) {
    await until(async () => (await verdicts(page)).join() === 'SAFE TO FORMAT,SAFE TO FORMAT', 'both cards safe');
  }
  const select = dit.locator('select[name=required_copies]');
  assert.equal(await select.inputValue(), '2');

  await select.selectOption('3');
  for (const page of [dit, other]) {
    await until(async () => (await verdicts(page)).join() === 'NOT SAFE TO FORMAT,NOT SAFE TO FORMAT',
      'both cards not safe at 3 copies');
  }
  const why = await dit.locator('article.card[data-label="K002"] .why li').first().textContent();
  assert.match(why, /K002C001\.mov: 2 of 3 verified copies on distinct volumes/);
  assert.ok(await other.evaluate(() => window.notReloaded), 'the other page followed live, no reload');
  const cards = (await api('/api/v1/cards')).items.filter((k) => k.label === 'K001' || k.label === 'K002');
  assert.deepEqual(cards.map((k) => k.safe_to_format), [false, false]);
  const prod = (await api('/api/v1/productions')).items.find((p) => p.name === 'Copies');
  assert.equal(prod.required_copies, 3);
  await shot(dit, 'copies-01-three-required');

  await until(async () => !(await select.isDisabled()), 'the control usable again');
  await dit.locator('select[name=required_copies]').selectOption('2');
  for (const page of [dit, other]) {
    await until(async () => (await verdicts(page)).join() === 'SAFE TO FORMAT,SAFE TO FORMAT', 'safe again at 2');
  }
  assert.equal((await api('/api/v1/productions')).items.find((p) => p.name === 'Copies').required_copies, 2);
  await shot(other, 'copies-02-two-required');
  await ctx.close();
});
