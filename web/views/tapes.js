// Tapes: the LTO catalogue (GET /api/v1/tapes): each tape with its barcode, state, where it is
// kept, its cards, verified files, bytes and free space, and whether every file on it is
// verified by its read-back; a search box answers "which tape holds clip X" (?find=), listing
// the matching files under each tape. Links: the whole catalogue as CSV, each tape's
// catalogue as an ASC MHL manifest.
import { api } from '../api.js';
import { h, bytes, badge, when } from '../util.js';

export function mount(root, ctx) {
  let find = ctx.params.get('find') ?? '';
  let typing = null;
  const tbody = h('tbody');
  const msg = h('p', { class: 'bad', role: 'alert' });
  const status = h('p', { class: 'dim', id: 'tapes-status', role: 'status' });
  const search = h('input', { type: 'search', id: 'tape-search', name: 'find', size: 24, value: find, maxlength: 200,
    placeholder: 'clip or file name',
    oninput: (e) => { clearTimeout(typing); typing = setTimeout(() => { find = e.target.value.trim(); keep(); load(); }, 300); } });
  root.append(h('div', { class: 'viewhead' }, h('h2', {}, 'Tapes'),
    h('label', {}, 'Which tape holds ', search),
    h('a', { href: '/api/v1/tapes/catalogue.csv', download: 'catalogue.csv', class: 'small' }, 'Catalogue as CSV')),
  msg, status,
  h('div', { class: 'tablewrap' }, h('table', { class: 'tapes' }, h('thead', {}, h('tr', {},
    ['Tape', 'State', 'Kept', 'Cards', 'Files', 'Bytes', 'Free', 'Verification', 'Updated', ''].map((t) => h('th', {}, t)))), tbody)));

  function keep() {
    history.replaceState(null, '', find ? `#/tapes?find=${encodeURIComponent(find)}` : '#/tapes');
  }

  function verification(t) {
    if (t.files_unverified > 0) return badge(`${t.files_unverified} not verified`, 'bad');
    if (t.files === 0) return badge('empty', '');
    return badge(`all ${t.files} read back`, 'ok');
  }

  function tapeRow(t) {
    return h('tr', { dataset: { tape: t.label } },
      h('td', {}, h('strong', {}, t.label), t.barcode ? h('span', { class: 'dim small' }, ` ${t.barcode}`) : null,
        t.ltfs_uuid ? h('div', { class: 'dim small' }, `LTFS ${t.ltfs_uuid}`) : null),
      h('td', {}, h('span', { class: `state ${t.state === 'full' ? 'done' : 'running'}` }, t.state)),
      h('td', { class: 'kept' }, t.location ?? '–'),
      h('td', { class: 'tape-cards' }, (t.cards ?? []).join(', ') || '–'),
      h('td', { class: 'num files' }, t.files),
      h('td', { class: 'num' }, bytes(t.bytes)),
      h('td', { class: 'num free' }, t.bytes_free === null ? '–' : `${bytes(t.bytes_free)}${t.bytes_total ? ` of ${bytes(t.bytes_total)}` : ''}`),
      h('td', { class: 'verification' }, verification(t)),
      h('td', { class: 'dim' }, when(t.updated_at)),
      h('td', {}, h('a', { href: `/api/v1/tapes/${t.id}/catalogue.mhl`, class: 'small' }, 'ASC MHL')));
  }

  // Under a tape found by the search: each matching file, where it is on the tape.
  function matchRow(t, m) {
    return h('tr', { class: 'match', dataset: { tape: t.label, file: m.file } },
      h('td', { class: 'dim small' }, `#${m.seq}${m.start_block !== null ? ` · block ${m.start_block}` : ''}`),
      h('td', { colSpan: 3 }, h('span', { class: 'small' }, `${m.day} · ${m.card}`), m.clip ? ` ${m.clip}` : ''),
      h('td', { colSpan: 4, class: 'small' }, m.tape_path),
      h('td', {}, h('span', { class: `state ${m.state === 'verified' ? 'done' : 'failed'}` }, m.state)),
      h('td', { class: 'num small' }, bytes(m.size)));
  }

  async function load() {
    try {
      const got = await api(`/api/v1/tapes${find ? `?find=${encodeURIComponent(find)}` : ''}`);
      const rows = [];
      for (const t of got.items) {
        rows.push(tapeRow(t));
        for (const m of t.matches ?? []) rows.push(matchRow(t, m));
      }
      tbody.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colSpan: 10, class: 'empty' },
        find ? `No tape holds a clip or file named like “${find}”.` : 'No tapes yet: setpost archive writes them.'))]));
      const n = got.items.length;
      status.textContent = find ? `${n} ${n === 1 ? 'tape holds' : 'tapes hold'} “${find}”` : `${n} tape${n === 1 ? '' : 's'}`;
      msg.textContent = '';
    } catch (e) { msg.textContent = e.message; }
  }
  load();
  return { refresh: load, onEvent: (ev) => { if (/^archive\./.test(ev.kind ?? '') || /^volume/.test(ev.kind ?? '')) load(); }, destroy() { clearTimeout(typing); } };
}
