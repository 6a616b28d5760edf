// Clips: the clip library, filtered, sorted and paged by the server (50 a page, keyset cursor),
// so it stays fast with any number of clips. j/k move, Enter opens, c circles, n/p page.
import { api } from '../api.js';
import { h, bar, badge, duration, bytes, throttle } from '../util.js';

const STATES = ['registered', 'secured', 'proxied', 'delivered', 'copy_failed', 'qc_hold', 'transcode_failed', 'upload_failed', 'media_error'];
const SORTS = [['name', 'name'], ['-name', 'name, Z–A'], ['scene', 'scene / take'], ['-created', 'newest'], ['created', 'oldest']];
const FILTERS = ['q', 'camera', 'scene', 'take', 'state', 'circled', 'sort', 'card_id', 'day_id'];

export function mount(root, ctx) {
  const f = {};
  for (const k of FILTERS) if (ctx.params.get(k)) f[k] = ctx.params.get(k);
  let cursors = [null]; // cursor of each page seen, for going back
  let page = 0;
  let next = null;
  let items = [];
  let sel = -1;
  let required = 2;

  let typing = null;
  const input = (name, label, size) => h('label', {}, label,
    h('input', { name, value: f[name] ?? '', size, type: name === 'q' ? 'search' : 'text', id: name === 'q' ? 'clip-search' : undefined,
      // The search follows the typing (after a pause); the other fields apply on Enter or Tab.
      oninput: name === 'q' ? (e) => { clearTimeout(typing); typing = setTimeout(() => setFilter('q', e.target.value), 300); } : undefined,
      onchange: (e) => { clearTimeout(typing); if ((f[name] ?? '') !== e.target.value) setFilter(name, e.target.value); } }));
  const picker = (name, label, opts) => h('label', {}, label,
    h('select', { name, onchange: (e) => setFilter(name, e.target.value) },
      opts.map(([v, t]) => h('option', { value: v, selected: (f[name] ?? '') === v }, t))));
  const form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); readForm(); } },
    input('q', 'Search', 16), input('camera', 'Camera', 3), input('scene', 'Scene', 5), input('take', 'Take', 3),
    picker('state', 'State', [['', 'any'], ...STATES.map((s) => [s, s.replace('_', ' ')])]),
    picker('circled', 'Circled', [['', 'any'], ['true', 'circled'], ['false', 'not circled']]),
    picker('sort', 'Sort', SORTS.map(([v, t]) => [v === 'name' ? '' : v, t])),
    f.card_id ? h('span', { class: 'chip' }, `card ${f.card_id} `, h('button', { type: 'button', 'aria-label': 'All cards', onclick: () => setFilter('card_id', '') }, '×')) : null,
    h('button', { type: 'submit', hidden: true }, 'Filter'));
  const tbody = h('tbody');
  const table = h('table', { class: 'clips', 'aria-label': 'Clips' },
    h('thead', {}, h('tr', {}, ['', 'Clip', 'Sc/Tk', 'Circled', 'Duration', 'Start TC', 'Copies', 'QC', 'Proxy', 'Delivery', 'State']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const pager = h('div', { class: 'pager' });
  root.append(h('div', { class: 'viewhead' }, h('h2', {}, 'Clips')), form, h('div', { class: 'tablewrap' }, table), pager);

  function readForm() {
    for (const el of form.elements) if (el.name) { if (el.value) f[el.name] = el.value; else delete f[el.name]; }
    restart();
  }
  function setFilter(name, value) {
    if (value) f[name] = value; else delete f[name];
    restart();
  }
  function restart() {
    cursors = [null];
    page = 0;
    const qs = new URLSearchParams(f).toString();
    history.replaceState(null, '', `#/clips${qs ? `?${qs}` : ''}`);
    sessionStorage.setItem('clipsHash', location.hash);
    load();
  }

  function copiesTicks(n) {
    const ticks = [];
    for (let i = 0; i < Math.max(n, required); i++) ticks.push(h('span', { class: i < n ? 'tick on' : 'tick' }, i < n ? '✓' : '·'));
    return h('span', { class: `ticks ${n >= required ? 'ok' : 'short'}`, title: `${n} verified ${n === 1 ? 'copy' : 'copies'} of ${required}`, 'aria-label': `${n} verified copies` }, ticks);
  }

  function row(c, i) {
    const name = h('a', { href: `#/clip/${c.id}`, class: 'clipname' }, c.name);
    const circ = ctx.isAdmin
      ? h('button', { type: 'button', class: `circle ${c.circled ? 'on' : ''}`, 'aria-pressed': String(c.circled),
        'aria-label': `circled ${c.name}`, title: 'circle take (c)', onclick: () => toggle(i) }, c.circled ? '●' : '○')
      : h('span', { class: `circle ${c.circled ? 'on' : ''}`, 'aria-label': c.circled ? 'circled' : 'not circled' }, c.circled ? '●' : '○');
    const proxy = c.proxy === 'done' ? 1 : c.proxy === 'running' ? 0.5 : 0;
    const dl = c.delivery_total ? c.delivery_sent / c.delivery_total : 0;
    return h('tr', { class: i === sel ? 'sel' : '', dataset: { id: c.id, name: c.name }, onclick: (e) => { if (e.target.closest('a,button')) return; select(i); } },
      h('td', { class: 'thumb' }, c.poster ? h('img', { src: c.poster, alt: '', loading: 'lazy', width: 96, height: 54 }) : h('span', { class: 'nothumb' })),
      h('td', {}, name, h('div', { class: 'dim small' }, `${c.card} · ${c.camera ?? ''}${c.codec ? ` · ${c.codec}` : ''}`)),
      h('td', {}, c.scene || c.take ? `${c.scene ?? '–'}/${c.take ?? '–'}` : '–'),
      h('td', {}, circ),
      h('td', { class: 'num' }, duration(c.duration_frames, c.fps)),
      h('td', { class: 'num' }, c.start_tc ?? '–'),
      h('td', {}, copiesTicks(c.copies)),
      h('td', {}, c.qc_flags ? badge(`${c.qc_flags} ${c.qc_worst}`, c.qc_worst === 'error' ? 'bad' : c.qc_worst === 'warning' ? 'warn' : '') : h('span', { class: 'dim' }, '–')),
      h('td', {}, c.proxy ? bar(proxy, `proxy ${c.proxy}`, c.proxy === 'failed' ? 'failed' : proxy === 1 ? 'full' : '') : h('span', { class: 'dim' }, '–')),
      h('td', {}, c.delivery_total ? bar(dl, `delivery ${bytes(c.delivery_sent)} of ${bytes(c.delivery_total)}`, dl >= 1 ? 'full' : '') : h('span', { class: 'dim' }, '–')),
      h('td', {}, h('span', { class: `state ${c.state}`, title: c.state_reason ?? '' }, c.state.replace('_', ' '))));
  }

  function render() {
    tbody.replaceChildren(...(items.length ? items.map(row) : [h('tr', {}, h('td', { colSpan: 11, class: 'empty' }, 'No clips match.'))]));
    pager.replaceChildren(
      h('button', { type: 'button', disabled: page === 0, onclick: prev, 'aria-keyshortcuts': 'p' }, '← Previous'),
      h('span', { class: 'dim' }, `page ${page + 1} · ${items.length} clips`),
      h('button', { type: 'button', disabled: !next, onclick: more, 'aria-keyshortcuts': 'n' }, 'Next →'));
  }

  async function load() {
    const qs = new URLSearchParams(f);
    if (cursors[page]) qs.set('cursor', cursors[page]);
    try {
      const res = await api(`/api/v1/clips?${qs}`);
      items = res.items;
      next = res.next_cursor ?? null;
      if (sel >= items.length) sel = items.length - 1;
      render();
      // When the page shows (the frame after the rows went in), for bench/dashboard.sh.
      requestAnimationFrame(() => { root.dataset.shownAt = performance.now().toFixed(1); });
    } catch (e) {
      tbody.replaceChildren(h('tr', {}, h('td', { colSpan: 11, class: 'bad' }, e.message)));
    }
  }
  function more() { if (!next) return; cursors[page + 1] = next; page++; sel = -1; load(); }
  function prev() { if (page === 0) return; page--; sel = -1; load(); }
  function select(i) {
    sel = Math.max(0, Math.min(items.length - 1, i));
    for (const [k, tr] of [...tbody.children].entries()) tr.classList.toggle('sel', k === sel);
    tbody.children[sel]?.scrollIntoView({ block: 'nearest' });
  }

  async function toggle(i) {
    const c = items[i];
    if (!c || !ctx.isAdmin) return;
    try {
      const upd = await api(`/api/v1/clips/${c.id}`, { method: 'PATCH', body: { circled: !c.circled } });
      Object.assign(c, { circled: upd.circled, updated_at: upd.updated_at });
      tbody.children[i]?.replaceWith(row(c, i));
    } catch (e) { alert(`Could not change ${c.name}: ${e.message}`); }
  }

  sessionStorage.setItem('clipsHash', location.hash);
  api('/api/v1/productions').then((p) => { required = p.items[0]?.required_copies ?? 2; render(); }).catch(() => {});
  load();
  if (ctx.params.get('focus') === 'search') setTimeout(() => document.getElementById('clip-search')?.focus(), 0);

  const soon = throttle(load, 500);
  return {
    refresh: load,
    idle: load,
    onEvent(ev) {
      // The page only changes when one of its clips changes, or new clips may land on it.
      if ((ev.subject_type === 'clip' && items.some((c) => c.id === ev.subject_id)) || ev.kind === 'offload.registered' ||
          (ev.kind.startsWith('delivery.') || ev.kind.startsWith('rendition.'))) soon();
    },
    onKey(ev) {
      const k = ev.key;
      if (k === 'j' || k === 'ArrowDown') { select(sel + 1); ev.preventDefault(); } else if (k === 'k' || k === 'ArrowUp') { select(sel - 1); ev.preventDefault(); } else if (k === 'Enter' && sel >= 0) ctx.go(`#/clip/${items[sel].id}`);
      else if (k === 'c' && sel >= 0) toggle(sel);
      else if (k === 'n') more();
      else if (k === 'p') prev();
      else if (k === '/') document.getElementById('clip-search')?.focus();
    },
  };
}
