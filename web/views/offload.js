// Offload (DIT only): pick the card and the destinations from what the server's host has mounted,
// start the offload as a job, watch its progress and read its verdict.
import { api } from '../api.js';
import { h, bytes, bar, when } from '../util.js';

export function mount(root, ctx) {
  let mounts = [];
  let productions = [];
  let watching = Number(ctx.params.get('job')) || null;
  let timer = null;
  const watch = h('section', { class: 'panel', 'aria-live': 'polite', id: 'offload-watch' });
  const recent = h('section', { class: 'panel' });
  const form = h('form', { class: 'panel offload', id: 'offload-form' });
  root.append(h('div', { class: 'viewhead' }, h('h2', {}, 'Offload')), form, watch, recent);

  function drawForm() {
    const today = new Date().toISOString().slice(0, 10);
    const list = h('datalist', { id: 'mount-paths' }, mounts.map((m) => h('option', { value: m.path }, `${m.fstype} ${bytes(m.free)} free`)));
    const dests = h('fieldset', { class: 'dests' }, h('legend', {}, 'Destinations (two on distinct volumes make a card safe to format)'),
      mounts.filter((m) => !m.read_only).map((m) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'dest', value: m.path }), ` ${m.path} `, h('span', { class: 'dim' }, `${m.fstype} · ${bytes(m.free)} free of ${bytes(m.size)}`))),
      h('label', {}, 'Other folders (one a line)', h('textarea', { name: 'more', rows: 2, placeholder: '/media/dit/SHUTTLE_02/Day 03' })));
    const out = h('output', { class: 'bad', role: 'alert' });
    form.replaceChildren(h('h3', {}, 'Start an offload'), list,
      h('label', {}, 'Card folder (source) ', h('input', { name: 'source', list: 'mount-paths', required: true, size: 40, placeholder: '/media/dit/A001R1AB' })),
      h('div', { class: 'row' },
        productions.length ? h('label', {}, 'Production ', h('select', { name: 'production' }, productions.map((p) => h('option', { value: p.name }, p.name))))
          : h('label', {}, 'Production ', h('input', { name: 'production', size: 14 })),
        h('label', {}, 'Card name ', h('input', { name: 'card', size: 12, placeholder: 'from the folder' })),
        h('label', {}, 'Camera ', h('input', { name: 'camera', size: 3 })),
        h('label', {}, 'Day ', h('input', { name: 'day', type: 'date', value: today })),
        h('label', {}, 'Hash ', h('select', { name: 'hash' }, ['xxh64', 'xxh3', 'xxh128', 'md5', 'sha1', 'c4'].map((a) => h('option', {}, a))))),
      dests, h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Start offload'), ' ', out));
    form.onsubmit = async (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      const destinations = [...fd.getAll('dest'), ...String(fd.get('more') ?? '').split('\n').map((s) => s.trim()).filter(Boolean)];
      const body = { source: String(fd.get('source')).trim(), destinations, day: fd.get('day'), hash: fd.get('hash') };
      for (const k of ['card', 'camera', 'production']) if (fd.get(k)) body[k] = fd.get(k);
      if (!destinations.length) { out.textContent = 'Pick at least one destination.'; return; }
      try {
        const res = await api('/api/v1/offload-jobs', { method: 'POST', body });
        out.textContent = '';
        watching = res.job_id;
        history.replaceState(null, '', `#/offload?job=${watching}`);
        poll();
      } catch (err) { out.textContent = err.message; }
    };
  }

  function verdict(j) {
    const r = j.result ?? {};
    if (j.state === 'dead' || j.state === 'canceled') return h('p', { class: 'verdict bad' }, `Failed: ${j.last_error ?? j.state}`);
    if (j.state !== 'done') return null;
    return h('div', {}, h('p', { class: `verdict ${r.safe_to_format ? 'ok' : 'bad'}` }, r.safe_to_format ? 'SAFE TO FORMAT' : 'NOT SAFE TO FORMAT'),
      r.why_not?.length ? h('ul', { class: 'why' }, r.why_not.map((w) => h('li', {}, w))) : null,
      h('p', { class: `clear-verdict ${r.safe_to_clear ? 'ok' : 'warn'}` }, r.safe_to_clear ? 'WORKING DRIVES SAFE TO CLEAR' : 'DRIVES NOT SAFE TO CLEAR'),
      r.safe_to_format && r.why_not_clear?.length ? h('ul', { class: 'why' }, r.why_not_clear.slice(0, 5).map((w) => h('li', {}, w))) : null,
      r.card_id ? h('p', {}, h('a', { href: `#/clips?card_id=${r.card_id}` }, 'See its clips')) : null);
  }

  async function poll() {
    clearTimeout(timer);
    if (!watching) { watch.hidden = true; return; }
    try {
      const j = await api(`/api/v1/jobs/${watching}`);
      const p = j.payload ?? {};
      watch.hidden = false;
      watch.replaceChildren(h('h3', {}, `Offload ${p.card ?? ''} (job ${j.id})`),
        h('p', { class: 'dim' }, `${p.source} → ${(p.destinations ?? []).join(', ')}`),
        h('p', {}, h('span', { class: `state ${j.state}` }, j.state), j.state === 'running' ? ` ${j.progress_text ?? ''}` : ''),
        bar(j.progress, `offload ${Math.round(j.progress * 100)} %`, j.state === 'done' ? 'full' : 'live'), verdict(j));
      if (j.state === 'queued' || j.state === 'running') timer = setTimeout(poll, 1000);
      else loadRecent();
    } catch (e) { watch.replaceChildren(h('p', { class: 'bad' }, e.message)); }
  }

  // Every offload the server registered, whatever started it: `setpost offload --register` on
  // the cart, POST /api/v1/offloads, `setpost register` from another tool's ASC MHL, or a job
  // started here (each is an offload.registered event on its card). A card registered clip by
  // clip sends parts ("complete": false) before the whole: a card's parts are one row, "still
  // offloading", until its whole registration, then not shown at all.
  async function registeredTable() {
    const all = (await api('/api/v1/events?kind=offload.registered&limit=200')).items ?? [];
    const whole = new Set(all.filter((e) => e.data?.complete !== false).map((e) => e.subject_id));
    const partShown = new Set();
    const evs = all.filter((e) => {
      if (e.data?.complete !== false) return true;
      if (whole.has(e.subject_id) || partShown.has(e.subject_id)) return false;
      partShown.add(e.subject_id);
      return true;
    }).slice(0, 20);
    return h('section', { id: 'registered-offloads' }, h('h3', {}, 'Registered offloads (any source)'),
      evs.length ? h('table', { 'aria-label': 'Registered offloads' }, h('tbody', {}, evs.map((e) => h('tr', { dataset: { card: e.data?.card ?? '' } },
        h('td', {}, h('a', { href: `#/clips?card_id=${e.subject_id}` }, e.data?.card ?? `card ${e.subject_id}`)),
        h('td', {}, e.data?.complete === false ? h('span', { class: 'warn' }, 'still offloading: clips registered as they are verified')
          : `${e.data?.files ?? '?'} files, ${e.data?.copies ?? '?'} copies`),
        h('td', { class: 'dim' }, `by ${e.actor}`),
        h('td', { class: 'dim' }, when(e.at)))))) : h('p', { class: 'dim' }, 'None yet.'));
  }

  async function loadRecent() {
    const [jobs, registered] = await Promise.all([api('/api/v1/jobs?kind=offload&limit=10').then((r) => r.items), registeredTable()]);
    recent.replaceChildren(registered, h('h3', {}, 'Offload jobs started here'), jobs.length ? h('table', {}, h('tbody', {}, jobs.map((j) => h('tr', {},
      h('td', {}, h('a', { href: `#/offload?job=${j.id}`, onclick: (e) => { e.preventDefault(); watching = j.id; history.replaceState(null, '', `#/offload?job=${j.id}`); poll(); } }, j.payload?.card ?? j.payload?.source ?? j.id)),
      h('td', {}, h('span', { class: `state ${j.state}` }, j.state)),
      h('td', {}, j.state === 'done' ? (j.result?.safe_to_format ? h('span', { class: 'ok' }, 'safe to format') : h('span', { class: 'bad' }, 'not safe')) : (j.last_error ?? '')),
      h('td', { class: 'dim' }, when(j.created_at)))))) : h('p', { class: 'dim' }, 'None yet.'));
  }

  async function refresh() {
    try { mounts = (await api('/api/v1/mounts')).items; } catch { mounts = []; }
    try { productions = (await api('/api/v1/productions')).items; } catch { productions = []; }
    drawForm();
    poll();
    loadRecent().catch(() => {});
  }
  refresh();
  return {
    refresh,
    onEvent(ev) { if (ev.kind.startsWith('offload.') || ev.kind.startsWith('job.')) { poll(); } },
    destroy() { clearTimeout(timer); },
  };
}
