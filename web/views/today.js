// Today: every card of the day with its safe-to-format verdict (and why not), bytes, clips, and
// one bar per stage. Offloads still running show above the cards with their progress. An admin
// sets the production's required copies here; the server re-judges every card at once. Each
// card links to its offload report, the day to its day report (HTML to read, PDF to print).
import { api } from '../api.js';
import { h, bytes, bar, badge, throttle } from '../util.js';

const STAGES = ['copied', 'verified', 'proxied', 'uploaded', 'delivered'];

export function mount(root, ctx) {
  let days = [];
  let dayId = Number(ctx.params.get('day')) || null;
  let poll = null;
  const head = h('div', { class: 'viewhead' });
  const running = h('div', { class: 'running', 'aria-live': 'polite' });
  const grid = h('div', { class: 'cards', 'aria-live': 'polite' });
  let copiesError = '';
  root.append(head, running, grid);

  // The production's rule: verified copies on distinct volumes each file needs before its card
  // is safe to format (PATCH /api/v1/productions/{id}; the verdicts come back with the refresh).
  function copiesControl(day) {
    if (!ctx.isAdmin) return h('span', { class: 'dim copies' }, `${day.required_copies} copies required`);
    const sel = h('select', { name: 'required_copies', 'aria-label': 'Verified copies required on distinct volumes',
      onchange: async (e) => {
        e.target.disabled = true;
        try {
          await api(`/api/v1/productions/${day.production_id}`, { method: 'PATCH', body: { required_copies: Number(e.target.value) } });
          copiesError = '';
        } catch (err) {
          copiesError = `Copies required not changed: ${err.message}`;
        }
        refresh();
      } },
      Array.from({ length: 10 }, (_, i) => h('option', { value: i + 1, selected: i + 1 === day.required_copies }, String(i + 1))));
    return h('label', { class: 'copies' }, 'Copies required ', sel, ' on distinct volumes',
      copiesError ? h('span', { class: 'bad', role: 'alert' }, ` ${copiesError}`) : null);
  }

  function cardTile(k) {
    const safe = k.safe_to_format;
    const why = k.why_not ?? [];
    return h('article', { class: `card ${safe ? 'safe' : 'unsafe'}`, dataset: { card: k.id, label: k.label } },
      h('header', {},
        h('h3', {}, h('a', { href: `#/clips?card_id=${k.id}` }, k.label)),
        h('span', { class: 'dim' }, [k.kind === 'sound' ? 'sound' : `camera ${k.camera ?? '?'}`, k.vendor ? ` · ${k.vendor}` : ''])),
      h('p', { class: `verdict ${safe ? 'ok' : 'bad'}` }, safe ? 'SAFE TO FORMAT' : 'NOT SAFE TO FORMAT'),
      !safe && why.length ? h('ul', { class: 'why' },
        why.slice(0, 3).map((w) => h('li', {}, w)),
        why.length > 3 ? h('li', { class: 'dim' }, `… ${why.length - 3} more`) : null) : null,
      clearGate(k),
      reportLinks(`/api/v1/cards/${k.id}/report`, `Offload report of ${k.label}`, 'card-report'),
      h('p', { class: 'facts' }, `${bytes(k.bytes)} · ${k.clips} clips · ${k.files} files`,
        k.failed ? badge(`${k.failed} failed`, 'bad') : null,
        k.qc_hold ? badge(`${k.qc_hold} QC hold`, 'warn') : null,
        k.unreadable ? badge(`${k.unreadable} clip${k.unreadable === 1 ? '' : 's'} unreadable`, 'bad') : null),
      k.unreadable ? h('ul', { class: 'why unreadable' }, (k.unreadable_reasons ?? []).map((w) => h('li', { class: 'bad' }, w))) : null,
      h('dl', { class: 'stages' }, STAGES.flatMap((s) => [
        h('dt', {}, s),
        h('dd', { dataset: { stage: s } }, bar(k.clips ? k.stages[s] / k.clips : 0, `${s}: ${k.stages[s]} of ${k.clips}`,
          k.stages[s] === k.clips && k.clips ? 'full' : ''), h('span', { class: 'count' }, `${k.stages[s]}/${k.clips}`)),
      ])));
  }

  // A report as the server renders it, opened in a tab of its own: HTML and PDF.
  function reportLinks(path, what, cls) {
    return h('p', { class: `reports ${cls}` }, h('span', { class: 'dim' }, 'Report '),
      h('a', { href: `${path}?format=html`, target: '_blank', rel: 'noopener', 'aria-label': `${what} (HTML)` }, 'HTML'), ' · ',
      h('a', { href: `${path}?format=pdf`, target: '_blank', rel: 'noopener', 'aria-label': `${what} (PDF)` }, 'PDF'));
  }

  // The second erase gate, beside the first: the working drives (RAID, shuttles) may be
  // cleared only once the production's copy policy is met (archive, receipt, offsite).
  function clearGate(k) {
    const clear = k.safe_to_clear;
    const why = (k.why_not_clear ?? []).filter((w) => w !== 'the card is not safe to format yet');
    return h('div', { class: 'gate-clear', dataset: { clear: clear ? 'yes' : 'no' } },
      h('p', { class: `clear-verdict ${clear ? 'ok' : 'warn'}` }, clear ? 'WORKING DRIVES SAFE TO CLEAR' : 'DRIVES NOT SAFE TO CLEAR'),
      !clear && why.length ? h('ul', { class: 'why' },
        why.slice(0, 3).map((w) => h('li', {}, w)),
        why.length > 3 ? h('li', { class: 'dim' }, `… ${why.length - 3} more`) : null) : null);
  }

  function offloadRow(j) {
    const p = j.payload ?? {};
    return h('div', { class: 'offload-row' },
      h('strong', {}, p.card ?? p.source ?? `job ${j.id}`), ' ',
      h('span', { class: 'dim' }, `${j.state} · ${j.progress_text || ''}`),
      bar(j.progress, `offload ${p.card ?? j.id}: ${Math.round(j.progress * 100)} %`, 'live'));
  }

  // An archive job waiting for a tape says so ("insert the next tape"): the operator acts.
  function archiveRow(j) {
    const text = j.progress_text || '';
    const waiting = text.startsWith('waiting:');
    return h('div', { class: 'offload-row archive-row', dataset: { job: j.id } },
      h('strong', {}, `archive ${j.payload?.day ?? ''} → ${j.payload?.tape ?? ''}`), ' ',
      h('span', { class: waiting ? 'warn' : 'dim' }, `${j.state} · ${text}`),
      bar(j.progress, `archive: ${Math.round(j.progress * 100)} %`, 'live'));
  }

  async function refresh() {
    // The running jobs do not depend on the day: asked at once, beside the days, not after them.
    const jobsAsked = Promise.all([
      api('/api/v1/jobs?kind=offload&limit=20'),
      api('/api/v1/jobs?kind=archive&limit=5').catch(() => ({ items: [] })),
    ]);
    jobsAsked.catch(() => {}); // its failure is reported below, once the days are in
    try {
      if (!days.length || !dayId) {
        days = (await api('/api/v1/days')).items;
        if (!dayId && days.length) dayId = days[0].id;
      }
      const [sum, [jobs, archives]] = await Promise.all([
        dayId ? api(`/api/v1/days/${dayId}/cards`, { revalidate: true }) : Promise.resolve({ day: null, cards: [] }),
        jobsAsked,
      ]);
      const active = jobs.items.filter((j) => j.state === 'running' || j.state === 'queued');
      const archiving = archives.items.filter((j) => j.state === 'running' || j.state === 'queued');
      const sel = h('select', { 'aria-label': 'Shoot day', onchange: (e) => { dayId = Number(e.target.value); refresh(); } },
        days.map((d) => h('option', { value: d.id, selected: d.id === dayId }, `${d.shoot_date}${d.label ? ` ${d.label}` : ''} · ${d.cards} cards`)));
      const cards = sum.cards;
      const safe = cards.filter((k) => k.safe_to_format).length;
      const clear = cards.filter((k) => k.safe_to_clear).length;
      head.replaceChildren(h('h2', {}, 'Today'), days.length ? sel : null,
        h('span', { class: 'dim' }, sum.day ? `${sum.day.production} · ${safe} of ${cards.length} cards safe to format · ${clear} drives safe to clear · ${bytes(cards.reduce((a, k) => a + k.bytes, 0))}` : ''),
        sum.day ? copiesControl(sum.day) : null,
        dayId ? reportLinks(`/api/v1/days/${dayId}/report`, 'Day report', 'day-report') : null);
      running.replaceChildren(...(active.length ? [h('h3', {}, 'Offloads running'), ...active.map(offloadRow)] : []),
        ...(archiving.length ? [h('h3', {}, 'Archive to LTO'), ...archiving.map(archiveRow)] : []));
      grid.replaceChildren(...(cards.length ? cards.map(cardTile)
        : [h('p', { class: 'empty' }, 'No cards yet today. Offload a card, or register one with setpost offload --register.')]));
      requestAnimationFrame(() => { root.dataset.shownAt = performance.now().toFixed(1); });
      // Copy progress is not in the event log: poll while an offload runs.
      clearTimeout(poll);
      if (active.length || archiving.length) poll = setTimeout(refresh, 1500);
    } catch (e) {
      grid.replaceChildren(h('p', { class: 'bad' }, `Could not load the day: ${e.message}`));
    }
  }

  const soon = throttle(refresh, 400);
  refresh();
  return {
    refresh,
    idle: refresh,
    onEvent(ev) {
      if (ev.kind.startsWith('clip.') || ev.kind.startsWith('offload.') || ev.kind.startsWith('delivery.') ||
          ev.kind.startsWith('rendition.') || ev.kind.startsWith('job.') || ev.kind.startsWith('card.') ||
          ev.kind === 'production.updated') {
        if (ev.kind === 'offload.registered') days = [];
        soon();
      }
    },
    destroy() { clearTimeout(poll); },
  };
}
