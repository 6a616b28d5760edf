// Deliveries: every upload to a post house with its progress, rate and time left (measured
// between two looks at bytes_sent), failures with their reason; retry and cancel act on the
// delivery's upload job. Above them, for an admin, the production's delivery rules (what goes
// to which target by itself): listed, added and removed (/api/v1/delivery-rules).
import { api } from '../api.js';
import { h, bar, bytes, seconds, when } from '../util.js';

export function mount(root, ctx) {
  const seen = new Map(); // delivery id -> {t, sent, rate}
  let timer = null;
  const tbody = h('tbody');
  const msg = h('p', { class: 'bad', role: 'alert' });
  const rules = ctx.isAdmin ? rulesSection(msg) : null;
  root.append(h('div', { class: 'viewhead' }, h('h2', {}, 'Deliveries')), msg, rules?.el ?? '',
    h('div', { class: 'tablewrap' }, h('table', { class: 'deliveries' }, h('thead', {}, h('tr', {},
      ['Delivery', 'Target', 'What', 'State', 'Progress', 'Rate', 'Time left', 'Reason', ctx.isAdmin ? '' : null].filter((x) => x !== null)
        .map((t) => h('th', {}, t)))), tbody)));

  // Bytes over time between two looks, timed by the server's updated_at (when bytes_sent was
  // written), smoothed a little.
  function rate(d) {
    const now = Date.parse(d.updated_at);
    const prev = seen.get(d.id);
    let r = prev?.rate ?? null;
    if (prev && d.bytes_sent > prev.sent && now > prev.t) {
      const inst = ((d.bytes_sent - prev.sent) * 1000) / (now - prev.t);
      r = r ? r * 0.5 + inst * 0.5 : inst;
    }
    if (!prev || d.bytes_sent !== prev.sent) seen.set(d.id, { t: now, sent: d.bytes_sent, rate: r });
    return d.state === 'uploading' ? r : null;
  }

  async function act(job, what) {
    try { await api(`/api/v1/jobs/${job.id}/${what}`, { method: 'POST' }); load(); } catch (e) { msg.textContent = e.message; }
  }

  async function load() {
    clearTimeout(timer);
    try {
      const [dl, jobs] = await Promise.all([api('/api/v1/deliveries'), api('/api/v1/jobs?kind=upload&limit=500')]);
      const jobOf = new Map();
      for (const j of jobs.items) if (j.payload?.delivery_id && !jobOf.has(j.payload.delivery_id)) jobOf.set(j.payload.delivery_id, j);
      tbody.replaceChildren(...(dl.items.length ? dl.items.map((d) => {
        const r = rate(d);
        const left = r && d.bytes_total ? (d.bytes_total - d.bytes_sent) / r : NaN;
        const job = jobOf.get(d.id);
        const failed = d.state === 'failed' || job?.state === 'dead';
        return h('tr', { dataset: { delivery: d.id } },
          h('td', { class: 'num' }, d.id, ' ', h('span', { class: 'dim small' }, when(d.updated_at))),
          h('td', {}, d.target),
          h('td', {}, d.rendition_id ? `rendition ${d.rendition_id}` : `file ${d.file_id}`),
          h('td', {}, h('span', { class: `state ${d.state}` }, d.state)),
          h('td', {}, bar(d.bytes_total ? d.bytes_sent / d.bytes_total : 0, `${bytes(d.bytes_sent)} of ${bytes(d.bytes_total)}`, d.state === 'delivered' ? 'full' : 'live'),
            h('span', { class: 'dim small' }, `${bytes(d.bytes_sent)} / ${bytes(d.bytes_total)}`)),
          h('td', { class: 'num' }, r ? `${bytes(r)}/s` : '–'),
          h('td', { class: 'num' }, seconds(left)),
          h('td', { class: 'bad reason' }, d.error ?? (job?.state === 'dead' ? job.last_error : '') ?? ''),
          ctx.isAdmin ? h('td', { class: 'actions' },
            job && failed ? h('button', { type: 'button', class: 'retry', onclick: () => act(job, 'retry') }, 'Retry') : null,
            job && (job.state === 'queued' || job.state === 'running') ? h('button', { type: 'button', class: 'cancel', onclick: () => act(job, 'cancel') }, 'Cancel') : null) : null);
      }) : [h('tr', {}, h('td', { colSpan: 9, class: 'empty' }, 'Nothing delivered yet.'))]));
      timer = setTimeout(load, 2000);
    } catch (e) { msg.textContent = e.message; }
  }
  load();
  rules?.load();
  return { refresh: () => { load(); rules?.load(); }, onEvent: () => {}, destroy() { clearTimeout(timer); } };
}

// The delivery rules: one row each (what, target, profiles), Remove, and a form to add one.
function rulesSection(msg) {
  const tbody = h('tbody');
  const target = h('select', { name: 'target', 'aria-label': 'Target' });
  const what = h('select', { name: 'what', 'aria-label': 'What' },
    ...['proxies', 'sound', 'originals', 'reports'].map((w) => h('option', { value: w }, w)));
  const profiles = h('input', { name: 'profiles', placeholder: 'profiles (all when empty)', 'aria-label': 'Profiles' });
  const form = h('form', { id: 'rule-add', class: 'inline' }, target, what, profiles,
    h('button', { type: 'submit' }, 'Add rule'));
  const el = h('section', { id: 'delivery-rules' }, h('h3', {}, 'Delivery rules'),
    h('p', { class: 'dim small' }, 'Each proxy leaves the moment it is made, each original or sound file once its copies are verified: circled proxies first, then proxies, sound, originals. Reports: each card\'s offload report once it is registered, the day\'s report at wrap.'),
    h('div', { class: 'tablewrap' }, h('table', { class: 'rules' }, h('thead', {}, h('tr', {},
      ['Rule', 'What', 'Target', 'Profiles', ''].map((t) => h('th', {}, t)))), tbody)), form);
  let targets = [];

  async function load() {
    try {
      const [ru, tg] = await Promise.all([api('/api/v1/delivery-rules'), api('/api/v1/targets')]);
      targets = tg.items;
      const chosen = target.value;
      target.replaceChildren(...targets.map((t) => h('option', { value: t.id }, t.name)));
      if (chosen) target.value = chosen;
      tbody.replaceChildren(...(ru.items.length ? ru.items.map((r) => h('tr', { dataset: { rule: r.id } },
        h('td', { class: 'num' }, r.id),
        h('td', {}, r.what),
        h('td', {}, r.target),
        h('td', {}, r.what !== 'proxies' ? '–' : r.profiles.length ? r.profiles.join(', ') : 'every profile'),
        h('td', { class: 'actions' }, h('button', { type: 'button', class: 'remove', onclick: () => remove(r) }, 'Remove'))))
        : [h('tr', {}, h('td', { colSpan: 5, class: 'empty' }, 'No rule: nothing leaves by itself.'))]));
    } catch (e) { msg.textContent = e.message; }
  }

  async function remove(r) {
    try { await api(`/api/v1/delivery-rules/${r.id}`, { method: 'DELETE' }); msg.textContent = ''; load(); } catch (e) { msg.textContent = e.message; }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = targets.find((x) => String(x.id) === target.value);
    if (!t) { msg.textContent = 'Add a target first (POST /api/v1/targets).'; return; }
    const body = { production_id: t.production_id, target_id: t.id, what: what.value };
    const names = profiles.value.split(',').map((x) => x.trim()).filter(Boolean);
    if (names.length) body.profiles = names;
    try {
      await api('/api/v1/delivery-rules', { method: 'POST', body });
      msg.textContent = '';
      profiles.value = '';
      load();
    } catch (e) { msg.textContent = e.message; }
  });
  return { el, load };
}
