// The Tapes view (issue 19): the LTO catalogue on the dashboard, against the real setpost serve
// and worker that tests/cli/dashboard.sh starts, with a stand-in tape (a tmpfs carrying the LTFS
// extended attributes, SETPOST_TAPE). A card of a production of its own ("Vault") is offloaded
// by the CLI and archived by an archive job; the view lists the tape with its card, files,
// bytes, free space, verification and where it is kept, and its search box answers "which tape
// holds clip X" as GET /api/v1/tapes?find= does. Screenshots: artifacts/tapes*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, until, shot, launch, login, raid, shuttle } from './harness.js';

const bin = process.env.SETPOST_BIN;
const tape = process.env.SETPOST_TAPE;
const cards = process.env.SETPOST_CARDS;
let browser, own;

// A Sony card of its own: the fixture's files with one byte more each (the same clip names,
// other hashes), since reports.test.js registers the fixture itself under another label and
// the server refuses the same files as a second card.
function ownSonyCard() {
  own = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-tapes-'));
  fs.cpSync(path.join(cards, 'sony'), path.join(own, 'sony'), { recursive: true });
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else fs.appendFileSync(p, '\n');
    }
  };
  walk(path.join(own, 'sony'));
  return path.join(own, 'sony');
}

before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  if (own) fs.rmSync(own, { recursive: true, force: true });
});

test('the Tapes view lists each tape and finds which tape holds a clip', { skip: !(bin && tape) && 'no stand-in tape (SETPOST_TAPE: needs root for tmpfs)' }, async () => {
  execFileSync(bin, ['offload', ownSonyCard(), '--card', 'C001', '--to', raid, '--to', shuttle,
    '--register', process.env.SETPOST_URL, '--token', process.env.SETPOST_TOKEN, '--production', 'Vault',
    '--day', '2026-01-07', '--no-progress']);
  const job = await api('/api/v1/archive-jobs', { method: 'POST', body: { tape, production: 'Vault', cards: ['C001'], wait_seconds: 30 } });
  const done = await until(async () => {
    const j = await api(`/api/v1/jobs/${job.job_id}`);
    return j.state === 'done' || j.state === 'dead' ? j : null;
  }, 'the archive job', 120000, 250);
  assert.equal(done.state, 'done', JSON.stringify(done));
  const vol = (await api('/api/v1/volumes')).items.find((v) => v.name === 'VAULT01');
  await api(`/api/v1/volumes/${vol.id}`, { method: 'PATCH', body: { location: 'vault' } });
  const [t] = (await api('/api/v1/tapes')).items.filter((x) => x.label === 'VAULT01');
  assert.ok(t.files > 0 && t.files_unverified === 0, JSON.stringify(t));

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await login(context, 'dit', 'dit password 1');
  await page.click('#nav a[data-view="tapes"]');
  const row = page.locator('table.tapes tr[data-tape="VAULT01"]:not(.match)');
  await row.waitFor();
  const text = await row.innerText();
  for (const want of ['VAULT01', 'VAULT01L8', 'open', 'vault', 'C001', `all ${t.files} read back`, 'LTFS 5a17-0001']) {
    assert.ok(text.includes(want), `"${want}" in the tape's row: ${text}`);
  }
  assert.equal((await row.locator('td.files').innerText()).trim(), String(t.files));
  assert.match(await row.locator('td.free').innerText(), / of /);
  assert.equal(await row.locator('a', { hasText: 'ASC MHL' }).getAttribute('href'), `/api/v1/tapes/${t.id}/catalogue.mhl`);
  await shot(page, 'tapes');

  // Which tape holds clip A004C002: the tape, and the file's place on it, as ?find= answers.
  const want = (await api('/api/v1/tapes?find=A004C002')).items;
  assert.deepEqual(want.map((x) => x.label), ['VAULT01']);
  await page.fill('#tape-search', 'A004C002');
  await page.waitForSelector('table.tapes tr.match');
  const matches = page.locator('table.tapes tr.match');
  assert.equal(await matches.count(), want[0].matches.length);
  assert.ok((await matches.first().innerText()).includes(want[0].matches[0].tape_path));
  assert.match(await page.locator('#tapes-status').innerText(), /^1 tape holds “A004C002”/);
  assert.match(page.url(), /#\/tapes\?find=A004C002$/);
  await shot(page, 'tapes-find');

  await page.fill('#tape-search', 'no such clip');
  await page.waitForSelector('table.tapes td.empty');
  assert.match(await page.locator('table.tapes td.empty').innerText(), /No tape holds a clip or file named like/);
  await context.close();
});
