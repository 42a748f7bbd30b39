'use strict';
// config-manager console: plain JavaScript, no external resources. The token lives in sessionStorage and is sent as
// a Bearer header; it is never put in a cookie, so another site cannot make the browser write on the user's behalf.

const state = { token: sessionStorage.getItem('cm-token'), service: null, version: 0, services: [], clients: [] };
const $ = (id) => document.getElementById(id);

async function api(method, path, body, ifMatch) {
  const headers = {};
  if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch !== undefined) headers['If-Match'] = '"' + ifMatch + '"';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : body });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  return { status: response.status, ok: response.ok, json };
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text === undefined || text === null ? '' : (typeof text === 'string' ? text : JSON.stringify(text));
  if (cls) td.className = cls;
  return td;
}

// ---- sign in -------------------------------------------------------------------------------------------------

async function signIn(event) {
  if (event) event.preventDefault();
  if (event) state.token = $('token').value.trim() || null;
  const check = await api('GET', '/api/status');
  if (check.status === 401) {
    $('signin-error').textContent = 'That token is not known to this console.';
    return;
  }
  if (state.token) sessionStorage.setItem('cm-token', state.token);
  $('signin').hidden = true;
  $('app').hidden = false;
  $('tabs').hidden = false;
  await refresh();
  setInterval(refresh, 2000); // live: services, versions and health follow the broker without a reload
}

// ---- views ---------------------------------------------------------------------------------------------------

function show(view) {
  document.querySelectorAll('#tabs button').forEach((b) => b.classList.toggle('active', b.dataset.view === view));
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== 'view-' + view; });
  if (view === 'audit') loadAudit();
}

async function refresh() {
  const [services, clients, status] = await Promise.all([api('GET', '/api/services'), api('GET', '/api/clients'),
    api('GET', '/api/status')]);
  if (services.ok) { state.services = services.json; renderServices(); }
  if (clients.ok) { state.clients = clients.json; renderClients(); }
  if (status.ok) $('status').textContent = status.json.store_ok ? 'store ok' : 'store unavailable: ' + status.json.store_problem;
  if (state.service) {
    const current = state.services.find((s) => s.service === state.service);
    if (current && current.version !== state.version && !state.dirty) openService(state.service);
  }
}

function healthOf(s) {
  if (s.clients_online > 0) return 'online';
  return s.clients_offline > 0 ? 'offline' : '';
}

function renderServices() {
  const list = $('service-list');
  list.replaceChildren();
  for (const s of state.services.filter((x) => !x.deleted)) {
    const li = document.createElement('li');
    li.dataset.service = s.service;
    li.className = s.service === state.service ? 'selected' : '';
    const dot = document.createElement('span');
    dot.className = 'dot ' + healthOf(s);
    dot.title = s.clients_online + ' client(s) online, ' + s.clients_offline + ' offline';
    li.append(dot, document.createTextNode(s.service + ' · v' + s.version));
    li.addEventListener('click', () => openService(s.service));
    list.append(li);
  }
}

function renderClients() {
  const body = $('clients').tBodies[0];
  body.replaceChildren();
  for (const c of state.clients) {
    const row = body.insertRow();
    row.dataset.client = c.client_id;
    cell(row, c.client_id);
    cell(row, c.stale ? 'unknown (broker silent)' : c.online ? 'online' : 'offline', c.online ? 'added' : 'removed');
    cell(row, c.node || '');
    cell(row, c.event + (c.err ? ' (' + c.err + ')' : ''));
    cell(row, c.timestamp ? new Date(c.timestamp * 1000).toLocaleString() : '');
    const actions = row.insertCell();
    if (!c.online && !c.stale) {
      // a client of this broker that is gone: an admin may forget it now rather than wait for forget-after
      const forget = document.createElement('button');
      forget.textContent = 'forget';
      forget.className = 'forget';
      forget.title = 'remove its health and this row (admin)';
      forget.addEventListener('click', () => forgetClient(c.client_id));
      actions.appendChild(forget);
    }
  }
}

async function forgetClient(id) {
  if (!confirm('Forget ' + id + '? Its retained health and this row are removed; it comes back when it connects.')) {
    return;
  }
  const r = await api('DELETE', '/api/clients/' + encodeURIComponent(id));
  if (!r.ok) {
    alert((r.json && r.json.error && r.json.error.message) || ('forget failed: ' + r.status));
    return;
  }
  state.clients = state.clients.filter((c) => c.client_id !== id);
  renderClients();
}

// ---- one service: editor with inline schema errors, history, diff, rollback -----------------------------------

async function openService(name) {
  state.service = name;
  state.dirty = false;
  const current = await api('GET', '/api/services/' + name);
  $('service').hidden = false;
  $('service-name').textContent = name;
  $('diff').hidden = true;
  if (current.ok) {
    state.version = current.json.version;
    $('service-version').textContent = current.json.version;
    $('service-meta').textContent = 'updated ' + current.json.updated_at + ' by ' + current.json.updated_by;
    $('editor').value = JSON.stringify(current.json.config, null, 2);
  } else {
    state.version = 0;
    $('service-version').textContent = 'none';
    $('service-meta').textContent = 'no config yet';
    $('editor').value = '{\n}';
  }
  $('save-result').textContent = '';
  await validate();
  renderServices();
  await loadHistory();
}

let validateTimer = null;
function onEdit() {
  state.dirty = true;
  clearTimeout(validateTimer);
  validateTimer = setTimeout(validate, 250);
}

async function validate() {
  const errors = $('editor-errors');
  errors.replaceChildren();
  let text = $('editor').value;
  try { JSON.parse(text); } catch (e) {
    errors.append(item('JSON: ' + e.message));
    $('save').disabled = true;
    return;
  }
  const result = await api('POST', '/api/services/' + state.service + '/validate', text);
  const problems = result.ok && !result.json.valid ? result.json.error : (result.ok ? null : result.json.error);
  if (problems) {
    const details = problems.details && problems.details.length ? problems.details : [{ path: '', message: problems.message }];
    for (const d of details) errors.append(item((d.path || '/') + ': ' + d.message));
  }
  $('save').disabled = Boolean(problems);
}

function item(text) {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

async function save() {
  const result = await api('PUT', '/api/services/' + state.service, $('editor').value, state.version);
  if (result.ok) {
    $('save-result').textContent = result.json.noop ? 'unchanged' : 'saved as version ' + result.json.version;
    state.dirty = false;
    await refresh();
    await openService(state.service);
    $('save-result').textContent = result.json.noop ? 'unchanged' : 'saved as version ' + result.json.version;
  } else {
    $('save-result').textContent = result.json.error.code + ': ' + result.json.error.message;
  }
}

async function loadHistory() {
  const history = await api('GET', '/api/services/' + state.service + '/history');
  // Built apart and swapped in whole: two loads racing each other can never interleave their rows.
  const body = document.createElement('tbody');
  if (history.ok) for (const v of history.json) {
    const row = body.insertRow();
    row.dataset.version = v.version;
    cell(row, v.version);
    cell(row, v.change);
    cell(row, v.updated_by);
    cell(row, v.updated_at);
    const actions = row.insertCell();
    if (v.version > 1) actions.append(button('diff', () => showDiff(v.version - 1, v.version)));
    if (!v.deleted && v.version !== state.version) actions.append(button('roll back', () => rollback(v.version)));
  }
  $('history').tBodies[0].replaceWith(body);
}

function button(text, onClick) {
  const b = document.createElement('button');
  b.textContent = text;
  b.className = text.replace(' ', '-');
  b.addEventListener('click', onClick);
  return b;
}

async function showDiff(from, to) {
  const diff = await api('GET', '/api/services/' + state.service + '/diff?from=' + from + '&to=' + to);
  $('diff').hidden = false;
  $('diff-title').textContent = 'v' + from + ' → v' + to;
  const rows = $('diff-rows');
  rows.replaceChildren();
  for (const c of diff.json.changes) {
    const row = rows.insertRow();
    cell(row, c.path);
    cell(row, c.from, 'removed');
    cell(row, c.to, 'added');
  }
}

async function rollback(version) {
  const result = await api('POST', '/api/services/' + state.service + '/rollback',
    JSON.stringify({ to_version: version }), state.version);
  $('save-result').textContent = result.ok ? 'rolled back to v' + version + ' as version ' + result.json.version
    : result.json.error.code + ': ' + result.json.error.message;
  await refresh();
  await openService(state.service);
  if (result.ok) $('save-result').textContent = 'rolled back to v' + version + ' as version ' + result.json.version;
}

// ---- audit ---------------------------------------------------------------------------------------------------

async function loadAudit(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams();
  if ($('audit-service').value) params.set('service', $('audit-service').value);
  if ($('audit-outcome').value) params.set('outcome', $('audit-outcome').value);
  const audit = await api('GET', '/api/audit?' + params);
  const body = document.createElement('tbody');
  if (audit.ok) for (const a of audit.json) {
    const row = body.insertRow();
    cell(row, a.at); cell(row, a.service); cell(row, a.action); cell(row, a.requester);
    cell(row, a.outcome); cell(row, a.version); cell(row, a.error_code ? a.error_code + ': ' + a.message : '');
  }
  $('audit').tBodies[0].replaceWith(body);
}

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', signIn);
  $('editor').addEventListener('input', onEdit);
  $('save').addEventListener('click', save);
  $('audit-filter').addEventListener('submit', loadAudit);
  $('new-service').addEventListener('submit', (e) => { e.preventDefault(); openService($('new-service-name').value.trim()); });
  document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => show(b.dataset.view)));
  if (state.token) signIn();
});
