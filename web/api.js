// The API as the dashboard uses it: the session cookie goes by itself; every write carries the
// CSRF token the login returned. A 401 means the session ended: the app shows the login again.
let csrf = null;

export function setCsrf(token) { csrf = token; }

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// revalidate: the browser keeps the answer and asks again with its ETag (a 304 when the
// server's page cache says nothing changed), instead of fetching it whole every time.
export async function api(path, { method = 'GET', body, revalidate = false } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, {
    method, headers, cache: revalidate ? 'no-cache' : 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/v1/login') window.dispatchEvent(new Event('session-lost'));
    throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `HTTP ${res.status}`);
  }
  return json;
}
