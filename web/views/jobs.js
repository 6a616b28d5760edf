// Jobs: the queue, running first, with progress and the reason a job failed; the DIT may retry
// a failed job and cancel a queued or running one.
import { api } from '../api.js';
import { h, bar, when, throttle } from '../util.js';

const TABS = [['active', 'running and queued'], ['dead', 'failed'], ['done', 'done'], ['', 'all']];

export function mount(root, ctx) {
  let tab = ctx.params.get('state') ?? 'active';
  let timer = null;
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const tbody = h('tbody');
  const msg = h('p', { class: 'bad', role: 'alert' });
  root.append(h('div', { class: 'viewhead' }, h('h2', {}, 'Jobs'), tabs), msg,
    h('div', { class: 'tablewrap' }, h('table', { class: 'jobs' }, h('thead', {}, h('tr', {},
      ['Job', 'Kind', 'State', 'Progress', 'Attempts', 'Reason / status', 'Updated', ctx.isAdmin ? '' : null].filter((x) => x !== null).map((t) => h('th', {}, t)))), tbody)));

  function drawTabs() {
    tabs.replaceChildren(...TABS.map(([v, t]) => h('button', { type: 'button', role: 'tab', 'aria-selected': String(v === tab),
      onclick: () => { tab = v; history.replaceState(null, '', `#/jobs?state=${v}`); drawTabs(); load(); } }, t)));
  }

  async function act(j, what) {
    try { await api(`/api/v1/jobs/${j.id}/${what}`, { method: 'POST' }); msg.textContent = ''; load(); } catch (e) { msg.textContent = `${what} job ${j.id}: ${e.message}`; }
  }

  function subject(p) {
    if (!p) return '';
    if (p.clip_id) return h('a', { href: `#/clip/${p.clip_id}` }, `clip ${p.clip_id}`);
    if (p.card) return p.card;
    if (p.delivery_id) return `delivery ${p.delivery_id}`;
    return '';
  }

  function row(j) {
    const failed = j.state === 'dead' || j.state === 'canceled';
    return h('tr', { class: failed ? 'failed' : '', dataset: { job: j.id, state: j.state } },
      h('td', { class: 'num' }, j.id, ' ', h('span', { class: 'dim small' }, subject(j.payload))),
      h('td', {}, j.kind),
      h('td', {}, h('span', { class: `state ${j.state}` }, j.state), j.cancel_requested && j.state === 'running' ? ' (cancelling)' : ''),
      h('td', {}, bar(j.progress, `${j.kind} ${Math.round(j.progress * 100)} %`, j.state === 'done' ? 'full' : j.state === 'running' ? 'live' : '')),
      h('td', { class: 'num' }, `${j.attempts}/${j.max_attempts}`),
      h('td', { class: failed ? 'bad reason' : 'reason' }, failed ? (j.last_error ?? j.state) : (j.progress_text || j.last_error || '')),
      h('td', { class: 'dim' }, when(j.finished_at ?? j.started_at ?? j.created_at)),
      ctx.isAdmin ? h('td', { class: 'actions' },
        failed ? h('button', { type: 'button', class: 'retry', onclick: () => act(j, 'retry') }, 'Retry') : null,
        (j.state === 'queued' || j.state === 'running') && !j.cancel_requested ? h('button', { type: 'button', class: 'cancel', onclick: () => act(j, 'cancel') }, 'Cancel') : null) : null);
  }

  async function load() {
    clearTimeout(timer);
    try {
      let items;
      if (tab === 'active') {
        const [run, q] = await Promise.all([api('/api/v1/jobs?state=running&limit=200'), api('/api/v1/jobs?state=queued&limit=200')]);
        items = [...run.items, ...q.items];
      } else {
        items = (await api(`/api/v1/jobs?limit=200${tab ? `&state=${tab}` : ''}`)).items;
        if (tab === 'dead') items = items.concat((await api('/api/v1/jobs?state=canceled&limit=50')).items);
      }
      tbody.replaceChildren(...(items.length ? items.map(row) : [h('tr', {}, h('td', { colSpan: 8, class: 'empty' }, 'No jobs here.'))]));
      // Progress is not in the event log: poll while the page is open.
      timer = setTimeout(load, 2000);
    } catch (e) { msg.textContent = e.message; }
  }
  drawTabs();
  load();
  const soon = throttle(load, 500);
  return { refresh: load, onEvent: soon, destroy() { clearTimeout(timer); } };
}
