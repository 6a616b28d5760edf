// The first page: live server health and the job queue, refreshed every few seconds.
const $ = (id) => document.getElementById(id);

function show(id, text, cls) {
  const el = $(id);
  el.textContent = text;
  if (cls !== undefined) el.className = cls;
}

async function refreshHealth() {
  try {
    const res = await fetch('/api/v1/health', { cache: 'no-store' });
    const body = await res.json();
    const ok = res.ok && body.status === 'ok';
    show('status', ok ? 'healthy' : `unavailable: ${body.database?.error ?? res.status}`, ok ? 'ok' : 'bad');
    show('rtt', ok ? `${body.database.round_trip_ms.toFixed(2)} ms` : '–');
    show('schema', ok ? String(body.database.schema_version) : '–');
    show('version', body.version ?? '–');
  } catch (e) {
    show('status', 'server unreachable', 'bad');
  }
  show('checked', new Date().toLocaleTimeString());
}

let csrf = null;

function showLoggedIn(who) {
  $('login-section').hidden = who !== null;
  $('jobs-section').hidden = who === null;
  $('who').textContent = who ? `(${who.name}, ${who.role})` : '';
  csrf = who?.csrf_token ?? null;
}

async function refreshSession() {
  const res = await fetch('/api/v1/session', { cache: 'no-store' });
  showLoggedIn(res.ok ? await res.json() : null);
}

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const res = await fetch('/api/v1/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: form.get('name'), password: form.get('password') }),
  });
  const body = await res.json();
  $('login-error').textContent = res.ok ? '' : body.error.message;
  if (res.ok) { showLoggedIn(body); refreshJobs(); }
});

$('logout').addEventListener('click', async () => {
  await fetch('/api/v1/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf ?? '' } });
  showLoggedIn(null);
});

async function refreshJobs() {
  const tbody = $('jobs').querySelector('tbody');
  if (csrf === null) return;
  try {
    const res = await fetch('/api/v1/jobs?limit=20', { cache: 'no-store' });
    if (res.status === 401) { showLoggedIn(null); return; }
    if (!res.ok) return;
    const { items } = await res.json();
    tbody.replaceChildren(...(items.length ? items.map(row) : [emptyRow()]));
  } catch (e) { /* the health line already says the server is unreachable */ }
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function row(job) {
  const tr = document.createElement('tr');
  tr.append(cell(job.id), cell(job.kind), cell(job.state),
    cell(`${Math.round(job.progress * 100)} %`), cell(job.last_error ?? job.progress_text));
  return tr;
}

function emptyRow() {
  const tr = document.createElement('tr');
  const td = cell('no jobs yet');
  td.colSpan = 5;
  tr.append(td);
  return tr;
}

function tick() { refreshHealth(); refreshJobs(); }
refreshSession().then(tick);
setInterval(tick, 3000);
