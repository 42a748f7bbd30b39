// config-manager console: a fleet overview, each service's config (a JSON editor that knows the schema, or a form),
// its history with side-by-side diffs and rollback, the clients, and the audit log; kept current by the server's
// change stream. Everything is served by the extension itself; nothing comes from the network.

import { $, h, text } from './dom.js';
import { api, errorText, followChanges, session } from './api.js';
import { startTicker, timeEl } from './time.js';
import { createEditor } from './editor.js';
import { diffTable } from './diff.js';
import { formFields, readForm, renderForm } from './form.js';

const state = {
  view: 'overview',
  services: [],
  clients: [],
  status: null,
  service: null,     // the open service
  version: 0,        // its version as loaded
  config: null,      // its config as loaded (secrets masked)
  schema: null,
  dirty: false,
  pane: 'editor',
  history: [],
  clientQuery: { search: '', state: '', sort: 'client_id', descending: false, page: 0 },
};
const PAGE = 25;
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
let editor;

// ---- theme ---------------------------------------------------------------------------------------------------

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  $('theme').setAttribute('aria-label', theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme');
  $('theme').title = $('theme').getAttribute('aria-label');
}

function initialTheme() {
  return localStorage.getItem('cm-theme') || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

// ---- sign in -------------------------------------------------------------------------------------------------

async function signIn(event) {
  if (event) {
    event.preventDefault();
    session.token = $('token').value.trim() || null;
  }
  const check = await api('GET', '/api/status');
  if (check.status === 401) {
    // on the first visit to a console with tokens, just the form; after a token was tried, why it failed
    if (event || session.token) $('signin-error').textContent = 'That token is not known to this console.';
    sessionStorage.removeItem('cm-token');
    session.token = null;
    $('signin').hidden = false;
    $('token').focus();
    return;
  }
  if (session.token) sessionStorage.setItem('cm-token', session.token);
  $('signin').hidden = true;
  $('app').hidden = false;
  $('tabs').hidden = false;
  show(location.hash.slice(1) || 'overview');
  followChanges(onChange, (s) => { $('live').textContent = s; $('live').dataset.state = s; });
  setInterval(() => onChange(['services', 'clients']), 60000); // a safety net; the stream does the work
}

// One refresh at a time: kinds that change meanwhile are gathered and read once, after it.
const pending = new Set();
let refreshing = false;
async function onChange(kinds) {
  kinds.forEach((k) => pending.add(k));
  if (refreshing) return;
  refreshing = true;
  try {
    while (pending.size) {
      const now = [...pending];
      pending.clear();
      const tasks = [refreshStatus()];
      if (now.includes('services')) tasks.push(refreshServices());
      if (now.includes('clients')) tasks.push(refreshClients());
      await Promise.all(tasks);
      if (now.includes('services') && state.view === 'audit') await loadAudit();
    }
  } finally {
    refreshing = false;
  }
}

// ---- views and tabs ------------------------------------------------------------------------------------------

const VIEWS = ['overview', 'services', 'clients', 'audit'];

function show(view) {
  if (!VIEWS.includes(view)) view = 'overview';
  state.view = view;
  for (const b of document.querySelectorAll('#tabs [role=tab]')) {
    const active = b.dataset.view === view;
    b.classList.toggle('active', active);
    b.setAttribute('aria-selected', active);
    b.tabIndex = active ? 0 : -1;
  }
  for (const v of VIEWS) $('view-' + v).hidden = v !== view;
  if (location.hash.slice(1) !== view) history.replaceState(null, '', '#' + view);
  if (view === 'audit') loadAudit();
}

function tabKeys(event) {
  const tabs = [...document.querySelectorAll('#tabs [role=tab]')];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  const next = event.key === 'ArrowRight' ? (i + 1) % tabs.length
    : event.key === 'ArrowLeft' ? (i + tabs.length - 1) % tabs.length
      : event.key === 'Home' ? 0 : event.key === 'End' ? tabs.length - 1 : -1;
  if (next < 0) return;
  event.preventDefault();
  tabs[next].focus();
  show(tabs[next].dataset.view);
}

// ---- status, services, overview ------------------------------------------------------------------------------

async function refreshStatus() {
  const status = await api('GET', '/api/status');
  if (!status.ok) return;
  state.status = status.json;
  const ok = status.json.store_ok;
  $('status').textContent = ok ? 'store ok' : 'store unavailable';
  $('status').title = ok ? 'config epoch ' + status.json.config_epoch : status.json.store_problem;
  $('status').dataset.state = ok ? 'ok' : 'bad';
  $('version').textContent = 'v' + status.json.version;
  renderOverview();
}

async function refreshServices() {
  const services = await api('GET', '/api/services');
  if (!services.ok) return;
  state.services = services.json;
  renderOverview();
  renderServiceList();
  if (state.service) {
    const current = state.services.find((s) => s.service === state.service);
    if (current && current.version !== state.version && !state.dirty) await openService(state.service, true);
    else if (state.pane === 'history') await loadHistory();
    else if (state.pane === 'drift') await loadDrift();
  }
}

function health(s) {
  return s.clients_online > 0 ? 'online' : s.clients_offline > 0 ? 'offline' : 'none';
}

function clientsCell(s) {
  if (!s.clients_online && !s.clients_offline) return h('span', { class: 'meta' }, 'no clients');
  return h('span', {},
    h('span', { class: 'dot online' }), ' ' + s.clients_online + ' online',
    s.clients_offline ? [' · ', h('span', { class: 'dot offline' }), ' ' + s.clients_offline + ' offline'] : null);
}

// ---- desired versus running ------------------------------------------------------------------------------------

const DRIFT_STATES = ['in_sync', 'behind', 'failed', 'unknown'];
const DRIFT_WORDS = { in_sync: 'in sync', behind: 'behind', failed: 'failed', unknown: 'never reported' };

// "12/14 in sync · 1 behind · 1 failed": what an operator asks after a change, in one line
function driftText(d) {
  if (!d || !d.total) return 'no reports';
  return d.in_sync + '/' + d.total + ' in sync'
    + ['behind', 'failed', 'unknown'].filter((k) => d[k]).map((k) => ' · ' + d[k] + ' ' + DRIFT_WORDS[k]).join('');
}

function driftCell(d) {
  if (!d || !d.total) return h('span', { class: 'meta' }, 'no reports');
  return h('span', { class: 'drift', title: driftText(d) },
    h('span', { class: 'drift-bar', 'aria-hidden': 'true' },
      DRIFT_STATES.filter((k) => d[k]).map((k) => h('span', { class: k, dataset: { share: d[k] / d.total } }))),
    driftText(d));
}

// widths through the CSSOM: the page's CSP lets no inline style attribute in
function sizeDriftBars(root) {
  for (const s of root.querySelectorAll('.drift-bar span[data-share]')) s.style.width = (100 * s.dataset.share) + '%';
}

function fleetDrift() {
  const total = { in_sync: 0, behind: 0, failed: 0, unknown: 0, total: 0 };
  for (const s of state.services) {
    if (s.deleted || !s.drift) continue;
    for (const k of Object.keys(total)) total[k] += s.drift[k] || 0;
  }
  return total;
}

async function loadDrift() {
  const result = await api('GET', '/api/services/' + encodeURIComponent(state.service) + '/drift');
  const drift = result.ok ? result.json : { clients: [], counts: null };
  $('drift-summary').replaceChildren(result.ok
    ? driftCell(drift.counts) : h('span', { class: 'meta' }, result.status === 404 ? 'no reports yet' : errorText(result)));
  if (result.ok) {
    $('drift-summary').append(h('span', { class: 'meta' }, ' against v' + drift.desired_version
      + (drift.counts.offline ? ' · ' + drift.counts.offline + ' offline, not counted' : '')));
  }
  sizeDriftBars($('drift-summary'));
  const body = h('tbody', {}, drift.clients.map((c) => h('tr', { dataset: { client: c.client_id, state: c.state } },
    h('td', { class: 'client-id' }, c.client_id),
    h('td', {}, h('span', { class: 'state ' + (c.state === 'unknown' ? 'unreported' : c.state) }, DRIFT_WORDS[c.state])),
    h('td', { class: 'num' }, c.version != null ? 'v' + c.version : '—'),
    h('td', {}, c.reported_at ? timeEl(c.reported_at) : ''),
    h('td', {}, h('span', { class: 'dot ' + (c.online ? 'online' : 'offline') }), c.online ? ' online' : ' offline',
      c.node ? h('span', { class: 'meta' }, ' on ' + c.node) : null),
    h('td', {}, c.why ? text(c.why) : c.state === 'behind' ? 'v' + drift.desired_version + ' not applied yet' : ''))));
  $('drift').tBodies[0].replaceWith(body);
  $('drift-empty').hidden = drift.clients.length > 0;
  $('drift').hidden = drift.clients.length === 0;
}

function renderOverview() {
  const live = state.services.filter((s) => !s.deleted);
  const online = state.clients.filter((c) => c.online && !c.stale).length;
  const rejected = state.services.reduce((sum, s) => sum + (s.rejected_last_hour || 0), 0);
  $('card-services').textContent = live.length;
  $('card-services-sub').textContent = state.services.length - live.length ? (state.services.length - live.length) + ' deleted' : '';
  $('card-online').textContent = online;
  $('card-offline').textContent = (state.clients.length - online) + ' offline or gone';
  const drift = fleetDrift();
  $('card-drift').textContent = drift.total ? drift.in_sync + '/' + drift.total : '—';
  $('card-drift-sub').textContent = drift.total ? driftText(drift).replace(/^[^·]*(· )?/, '') || 'every reporting client' : 'no client has reported yet';
  $('card-drift').parentElement.dataset.state = drift.failed ? 'bad' : drift.behind || drift.unknown ? 'warn' : 'ok';
  $('card-rejected').textContent = rejected;
  $('card-rejected').parentElement.dataset.state = rejected ? 'warn' : 'ok';
  const ok = state.status ? state.status.store_ok : null;
  $('card-store').textContent = ok === null ? '…' : ok ? 'ok' : 'unavailable';
  $('card-store').parentElement.dataset.state = ok === false ? 'bad' : 'ok';
  $('card-store-sub').textContent = ok === false ? state.status.store_problem : state.status ? 'epoch ' + state.status.config_epoch.slice(0, 8) : '';

  const body = h('tbody', {}, live.map((s) => h('tr', { dataset: { service: s.service } },
    h('td', {}, h('a', { href: '#services', class: 'service-link', onclick: (e) => { e.preventDefault(); show('services'); openService(s.service); } }, s.service)),
    h('td', { class: 'num' }, 'v' + s.version),
    h('td', {}, timeEl(s.updated_at), h('span', { class: 'meta' }, ' by ' + s.updated_by)),
    h('td', {}, clientsCell(s)),
    h('td', {}, driftCell(s.drift)),
    h('td', { class: 'num' + (s.rejected_last_hour ? ' warn' : '') }, s.rejected_last_hour || 0))));
  $('overview-services').tBodies[0].replaceWith(body);
  sizeDriftBars(body);
  $('overview-empty').hidden = live.length > 0;
  $('overview-services').hidden = live.length === 0;
}

function renderServiceList() {
  const filter = $('service-filter').value.trim().toLowerCase();
  const list = $('service-list');
  list.replaceChildren(...state.services
    .filter((s) => !s.deleted && s.service.includes(filter))
    .map((s) => h('li', { dataset: { service: s.service }, class: s.service === state.service ? 'selected' : '' },
      h('button', {
        type: 'button', 'aria-current': s.service === state.service ? 'true' : undefined,
        onclick: () => openService(s.service),
      },
      h('span', { class: 'dot ' + health(s), title: s.clients_online + ' client(s) online, ' + s.clients_offline + ' offline' }),
      h('span', { class: 'name' }, s.service),
      s.drift && s.drift.total
        ? h('span', { class: 'badge drift-badge' + (s.drift.failed ? ' bad' : s.drift.in_sync < s.drift.total ? ' warn' : ''), title: driftText(s.drift) },
          s.drift.in_sync + '/' + s.drift.total)
        : null,
      h('span', { class: 'badge' }, 'v' + s.version)))));
  $('service-list-empty').hidden = list.children.length > 0;
}

// ---- one service ---------------------------------------------------------------------------------------------

async function openService(name, keepPane) {
  if (!name) return;
  state.service = name;
  state.dirty = false;
  const [current, schema] = await Promise.all([
    api('GET', '/api/services/' + encodeURIComponent(name)),
    api('GET', '/api/schemas/' + encodeURIComponent(name)),
  ]);
  $('service').hidden = false;
  $('service-none').hidden = true;
  $('service-name').textContent = name;
  state.schema = schema.ok ? schema.json : null;
  editor.setSchema(state.schema);
  if (current.ok) {
    state.version = current.json.version;
    state.config = current.json.config;
    $('service-version').textContent = 'v' + current.json.version;
    $('service-meta').replaceChildren('updated ', timeEl(current.json.updated_at), ' by ' + current.json.updated_by);
  } else {
    state.version = 0;
    state.config = null;
    $('service-version').textContent = 'new';
    $('service-meta').textContent = 'no config yet: write one and save it as version 1';
  }
  editor.load(JSON.stringify(state.config || {}, null, 2));
  $('save-result').textContent = '';
  renderServiceList();
  const fields = formFields(state.schema);
  $('subtab-form').disabled = !fields;
  $('subtab-form').title = fields ? '' : 'no schema with simple fields for this service: use the JSON editor';
  if (fields) renderForm($('config-form'), fields, state.config);
  showPane(keepPane && !(state.pane === 'form' && !fields) ? state.pane : 'editor');
}

function showPane(pane) {
  state.pane = pane;
  for (const b of document.querySelectorAll('#service-tabs [role=tab]')) {
    const active = b.dataset.pane === pane;
    b.classList.toggle('active', active);
    b.setAttribute('aria-selected', active);
  }
  for (const p of ['editor', 'form', 'history', 'drift']) $('pane-' + p).hidden = p !== pane;
  if (pane === 'history') loadHistory();
  if (pane === 'drift') loadDrift();
}

async function validate(text) {
  if (!state.service) return [];
  const result = await api('POST', '/api/services/' + encodeURIComponent(state.service) + '/validate', text);
  const error = result.ok ? (result.json.valid ? null : result.json.error) : result.json && result.json.error;
  if (!error) return [];
  return error.details && error.details.length ? error.details : [{ path: '', message: error.message }];
}

function showProblems(problems) {
  $('editor-errors').replaceChildren(...problems.map((p) => h('li', {}, (p.path || '/') + ': ' + p.message)));
  $('save').disabled = problems.length > 0;
}

async function save(body) {
  const text = body !== undefined ? body : editor.text();
  const result = await api('PUT', '/api/services/' + encodeURIComponent(state.service), text, state.version);
  const target = state.pane === 'form' ? $('form-result') : $('save-result');
  if (!result.ok) {
    target.textContent = errorText(result);
    target.dataset.state = 'bad';
    if (state.pane === 'form') markFormErrors(result.json && result.json.error);
    return;
  }
  state.dirty = false;
  const message = result.json.noop ? 'unchanged' : 'saved as version ' + result.json.version;
  await openService(state.service, true);
  target.textContent = message;
  target.dataset.state = 'ok';
}

function markFormErrors(error) {
  for (const e of document.querySelectorAll('.field-error')) e.textContent = '';
  for (const d of (error && error.details) || []) {
    const field = $('field-' + (d.path || '').split('/')[1] + '-error');
    if (field) field.textContent = d.message;
  }
}

function saveForm(event) {
  event.preventDefault();
  const fields = formFields(state.schema);
  save(JSON.stringify(readForm($('config-form'), fields, state.config), null, 2));
}

async function loadHistory() {
  const result = await api('GET', '/api/services/' + encodeURIComponent(state.service) + '/history');
  state.history = result.ok ? result.json : [];
  const body = h('tbody', {}, state.history.map((v, i) => {
    const before = state.history[i + 1];
    return h('tr', { dataset: { version: v.version } },
      h('td', { class: 'num' }, 'v' + v.version),
      h('td', {}, h('span', { class: 'change ' + v.change }, v.change)),
      h('td', {}, v.updated_by),
      h('td', {}, timeEl(v.updated_at)),
      h('td', { class: 'row-actions' },
        before ? h('button', { type: 'button', class: 'diff', onclick: () => showDiff(before, v) }, 'diff') : null,
        !v.deleted && v.version !== state.version
          ? h('button', { type: 'button', class: 'roll-back', onclick: () => confirmRollback(v) }, 'roll back…') : null));
  }));
  $('history').tBodies[0].replaceWith(body);
  $('history-empty').hidden = state.history.length > 0;
}

function showDiff(from, to) {
  $('diff').hidden = false;
  $('diff-title').textContent = 'v' + from.version + ' → v' + to.version;
  $('diff-view').replaceChildren(diffTable(from.config, to.config, 'v' + from.version, 'v' + to.version));
}

function confirmRollback(target) {
  const current = state.history.find((v) => v.version === state.version);
  $('confirm-title').textContent = 'Roll ' + state.service + ' back to v' + target.version + '?';
  $('confirm-text').textContent = 'Version ' + target.version + "'s config becomes a new version, after v" + state.version
    + '. This is what changes:';
  $('confirm-diff').replaceChildren(diffTable(current ? current.config : null, target.config,
    'now (v' + state.version + ')', 'after (v' + target.version + "'s config)"));
  const shown = state.version; // the version the diff was made against: the rollback applies only over it
  $('confirm-ok').onclick = async () => {
    $('confirm').close();
    const result = await api('POST', '/api/services/' + encodeURIComponent(state.service) + '/rollback',
      JSON.stringify({ to_version: target.version }), shown);
    await openService(state.service, true);
    $('history-result').textContent = result.ok
      ? 'rolled back to v' + target.version + ' as version ' + result.json.version : errorText(result);
  };
  $('confirm').showModal();
  $('confirm-cancel').focus();
}

// ---- clients -------------------------------------------------------------------------------------------------

async function refreshClients() {
  const clients = await api('GET', '/api/clients');
  if (!clients.ok) return;
  state.clients = clients.json;
  renderClients();
  renderOverview();
}

function stateOf(c) {
  return c.stale ? 'unknown' : c.online ? 'online' : 'offline';
}

function renderClients() {
  const q = state.clientQuery;
  const search = q.search.toLowerCase();
  let rows = state.clients.filter((c) => (!q.state || stateOf(c) === q.state)
    && (!search || [c.client_id, c.node, c.event, c.err].some((v) => v && String(v).toLowerCase().includes(search))));
  const key = (c) => (q.sort === 'state' ? stateOf(c) : q.sort === 'timestamp' ? String(c.timestamp || 0).padStart(20, '0') : String(c[q.sort] ?? ''));
  rows.sort((a, b) => collator.compare(key(a), key(b)) * (q.descending ? -1 : 1));
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  q.page = Math.min(q.page, pages - 1);
  const shown = rows.slice(q.page * PAGE, (q.page + 1) * PAGE);
  const body = h('tbody', {}, shown.map((c) => h('tr', { dataset: { client: c.client_id } },
    h('td', { class: 'client-id' }, c.client_id),
    h('td', {}, h('span', { class: 'state ' + stateOf(c) }, stateOf(c) === 'unknown' ? 'unknown (broker silent)' : stateOf(c))),
    h('td', {}, c.node || ''),
    h('td', {}, text(c.event) + (c.err ? ' (' + text(c.err) + ')' : '')),
    h('td', {}, timeEl(c.timestamp)),
    // only this broker can forget its own clients: another broker's rows are its to forget
    h('td', { class: 'row-actions' }, stateOf(c) === 'offline' && (!c.node || !state.status || c.node === state.status.node)
      ? h('button', { type: 'button', class: 'forget', title: 'remove its health and this row (admin)', onclick: () => forgetClient(c.client_id) }, 'forget')
      : null))));
  $('clients').tBodies[0].replaceWith(body);
  for (const th of document.querySelectorAll('#clients th[data-sort]')) {
    th.setAttribute('aria-sort', th.dataset.sort === q.sort ? (q.descending ? 'descending' : 'ascending') : 'none');
  }
  $('client-count').textContent = rows.length + ' of ' + state.clients.length + ' client(s)';
  $('page-info').textContent = 'page ' + (q.page + 1) + ' of ' + pages;
  $('page-prev').disabled = q.page === 0;
  $('page-next').disabled = q.page >= pages - 1;
  $('clients-empty').hidden = rows.length > 0;
  $('clients-empty').textContent = state.clients.length ? 'No client matches.' : 'No clients yet: each client that connects to the broker shows up here with its health.';
}

async function forgetClient(id) {
  $('confirm-title').textContent = 'Forget ' + id + '?';
  $('confirm-text').textContent = 'Its retained health and this row are removed; it comes back when it connects again.';
  $('confirm-diff').replaceChildren();
  $('confirm-ok').textContent = 'Forget';
  $('confirm-ok').onclick = async () => {
    $('confirm').close();
    const r = await api('DELETE', '/api/clients/' + encodeURIComponent(id));
    if (!r.ok) { $('clients-result').textContent = errorText(r); return; }
    state.clients = state.clients.filter((c) => c.client_id !== id);
    renderClients();
  };
  $('confirm').showModal();
}

// ---- audit ---------------------------------------------------------------------------------------------------

async function loadAudit(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams();
  if ($('audit-service').value) params.set('service', $('audit-service').value.trim());
  if ($('audit-outcome').value) params.set('outcome', $('audit-outcome').value);
  const audit = await api('GET', '/api/audit?' + params);
  const rows = audit.ok ? audit.json : [];
  $('audit').tBodies[0].replaceWith(h('tbody', {}, rows.map((a) => h('tr', {},
    h('td', {}, timeEl(a.at)), h('td', {}, a.service), h('td', {}, a.action), h('td', {}, a.requester),
    h('td', {}, h('span', { class: 'outcome ' + a.outcome }, a.outcome)), h('td', { class: 'num' }, a.version ?? ''),
    h('td', {}, a.error_code ? a.error_code + ': ' + a.message : '')))));
  $('audit-empty').hidden = rows.length > 0;
}

// ---- start ---------------------------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  applyTheme(initialTheme());
  $('theme').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('cm-theme', next);
    applyTheme(next);
  });
  editor = createEditor($('editor'), {
    validate,
    onChange: () => { state.dirty = true; $('save-result').textContent = ''; },
    onSave: () => { if (!$('save').disabled) save(); },
    onProblems: showProblems,
  });
  $('signin-form').addEventListener('submit', signIn);
  $('save').addEventListener('click', () => save());
  $('config-form').addEventListener('submit', saveForm);
  $('config-form').addEventListener('input', () => { state.dirty = true; });
  $('audit-filter').addEventListener('submit', loadAudit);
  $('service-filter').addEventListener('input', renderServiceList);
  $('new-service').addEventListener('submit', (e) => { e.preventDefault(); openService($('new-service-name').value.trim()); });
  $('confirm-cancel').addEventListener('click', () => $('confirm').close());
  $('confirm').addEventListener('close', () => { $('confirm-ok').textContent = 'Roll back'; });
  for (const b of document.querySelectorAll('#tabs [role=tab]')) b.addEventListener('click', () => show(b.dataset.view));
  $('tabs').addEventListener('keydown', tabKeys);
  for (const b of document.querySelectorAll('#service-tabs [role=tab]')) b.addEventListener('click', () => showPane(b.dataset.pane));
  $('client-search').addEventListener('input', (e) => { state.clientQuery.search = e.target.value; state.clientQuery.page = 0; renderClients(); });
  $('client-state').addEventListener('change', (e) => { state.clientQuery.state = e.target.value; state.clientQuery.page = 0; renderClients(); });
  $('page-prev').addEventListener('click', () => { state.clientQuery.page--; renderClients(); });
  $('page-next').addEventListener('click', () => { state.clientQuery.page++; renderClients(); });
  for (const th of document.querySelectorAll('#clients th[data-sort]')) {
    const sort = () => {
      const q = state.clientQuery;
      q.descending = q.sort === th.dataset.sort ? !q.descending : false;
      q.sort = th.dataset.sort;
      renderClients();
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
  }
  document.addEventListener('keydown', (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) || document.activeElement.closest('.cm-editor');
    if (e.key === '/' && !typing && state.view === 'clients') { e.preventDefault(); $('client-search').focus(); }
  });
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  startTicker();
  signIn(); // a stored token, or a console without tokens, opens at once; otherwise the form
});
