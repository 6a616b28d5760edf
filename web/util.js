// Small helpers every view uses: building elements, formatting numbers and times.

// h('tr', {class: 'x', onclick: fn}, child, 'text', [more]) -> element. Falsy children are skipped.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${u[i]}`;
}

// "24000/1001" -> 23.976...
export function fpsValue(fps) {
  if (!fps) return null;
  const [a, b] = fps.split('/').map(Number);
  return b ? a / b : null;
}

export function duration(frames, fps) {
  const f = fpsValue(fps);
  if (frames === null || frames === undefined || !f) return '–';
  const s = Math.round(frames / f);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function seconds(s) {
  if (!Number.isFinite(s) || s < 0) return '–';
  s = Math.round(s);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function when(ts) {
  if (!ts) return '–';
  const d = new Date(ts.replace(' ', 'T').replace(/\+00$/, 'Z'));
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// A progress bar: value 0..1, an accessible label, and a class for its colour.
export function bar(value, label, cls = '') {
  const v = Math.max(0, Math.min(1, Number(value) || 0));
  return h('div', { class: `bar ${cls}`, role: 'progressbar', 'aria-label': label,
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(v * 100)), title: label },
  fill(v));
}

// Inline style attributes are refused by the page's CSP; the CSSOM is not.
function fill(v) {
  const el = h('div', { class: 'fill' });
  el.style.width = `${(v * 100).toFixed(1)}%`;
  return el;
}

export function badge(text, cls) {
  return h('span', { class: `badge ${cls ?? ''}` }, text);
}

// Calls fn at most once per ms, the last call winning (for bursts of live events).
export function throttle(fn, ms) {
  let timer = null;
  let again = false;
  return () => {
    if (timer) { again = true; return; }
    fn();
    timer = setTimeout(() => { timer = null; if (again) { again = false; fn(); } }, ms);
  };
}
