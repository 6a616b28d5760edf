// Workflow: the production's agreed workflow sheet (GET/PUT /api/v1/productions/{id}/workflow):
// its version and who changed it, the sheet as the server has it, and the PDF and HTML to sign
// off. An admin edits it as JSON (the keys docs/reports.md lists); Save makes a new version,
// and the server's reason is shown when it refuses one (nothing is changed then).
import { api } from '../api.js';
import { h, when } from '../util.js';

export function mount(root, ctx) {
  let productions = [];
  let prodId = Number(ctx.params.get('production')) || null;
  let current = null;
  const head = h('div', { class: 'viewhead' });
  const msg = h('p', { role: 'alert', id: 'workflow-msg' });
  const body = h('div', { class: 'workflow' });
  root.append(head, msg, body);

  async function save(text) {
    let sheet;
    try { sheet = JSON.parse(text); } catch (e) { msg.className = 'bad'; msg.textContent = `Not JSON: ${e.message}`; return; }
    try {
      const r = await api(`/api/v1/productions/${prodId}/workflow`, { method: 'PUT', body: sheet });
      msg.className = 'ok';
      msg.textContent = r.changed ? `Saved as version ${r.version}.` : `No change: version ${r.version} stays.`;
      current = r;
      draw();
    } catch (e) {
      msg.className = 'bad';
      msg.textContent = `Not saved: ${e.message}`;
    }
  }

  function draw() {
    const w = current;
    const links = w.version ? h('p', { class: 'reports', id: 'workflow-links' }, 'Sheet to sign: ',
      h('a', { href: `/api/v1/productions/${prodId}/workflow.html`, target: '_blank', rel: 'noopener' }, 'HTML'), ' · ',
      h('a', { href: `/api/v1/productions/${prodId}/workflow.pdf`, target: '_blank', rel: 'noopener' }, 'PDF')) : null;
    const info = h('p', { class: 'dim', id: 'workflow-version' }, w.version
      ? `Version ${w.version}, changed ${when(w.changed_at)} by ${w.changed_by ?? '?'}`
      : 'No workflow sheet has been set for this production.');
    const text = JSON.stringify(w.sheet ?? {}, null, 2);
    if (!ctx.isAdmin) {
      body.replaceChildren(info, links ?? '', h('pre', { id: 'workflow-sheet' }, text));
      return;
    }
    const area = h('textarea', { id: 'workflow-sheet', name: 'sheet', rows: 28, cols: 100, spellcheck: false, 'aria-label': 'Workflow sheet (JSON)' });
    area.value = text;
    body.replaceChildren(info, links ?? '', h('form', { id: 'workflow-form', onsubmit: (e) => { e.preventDefault(); save(area.value); } },
      area, h('p', {}, h('button', { type: 'submit' }, 'Save as a new version'))));
  }

  async function refresh() {
    try {
      if (!productions.length) productions = (await api('/api/v1/productions')).items;
      if (!prodId && productions.length) prodId = productions[0].id;
      const sel = h('select', { 'aria-label': 'Production', onchange: (e) => { prodId = Number(e.target.value); msg.textContent = ''; refresh(); } },
        productions.map((p) => h('option', { value: p.id, selected: p.id === prodId }, p.name)));
      head.replaceChildren(h('h2', {}, 'Workflow sheet'), productions.length > 1 ? sel : h('span', { class: 'dim' }, productions[0]?.name ?? ''));
      if (!prodId) { body.replaceChildren(h('p', { class: 'dim' }, 'No production yet: it comes with the first card registered.')); return; }
      // An edit in progress is not thrown away by a refresh.
      if (document.activeElement?.id === 'workflow-sheet') return;
      current = await api(`/api/v1/productions/${prodId}/workflow`);
      draw();
    } catch (e) {
      msg.className = 'bad';
      msg.textContent = e.message;
    }
  }

  refresh();
  return {
    refresh,
    onEvent(ev) { if (ev.kind === 'workflow.changed' && document.activeElement?.id !== 'workflow-sheet') refresh(); },
  };
}
