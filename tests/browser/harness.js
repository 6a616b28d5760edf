// What the browser tests share: the server tests/cli/dashboard.sh started (SETPOST_URL,
// SETPOST_TOKEN, SETPOST_DESTS, SETPOST_TWO_VOLUMES), its API, waiting, screenshots in
// artifacts/, Debian's Chromium and the dashboard's login form.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const base = process.env.SETPOST_URL;
export const token = process.env.SETPOST_TOKEN;
export const [raid, shuttle] = (process.env.SETPOST_DESTS ?? '').split(':');
export const twoVolumes = process.env.SETPOST_TWO_VOLUMES === '1';

export async function api(p, opts = {}) {
  const res = await fetch(base + p, {
    method: opts.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const body = await res.json();
  assert.ok(res.ok, `${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// fn's first truthy answer, asked every step ms for at most ms.
export async function until(fn, what, ms = 15000, step = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, step));
  }
}

export const shot = (page, name) => page.screenshot({ path: path.join(here, 'artifacts', `${name}.png`), fullPage: true });

export function launch() {
  return chromium.launch({
    executablePath: process.env.SETPOST_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page of context, logged in as name (a page error fails the test).
export async function login(context, name, password) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${base}/`);
  await page.fill('#login input[name=name]', name);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#nav:not([hidden])');
  return page;
}
