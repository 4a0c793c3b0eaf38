// The two dialogs that change a worker's state. The drain dialog asks the server for a dry-run first and
// shows its plan (moves, leadership changes, blocking partitions); every dialog asks for a reason and an
// explicit confirmation, sends the request with the token, and shows a refusal with the server's words.

import * as api from './api.js';
import { h } from './view.js';

let hooks = { onChanged: () => {}, onUnauthorized: () => {}, onTokenSaved: () => {}, nodeName: () => undefined };

/**
 * Wires the dialogs. `onChanged(message)` runs after a state change the server accepted,
 * `onUnauthorized(message)` after a 401, and `onTokenSaved()` after a token typed into a dialog was saved;
 * `nodeName(id)` gives a node's name, so that plans name nodes as every other surface does: `N3 (worker-3)`.
 */
export function initDialogs(callbacks) {
  hooks = { ...hooks, ...callbacks };
  initDrainDialog();
  initActionDialog();
}

function byId(id) {
  return document.getElementById(id);
}

/**
 * A modal dialog makes the rest of the page inert, so the header's token field cannot be reached while
 * one is open: after a 401 the dialog shows its own token field.
 */
function revealToken(prefix) {
  const input = byId(`${prefix}-token`);
  byId(`${prefix}-token-row`).hidden = false;
  input.value = api.storedToken();
  input.focus();
  input.select();
}

/** Saves the token typed into the dialog, if its field is showing and filled in. */
function adoptDialogToken(prefix) {
  if (byId(`${prefix}-token-row`).hidden) {
    return;
  }
  const token = byId(`${prefix}-token`).value.trim();
  if (token && token !== api.storedToken()) {
    api.storeToken(token);
    hooks.onTokenSaved();
  }
}

function hideToken(prefix) {
  byId(`${prefix}-token-row`).hidden = true;
  byId(`${prefix}-token`).value = '';
}

/** The words a failed request deserves, for the dialog's error line. */
function describeFailure(error) {
  if (!(error instanceof api.ApiError)) {
    return `the dashboard failed: ${error.message}`;
  }
  if (error.unreachable) {
    return `The cluster is unreachable: ${error.message}. Nothing was changed.`;
  }
  if (error.status === 401) {
    hooks.onUnauthorized(error.message);
    return `Not authorised: ${error.message}. Enter the cluster's token below and try again.`;
  }
  if (error.status === 409 && error.body) {
    const refusal = error.body;
    const allowed = (refusal.allowed ?? []).join(', ') || 'none';
    const forced = (refusal.allowedWithForce ?? []).filter((s) => !(refusal.allowed ?? []).includes(s)).join(', ');
    return `Refused (${refusal.kind ?? 'refused'}): ${refusal.message}`
      + (refusal.current ? ` — now ${refusal.current}; allowed next: ${allowed}` + (forced ? `; with force: ${forced}` : '') : '');
  }
  return `The server answered ${error.status}: ${error.message}`;
}

function showError(element, text) {
  element.textContent = text ?? '';
  element.hidden = !text;
}

function blockingItems(list) {
  return list.map((b) => h('li', { data: { partition: b.partition } },
    h('b', { text: b.partition }), ' ', h('code', { text: b.reason ?? '' }), ': ', b.message ?? ''));
}

// ------------------------------------------------------------------ drain

const drain = { node: null, plan: null, request: 0, busy: false };

function initDrainDialog() {
  const dialog = byId('drain-dialog');
  byId('drain-reason').addEventListener('input', updateDrainConfirm);
  byId('drain-force').addEventListener('change', updateDrainConfirm);
  byId('drain-cancel').addEventListener('click', () => dialog.close('cancel'));
  byId('drain-form').addEventListener('submit', (event) => {
    event.preventDefault();
    adoptDialogToken('drain');
    if (drain.plan) {
      confirmDrain();
    } else if (drain.node && dialog.dataset.phase === 'failed') {
      openDrainDialog(drain.node, { keepToken: true });
    }
  });
  dialog.addEventListener('close', () => {
    drain.request++;
    drain.node = null;
  });
}

function updateDrainConfirm() {
  const reason = byId('drain-reason').value.trim();
  const plan = drain.plan;
  const forced = byId('drain-force').checked;
  const confirm = byId('drain-confirm');
  if (!plan && byId('drain-dialog').dataset.phase === 'failed') {
    // No plan yet (a refused token, say): the button asks for it again.
    confirm.disabled = drain.busy;
    confirm.textContent = 'Ask for the plan again';
    return;
  }
  confirm.disabled = drain.busy || !plan || reason.length === 0 || !(plan.allowed || forced);
  confirm.textContent = plan && !plan.allowed ? 'Drain with force' : 'Drain';
}

/** Opens the drain dialog for `nodeId` and asks the server for the dry-run plan. */
export async function openDrainDialog(nodeId, { keepToken = false } = {}) {
  const dialog = byId('drain-dialog');
  const request = ++drain.request;
  drain.node = nodeId;
  drain.plan = null;
  drain.busy = false;
  byId('drain-title').textContent = `Drain ${nodeId}?`;
  byId('drain-verdict').textContent = 'Asking the server for a dry-run plan…';
  byId('drain-verdict').className = 'verdict';
  byId('drain-blocking').hidden = true;
  byId('drain-moves').tBodies[0].replaceChildren();
  byId('drain-leaders').tBodies[0].replaceChildren();
  byId('drain-moves-count').textContent = '';
  byId('drain-leaders-count').textContent = '';
  byId('drain-per-worker').textContent = '';
  byId('drain-warnings').replaceChildren();
  byId('drain-reason').value = '';
  byId('drain-force').checked = false;
  byId('drain-force-label').hidden = true;
  if (!keepToken) {
    hideToken('drain');
  }
  showError(byId('drain-error'), null);
  dialog.dataset.node = nodeId;
  dialog.dataset.phase = 'planning';
  updateDrainConfirm();
  if (!dialog.open) {
    dialog.showModal();
  }
  try {
    const plan = await api.requestState(nodeId, { state: 'draining', dryRun: true });
    if (request !== drain.request) {
      return;
    }
    showPlan(nodeId, plan);
  } catch (error) {
    if (request !== drain.request) {
      return;
    }
    byId('drain-verdict').textContent = 'No dry-run plan: the server did not give one.';
    byId('drain-verdict').className = 'verdict bad';
    dialog.dataset.phase = 'failed';
    showError(byId('drain-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('drain');
    }
    updateDrainConfirm();
    return;
  }
  byId('drain-reason').focus();
}

/** `N3 (worker-3)`: ids follow registration order, names are what operators know. */
function nodeLabel(id) {
  const name = id ? hooks.nodeName(id) : undefined;
  return name ? `${id} (${name})` : id;
}

function showPlan(nodeId, plan) {
  drain.plan = plan;
  hideToken('drain');
  const dialog = byId('drain-dialog');
  const node = plan.node ?? {};
  byId('drain-title').textContent = `Drain ${nodeId}${node.name ? ' (' + node.name + ')' : ''}?`;
  const moves = plan.moves ?? [];
  const leaders = plan.leadershipChanges ?? [];
  const verdict = byId('drain-verdict');
  if (plan.allowed) {
    verdict.textContent = `Allowed: every replica has a target. ${moves.length} replica move${moves.length === 1 ? '' : 's'} and `
      + `${leaders.length} leadership change${leaders.length === 1 ? '' : 's'}, leaderships first; nothing is written until you confirm.`;
    verdict.className = 'verdict good';
  } else {
    verdict.textContent = `Would be refused: ${plan.refusal?.message ?? 'the server gave no reason'}`;
    verdict.className = 'verdict bad';
    byId('drain-force-label').hidden = false;
  }
  const blocking = plan.refusal?.blocking?.length ? plan.refusal.blocking : (plan.violations ?? []);
  byId('drain-blocking').hidden = blocking.length === 0;
  byId('drain-blocking').querySelector('ul').replaceChildren(...blockingItems(blocking));

  const row = (change, testid) => h('tr', { 'data-testid': testid, data: { partition: change.partition } },
    h('td', { text: change.partition }), h('td', { text: nodeLabel(change.from) ?? '—' }), h('td', { text: nodeLabel(change.to) ?? '—' }));
  byId('drain-moves').tBodies[0].replaceChildren(...moves.map((m) => row(m, 'dry-run-move')));
  byId('drain-leaders').tBodies[0].replaceChildren(...leaders.map((l) => row(l, 'dry-run-leader')));
  byId('drain-moves-count').textContent = `(${moves.length})`;
  byId('drain-leaders-count').textContent = `(${leaders.length})`;
  const perWorker = Object.entries(plan.replicasPerWorker ?? {}).map(([worker, count]) => `${nodeLabel(worker)} ${count}`).join(' · ');
  byId('drain-per-worker').textContent = perWorker || '—';
  byId('drain-warnings').replaceChildren(...(plan.warnings ?? []).map((w) => h('li', { text: w })));
  dialog.dataset.phase = 'planned';
  dialog.dataset.allowed = String(Boolean(plan.allowed));
  updateDrainConfirm();
}

async function confirmDrain() {
  const nodeId = drain.node;
  if (!nodeId || !drain.plan || drain.busy) {
    return;
  }
  const request = drain.request;
  const reason = byId('drain-reason').value.trim();
  const force = byId('drain-force').checked;
  drain.busy = true;
  updateDrainConfirm();
  showError(byId('drain-error'), null);
  byId('drain-dialog').dataset.phase = 'sending';
  try {
    const answer = await api.requestState(nodeId, { state: 'draining', reason, force });
    if (request !== drain.request) {
      return;
    }
    byId('drain-dialog').close('done');
    hooks.onChanged(`${nodeId} is draining` + (answer.changed === false ? ' (it already was)' : '')
      + ((answer.warnings ?? []).length ? ` — ${answer.warnings.join('; ')}` : ''));
  } catch (error) {
    if (request !== drain.request) {
      return;
    }
    byId('drain-dialog').dataset.phase = 'refused';
    showError(byId('drain-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('drain');
    }
    if (error instanceof api.ApiError && error.status === 409 && error.body?.blocking?.length) {
      byId('drain-blocking').hidden = false;
      byId('drain-blocking').querySelector('ul').replaceChildren(...blockingItems(error.body.blocking));
    }
  } finally {
    if (request === drain.request) {
      drain.busy = false;
      updateDrainConfirm();
    }
  }
}

// ------------------------------------------------------------------ activate, disable, cancel drain

const action = { node: null, kind: null, target: null, request: 0, busy: false };

/** What each action asks for and what the operator should know before confirming, by current state. */
function describeAction(kind, node) {
  const id = node.id;
  switch (kind) {
    case 'cancel-drain':
      return {
        target: 'active', title: `Cancel the drain of ${id}?`,
        text: `${id} goes back to active: moves in flight finish or roll back cleanly, and it may receive replicas again.`,
        force: null,
      };
    case 'activate':
      return node.state === 'provisioning'
        ? {
          target: 'active', title: `Activate ${id} now?`,
          text: `${id} activates itself once its warm-up checks pass. An operator may activate it early only with force, skipping them.`,
          force: 'skip the warm-up checks (force)',
        }
        : {
          target: 'active', title: `Recommission ${id}?`,
          text: `${id} becomes active and may receive replicas again. It must be alive` + (node.alive ? '.' : ', and it is not running now.'),
          force: null,
        };
    case 'disable':
      switch (node.state) {
        case 'active':
          return {
            target: 'disabled', title: `Disable ${id} without draining?`,
            text: `Drain first: disabling an active worker takes its ${node.replicas ?? 0} replicas out of their partitions at once, `
              + 'leaving them under-replicated until the controller replaces them. The server allows it only with force.',
            force: `disable now and lose ${node.replicas ?? 0} replicas (force)`,
          };
        case 'draining':
          return {
            target: 'disabled', title: `Disable ${id} before its drain finishes?`,
            text: `The controller disables ${id} by itself once it holds nothing. It still holds ${node.replicas ?? 0} replicas; `
              + 'disabling it now needs force and drops them.',
            force: `disable now and drop ${node.replicas ?? 0} replicas (force)`,
          };
        default:
          return {
            target: 'disabled', title: `Disable ${id}?`,
            text: `${id} holds no replica; it will receive none while disabled.`, force: null,
          };
      }
    default:
      throw new Error(`BUG: unknown action ${kind}`);
  }
}

function initActionDialog() {
  const dialog = byId('action-dialog');
  byId('action-reason').addEventListener('input', updateActionConfirm);
  byId('action-force').addEventListener('change', updateActionConfirm);
  byId('action-cancel').addEventListener('click', () => dialog.close('cancel'));
  byId('action-form').addEventListener('submit', (event) => {
    event.preventDefault();
    adoptDialogToken('action');
    confirmAction();
  });
  dialog.addEventListener('close', () => {
    action.request++;
    action.node = null;
  });
}

function updateActionConfirm() {
  const forced = byId('action-force').checked;
  const reason = byId('action-reason').value.trim();
  // A forced change needs a reason: it is the one an auditor will ask about.
  byId('action-confirm').disabled = action.busy || (forced && reason.length === 0);
}

/** Opens the confirmation dialog for activate, disable or cancel-drain on `node` (a node view). */
export function openActionDialog(kind, node) {
  const described = describeAction(kind, node);
  const dialog = byId('action-dialog');
  action.request++;
  action.node = node.id;
  action.kind = kind;
  action.target = described.target;
  action.busy = false;
  dialog.dataset.node = node.id;
  dialog.dataset.action = kind;
  byId('action-title').textContent = described.title;
  byId('action-explanation').textContent = described.text;
  byId('action-reason').value = '';
  byId('action-force').checked = false;
  byId('action-force').closest('label').hidden = !described.force;
  byId('action-force-text').textContent = described.force ?? '';
  byId('action-confirm').textContent = { 'cancel-drain': 'Cancel drain', activate: 'Activate', disable: 'Disable' }[kind];
  hideToken('action');
  showError(byId('action-error'), null);
  updateActionConfirm();
  if (!dialog.open) {
    dialog.showModal();
  }
  byId('action-reason').focus();
}

async function confirmAction() {
  if (!action.node || action.busy) {
    return;
  }
  const { node, kind, target } = action;
  const request = action.request;
  const force = byId('action-force').checked;
  action.busy = true;
  updateActionConfirm();
  showError(byId('action-error'), null);
  try {
    const answer = await api.requestState(node, { state: target, reason: byId('action-reason').value.trim(), force });
    if (request !== action.request) {
      return;
    }
    byId('action-dialog').close('done');
    const verb = { 'cancel-drain': 'drain cancelled', activate: 'now active', disable: 'now disabled' }[kind];
    hooks.onChanged(`${node}: ${verb}` + (answer.changed === false ? ' (no change: it already was)' : '')
      + ((answer.warnings ?? []).length ? ` — ${answer.warnings.join('; ')}` : ''));
  } catch (error) {
    if (request !== action.request) {
      return;
    }
    showError(byId('action-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('action');
    }
    if (error instanceof api.ApiError && error.status === 409 && (error.body?.allowedWithForce ?? []).includes(target)) {
      byId('action-force').closest('label').hidden = false;
      if (!byId('action-force-text').textContent) {
        byId('action-force-text').textContent = 'do it anyway (force)';
      }
    }
  } finally {
    if (request === action.request) {
      action.busy = false;
      updateActionConfirm();
    }
  }
}
