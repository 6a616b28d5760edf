// Deliveries: every upload to a post house with its progress, rate and time left (measured
// between two looks at bytes_sent), failures with their reason; retry and cancel act on the
// delivery's upload job.
import { api } from '../api.js';
import { h, bar, bytes, seconds, when } from '../util.js';

export function mount(root, ctx) {
  const seen = new Map(); // delivery id -> {t, sent, rate}
  let timer = null;
  const tbody = h('tbody');
  const msg = h('p', { class: 'bad', role: 'alert' });
  root.append(h('div', { class: 'viewhead' }, h('h2', {}, 'Deliveries')), msg,
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
  return { refresh: load, onEvent: () => {}, destroy() { clearTimeout(timer); } };
}
