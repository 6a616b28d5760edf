// Delivery rules on the dashboard's Deliveries view (issue 15), against the real setpost serve
// that tests/cli/dashboard.sh starts: a rule added from the form is listed and stored; Remove
// takes it away; a duplicate is refused with the server's reason and nothing is added.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.env.SETPOST_URL;
const token = process.env.SETPOST_TOKEN;
let browser;
let page;

async function api(p, opts = {}) {
  const res = await fetch(base + p, {
    method: opts.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const body = res.status === 204 ? null : await res.json();
  assert.ok(res.ok, `${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.SETPOST_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${base}/`);
  await page.fill('#login input[name=name]', 'dit');
  await page.fill('#login input[name=password]', 'dit password 1');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#nav:not([hidden])');
});

after(async () => { await browser?.close(); });

test('Deliveries: a delivery rule added, listed, refused twice, removed', async () => {
  // A production (registered as another tool would) and a target of it.
  const day = new Date().toISOString().slice(0, 10);
  const file = { path: 'R001/R001C001.mov', size: 5, clip: 'R001C001', hashes: { xxh64: '0ea03b369a463d9d' } };
  const copy = (key, name) => ({ volume: { key, name }, path: 'Day01', files: [{ path: file.path, state: 'verified', hashes: file.hashes }] });
  await api('/api/v1/offloads', { method: 'POST', body: {
    production: 'Feature', day, card: { label: 'R001RULE', camera: 'R' },
    clips: [{ name: 'R001C001' }], files: [file], copies: [copy('uuid:raid-r', 'RAID-R'), copy('uuid:shuttle-r', 'SHUTTLE-R')] } });
  const prod = (await api('/api/v1/productions')).items.find((p) => p.name === 'Feature');
  const target = await api('/api/v1/targets', { method: 'POST', body: {
    production_id: prod.id, name: 'Rules Post', url: 'https://93.184.216.34/api/v1/uploads/', // never reached: the rule is removed before any proxy is made for it
    recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p' } });
  await page.goto(`${base}/#/deliveries`);
  await page.locator('#delivery-rules').waitFor();
  await page.locator(`#rule-add select[name=target] option[value="${target.id}"]`).waitFor({ state: 'attached' });
  await page.selectOption('#rule-add select[name=target]', String(target.id));
  await page.selectOption('#rule-add select[name=what]', 'proxies');
  await page.fill('#rule-add input[name=profiles]', 'h264_1080');
  await page.click('#rule-add button[type=submit]');
  const stored = await (async () => {
    for (let i = 0; i < 40; i++) {
      const r = (await api('/api/v1/delivery-rules')).items.find((x) => x.target_id === target.id);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 250));
    }
    return null;
  })();
  assert.ok(stored, 'the rule reached the server');
  assert.deepEqual([stored.what, stored.profiles], ['proxies', ['h264_1080']]);
  const row = page.locator(`#delivery-rules tr[data-rule="${stored.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /proxies.*Rules Post.*h264_1080/);
  await page.screenshot({ path: path.join(here, 'artifacts', 'rules-01-added.png'), fullPage: true });
  // The same rule again: the server's reason, nothing added.
  await page.selectOption('#rule-add select[name=target]', String(target.id));
  await page.selectOption('#rule-add select[name=what]', 'proxies');
  await page.click('#rule-add button[type=submit]');
  await page.locator('p.bad[role=alert]', { hasText: 'has a rule for proxies already' }).waitFor();
  assert.equal((await api('/api/v1/delivery-rules')).items.filter((x) => x.target_id === target.id).length, 1);
  await row.locator('button.remove').click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await api('/api/v1/delivery-rules')).items.filter((x) => x.target_id === target.id).length, 0);
});
