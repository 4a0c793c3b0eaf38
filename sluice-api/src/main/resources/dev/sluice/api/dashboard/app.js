// The dashboard's entry point: polls the admin API about once a second (events incrementally, with
// `since`; the rolling restart, running or last), renders what it gets, and says plainly when the cluster cannot be reached or the token is
// refused. `?poll=<ms>` changes the polling period (250 ms to 60 s).

import * as api from './api.js';
import {
  appendEvents, clearEvents, renderClients, renderDrainGroups, renderDrains, renderMap, renderRollout, renderSummary, renderThrottles, renderWorkers,
  serverNow, time,
} from './view.js';
import { initDialogs, openActionDialog, openDrainDialog, openMaintenanceDialog, openRolloutDialog } from './dialogs.js';

const POLL_DEFAULT_MS = 1000;
const POLL_MIN_MS = 250;
const POLL_MAX_MS = 60_000;
/** Events fetched when the page opens; later polls fetch only newer ones, at most a page at a time. */
const EVENTS_FIRST = 50;
const EVENTS_PAGE = 200;
/** How long a success notice stays up. */
const NOTICE_MS = 10_000;

const pollMs = (() => {
  const asked = Number(new URLSearchParams(window.location.search).get('poll'));
  return Number.isFinite(asked) && asked > 0 ? Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, asked)) : POLL_DEFAULT_MS;
})();

const status = {
  /** What the stored token may do, as GET /api/v1/credential said; null until known, or when the node does not say. */
  credential: null,
  /** Whether the last poll was refused for its token (401), which the next successful one undoes. */
  readRefused: false,
  nodes: [],
  rollout: null,
  eventsLast: null,
  lastSuccess: null,
  failingSince: null,
  failures: 0,
  timer: null,
  inFlight: false,
  again: false,
};

// ------------------------------------------------------------------ banners

function showUnreachable(error) {
  status.failures++;
  status.failingSince ??= new Date();
  const banner = document.getElementById('unreachable-banner');
  let what;
  if (error instanceof api.ApiError && error.unreachable) {
    what = `Cannot reach the cluster through ${window.location.host}: ${error.message}.`;
  } else if (error instanceof api.ApiError && error.status === 503) {
    what = `The node answers, but the cluster's metadata store does not: ${error.message}.`;
  } else if (error instanceof api.ApiError) {
    what = `The node answered ${error.status}: ${error.message}.`;
  } else {
    what = `The dashboard could not read the cluster: ${error.message}.`;
  }
  const since = `Failing since ${time(status.failingSince.toISOString())} (${status.failures} attempt${status.failures === 1 ? '' : 's'}); retrying every ${pollMs / 1000} s.`;
  const stale = status.lastSuccess ? ` What you see is from ${time(status.lastSuccess.toISOString())} and is not updating.` : '';
  banner.textContent = `${what} ${since}${stale}`;
  banner.hidden = false;
  document.body.classList.add('stale');
  document.getElementById('last-updated').textContent = status.lastSuccess ? `stale since ${time(status.lastSuccess.toISOString())}` : 'unreachable';
}

function showReachable() {
  status.failures = 0;
  status.failingSince = null;
  status.lastSuccess = new Date();
  document.getElementById('unreachable-banner').hidden = true;
  document.body.classList.remove('stale');
  document.getElementById('last-updated').textContent = `updated ${time(status.lastSuccess.toISOString())}`;
}

function showUnauthorized(message) {
  const banner = document.getElementById('auth-banner');
  banner.textContent = `The cluster refused the request: ${message}. Enter the token (a local cluster writes it to `
    + '<data-dir>/token) in the dialog or at the top right, or open the page as …/#token=<token>.';
  banner.hidden = false;
}

let noticeTimer = null;

function notify(message) {
  const notice = document.getElementById('notice');
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    notice.hidden = true;
  }, NOTICE_MS);
}

// ------------------------------------------------------------------ polling

async function poll() {
  status.inFlight = true;
  let answers;
  try {
    answers = await Promise.all([
      api.cluster(),
      api.nodes(),
      api.partitions(),
      api.events(status.eventsLast, status.eventsLast === null ? EVENTS_FIRST : EVENTS_PAGE),
      api.currentRollout(),
      api.drainGroups(),
      api.settings(),
    ]);
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) {
      // Reading needs the token too when the cluster checks credentials.
      status.readRefused = true;
      showUnauthorized(error.message);
      showCredential(null, error.message);
    } else {
      showUnreachable(error);
    }
  }
  if (answers) {
    showReachable();
    if (status.readRefused) {
      // The banner a refused read put up goes once reads work again; one a refused change put up stays.
      status.readRefused = false;
      document.getElementById('auth-banner').hidden = true;
    }
    try {
      render(...answers);
    } catch (error) {
      // A rendering bug is not an unreachable cluster; say so, and keep polling.
      console.error(error);
      notify(`The dashboard failed to show the latest state: ${error.message}`);
    }
  }
  status.inFlight = false;
  schedule(status.again ? 0 : pollMs);
  status.again = false;
}

function schedule(delayMs) {
  clearTimeout(status.timer);
  status.timer = setTimeout(poll, delayMs);
}

/** Polls at once (after an action), or right after the poll in flight. */
function pollNow() {
  if (status.inFlight) {
    status.again = true;
  } else {
    schedule(0);
  }
}

function render(cluster, nodes, partitions, events, rollout, groups, settings) {
  status.nodes = nodes;
  status.rollout = rollout;
  renderSummary(cluster, nodes);
  renderWorkers(nodes, onAction, serverNow(cluster));
  renderClients(cluster);
  renderDrainGroups(groups, serverNow(cluster));
  renderDrains(cluster, nodes);
  renderRollout(rollout, cluster);
  renderThrottles(settings);
  renderMap(partitions, nodes, (kind, partition, nodeId) => openActionDialog(kind, { ...partition, pinTo: nodeId }));
  const mapNote = document.getElementById('map-note');
  mapNote.hidden = (cluster.partitions ?? 0) <= partitions.length;
  mapNote.textContent = mapNote.hidden ? '' : `The first ${partitions.length} of ${cluster.partitions} partitions.`;
  if (status.eventsLast !== null && events.last < status.eventsLast) {
    // The log restarted (a new cluster behind the same address): start the list again.
    clearEvents();
  }
  appendEvents(events.events ?? []);
  status.eventsLast = events.last;
  applyPermissions();
}

// ------------------------------------------------------------------ what the token may do

/** Asks which credential the stored token is, and shows and applies what it may do. */
async function refreshCredential() {
  try {
    status.credential = await api.credential();
    showCredential(status.credential, null);
  } catch (error) {
    status.credential = null;
    showCredential(null, error instanceof api.ApiError && error.status === 401 ? error.message : null);
  }
  applyPermissions();
}

const may = (scope) => status.credential === null || (status.credential.grants ?? []).includes(scope);

/** Why the stored credential may not do what `scope` allows, for a disabled button's tooltip. */
function refusedBecause(scope) {
  const held = status.credential;
  return `Credential ${held.name} (${(held.scopes ?? []).join(', ')}) may not do this: it needs the ${scope} scope. Enter another token at the top right.`;
}

function showCredential(held, refused) {
  const label = document.getElementById('credential-status');
  if (refused) {
    label.textContent = 'token refused';
    label.title = refused;
  } else if (held === null) {
    label.textContent = '';
    label.title = '';
  } else if (!held.checked) {
    label.textContent = 'no credentials checked';
    label.title = 'This cluster checks no credentials: the dashboard may do everything.';
  } else {
    const grants = held.grants ?? [];
    const what = grants.includes('admin') ? 'may do everything, forced changes too'
      : grants.includes('operate') ? 'may drain, maintain and restart; not force'
        : grants.includes('read') ? 'read only: changes are disabled' : 'may not read the cluster';
    label.textContent = `${held.name}: ${what}`;
    label.title = `credential ${held.name}, scopes: ${(held.scopes ?? []).join(', ')}; may use: ${grants.join(', ')}`;
  }
  document.body.dataset.credential = held?.name ?? '';
}

/**
 * Disables what the stored credential may not do, with the reason as the tooltip: every change needs operate, and
 * forcing one needs admin. The server checks again; this spares the operator a refused click.
 */
function applyPermissions() {
  const operate = may('operate');
  const admin = may('admin');
  const buttons = [...document.querySelectorAll('.card-actions button.action'),
    document.getElementById('rollout-start'), document.getElementById('rollout-cancel')];
  for (const button of buttons) {
    if (!button) {
      continue;
    }
    // Removal cannot be undone: the server asks for admin, and so does the button.
    const needed = button.dataset.action === 'remove' ? 'admin' : 'operate';
    const allowed = needed === 'admin' ? admin : operate;
    button.disabled = !allowed;
    button.title = allowed ? '' : refusedBecause(needed);
  }
  for (const id of ['drain-force', 'maintenance-force', 'action-force']) {
    const box = document.getElementById(id);
    if (box) {
      box.disabled = !admin;
      box.closest('label')?.setAttribute('title', admin ? '' : refusedBecause('admin'));
    }
  }
}

function onAction(action, nodeId) {
  if (action === 'drain') {
    openDrainDialog(nodeId);
    return;
  }
  const node = status.nodes.find((n) => n.id === nodeId);
  if (node && action === 'maintenance') {
    openMaintenanceDialog(node);
  } else if (node) {
    openActionDialog(action, node);
  }
}

function initRolloutButtons() {
  document.getElementById('rollout-start').addEventListener('click', () => openRolloutDialog(status.nodes));
  document.getElementById('rollout-cancel').addEventListener('click', () => {
    if (status.rollout?.state === 'running') {
      openActionDialog('cancel-rollout', status.rollout);
    }
  });
}

// ------------------------------------------------------------------ token

function initToken() {
  const input = document.getElementById('token-input');
  const label = document.getElementById('token-status');
  const show = (text) => {
    label.textContent = text;
  };
  const fromFragment = api.adoptTokenFromFragment();
  input.value = api.storedToken();
  show(fromFragment ? 'token taken from the link and saved' : input.value ? 'token saved' : 'no token');
  // A #token=… link opened in a tab that already shows the dashboard changes only the fragment: the page is not
  // loaded again, so the token is taken here too, or the tab would go on with the one it had.
  window.addEventListener('hashchange', () => {
    if (api.adoptTokenFromFragment()) {
      input.value = api.storedToken();
      show('token taken from the link and saved');
      document.getElementById('auth-banner').hidden = true;
      refreshCredential();
      pollNow();
    }
  });
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const saved = api.storeToken(input.value.trim());
    show(!saved ? 'cannot save: local storage is blocked' : input.value.trim() ? 'token saved' : 'token cleared');
    document.getElementById('auth-banner').hidden = true;
    refreshCredential();
    pollNow();
  });
}

// ------------------------------------------------------------------ start

initToken();
initRolloutButtons();
initDialogs({
  onChanged: (message) => {
    document.getElementById('auth-banner').hidden = true;
    notify(message);
    pollNow();
  },
  onUnauthorized: showUnauthorized,
  nodeName: (id) => status.nodes.find((n) => n.id === id)?.name,
  onTokenSaved: () => {
    document.getElementById('token-input').value = api.storedToken();
    document.getElementById('token-status').textContent = 'token saved';
    document.getElementById('auth-banner').hidden = true;
    refreshCredential();
  },
});
refreshCredential();
poll();
