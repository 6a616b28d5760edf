// The dashboard shell: session, navigation between views (by the URL's hash), the live event
// stream, and keyboard shortcuts. Each view is a module exporting mount(root, ctx) that returns
// { refresh(), onEvent(ev), onKey(ev), idle(), destroy() } (all optional but refresh).
import { api, setCsrf } from './api.js';

const $ = (id) => document.getElementById(id);
const VIEWS = {
  today: () => import('./views/today.js'),
  clips: () => import('./views/clips.js'),
  clip: () => import('./views/clip.js'),
  offload: () => import('./views/offload.js'),
  jobs: () => import('./views/jobs.js'),
  deliveries: () => import('./views/deliveries.js'),
  tapes: () => import('./views/tapes.js'),
  workflow: () => import('./views/workflow.js'),
};
const state = { who: null, view: null, name: null, stream: null, retry: 1000, lost: false };

function ctx() {
  const role = state.who?.role;
  return {
    who: state.who,
    role,
    isAdmin: role === 'admin',
    can: (roles) => roles.split(' ').includes(role),
    go: (hash) => { location.hash = hash; },
    params: new URLSearchParams(location.hash.split('?')[1] ?? ''),
  };
}

function showLoggedIn(who) {
  state.who = who;
  setCsrf(who?.csrf_token ?? null);
  $('login-section').hidden = who !== null;
  $('nav').hidden = who === null;
  $('logout').hidden = who === null;
  $('who').textContent = who ? `${who.name} · ${who.role}` : '';
  for (const a of $('nav').querySelectorAll('a[data-role]')) a.hidden = who && !a.dataset.role.split(' ').includes(who.role);
  if (who) { connect(); route(); } else { disconnect(); unmount(); }
}

function unmount() {
  state.view?.destroy?.();
  state.view = null;
  state.name = null;
  $('content').replaceChildren();
}

async function route() {
  if (!state.who) return;
  const [path] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, arg] = path.split('/');
  let view = VIEWS[name] ? name : 'today';
  const link = $('nav').querySelector(`a[data-view="${view}"]`);
  if (link?.hidden) view = 'today';
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.view === (view === 'clip' ? 'clips' : view)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  unmount();
  const mod = await VIEWS[view]();
  const root = document.createElement('div');
  root.className = `view view-${view}`;
  $('content').replaceChildren(root);
  state.name = view;
  state.view = mod.mount(root, { ...ctx(), arg });
  document.title = `setpost · ${view}`;
}

// --- the live event stream -------------------------------------------------------------------

function setLive(text, cls) {
  const el = $('live');
  el.textContent = text;
  el.className = `live ${cls}`;
}

function connect() {
  if (state.stream) return;
  // named=false: every event arrives as a plain message whatever its kind, so the dashboard
  // needs no list of the kinds the server records (it drifted when it had one).
  const es = new EventSource('/api/v1/events/stream?named=false');
  state.stream = es;
  es.onopen = () => {
    state.retry = 1000;
    setLive('live', 'ok');
    // Events missed while the connection was down: reload what the view shows.
    if (state.lost) { state.lost = false; state.view?.refresh?.(); }
  };
  es.onerror = () => {
    state.lost = true;
    setLive('connection lost · reconnecting…', 'bad');
    if (es.readyState === EventSource.CLOSED) {
      // The browser gave up (an HTTP error): try again ourselves, backing off to 15 s. An ended
      // session shows the login (the API helper signals a 401).
      state.stream = null;
      api('/api/v1/session').catch(() => {});
      setTimeout(() => { if (state.who) connect(); }, state.retry);
      state.retry = Math.min(state.retry * 2, 15000);
    }
  };
  const handler = (e) => {
    let ev = null;
    try { ev = JSON.parse(e.data); } catch { return; }
    state.view?.onEvent?.(ev);
  };
  es.onmessage = handler;
}

// Reconnecting by hand (the status button): drop the stream and open a new one.
$('live').addEventListener('click', () => {
  if (!state.who) return;
  disconnect();
  state.lost = true;
  setLive('reconnecting…', 'bad');
  connect();
});

function disconnect() {
  state.stream?.close();
  state.stream = null;
  setLive('not logged in', 'pending');
}

// Lists reload every 30 s while the page is seen, as a net under the event stream.
setInterval(() => { if (document.visibilityState === 'visible') state.view?.idle?.(); }, 30000);

// --- session ---------------------------------------------------------------------------------

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const who = await api('/api/v1/login', { method: 'POST', body: { name: form.get('name'), password: form.get('password') } });
    $('login-error').textContent = '';
    ev.target.reset();
    showLoggedIn(who);
  } catch (e) {
    $('login-error').textContent = e.message;
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('/api/v1/logout', { method: 'POST' }); } catch { /* the session is gone either way */ }
  showLoggedIn(null);
});

window.addEventListener('session-lost', () => { if (state.who) showLoggedIn(null); });
window.addEventListener('hashchange', route);

// --- keyboard --------------------------------------------------------------------------------

document.addEventListener('keydown', (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || !state.who) return;
  const t = ev.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
  if (typing) {
    if (ev.key === 'Escape') t.blur();
    return;
  }
  // Enter and Space on a focused link or button are theirs.
  if ((ev.key === 'Enter' || ev.key === ' ') && t instanceof Element && t.closest('a, button, summary')) return;
  const views = ['today', 'clips', 'offload', 'jobs', 'deliveries', 'tapes', 'workflow'];
  if (ev.key >= '1' && ev.key <= '7') {
    const a = $('nav').querySelector(`a[data-view="${views[Number(ev.key) - 1]}"]`);
    if (a && !a.hidden) { location.hash = a.getAttribute('href'); ev.preventDefault(); }
    return;
  }
  if (ev.key === '?') { $('help').showModal(); ev.preventDefault(); return; }
  if (ev.key === '/') { ev.preventDefault(); if (state.name !== 'clips') location.hash = '#/clips?focus=search'; else state.view?.onKey?.(ev); return; }
  if (ev.key === 'r') { state.view?.refresh?.(); return; }
  state.view?.onKey?.(ev);
});

(async () => {
  let who = null;
  try { who = await api('/api/v1/session'); } catch { who = null; }
  showLoggedIn(who);
})();
