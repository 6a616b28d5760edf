// Times the dashboard in Chromium (run by bench/dashboard.sh): from navigation to the clips
// table showing its first page, and to Today showing the day's cards, in fresh browser
// contexts (cold cache) and again in one context (warm cache); Today also with the server's page
// cache emptied before it (FORGET, a shell command). Prints one JSON line.
import { createRequire } from 'node:module';
import { execSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/browser/package.json'));
const { chromium } = require('playwright-core');
const [base, user, password, runs] = [process.env.URL, process.env.USER_NAME, process.env.PASSWORD, Number(process.env.RUNS ?? 7)];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const login = await browser.newContext();
const p0 = await login.newPage();
await p0.goto(`${base}/`);
await p0.fill('#login input[name=name]', user);
await p0.fill('#login input[name=password]', password);
await p0.click('#login button[type=submit]');
await p0.waitForSelector('#nav:not([hidden])');
const storageState = await login.storageState();
await login.close();

// Navigation start to the frame that shows the view filled (the view stamps it).
async function time(page, hash, ready) {
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector(ready);
  const sel = hash.includes('clips') ? '.view-clips[data-shown-at]' : '.view-today[data-shown-at]';
  return Number(await (await page.waitForSelector(sel)).getAttribute('data-shown-at'));
}

const out = { clips_cold: [], clips_warm: [], today_cold: [], today_warm: [], today_built: [] };
const warm = await browser.newContext({ storageState, viewport: { width: 1366, height: 900 } });
const wp = await warm.newPage();
await time(wp, '#/clips', 'table.clips tbody tr:nth-child(50)');
for (let i = 0; i < runs; i++) {
  const ctx = await browser.newContext({ storageState, viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  out.clips_cold.push(await time(page, '#/clips', 'table.clips tbody tr:nth-child(50)'));
  await ctx.close();
  const ctx2 = await browser.newContext({ storageState, viewport: { width: 1366, height: 900 } });
  const page2 = await ctx2.newPage();
  out.today_cold.push(await time(page2, '#/today', 'article.card'));
  await ctx2.close();
  // The same with the server's page cache emptied first (FORGET: what a write would do), so
  // Today's request is built by PostgreSQL.
  if (process.env.FORGET) {
    execSync(process.env.FORGET);
    const ctx3 = await browser.newContext({ storageState, viewport: { width: 1366, height: 900 } });
    out.today_built.push(await time(await ctx3.newPage(), '#/today', 'article.card'));
    await ctx3.close();
  }
  await wp.goto('about:blank');
  out.clips_warm.push(await time(wp, '#/clips', 'table.clips tbody tr:nth-child(50)'));
  await wp.goto('about:blank');
  out.today_warm.push(await time(wp, '#/today', 'article.card'));
}
await browser.close();
console.log(JSON.stringify(out));
