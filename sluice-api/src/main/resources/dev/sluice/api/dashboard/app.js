// The dashboard's entry point: polls the admin API about once a second (events incrementally, with
// `since`; the rolling restart, running or last), renders what it gets, and says plainly when the cluster cannot be reached or the token is
// refused. `?poll=<ms>` changes the polling period (250 ms to 60 s).

import * as api from './api.js';
import {
  appendEvents, clearEvents, renderClients, renderDrains, renderMap, renderRollout, renderSummary, renderWorkers, serverNow, time,
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
    ]);
  } catch (error) {
    showUnreachable(error);
  }
  if (answers) {
    showReachable();
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

function render(cluster, nodes, partitions, events, rollout) {
  status.nodes = nodes;
  status.rollout = rollout;
  renderSummary(cluster, nodes);
  renderWorkers(nodes, onAction, serverNow(cluster));
  renderClients(cluster);
  renderDrains(cluster, nodes);
  renderRollout(rollout, cluster);
  renderMap(partitions, nodes);
  if (status.eventsLast !== null && events.last < status.eventsLast) {
    // The log restarted (a new cluster behind the same address): start the list again.
    clearEvents();
  }
  appendEvents(events.events ?? []);
  status.eventsLast = events.last;
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
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const saved = api.storeToken(input.value.trim());
    show(!saved ? 'cannot save: local storage is blocked' : input.value.trim() ? 'token saved' : 'token cleared');
    document.getElementById('auth-banner').hidden = true;
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
  },
});
poll();
