// The dialogs that change the cluster. The drain, maintenance and rolling-restart dialogs ask the server for a
// dry-run first and show its plan (moves, leadership changes, partitions at risk, the order of the workers); every
// dialog asks for an explicit confirmation (and a reason, when the request records one), sends the request with
// the token, and shows a refusal with the server's words.

import * as api from './api.js';
import { clock, h } from './view.js';

let hooks = { onChanged: () => {}, onUnauthorized: () => {}, onTokenSaved: () => {}, nodeName: () => undefined };

/**
 * Wires the dialogs. `onChanged(message)` runs after a state change the server accepted,
 * `onUnauthorized(message)` after a 401, and `onTokenSaved()` after a token typed into a dialog was saved;
 * `nodeName(id)` gives a node's name, so that plans name nodes as every other surface does: `N3 (worker-3)`.
 */
export function initDialogs(callbacks) {
  hooks = { ...hooks, ...callbacks };
  initDrainDialog();
  initMaintenanceDialog();
  initRolloutDialog();
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
  if (error.status === 409 && error.body && !error.body.kind) {
    // A refused rolling restart: an error code and the server's sentence, no transition to explain.
    return `Refused: ${error.message}`;
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

/** Partition ids as ranges, `P3–P4, P8–P9`, as the server's `BlockingPartition.Group` prints them. */
function partitionRanges(ids) {
  const numbers = [...new Set(ids)].map((id) => Number(/\d+$/.exec(id)?.[0] ?? NaN));
  if (numbers.some(Number.isNaN)) {
    return ids.join(', ');
  }
  numbers.sort((a, b) => a - b);
  const ranges = [];
  for (const n of numbers) {
    const last = ranges.at(-1);
    if (last && n === last[1] + 1) {
      last[1] = n;
    } else {
      ranges.push([n, n]);
    }
  }
  return ranges.map(([from, to]) => (from === to ? `P${from}` : `P${from}–P${to}`)).join(', ');
}

/**
 * Partitions at risk grouped by reason and sentence, largest group first, as the server groups them: a maintenance
 * that puts twelve partitions at risk for one reason reads as one line, not twelve. Each item lists its partitions in
 * `data-partitions`.
 */
function groupedBlockingItems(list) {
  const groups = new Map();
  for (const b of list) {
    const key = `${b.reason ?? ''}\n${b.message ?? ''}`;
    if (!groups.has(key)) {
      groups.set(key, { reason: b.reason ?? '', message: b.message ?? '', partitions: [] });
    }
    groups.get(key).partitions.push(b.partition);
  }
  return [...groups.values()].sort((a, b) => b.partitions.length - a.partitions.length).map((g) => h('li', {
    data: { partitions: g.partitions.join(' ') },
  }, h('b', { text: partitionRanges(g.partitions) }), g.partitions.length > 1 ? ` (${g.partitions.length})` : '', ' ',
  h('code', { text: g.reason }), ': ', g.message));
}

function warningsOf(answer) {
  return (answer.warnings ?? []).length ? ` — ${answer.warnings.join('; ')}` : '';
}

/** A replica move or a leadership change as a plan's table row: partition, from, to, each node named `N3 (worker-3)`. */
function changeRow(change, testid) {
  return h('tr', { 'data-testid': testid, data: { partition: change.partition } },
    h('td', { text: change.partition }), h('td', { text: nodeLabel(change.from) ?? '—' }), h('td', { text: nodeLabel(change.to) ?? '—' }));
}

/** A whole number from a number field, or null when it is empty, fractional or outside [min, max]. */
function wholeNumber(input) {
  const value = Number(input.value);
  return input.value.trim() !== '' && Number.isInteger(value) && value >= Number(input.min) && value <= Number(input.max) ? value : null;
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

  byId('drain-moves').tBodies[0].replaceChildren(...moves.map((m) => changeRow(m, 'dry-run-move')));
  byId('drain-leaders').tBodies[0].replaceChildren(...leaders.map((l) => changeRow(l, 'dry-run-leader')));
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

// ------------------------------------------------------------------ maintenance

const maintenance = { node: null, plan: null, request: 0, busy: false };

function initMaintenanceDialog() {
  const dialog = byId('maintenance-dialog');
  byId('maintenance-reason').addEventListener('input', updateMaintenanceConfirm);
  byId('maintenance-minutes').addEventListener('input', updateMaintenanceConfirm);
  byId('maintenance-force').addEventListener('change', updateMaintenanceConfirm);
  byId('maintenance-cancel').addEventListener('click', () => dialog.close('cancel'));
  byId('maintenance-form').addEventListener('submit', (event) => {
    event.preventDefault();
    adoptDialogToken('maintenance');
    if (maintenance.plan) {
      confirmMaintenance();
    } else if (maintenance.node && dialog.dataset.phase === 'failed') {
      openMaintenanceDialog(maintenance.node, { keepToken: true });
    }
  });
  dialog.addEventListener('close', () => {
    maintenance.request++;
    maintenance.node = null;
  });
}

function updateMaintenanceConfirm() {
  const confirm = byId('maintenance-confirm');
  const plan = maintenance.plan;
  if (!plan && byId('maintenance-dialog').dataset.phase === 'failed') {
    confirm.disabled = maintenance.busy;
    confirm.textContent = 'Ask for the dry-run again';
    return;
  }
  const reason = byId('maintenance-reason').value.trim();
  const forced = byId('maintenance-force').checked;
  const minutes = wholeNumber(byId('maintenance-minutes'));
  confirm.disabled = maintenance.busy || !plan || reason.length === 0 || minutes === null || !(plan.allowed || forced);
  const extending = Boolean(maintenance.node?.maintenance?.active);
  confirm.textContent = plan && !plan.allowed ? 'Begin with force' : extending ? 'Extend maintenance' : 'Begin maintenance';
}

/**
 * Opens the maintenance dialog for `node` (a node view) and asks the server for the dry-run: whether it would
 * begin, the leaderships that would leave the worker, and the pre-check's warnings or partitions at risk. A
 * worker already in maintenance gets it extended: the new time limit and reason, its start kept.
 */
export async function openMaintenanceDialog(node, { keepToken = false } = {}) {
  const dialog = byId('maintenance-dialog');
  const request = ++maintenance.request;
  maintenance.node = node;
  maintenance.plan = null;
  maintenance.busy = false;
  const label = nodeLabel(node.id);
  const extending = Boolean(node.maintenance?.active);
  byId('maintenance-title').textContent = extending ? `Extend the maintenance of ${label}?` : `Maintenance of ${label}?`;
  byId('maintenance-verdict').textContent = 'Asking the server for a dry-run…';
  byId('maintenance-verdict').className = 'verdict';
  byId('maintenance-blocking').hidden = true;
  byId('maintenance-leaders').tBodies[0].replaceChildren();
  byId('maintenance-leaders-count').textContent = '';
  byId('maintenance-warnings').replaceChildren();
  byId('maintenance-minutes').value = byId('maintenance-minutes').defaultValue;
  byId('maintenance-reason').value = extending ? node.maintenance.reason ?? '' : '';
  byId('maintenance-force').checked = false;
  byId('maintenance-force-label').hidden = true;
  if (!keepToken) {
    hideToken('maintenance');
  }
  showError(byId('maintenance-error'), null);
  dialog.dataset.node = node.id;
  dialog.dataset.phase = 'planning';
  delete dialog.dataset.allowed;
  updateMaintenanceConfirm();
  if (!dialog.open) {
    dialog.showModal();
  }
  try {
    const plan = await api.beginMaintenance(node.id, { durationSeconds: wholeNumber(byId('maintenance-minutes')) * 60, dryRun: true });
    if (request !== maintenance.request) {
      return;
    }
    showMaintenancePlan(node, plan);
  } catch (error) {
    if (request !== maintenance.request) {
      return;
    }
    byId('maintenance-verdict').textContent = 'No dry-run: the server did not give one.';
    byId('maintenance-verdict').className = 'verdict bad';
    dialog.dataset.phase = 'failed';
    showError(byId('maintenance-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('maintenance');
    }
    updateMaintenanceConfirm();
    return;
  }
  byId('maintenance-reason').focus();
}

function showMaintenanceBlocking(blocking) {
  byId('maintenance-blocking').hidden = blocking.length === 0;
  byId('maintenance-blocking').querySelector('ul').replaceChildren(...groupedBlockingItems(blocking));
  // Force skips the pre-check and nothing else: it is offered only against partitions at risk.
  byId('maintenance-force-label').hidden = blocking.length === 0;
}

function showMaintenancePlan(node, plan) {
  maintenance.plan = plan;
  hideToken('maintenance');
  const dialog = byId('maintenance-dialog');
  const leaders = plan.leadershipChanges ?? [];
  const verdict = byId('maintenance-verdict');
  if (plan.allowed) {
    verdict.textContent = `Allowed: 0 replica moves and ${leaders.length} leadership change${leaders.length === 1 ? '' : 's'} off `
      + `${nodeLabel(node.id)}. Its replicas stay where they are however long it is away, up to the time limit; `
      + 'nothing is written until you confirm.';
    verdict.className = 'verdict good';
  } else {
    verdict.textContent = `Would be refused: ${plan.refusal?.message ?? 'the server gave no reason'}`;
    verdict.className = 'verdict bad';
  }
  showMaintenanceBlocking(plan.refusal?.blocking ?? []);
  byId('maintenance-leaders').tBodies[0].replaceChildren(...leaders.map((l) => changeRow(l, 'maintenance-leader')));
  byId('maintenance-leaders-count').textContent = `(${leaders.length})`;
  byId('maintenance-warnings').replaceChildren(...(plan.warnings ?? []).map((w) => h('li', { text: w })));
  dialog.dataset.phase = 'planned';
  dialog.dataset.allowed = String(Boolean(plan.allowed));
  updateMaintenanceConfirm();
}

async function confirmMaintenance() {
  const node = maintenance.node;
  const minutes = wholeNumber(byId('maintenance-minutes'));
  if (!node || !maintenance.plan || maintenance.busy || minutes === null) {
    return;
  }
  const request = maintenance.request;
  maintenance.busy = true;
  updateMaintenanceConfirm();
  showError(byId('maintenance-error'), null);
  byId('maintenance-dialog').dataset.phase = 'sending';
  try {
    const answer = await api.beginMaintenance(node.id, {
      durationSeconds: minutes * 60, reason: byId('maintenance-reason').value.trim(), force: byId('maintenance-force').checked,
    });
    if (request !== maintenance.request) {
      return;
    }
    byId('maintenance-dialog').close('done');
    const until = answer.node?.maintenance?.until;
    hooks.onChanged(`${nodeLabel(node.id)} is in maintenance` + (until ? ` until ${clock(until)}` : '')
      + (answer.changed === false ? ' (no change: it already was)' : '') + warningsOf(answer));
  } catch (error) {
    if (request !== maintenance.request) {
      return;
    }
    byId('maintenance-dialog').dataset.phase = 'refused';
    showError(byId('maintenance-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('maintenance');
    }
    if (error instanceof api.ApiError && error.status === 409 && error.body?.blocking?.length) {
      showMaintenanceBlocking(error.body.blocking);
    }
  } finally {
    if (request === maintenance.request) {
      maintenance.busy = false;
      updateMaintenanceConfirm();
    }
  }
}

// ------------------------------------------------------------------ rolling restart

const rollout = { plan: null, request: 0, busy: false };

function initRolloutDialog() {
  const dialog = byId('rollout-dialog');
  byId('rollout-reason').addEventListener('input', updateRolloutConfirm);
  byId('rollout-timeout').addEventListener('input', updateRolloutConfirm);
  byId('rollout-scope').addEventListener('change', () => planRollout());
  byId('rollout-dialog-cancel').addEventListener('click', () => dialog.close('cancel'));
  byId('rollout-form').addEventListener('submit', (event) => {
    event.preventDefault();
    adoptDialogToken('rollout');
    if (rollout.plan) {
      confirmRollout();
    } else if (dialog.dataset.phase === 'failed') {
      planRollout({ keepToken: true });
    }
  });
  dialog.addEventListener('close', () => {
    rollout.request++;
  });
}

/** The request body's selection for the scope chosen: `{}` (every active worker), `{ zone }` or `{ nodes }`. */
function rolloutScope() {
  const [kind, value] = byId('rollout-scope').value.split(/:(.*)/s);
  switch (kind) {
    case 'zone':
      return { zone: value };
    case 'node':
      return { nodes: [value] };
    case 'all':
      return {};
    default:
      throw new Error(`BUG: unknown rollout scope ${kind}`);
  }
}

function updateRolloutConfirm() {
  const confirm = byId('rollout-confirm');
  if (!rollout.plan && byId('rollout-dialog').dataset.phase === 'failed') {
    confirm.disabled = rollout.busy;
    confirm.textContent = 'Ask for the plan again';
    return;
  }
  const reason = byId('rollout-reason').value.trim();
  // Nothing can force a rollout past its pre-check: one the server would refuse cannot be started here either.
  confirm.disabled = rollout.busy || !rollout.plan?.allowed || reason.length === 0 || wholeNumber(byId('rollout-timeout')) === null;
  confirm.textContent = 'Start rolling restart';
}

/**
 * Opens the rolling-restart dialog: the scopes to choose from (every active worker, one zone's, or one worker)
 * from `nodes`, then the server's dry-run for the scope chosen.
 */
export function openRolloutDialog(nodes) {
  const dialog = byId('rollout-dialog');
  const active = nodes.filter((n) => n.state === 'active' && (!Array.isArray(n.roles) || n.roles.length === 0 || n.roles.includes('worker')));
  const zones = new Map();
  for (const node of active) {
    zones.set(node.location, (zones.get(node.location) ?? 0) + 1);
  }
  const scope = byId('rollout-scope');
  const chosen = scope.value;
  scope.replaceChildren(
    h('option', { value: 'all', text: `every active worker (${active.length})` }),
    h('optgroup', { label: 'one zone' }, ...[...zones.entries()].sort().map(([zone, count]) =>
      h('option', { value: `zone:${zone}`, text: `zone ${zone} (${count} active worker${count === 1 ? '' : 's'})` }))),
    h('optgroup', { label: 'one worker' }, ...active.map((n) => h('option', { value: `node:${n.id}`, text: `only ${nodeLabel(n.id)}` }))));
  scope.value = [...scope.options].some((o) => o.value === chosen) ? chosen : 'all';
  byId('rollout-timeout').value = byId('rollout-timeout').defaultValue;
  byId('rollout-reason').value = '';
  hideToken('rollout');
  if (!dialog.open) {
    dialog.showModal();
  }
  planRollout();
}

async function planRollout({ keepToken = false } = {}) {
  const dialog = byId('rollout-dialog');
  const request = ++rollout.request;
  rollout.plan = null;
  rollout.busy = false;
  byId('rollout-verdict').textContent = 'Asking the server for a dry-run plan…';
  byId('rollout-verdict').className = 'verdict';
  byId('rollout-plan').tBodies[0].replaceChildren();
  byId('rollout-warnings').replaceChildren();
  if (!keepToken) {
    hideToken('rollout');
  }
  showError(byId('rollout-error'), null);
  dialog.dataset.phase = 'planning';
  delete dialog.dataset.allowed;
  updateRolloutConfirm();
  const minutes = wholeNumber(byId('rollout-timeout')) ?? Number(byId('rollout-timeout').defaultValue);
  try {
    const plan = await api.startRollout(rolloutScope(), { nodeTimeoutSeconds: minutes * 60, dryRun: true });
    if (request !== rollout.request) {
      return;
    }
    showRolloutPlan(plan);
  } catch (error) {
    if (request !== rollout.request) {
      return;
    }
    byId('rollout-verdict').textContent = 'No dry-run plan: the server did not give one.';
    byId('rollout-verdict').className = 'verdict bad';
    dialog.dataset.phase = 'failed';
    showError(byId('rollout-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('rollout');
    }
    updateRolloutConfirm();
    return;
  }
  byId('rollout-reason').focus();
}

function showRolloutPlan(plan) {
  rollout.plan = plan;
  hideToken('rollout');
  const dialog = byId('rollout-dialog');
  const steps = plan.steps ?? [];
  const label = (step) => (step.name ? `${step.node} (${step.name})` : nodeLabel(step.node));
  const verdict = byId('rollout-verdict');
  if (plan.allowed) {
    verdict.textContent = `Allowed: ${steps.length} worker${steps.length === 1 ? '' : 's'}, one at a time in this order, zone by zone. `
      + 'Each goes into maintenance, hands its leaderships over, shuts down gracefully and comes back; no replica moves. '
      + 'Nothing is written until you confirm.';
    verdict.className = 'verdict good';
  } else {
    const atRisk = steps.filter((step) => (step.blocking ?? []).length > 0);
    verdict.textContent = `Would be refused: partitions would lose their majority while ${atRisk.map(label).join(', ')} `
      + `${atRisk.length === 1 ? 'is' : 'are each'} away (listed below). Bring back the workers that are away first.`;
    verdict.className = 'verdict bad';
  }
  byId('rollout-plan').tBodies[0].replaceChildren(...steps.map((step, index) => {
    const blocking = step.blocking ?? [];
    return h('tr', { 'data-testid': 'rollout-plan-step', data: { node: step.node, atRisk: String(blocking.length) } },
      h('td', { text: String(index + 1) }),
      h('td', { text: label(step) }),
      h('td', { text: step.location ?? '' }),
      h('td', { 'data-testid': 'rollout-plan-leads', text: String(step.leads ?? 0) }),
      h('td', { class: blocking.length ? 'bad' : '' }, blocking.length
        ? h('ul', { class: 'blocking', 'data-testid': 'rollout-plan-blocking' }, ...groupedBlockingItems(blocking))
        : 'none'));
  }));
  // One line per worker: with three replicas over a few zones, a warning per partition would bury the plan.
  byId('rollout-warnings').replaceChildren(...steps.filter((step) => (step.warnings ?? []).length > 0).map((step) => h('li', {
    text: `${label(step)}: ${step.warnings.length} partition${step.warnings.length === 1 ? '' : 's'} left in one zone while it is away `
      + `(${step.warnings.map((w) => w.partition).join(', ')})`,
  })));
  dialog.dataset.phase = 'planned';
  dialog.dataset.allowed = String(Boolean(plan.allowed));
  updateRolloutConfirm();
}

async function confirmRollout() {
  const minutes = wholeNumber(byId('rollout-timeout'));
  if (!rollout.plan || rollout.busy || minutes === null) {
    return;
  }
  const request = rollout.request;
  rollout.busy = true;
  updateRolloutConfirm();
  showError(byId('rollout-error'), null);
  byId('rollout-dialog').dataset.phase = 'sending';
  try {
    const started = await api.startRollout(rolloutScope(), { nodeTimeoutSeconds: minutes * 60, reason: byId('rollout-reason').value.trim() });
    if (request !== rollout.request) {
      return;
    }
    byId('rollout-dialog').close('done');
    hooks.onChanged(`rolling restart ${started.id} started: ${started.total} worker${started.total === 1 ? '' : 's'}, one at a time`);
  } catch (error) {
    if (request !== rollout.request) {
      return;
    }
    byId('rollout-dialog').dataset.phase = 'refused';
    showError(byId('rollout-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('rollout');
    }
  } finally {
    if (request === rollout.request) {
      rollout.busy = false;
      updateRolloutConfirm();
    }
  }
}

// ------------------------------------------------------------------ activate, disable, cancel drain, end maintenance, cancel rollout

const action = { subject: null, kind: null, target: null, send: null, done: null, request: 0, busy: false };

/** A change of worker state: the request it sends and the notice it earns. */
function stateChange(node, target, verb) {
  return {
    target,
    reason: true,
    send: (reason, force) => api.requestState(node.id, { state: target, reason, force }),
    done: (answer) => `${node.id}: ${verb}` + (answer.changed === false ? ' (no change: it already was)' : '') + warningsOf(answer),
  };
}

/**
 * What each action asks for and what the operator should know before confirming, by current state: the title and
 * text, the force checkbox's words (or null), whether it takes a reason (a DELETE has no body to carry one), the
 * confirm button's label, and how to send it.
 */
/** The actions on a partition (from the map) rather than on a node. */
const PARTITION_ACTIONS = ['freeze', 'unfreeze', 'pin-leader', 'unpin'];

function describeAction(kind, subject) {
  switch (kind) {
    case 'cancel-drain': {
      const id = subject.id;
      return {
        ...stateChange(subject, 'active', 'drain cancelled'), title: `Cancel the drain of ${id}?`, confirm: 'Cancel drain',
        text: `${id} goes back to active: moves in flight finish or roll back cleanly, and it may receive replicas again.`,
        force: null,
      };
    }
    case 'activate': {
      const id = subject.id;
      return subject.state === 'provisioning'
        ? {
          ...stateChange(subject, 'active', 'now active'), title: `Activate ${id} now?`, confirm: 'Activate',
          text: `${id} activates itself once its warm-up checks pass. An operator may activate it early only with force, skipping them.`,
          force: 'skip the warm-up checks (force)',
        }
        : {
          ...stateChange(subject, 'active', 'now active'), title: `Recommission ${id}?`, confirm: 'Activate',
          text: `${id} becomes active and may receive replicas again. It must be alive` + (subject.alive ? '.' : ', and it is not running now.'),
          force: null,
        };
    }
    case 'disable': {
      const id = subject.id;
      const disable = { ...stateChange(subject, 'disabled', 'now disabled'), confirm: 'Disable' };
      switch (subject.state) {
        case 'active':
          return {
            ...disable, title: `Disable ${id} without draining?`,
            text: `Drain first: disabling an active worker takes its ${subject.replicas ?? 0} replicas out of their partitions at once, `
              + 'leaving them under-replicated until the controller replaces them. The server allows it only with force.',
            force: `disable now and lose ${subject.replicas ?? 0} replicas (force)`,
          };
        case 'draining':
          return {
            ...disable, title: `Disable ${id} before its drain finishes?`,
            text: `The controller disables ${id} by itself once it holds nothing. It still holds ${subject.replicas ?? 0} replicas; `
              + 'disabling it now needs force and drops them.',
            force: `disable now and drop ${subject.replicas ?? 0} replicas (force)`,
          };
        default:
          return {
            ...disable, title: `Disable ${id}?`,
            text: `${id} holds no replica; it will receive none while disabled.`, force: null,
          };
      }
    }
    case 'end-maintenance': {
      const label = nodeLabel(subject.id);
      return {
        target: null, reason: false, force: null, confirm: 'End maintenance', title: `End the maintenance of ${label}?`,
        text: `${label} may lead again, as the scheduler balances leaderships, and receive replicas. `
          + (subject.alive
            ? 'The controller ends a maintenance by itself once the worker is back from a restart and caught up; end it now if it will not restart.'
            : 'It is not running now: the dead-node grace period starts at once, and when it runs out its replicas are replaced.'),
        send: () => api.endMaintenance(subject.id),
        done: (answer) => `${label}: maintenance ended` + (answer.changed === false ? ' (no change: it was in none)' : ''),
      };
    }
    case 'cordon': {
      const label = nodeLabel(subject.id);
      return {
        target: null, reason: true, force: null, confirm: 'Cordon', title: `Cordon ${label}?`,
        text: `${label} keeps serving and keeps its ${subject.replicas ?? 0} replicas and ${subject.leaderships ?? 0} leaderships, but receives `
          + 'no new ones: no first placement, repair, drain target or balancing move picks it, until it is uncordoned.',
        send: (reason) => api.cordon(subject.id, reason),
        done: (answer) => `${label}: cordoned` + (answer.changed === false ? ' (no change: it already was)' : ''),
      };
    }
    case 'uncordon': {
      const label = nodeLabel(subject.id);
      return {
        target: null, reason: false, force: null, confirm: 'Uncordon', title: `Uncordon ${label}?`,
        text: `${label} may receive replicas and leaderships again, as the scheduler balances them.`,
        send: () => api.uncordon(subject.id),
        done: (answer) => `${label}: uncordoned` + (answer.changed === false ? ' (no change: it was not cordoned)' : ''),
      };
    }
    case 'remove': {
      const label = nodeLabel(subject.id);
      return {
        target: null, reason: true, force: null, confirm: 'Remove for good', title: `Remove ${label} from the cluster?`,
        text: `${label} leaves the nodes configuration for good: its id is never used again, and a process started under its name `
          + 'joins as a new node. The server refuses it unless the worker is disabled, stopped and in no replica set. This needs the admin scope.',
        send: (reason) => api.removeNode(subject.id, reason),
        done: (answer) => `${answer.id} (${answer.name}) removed; its id is retired`,
      };
    }
    case 'freeze':
    case 'unfreeze': {
      const frozen = kind === 'freeze';
      return {
        target: null, reason: frozen, force: null, confirm: frozen ? 'Freeze' : 'Unfreeze',
        title: frozen ? `Freeze ${subject.id}?` : `Unfreeze ${subject.id}?`,
        text: frozen
          ? `The scheduler starts no move for ${subject.id} until it is unfrozen (one under way finishes): a replica on a draining or `
            + 'dead worker stays, and a drain it blocks says so (frozen). Its leadership still moves as it must.'
          : `The scheduler may change the replica set of ${subject.id} again; a drain it blocked goes on.`,
        send: (reason) => api.freeze(subject.id, frozen, reason),
        done: (answer) => `${subject.id}: ${frozen ? 'frozen' : 'unfrozen'}` + (answer.changed === false ? ' (no change)' : ''),
      };
    }
    case 'pin-leader': {
      const label = nodeLabel(subject.pinTo);
      return {
        target: null, reason: true, force: null, confirm: 'Pin leader', title: `Pin the leader of ${subject.id} to ${label}?`,
        text: `${label} leads ${subject.id} whenever it is a live, active member that stays; otherwise another member leads until it can again.`,
        send: (reason) => api.pinLeader(subject.id, subject.pinTo, reason),
        done: (answer) => `${subject.id}: leader pinned to ${label}` + (answer.changed === false ? ' (no change)' : ''),
      };
    }
    case 'unpin':
      return {
        target: null, reason: false, force: null, confirm: 'Unpin', title: `Unpin the leader of ${subject.id}?`,
        text: `Leaderships of ${subject.id} are balanced as usual again.`,
        send: () => api.unpinLeader(subject.id),
        done: (answer) => `${subject.id}: leader unpinned` + (answer.changed === false ? ' (no change)' : ''),
      };
    case 'cancel-rollout':
      return {
        target: null, reason: false, force: null, confirm: 'Cancel rollout', title: `Cancel rolling restart ${subject.id}?`,
        text: `${subject.done ?? 0} of ${subject.total ?? 0} workers are restarted. No further worker begins: one not yet shut down `
          + 'leaves its maintenance at once; one already restarting finishes its restart, and its maintenance ends once it has caught up.',
        send: () => api.cancelRollout(),
        done: (answer) => answer.state === 'cancelled'
          ? `rolling restart ${answer.id} cancelled (${answer.done} of ${answer.total} workers restarted)`
          : `rolling restart ${answer.id} had already ended: ${answer.state}`,
      };
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
    action.subject = null;
  });
}

function updateActionConfirm() {
  const forced = byId('action-force').checked;
  const reason = byId('action-reason').value.trim();
  // A forced change needs a reason: it is the one an auditor will ask about.
  byId('action-confirm').disabled = action.busy || (forced && reason.length === 0);
}

/**
 * Opens the confirmation dialog for `kind`: activate, disable, cancel-drain, end-maintenance, cordon, uncordon or remove on `subject` (a node
 * view), or cancel-rollout on `subject` (the running rollout).
 */
export function openActionDialog(kind, subject) {
  const described = describeAction(kind, subject);
  const dialog = byId('action-dialog');
  action.request++;
  action.subject = subject;
  action.kind = kind;
  action.target = described.target;
  action.send = described.send;
  action.done = described.done;
  action.busy = false;
  dialog.dataset.action = kind;
  if (kind === 'cancel-rollout') {
    delete dialog.dataset.node;
    delete dialog.dataset.partition;
  } else if (PARTITION_ACTIONS.includes(kind)) {
    delete dialog.dataset.node;
    dialog.dataset.partition = subject.id;
  } else {
    delete dialog.dataset.partition;
    dialog.dataset.node = subject.id;
  }
  byId('action-title').textContent = described.title;
  byId('action-explanation').textContent = described.text;
  byId('action-reason-row').hidden = !described.reason;
  byId('action-reason').value = '';
  byId('action-force').checked = false;
  byId('action-force').closest('label').hidden = !described.force;
  byId('action-force-text').textContent = described.force ?? '';
  byId('action-confirm').textContent = described.confirm;
  hideToken('action');
  showError(byId('action-error'), null);
  updateActionConfirm();
  if (!dialog.open) {
    dialog.showModal();
  }
  (described.reason ? byId('action-reason') : byId('action-confirm')).focus();
}

async function confirmAction() {
  if (!action.subject || action.busy) {
    return;
  }
  const { target, send, done } = action;
  const request = action.request;
  const force = byId('action-force').checked;
  action.busy = true;
  updateActionConfirm();
  showError(byId('action-error'), null);
  try {
    const answer = await send(byId('action-reason').value.trim(), force);
    if (request !== action.request) {
      return;
    }
    byId('action-dialog').close('done');
    hooks.onChanged(done(answer));
  } catch (error) {
    if (request !== action.request) {
      return;
    }
    showError(byId('action-error'), describeFailure(error));
    if (error instanceof api.ApiError && error.status === 401) {
      revealToken('action');
    }
    if (target && error instanceof api.ApiError && error.status === 409 && (error.body?.allowedWithForce ?? []).includes(target)) {
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
