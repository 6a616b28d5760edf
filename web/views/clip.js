// Clip: everything about one clip (metadata, files and hashes, copies, renditions, deliveries,
// QC findings, events), its look as ASC CDL controls previewed live on the poster frame, and
// its notes. Only the DIT (admin) is offered the controls that change it.
import { api } from '../api.js';
import { h, bytes, bar, badge, duration, when, throttle } from '../util.js';
import { normal, applyImage, testPattern, IDENTITY } from '../cdl.js';
import { parseCube } from '../lut.js';

// Back to the list as it was left (filters, sort).
const back = () => sessionStorage.getItem('clipsHash') || '#/clips';
const PARTS = [['slope', 0, 4, 0.01], ['offset', -1, 1, 0.005], ['power', 0.1, 4, 0.01]];

export function mount(root, ctx) {
  const id = Number(ctx.arg);
  let clip = null;
  let look = normal(null);
  let src = null; // the poster's pixels before the look
  let lut = null; // the day's or show LUT (web/lut.js), applied after the CDL as in the proxies
  const canvas = h('canvas', { id: 'look-preview', width: 480, height: 270, 'aria-label': 'Look preview' });
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const saveState = h('output', { class: 'dim', id: 'look-state', 'aria-live': 'polite' });

  function paint() {
    if (!src) return;
    const out = g.createImageData(src.width, src.height);
    applyImage(look, src, out, lut);
    g.putImageData(out, 0, 0);
    canvas.dataset.lut = lut ? 'on' : 'off';
  }

  function loadPoster(url) {
    const fallback = () => {
      testPattern(g, canvas.width, canvas.height);
      src = g.getImageData(0, 0, canvas.width, canvas.height);
      canvas.dataset.source = 'pattern';
      paint();
    };
    if (!url) { fallback(); return; }
    const img = new Image();
    img.onload = () => {
      canvas.width = Math.min(640, img.naturalWidth);
      canvas.height = Math.round(canvas.width * img.naturalHeight / img.naturalWidth);
      g.drawImage(img, 0, 0, canvas.width, canvas.height);
      src = g.getImageData(0, 0, canvas.width, canvas.height);
      canvas.dataset.source = 'poster';
      paint();
    };
    img.onerror = fallback;
    img.src = url;
  }

  const saveLook = throttle(async () => {
    saveState.textContent = 'saving…';
    try {
      const upd = await api(`/api/v1/clips/${id}`, { method: 'PATCH', body: { look } });
      clip.look = upd.look;
      saveState.textContent = `saved ${new Date().toLocaleTimeString()}`;
    } catch (e) { saveState.textContent = `not saved: ${e.message}`; }
  }, 300);

  function lookPanel() {
    const rows = [];
    for (const [part, min, max, step] of PARTS) {
      rows.push(h('tr', {}, h('th', { scope: 'row' }, part), ['R', 'G', 'B'].map((ch, i) => h('td', {}, ctx.isAdmin
        ? h('label', { class: `slider ch-${ch}` }, h('span', { class: 'sr' }, `${part} ${ch}`),
          h('input', { type: 'range', min, max, step, value: look[part][i], name: `${part}-${ch}`, 'aria-label': `${part} ${ch}`,
            oninput: (e) => { look[part][i] = Number(e.target.value); e.target.nextSibling.textContent = Number(e.target.value).toFixed(3); paint(); },
            onchange: saveLook }),
          h('span', { class: 'val' }, look[part][i].toFixed(3)))
        : h('span', { class: 'val' }, `${ch} ${look[part][i].toFixed(3)}`)))));
    }
    rows.push(h('tr', {}, h('th', { scope: 'row' }, 'sat'), h('td', { colSpan: 3 }, ctx.isAdmin
      ? h('label', { class: 'slider' }, h('input', { type: 'range', min: 0, max: 3, step: 0.01, value: look.sat, name: 'sat', 'aria-label': 'saturation',
        oninput: (e) => { look.sat = Number(e.target.value); e.target.nextSibling.textContent = look.sat.toFixed(3); paint(); },
        onchange: saveLook }), h('span', { class: 'val' }, look.sat.toFixed(3)))
      : h('span', { class: 'val' }, look.sat.toFixed(3)))));
    return h('section', { class: 'panel look', 'aria-labelledby': 'look-title' },
      h('h3', { id: 'look-title' }, 'Look (ASC CDL)'),
      h('div', { class: 'lookgrid' },
        h('figure', {}, canvas, h('figcaption', { class: 'dim' }, lut
          ? 'preview: the CDL, then the day\'s or show LUT, applied to the poster frame in this page'
          : 'preview: the look applied to the poster frame in this page (no day or show LUT)')),
        h('div', {}, h('table', { class: 'cdl' }, h('tbody', {}, rows)),
          ctx.isAdmin ? h('p', {}, h('button', { type: 'button', onclick: () => { look = normal(IDENTITY); draw(); saveLook(); } }, 'Reset to identity'), ' ', saveState) : null)));
  }

  const kv = (pairs) => h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '–')]));

  function editable() {
    if (!ctx.isAdmin) return kv([['Scene', clip.scene], ['Take', clip.take], ['Circled', clip.circled ? 'yes' : 'no']]);
    const scene = h('input', { name: 'scene', value: clip.scene ?? '', size: 6 });
    const take = h('input', { name: 'take', value: clip.take ?? '', size: 4 });
    const circ = h('input', { type: 'checkbox', name: 'circled', checked: clip.circled });
    const out = h('output', { class: 'dim', 'aria-live': 'polite' });
    return h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const upd = await api(`/api/v1/clips/${id}`, { method: 'PATCH', body: { scene: scene.value || null, take: take.value || null, circled: circ.checked } });
        Object.assign(clip, upd);
        out.textContent = 'saved';
      } catch (err) { out.textContent = err.message; }
    } }, h('label', {}, 'Scene ', scene), h('label', {}, 'Take ', take), h('label', { class: 'check' }, circ, ' circled'),
    h('button', { type: 'submit' }, 'Save'), out);
  }

  function notes() {
    if (!ctx.isAdmin) return h('p', { class: 'notes' }, clip.notes || h('span', { class: 'dim' }, 'no notes'));
    const ta = h('textarea', { name: 'notes', rows: 3, maxLength: 4000 }, clip.notes);
    const out = h('output', { class: 'dim', 'aria-live': 'polite' });
    return h('form', { onsubmit: async (e) => {
      e.preventDefault();
      try { await api(`/api/v1/clips/${id}`, { method: 'PATCH', body: { notes: ta.value } }); out.textContent = 'saved'; } catch (err) { out.textContent = err.message; }
    } }, ta, h('p', {}, h('button', { type: 'submit' }, 'Save notes'), ' ', out));
  }

  function files() {
    return h('table', {}, h('thead', {}, h('tr', {}, ['File', 'Size', 'Hashes', 'Copies'].map((t) => h('th', {}, t)))),
      h('tbody', {}, clip.files.map((f) => h('tr', {},
        h('td', {}, f.path, f.role !== 'media' ? h('span', { class: 'dim' }, ` (${f.role})`) : null),
        h('td', { class: 'num' }, bytes(f.size)),
        h('td', { class: 'mono' }, Object.entries(f.hashes).map(([a, v]) => h('div', {}, `${a} ${v}`))),
        h('td', {}, f.copies.map((c) => h('div', {}, badge(c.state === 'verified' ? '✓' : c.state, c.state === 'verified' ? 'ok' : 'bad'), ` ${c.volume}: ${c.path}`, c.error ? h('span', { class: 'bad' }, ` ${c.error}`) : null)))))));
  }

  function renditions() {
    if (!clip.renditions.length) {
      if (clip.state === 'media_error') return h('p', { class: 'bad' }, `No renditions: the media cannot be read (${clip.state_reason}).`);
      if (clip.media_status === 'vendor_tool') return h('p', { class: 'warn' }, `No renditions: camera raw that needs the maker's SDK (${clip.vendor_tool ?? ''}).`);
      return h('p', { class: 'dim' }, 'No renditions yet.');
    }
    return h('div', { class: 'renditions' }, clip.renditions.map((r) => {
      const url = r.url ?? r.download_url ?? null;
      return h('div', { class: 'rendition' },
        h('p', {}, h('strong', {}, r.profile), ' ', badge(r.state, r.state === 'done' ? 'ok' : r.state === 'failed' ? 'bad' : ''), ` ${bytes(r.size)}`, r.error ? h('span', { class: 'bad' }, ` ${r.error}`) : null,
          r.source === 'camera_proxy' ? h('span', { class: 'warn' }, ' made from the camera proxy, not the original') : null),
        r.state === 'done' && url ? h('video', { src: url, controls: true, preload: 'metadata', width: 480 }) : null);
    }));
  }

  function deliveries() {
    if (!clip.deliveries.length) return h('p', { class: 'dim' }, 'Not delivered yet.');
    return h('table', {}, h('tbody', {}, clip.deliveries.map((d) => h('tr', {},
      h('td', {}, d.target), h('td', {}, badge(d.state, d.state === 'delivered' ? 'ok' : d.state === 'failed' ? 'bad' : '')),
      h('td', {}, bar(d.bytes_total ? d.bytes_sent / d.bytes_total : 0, `${bytes(d.bytes_sent)} of ${bytes(d.bytes_total)}`)),
      h('td', { class: 'bad' }, d.error ?? '')))));
  }

  // The DIT's answer to a hold (POST /api/v1/clips/{id}/qc/...): every answer needs a note.
  const holdState = h('output', { class: 'dim', id: 'hold-state', 'aria-live': 'polite' });
  async function answer(path, body) {
    const note = document.getElementById('hold-note')?.value.trim() ?? '';
    if (!note) { holdState.textContent = 'Write a note first: it is kept with the answer.'; return; }
    try {
      await api(`/api/v1/clips/${id}/qc/${path}`, { method: 'POST', body: { ...body, note } });
      holdState.textContent = '';
      await refresh();
    } catch (e) { holdState.textContent = e.message; }
  }

  function qc() {
    if (!clip.qc.length) return h('p', { class: 'dim' }, 'No QC findings.');
    const held = clip.state === 'qc_hold';
    const table = h('table', { class: 'qc', 'aria-label': 'QC findings' }, h('tbody', {}, clip.qc.map((q) => h('tr', { dataset: { finding: q.id, disposition: q.disposition ?? 'open' } },
      h('td', { class: 'num' }, q.start_tc ?? `frame ${q.start_frame}`, q.end_tc ? `–${q.end_tc}` : ''),
      h('td', {}, badge(q.severity, q.severity === 'error' ? 'bad' : q.severity === 'warning' ? 'warn' : '')),
      h('td', { class: 'mono' }, q.code ?? ''),
      h('td', {}, q.kind.replace('_', ' '), q.channel ? ` (ch ${q.channel})` : ''), h('td', {}, q.message),
      h('td', {}, q.disposition && q.disposition !== 'open'
        ? h('span', { class: 'dim' }, `${q.disposition} by ${q.disposed_by}: ${q.note}`)
        : ctx.isAdmin ? [
          h('button', { type: 'button', onclick: () => answer(`findings/${q.id}`, { action: 'acknowledge' }) }, 'Acknowledge'), ' ',
          h('button', { type: 'button', onclick: () => answer(`findings/${q.id}`, { action: 'override' }) }, 'Override')]
          : h('span', { class: 'warn' }, 'open'))))));
    if (!ctx.isAdmin) return table;
    return [table, h('p', { class: 'hold' },
      h('label', {}, 'Note ', h('input', { id: 'hold-note', size: 48, placeholder: 'why (kept with the answer)' })), ' ',
      held ? h('button', { type: 'button', id: 'hold-release', onclick: () => answer('release', {}) }, 'Release clip') : null, ' ', holdState),
    held ? h('p', { class: 'dim small' }, 'On hold: proxied, but not delivered nor offered to pull until every finding that holds is answered or the clip is released (settings.qc.hold_blocks).') : null];
  }

  // What the clip's media says when it has no timecode or pictures to show.
  function mediaWord(c) {
    if (c.state === 'media_error') return h('span', { class: 'bad' }, 'unreadable');
    if (c.media_status === 'vendor_tool') return h('span', { class: 'warn', title: c.vendor_tool ?? '' }, "needs the maker's SDK");
    return null;
  }

  // The camera's own proxy (a RED .mov, a Sony Sub/ file): named, and said when the dailies are
  // made from it because the original needs the maker's SDK. undefined hides the row.
  function proxyText(px) {
    if (!px) return undefined;
    return h('span', { id: 'camera-proxy' }, px.name, px.dailies_source
      ? h('span', { class: 'dim' }, ' (the dailies are made from it: the original needs the maker\'s SDK)') : null);
  }

  function events() {
    if (!clip.events.length) return h('p', { class: 'dim' }, 'No events yet.');
    return h('ol', { class: 'events' }, clip.events.map((e) => h('li', {}, h('span', { class: 'dim' }, when(e.at)), ` ${e.kind} `,
      h('span', { class: 'dim' }, `by ${e.actor}`))));
  }

  // The production sound matched to the clip (GET /api/v1/clips/{id}: sound), in words.
  function soundText(snd) {
    if (!snd) return null;
    if (snd.method === 'none' || !snd.clip_id) return snd.method === 'manual' ? 'none (MOS, set by hand)' : 'no sound roll covers it';
    const off = snd.offset_frames >= 0 ? `+${snd.offset_frames}` : String(snd.offset_frames);
    if (snd.method === 'ambiguous') return soundPick(snd, off);
    return `${snd.name} (${off} frames, ${snd.method === 'manual' ? 'set by hand' : 'by timecode'})`;
  }

  // An ambiguous match (another clip of this camera has overlapping timecode): named, not
  // used until the DIT picks (PUT /api/v1/clips/{id}/sound).
  const soundState = h('output', { class: 'dim', id: 'sound-state', 'aria-live': 'polite' });
  async function pickSound(soundId) {
    try {
      await api(`/api/v1/clips/${id}/sound`, { method: 'PUT', body: { sound_clip_id: soundId } });
      await refresh();
    } catch (e) { soundState.textContent = e.message; }
  }
  function soundPick(snd, off) {
    const what = h('span', { class: 'warn', id: 'sound-ambiguous' }, `${snd.name}? (${off} frames: ambiguous, another clip of this camera has the same timecode)`);
    if (!ctx.isAdmin) return what;
    return [what, ' ',
      h('button', { type: 'button', id: 'sound-use', onclick: () => pickSound(snd.clip_id) }, `Use ${snd.name}`), ' ',
      h('button', { type: 'button', id: 'sound-mos', onclick: () => pickSound(null) }, 'No sound (MOS)'), ' ', soundState];
  }

  // What the card says of the camera (GET /clips/{id} camera_metadata): only what its format
  // carries, nothing filled in.
  const CAMERA = [['camera_make', 'Make'], ['camera_model', 'Model'], ['camera_serial', 'Serial'], ['lens', 'Lens'],
    ['focal_length', 'Focal length'], ['t_stop', 'T-stop'], ['iso', 'ISO/EI'], ['white_balance', 'White balance'],
    ['shutter', 'Shutter'], ['nd', 'ND'], ['look', 'Look']];
  function camera() {
    const m = clip.camera_metadata ?? {};
    const pairs = CAMERA.filter(([k]) => m[k] != null).map(([k, label]) => [label, String(m[k])]);
    return pairs.length ? h('div', { id: 'camera-metadata' }, kv(pairs))
      : h('p', { class: 'dim', id: 'camera-metadata' }, 'The card carries no camera metadata for this clip.');
  }

  let poster = null;
  function draw() {
    const c = clip;
    const sect = (title, body) => h('section', { class: 'panel' }, h('h3', {}, title), body);
    root.replaceChildren(
      h('div', { class: 'viewhead' }, h('a', { href: back(), class: 'back', 'aria-keyshortcuts': 'Escape' }, '← Clips'),
        h('h2', {}, c.name), h('span', { class: `state ${c.state}` }, c.state.replace('_', ' ')),
        c.state_reason ? h('span', { class: c.state === 'qc_hold' ? 'warn' : 'bad', id: 'state-reason' }, c.state_reason) : null),
      h('div', { class: 'cols' },
        sect('Clip', [kv([['Card', h('a', { href: `#/clips?card_id=${c.card_id}` }, c.card)], ['Day', c.shoot_date], ['Camera', c.camera], ['Reel', c.reel],
          ['Start TC', c.start_tc], ['Duration', duration(c.duration_frames, c.fps)], ['Frame rate', c.fps], ['Size', c.width ? `${c.width}×${c.height}` : null],
          ['Codec', c.codec], ['Media', mediaWord(c)], ['Camera proxy', proxyText(c.camera_proxy)],
          ['Recorded', c.recorded_at ? `${c.recorded_at.replace('T', ' ')} (${c.recorded_at_source ?? ''})` : null],
          ['Verified copies', String(c.copies)], ['Sound', soundText(c.sound)]]), editable()]),
        sect('Notes', notes())),
      sect('Camera', camera()),
      lookPanel(),
      sect('QC findings', qc()),
      sect('Renditions', renditions()),
      sect('Deliveries', deliveries()),
      sect('Files, hashes and copies', files()),
      sect('Events', events()));
    loadPoster(poster);
  }

  async function refresh() {
    try {
      const [c, media, cube] = await Promise.all([api(`/api/v1/clips/${id}`), api(`/api/v1/clips/${id}/media`).catch(() => null),
        fetch(`/api/v1/clips/${id}/look.cube?part=lut`, { cache: 'no-store' }).then((r) => (r.ok ? r.text() : null)).catch(() => null)]);
      clip = c;
      try { lut = cube ? parseCube(cube) : null; } catch { lut = null; }
      look = normal(c.look);
      poster = media?.thumbnails?.find((t) => t.n === 0)?.url ?? null;
      draw();
    } catch (e) {
      root.replaceChildren(h('p', { class: 'bad' }, `Clip ${id}: ${e.message}`));
    }
  }

  refresh();
  return {
    refresh,
    onEvent(ev) {
      // Our own look changes come back as events too: don't reload under the sliders.
      if (ev.subject_type === 'clip' && ev.subject_id === id && ev.kind !== 'clip.updated') refresh();
    },
    onKey(ev) { if (ev.key === 'Escape') ctx.go(back()); },
  };
}
