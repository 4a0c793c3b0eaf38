// Rendering: turns the API's answers into the page. Elements are created once per node, partition and
// drain and then updated in place, so a poll never replaces a button under the operator's pointer.
// Text from the server is only ever set as text, never parsed as HTML.

export const STATES = ['provisioning', 'active', 'draining', 'disabled'];

/** Finished drains (completed or cancelled) kept on screen, newest first, beside every running one. */
const FINISHED_DRAINS_SHOWN = 3;
/** Events kept in the list; older ones drop off the bottom. */
export const EVENTS_KEPT = 200;
/**
 * How long, by the server's clock, a card still says how a worker's last maintenance ended: long enough to see
 * whether it ended because the worker came back and caught up or because its time ran out (when the dead-node
 * grace period started), short enough that old news does not crowd the card; the card's tooltip always says.
 */
const MAINTENANCE_END_SHOWN_MS = 30 * 60 * 1000;

// ------------------------------------------------------------------ helpers

/** Creates an element: h('span', {class: 'x', data: {node: 'N1'}, text: 'hi'}, child…). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) {
      continue;
    }
    if (key === 'class') {
      element.className = value;
    } else if (key === 'text') {
      element.textContent = value;
    } else if (key === 'data') {
      Object.assign(element.dataset, value);
    } else if (key.startsWith('on')) {
      element.addEventListener(key.slice(2), value);
    } else {
      element.setAttribute(key, value);
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      element.append(child);
    }
  }
  return element;
}

function setText(element, text) {
  const value = text ?? '';
  if (element.textContent !== value) {
    element.textContent = value;
  }
}

function setAttr(element, name, value) {
  if (value === null || value === undefined) {
    element.removeAttribute(name);
  } else if (element.getAttribute(name) !== String(value)) {
    element.setAttribute(name, String(value));
  }
}

/** Sorts N2 before N10. */
export function byNodeId(a, b) {
  return idNumber(a) - idNumber(b) || String(a).localeCompare(String(b));
}

function idNumber(id) {
  const match = /(\d+)$/.exec(String(id));
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}

/** Puts `children` into `container` in this order, moving only what is out of place. */
function placeInOrder(container, children) {
  children.forEach((child, index) => {
    if (container.children[index] !== child) {
      container.insertBefore(child, container.children[index] ?? null);
    }
  });
}

export function time(iso) {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString([], { hour12: false });
}

/** Hours and minutes only (`10:30`): a maintenance's time limit is set in minutes. */
export function clock(iso) {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
}

/**
 * The server's time as of the last poll, in milliseconds: when the controller leader last published its status
 * (it does on every pass, about once a second). Durations measured against it read the same in every browser,
 * whatever its clock says and however long the tab slept. Null before a controller has published.
 */
export function serverNow(cluster) {
  const at = Date.parse(cluster?.controller?.updatedAt ?? '');
  return Number.isNaN(at) ? null : at;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) {
    return '—';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ${s % 60} s`;
  }
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const isWorker = (node) => !Array.isArray(node.roles) || node.roles.length === 0 || node.roles.includes('worker');

// ------------------------------------------------------------------ summary

export function renderSummary(cluster, nodes) {
  setText(document.getElementById('cluster-name'), cluster.cluster ?? '');
  setText(document.getElementById('summary-nodes'), String(cluster.nodes ?? nodes.length));
  const dead = nodes.filter((n) => !n.alive).length;
  const alive = document.getElementById('summary-alive');
  setText(alive, `${cluster.alive ?? nodes.length - dead}` + (dead > 0 ? ` (${dead} dead)` : ''));
  alive.classList.toggle('bad', dead > 0);
  setText(document.getElementById('summary-partitions'),
    `${cluster.partitions ?? '–'} × ${cluster.replicas ?? '–'}` + (cluster.minZones > 1 ? ` in ≥${cluster.minZones} zones` : ''));
  setText(document.getElementById('summary-moving'), String(cluster.movesInFlight ?? 0));
  const controller = cluster.controller;
  const controllerText = controller ? `${controller.leader} (epoch ${controller.epoch})` : 'none published';
  const controllerElement = document.getElementById('summary-controller');
  setText(controllerElement, controllerText);
  controllerElement.classList.toggle('bad', !controller);
}

// ------------------------------------------------------------------ client impact

/** Requests per second: one decimal, as the controller's rates are taken over about ten seconds. */
function perSecond(rate) {
  return `${(rate ?? 0).toFixed(1)}/s`;
}

/** Milliseconds to three significant digits: the p99 is a histogram bucket's bound, good to a fifth. */
function millis(value) {
  return value === null || value === undefined ? '—' : `${Number(value.toPrecision(3))} ms`;
}

function errorsText(rates) {
  if (rates.failedRatio === null || rates.failedRatio === undefined) {
    return 'none';
  }
  return `${perSecond(rates.failedPerSecond)} (${(100 * rates.failedRatio).toFixed(2)} %)`;
}

const nodeLabel = (id, name) => (name ? `${id} (${name})` : id);

/**
 * The client impact the controller published with its status: the cluster's requests, failed answers and p99, and
 * each worker's. What is not known is said in words, never shown as zeros that would look healthy.
 */
export function renderClients(cluster) {
  const clients = cluster.clients;
  const total = clients?.total;
  const unknown = document.getElementById('clients-unknown');
  const notReporting = clients?.notReporting ?? [];
  if (!clients) {
    setText(unknown, 'Not known yet: no controller has published client numbers.');
  } else if (!total) {
    setText(unknown, `Not known yet: no worker has reported its clients${notReporting.length ? ` (${notReporting.join(', ')} not reporting)` : ''}.`);
  }
  unknown.hidden = Boolean(total);
  document.getElementById('clients-known').hidden = !total;
  setText(document.getElementById('clients-window'), clients?.windowSeconds ? `last ${Math.round(clients.windowSeconds)} s` : '');
  if (!total) {
    return;
  }
  setText(document.getElementById('clients-requests'), perSecond(total.requestsPerSecond));
  const errors = document.getElementById('clients-errors');
  setText(errors, errorsText(total));
  errors.classList.toggle('bad', (total.failed ?? 0) > 0);
  const p99 = document.getElementById('clients-p99');
  setText(p99, millis(total.p99Millis));
  setAttr(p99, 'title', total.p99Millis === null || total.p99Millis === undefined ? 'no requests in the window' : null);
  const rows = (clients.nodes ?? []).map((n) => h('tr', { 'data-testid': 'client-node', data: { node: n.node } },
    h('td', { class: 'client-node-name', text: nodeLabel(n.node, n.name) }),
    h('td', { text: perSecond(n.rates.requestsPerSecond) }),
    h('td', { class: (n.rates.failed ?? 0) > 0 ? 'bad' : '', text: errorsText(n.rates) }),
    h('td', { text: millis(n.rates.p99Millis) })));
  document.querySelector('#clients-nodes tbody').replaceChildren(...rows);
  const silent = document.getElementById('clients-not-reporting');
  setText(silent, notReporting.length ? `Not reporting: ${notReporting.join(', ')}` : '');
  silent.hidden = notReporting.length === 0;
}

// ------------------------------------------------------------------ workers

const cards = new Map();

/** The action buttons each state offers; the server still decides, and refuses with a message. */
const ACTIONS = {
  provisioning: ['activate', 'disable'],
  active: ['drain', 'maintenance', 'disable'],
  draining: ['cancel-drain', 'disable'],
  disabled: ['activate'],
};

const ACTION_LABELS = {
  drain: 'Drain', maintenance: 'Maintenance…', 'end-maintenance': 'End maintenance', 'cancel-drain': 'Cancel drain', activate: 'Activate',
  disable: 'Disable', cordon: 'Cordon', uncordon: 'Uncordon', remove: 'Remove',
};

/**
 * The cordon and removal buttons, which the state table above does not decide alone: a cordon matters to a worker
 * that receives replicas (or will once active), an uncordon to any cordoned one, and removal only to a disabled
 * worker whose process is stopped — the server checks the rest (no replica set names it) and says so if not.
 */
function extraActions(node, state) {
  const extra = [];
  if (node.cordon) {
    extra.push('uncordon');
  } else if (state === 'active' || state === 'provisioning') {
    extra.push('cordon');
  }
  if (state === 'disabled' && !node.alive) {
    extra.push('remove');
  }
  return extra;
}

function newCard(id, onAction) {
  const badge = h('span', { class: 'badge', 'data-testid': 'state-badge' });
  const name = h('span', { class: 'node-name' });
  const zone = h('span', { class: 'zone', 'data-testid': 'zone' });
  const liveness = h('span', { class: 'liveness', 'data-testid': 'liveness' });
  const replicas = h('b', { 'data-testid': 'replica-count' });
  const leaders = h('b', { 'data-testid': 'leader-count' });
  const maintenance = h('div', { class: 'maintenance-badge', 'data-testid': 'maintenance-badge', hidden: '' });
  const maintenanceEnded = h('div', { class: 'maintenance-ended', 'data-testid': 'maintenance-ended', hidden: '' });
  const cordon = h('div', { class: 'cordon-badge', 'data-testid': 'cordon-badge', hidden: '' });
  const buttons = {};
  for (const action of Object.keys(ACTION_LABELS)) {
    buttons[action] = h('button', {
      type: 'button',
      class: `action action-${action}`,
      'data-testid': `${action}-button`,
      data: { node: id, action },
      text: ACTION_LABELS[action],
      hidden: '',
      onclick: () => onAction(action, id),
    });
  }
  const root = h('article', { class: 'card', 'data-testid': 'worker-card', data: { node: id } },
    h('div', { class: 'card-head' }, h('span', { class: 'node-id', text: id }), name, badge),
    h('div', { class: 'card-meta' }, zone, liveness),
    maintenance,
    cordon,
    h('div', { class: 'card-counts' }, replicas, ' replicas · ', leaders, ' leaders'),
    maintenanceEnded,
    h('div', { class: 'card-actions' }, ...Object.values(buttons)));
  return { root, badge, name, zone, liveness, replicas, leaders, maintenance, maintenanceEnded, cordon, buttons };
}

/** A cordoned worker's card says so, and who cordoned it, when and why; returns the tooltip's line about it. */
function updateCordon(card, node) {
  const cordon = node.cordon;
  card.cordon.hidden = !cordon;
  setAttr(card.root, 'data-cordoned', cordon ? 'true' : null);
  if (!cordon) {
    return '';
  }
  setText(card.cordon, 'CORDONED' + (cordon.reason ? ` (${cordon.reason})` : ''));
  const line = `cordoned since ${time(cordon.since)} by ${cordon.requestedBy}` + (cordon.credential ? ` with credential ${cordon.credential}` : '')
    + (cordon.reason ? `: ${cordon.reason}` : '');
  setAttr(card.cordon, 'title', line + '\nIt keeps its replicas and leaderships and receives no new ones.');
  return '\n' + line;
}

const inMaintenance = (node) => Boolean(node.maintenance?.active);

/**
 * A worker's maintenance on its card: while it holds, `MAINTENANCE until 10:30 (kernel patch)`; once it ended, for
 * a while, how (`caught-up`, `expired`…), since an expired one means the dead-node grace period has started. Returns
 * the tooltip's line about it.
 */
function updateMaintenance(card, node, now) {
  const intent = node.maintenance;
  const active = inMaintenance(node);
  card.maintenance.hidden = !active;
  setAttr(card.root, 'data-maintenance', active ? 'active' : intent ? 'ended' : null);
  if (active) {
    setText(card.maintenance, `MAINTENANCE until ${clock(intent.until)}` + (intent.reason ? ` (${intent.reason})` : ''));
    setAttr(card.maintenance, 'data-until', intent.until);
    setAttr(card.maintenance, 'title', `in maintenance since ${time(intent.since)} by ${intent.requestedBy}, until ${time(intent.until)}`
      + (intent.reason ? `: ${intent.reason}` : '') + '\nIt leads nothing, receives no replica, and none of its replicas is replaced while it lasts.');
  }
  const endedAt = Date.parse(intent?.endedAt ?? '');
  const recent = !active && !Number.isNaN(endedAt) && now !== null && now - endedAt <= MAINTENANCE_END_SHOWN_MS;
  card.maintenanceEnded.hidden = !recent;
  if (recent) {
    setText(card.maintenanceEnded, `maintenance ended ${time(intent.endedAt)} (${intent.endCause})`);
    card.maintenanceEnded.className = `maintenance-ended${intent.endCause === 'expired' ? ' bad' : ''}`;
    setAttr(card.maintenanceEnded, 'data-cause', intent.endCause);
  }
  if (!intent) {
    return '';
  }
  return active
    ? `\nin maintenance until ${time(intent.until)}, by ${intent.requestedBy}` + (intent.reason ? `: ${intent.reason}` : '')
    : `\nlast maintenance ended ${time(intent.endedAt)}: ${intent.endCause}` + (intent.endCause === 'expired'
      ? ' (its time ran out; the dead-node grace period started then)' : '');
}

function updateCard(card, node, now) {
  const { root } = card;
  const state = STATES.includes(node.state) ? node.state : 'unknown';
  setAttr(root, 'data-state', state);
  setAttr(root, 'data-alive', String(Boolean(node.alive)));
  root.className = `card state-${state}${node.alive ? '' : ' dead'}${inMaintenance(node) ? ' in-maintenance' : ''}${node.cordon ? ' cordoned' : ''}`;
  setText(card.name, node.name ?? '');
  setText(card.badge, state);
  card.badge.className = `badge state-${state}`;
  setText(card.zone, node.location ?? '');
  setText(card.liveness, node.alive ? '● alive' : '✕ dead');
  card.liveness.className = `liveness ${node.alive ? 'alive' : 'dead'}`;
  setText(card.replicas, String(node.replicas ?? 0));
  setText(card.leaders, String(node.leaderships ?? 0));
  const change = node.lastChange;
  const since = change ? `\n${state} since ${time(change.at)}, by ${change.actor}` + (change.reason ? `: ${change.reason}` : '') : '';
  const maintenance = updateMaintenance(card, node, now);
  const cordoned = updateCordon(card, node);
  setAttr(root, 'title', `${node.id} ${node.name ?? ''} (${node.incarnation ?? ''})\n${node.stateDescription ?? ''}${since}${maintenance}${cordoned}`
    + (node.alive ? '' : inMaintenance(node) ? '\nThe process is not running; in maintenance, its replicas stay where they are.'
      : '\nThe process is not running: its replicas are replaced after the grace period.'));
  // Ending a maintenance is offered whatever the state, so that one left behind can always be ended.
  const offered = [...(ACTIONS[state] ?? []), ...(inMaintenance(node) ? ['end-maintenance'] : []), ...extraActions(node, state)];
  for (const [action, button] of Object.entries(card.buttons)) {
    button.hidden = !offered.includes(action);
  }
}

/**
 * Renders worker cards into the four state groups; `onAction(action, nodeId)` handles the buttons. `now` is the
 * server's time (from `serverNow`), or null.
 */
export function renderWorkers(nodes, onAction, now) {
  const groups = Object.fromEntries(STATES.map((state) => [state, []]));
  const seen = new Set();
  for (const node of [...nodes].filter(isWorker).sort((a, b) => byNodeId(a.id, b.id))) {
    let card = cards.get(node.id);
    if (!card) {
      card = newCard(node.id, onAction);
      cards.set(node.id, card);
    }
    updateCard(card, node, now);
    seen.add(node.id);
    (groups[node.state] ?? groups.provisioning).push(card.root);
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.root.remove();
      cards.delete(id);
    }
  }
  for (const state of STATES) {
    const group = document.getElementById(`group-${state}`);
    const container = group.querySelector('.cards');
    placeInOrder(container, groups[state]);
    setText(group.querySelector('.count'), String(groups[state].length));
    group.classList.toggle('empty', groups[state].length === 0);
    group.style.flexGrow = String(Math.max(1, groups[state].length));
  }
}

// ------------------------------------------------------------------ drains

const drainPanels = new Map();

function newDrainPanel(id) {
  const title = h('span', { class: 'drain-title' });
  const replacedBy = h('span', { class: 'drain-replaced-by', 'data-testid': 'drain-replaced-by' });
  const badge = h('span', { class: 'badge' });
  const status = h('span', { class: 'drain-status', 'data-testid': 'drain-status' });
  const bar = h('div', { class: 'bar' });
  const progress = h('div', {
    class: 'progress', role: 'progressbar', 'data-testid': 'drain-progress', data: { node: id }, 'aria-valuemin': '0',
    'aria-label': `drain of ${id}`,
  }, bar);
  const remaining = h('span', { 'data-testid': 'drain-remaining' });
  const rate = h('span', { 'data-testid': 'drain-rate' });
  const eta = h('span', { 'data-testid': 'drain-eta' });
  const stalled = h('ul', { class: 'stalled', 'data-testid': 'stalled-partitions' });
  const root = h('div', { class: 'drain', 'data-testid': 'drain-panel', data: { node: id } },
    h('div', { class: 'drain-head' }, title, replacedBy, badge, status),
    progress,
    h('div', { class: 'drain-numbers' }, remaining, rate, eta),
    stalled);
  return { root, title, replacedBy, badge, status, progress, bar, remaining, rate, eta, stalled };
}

function updateDrainPanel(panel, drain, node) {
  const state = node?.state ?? drain.state;
  const finished = state !== 'draining';
  panel.root.className = `drain state-${state}` + (drain.stalled ? ' stalled-drain' : '') + (node && !node.alive ? ' dead' : '');
  setAttr(panel.root, 'data-state', state);
  setText(panel.title, `${drain.node} ${drain.name ?? node?.name ?? ''}`);
  // A replace is a drain with a named receiver: say where the replicas go.
  setText(panel.replacedBy, drain.replacedBy ? `replaced by ${drain.replacedBy}` : '');
  setAttr(panel.root, 'data-replaced-by', drain.replacedBy ?? null);
  const stuck = (drain.stalledPartitions ?? []).map((s) => stuckSeconds(s, drain));
  const longest = stuck.some((seconds) => seconds !== null) ? Math.max(...stuck.filter((seconds) => seconds !== null)) : null;
  setText(panel.badge, finished ? (state === 'disabled' ? 'completed' : `cancelled (${state})`)
    : drain.stalled ? `STALLED${longest === null ? '' : ` ${duration(longest)}`}` : 'draining');
  setAttr(panel.badge, 'title', !finished && drain.stalled && longest !== null ? `the longest stall has lasted ${duration(longest)}` : null);
  panel.badge.className = `badge state-${finished ? state : drain.stalled ? 'stalled' : 'draining'}`;

  const parts = [];
  if (drain.startedAt) {
    parts.push(`started ${time(drain.startedAt)}`);
  }
  if (drain.completedAt) {
    parts.push(`finished ${time(drain.completedAt)}`);
  }
  if (!finished) {
    parts.push(`${drain.movesInFlight ?? 0} moving`, `${drain.leadershipsRemaining ?? 0} leaderships left`);
  }
  parts.push(`${drain.movesDone ?? 0} moved`);
  if (node && !node.alive) {
    parts.push('worker is dead');
  }
  setText(panel.status, parts.join(' · '));

  const max = Math.max(0, drain.replicasAtStart ?? 0);
  const remaining = Math.min(max, Math.max(0, drain.replicasRemaining ?? 0));
  const done = max - remaining;
  setAttr(panel.progress, 'aria-valuemax', max);
  setAttr(panel.progress, 'aria-valuenow', done);
  setAttr(panel.progress, 'aria-valuetext', `${remaining} of ${max} replicas remaining`);
  setAttr(panel.progress, 'data-remaining', remaining);
  panel.progress.classList.remove('indeterminate');
  panel.bar.style.width = `${max === 0 ? 100 : (100 * done) / max}%`;
  // Counted up, as the CLI's --wait counts: the same words and numbers on both.
  setText(panel.remaining, `${done}/${max} moved`);
  setText(panel.rate, `rate ${(drain.ratePerMinute ?? 0).toFixed(1)}/min`);
  setText(panel.eta, finished ? '' : `ETA ${duration(drain.etaSeconds)}`);
  setAttr(panel.eta, 'title', drain.etaSeconds === null || drain.etaSeconds === undefined ? 'known once the first move completes' : null);

  const items = (drain.stalledPartitions ?? []).map((s, i) => h('li', { data: { partition: s.partition ?? '' } },
    h('b', { text: s.partition ?? s.worker ?? '' }), s.partition && s.worker ? ` on ${s.worker}` : '', ' ', h('code', { text: s.reason ?? '' }),
    ': ', s.message ?? '',
    stuck[i] !== null ? h('span', { class: 'stuck', 'data-testid': 'stuck-for', data: { seconds: stuck[i] }, text: ` stuck for ${duration(stuck[i])}` })
      : null,
    s.since ? h('span', { class: 'since', text: ` (since ${time(s.since)})` }) : null));
  if ((drain.stalledLeftOut ?? 0) > 0) {
    items.push(h('li', { 'data-testid': 'stalled-left-out', text: `and ${drain.stalledLeftOut} more partitions` }));
  }
  panel.stalled.replaceChildren(...items);
  panel.stalled.hidden = items.length === 0;
}

/**
 * How long a stalled partition has been stuck, in seconds: from its `since` to the drain's `updatedAt`, both the
 * controller's clock, so a browser whose clock is off (or a page left open) shows the server's answer. Null when
 * either is missing.
 */
function stuckSeconds(stall, drain) {
  const since = Date.parse(stall.since ?? '');
  const at = Date.parse(drain.updatedAt ?? '');
  return Number.isNaN(since) || Number.isNaN(at) ? null : Math.max(0, Math.round((at - since) / 1000));
}

/** A worker that is draining but whose drain the controller has not published yet. */
function updatePendingPanel(panel, node) {
  panel.root.className = 'drain state-draining pending' + (node.alive ? '' : ' dead');
  setAttr(panel.root, 'data-state', 'draining');
  setText(panel.title, `${node.id} ${node.name ?? ''}`);
  setText(panel.badge, 'draining');
  panel.badge.className = 'badge state-draining';
  setText(panel.status, 'waiting for the controller to pick the drain up' + (node.alive ? '' : ' · worker is dead'));
  setAttr(panel.progress, 'aria-valuenow', null);
  setAttr(panel.progress, 'aria-valuemax', null);
  setAttr(panel.progress, 'aria-valuetext', `${node.replicas ?? 0} replicas held`);
  setAttr(panel.progress, 'data-remaining', node.replicas ?? 0);
  panel.progress.classList.add('indeterminate');
  panel.bar.style.width = '';
  setText(panel.remaining, `${node.replicas ?? 0} replicas held`);
  setText(panel.rate, '');
  setText(panel.eta, '');
  panel.stalled.replaceChildren();
  panel.stalled.hidden = true;
}

/** Renders a panel per running drain and for the few most recently finished ones. */
export function renderDrains(cluster, nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const published = new Map((cluster.drains ?? []).map((d) => [d.node, d]));
  for (const node of nodes) {
    if (node.drain && !published.has(node.id)) {
      published.set(node.id, node.drain);
    }
  }
  const stateOf = (d) => byId.get(d.node)?.state ?? d.state;
  const running = [...published.values()].filter((d) => stateOf(d) === 'draining').sort((a, b) => byNodeId(a.node, b.node));
  const finished = [...published.values()].filter((d) => stateOf(d) !== 'draining')
    .sort((a, b) => String(b.completedAt ?? b.updatedAt ?? '').localeCompare(String(a.completedAt ?? a.updatedAt ?? '')))
    .slice(0, FINISHED_DRAINS_SHOWN);
  const pending = nodes.filter((n) => n.state === 'draining' && !published.has(n.id)).sort((a, b) => byNodeId(a.id, b.id));

  const shown = [];
  const panelFor = (id) => {
    let panel = drainPanels.get(id);
    if (!panel) {
      panel = newDrainPanel(id);
      drainPanels.set(id, panel);
    }
    shown.push(id);
    return panel;
  };
  const elements = [];
  for (const drain of running) {
    const panel = panelFor(drain.node);
    updateDrainPanel(panel, drain, byId.get(drain.node));
    elements.push(panel.root);
  }
  for (const node of pending) {
    const panel = panelFor(node.id);
    updatePendingPanel(panel, node);
    elements.push(panel.root);
  }
  for (const drain of finished) {
    const panel = panelFor(drain.node);
    updateDrainPanel(panel, drain, byId.get(drain.node));
    elements.push(panel.root);
  }
  for (const [id, panel] of drainPanels) {
    if (!shown.includes(id)) {
      panel.root.remove();
      drainPanels.delete(id);
    }
  }
  const container = document.getElementById('drains');
  placeInOrder(container, elements);
  document.getElementById('drains-empty').hidden = running.length + pending.length > 0;
  setText(document.getElementById('drains-empty'), finished.length > 0 ? 'No worker is draining now.' : 'No worker is draining.');
}

// ------------------------------------------------------------------ group drains

/** Ended group drains shown below the running ones, newest first. */
const ENDED_GROUPS_SHOWN = 2;
const GROUP_BADGE = { running: 'state-draining', completed: 'state-disabled', cancelled: 'state-active' };
const DEADLINE_TEXT = { 'on-track': 'on track', 'at-risk': 'AT RISK', overdue: 'OVERDUE', met: 'met', missed: 'missed' };

/**
 * Group drains (several workers or a zone drained as one operation): one card per group with one progress bar,
 * the totals, the rate, the ETA, the stalls, each worker's state, and how the drain stands against its deadline —
 * at risk or overdue in the stall colour. Running ones first, then the last ones that ended.
 */
export function renderDrainGroups(groups, now) {
  const list = Array.isArray(groups) ? groups : [];
  const running = list.filter((g) => g.state === 'running');
  const ended = list.filter((g) => g.state !== 'running').slice(0, ENDED_GROUPS_SHOWN);
  const container = document.getElementById('drain-groups');
  // A card is built again only when what it shows changed, so the page does not churn once a second.
  const cards = [...running, ...ended].map((group) => {
    const signature = JSON.stringify(group);
    const kept = groupCards.get(group.id);
    if (kept && kept.signature === signature) {
      return kept.card;
    }
    const card = drainGroupCard(group, now);
    groupCards.set(group.id, { signature, card });
    return card;
  });
  for (const id of [...groupCards.keys()]) {
    if (!cards.some((card) => card.dataset.drain === id)) {
      groupCards.delete(id);
    }
  }
  if (cards.length !== container.children.length || cards.some((card, i) => container.children[i] !== card)) {
    container.replaceChildren(...cards);
  }
}

const groupCards = new Map();

function drainGroupCard(group, now) {
  const members = group.members ?? [];
  const total = Math.max(group.replicasAtStart ?? 0, 0);
  const done = Math.max(0, total - (group.replicasRemaining ?? 0));
  const percent = group.state === 'running' ? (total > 0 ? Math.round((100 * done) / total) : 0) : 100;
  const deadlineStatus = group.deadlineStatus ?? 'none';
  const warns = deadlineStatus === 'at-risk' || deadlineStatus === 'overdue';
  const badges = [h('span', { class: `badge ${GROUP_BADGE[group.state] ?? ''}`, 'data-testid': 'drain-group-state', text: group.state })];
  if (group.stalled) {
    badges.push(h('span', { class: 'badge state-stalled', text: 'STALLED' }));
  }
  if (deadlineStatus !== 'none') {
    badges.push(h('span', {
      class: `badge ${warns ? 'state-stalled' : 'state-active'}`, 'data-testid': 'drain-group-deadline', data: { status: deadlineStatus },
      text: `deadline ${DEADLINE_TEXT[deadlineStatus] ?? deadlineStatus}`,
    }));
  }
  const numbers = group.progressKnown
    ? [`${done}/${total} moved`, `${group.movesInFlight ?? 0} in flight`, `${(group.ratePerMinute ?? 0).toFixed(1)}/min`,
      group.state === 'running' ? `ETA ${group.etaSeconds === null || group.etaSeconds === undefined ? 'unknown' : duration(group.etaSeconds)}` : null]
      .filter(Boolean).join(' · ')
    : 'waiting for the controller to pick the drain up';
  const deadlineLine = group.deadline
    ? `deadline ${time(group.deadline)}` + (group.state === 'running' && group.timeLeftSeconds !== null && group.timeLeftSeconds !== undefined
      ? (group.timeLeftSeconds >= 0 ? ` (${duration(group.timeLeftSeconds)} left)` : ` (passed ${duration(-group.timeLeftSeconds)} ago)`) : '')
    : null;
  const stalled = (group.stalledPartitions ?? []).map((s) => h('li', { text: `${s.partition ?? '-'} on ${s.worker}: ${s.reason} — ${s.message}` }));
  // A group of more than one write's worth of workers starts (or, cancelled, returns) the rest as the controller writes them.
  const pending = (group.pendingMembers ?? 0) > 0
    ? `${group.pendingMembers} worker${group.pendingMembers === 1 ? '' : 's'} still to ${group.state === 'running' ? 'start draining' : 'go back to active'}`
      + ' (the controller writes up to 256 at a time)'
    : null;
  const bar = h('div', { class: 'bar' });
  // The style-src policy refuses style attributes; a property set from the script is allowed.
  bar.style.width = `${percent}%`;
  return h('div', {
    class: `drain drain-group state-${group.state}` + (warns ? ' at-risk' : ''), 'data-testid': 'drain-group', data: { drain: group.id, deadline: deadlineStatus },
  },
  h('div', { class: 'drain-head' },
    h('span', { class: 'drain-title', text: `Drain ${group.id}` + (group.zone ? ` of zone ${group.zone}` : '') + ` — ${members.length} worker${members.length === 1 ? '' : 's'}` }),
    ...badges,
    h('span', { class: 'drain-status', text: `started ${time(group.startedAt)}` + (group.endedAt ? ` · ended ${time(group.endedAt)}` : '') })),
  h('div', { class: 'progress', role: 'progressbar', 'data-testid': 'drain-group-progress', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-valuenow': String(percent), 'aria-label': `drain ${group.id}` }, bar),
  h('div', { class: 'drain-numbers', 'data-testid': 'drain-group-numbers', text: numbers }),
  deadlineLine ? h('div', { class: 'drain-numbers', 'data-testid': 'drain-group-deadline-line', text: deadlineLine }) : null,
  pending ? h('div', { class: 'drain-numbers', 'data-testid': 'drain-group-pending', text: pending }) : null,
  h('ul', { class: 'drain-group-members', 'data-testid': 'drain-group-members' }, ...members.map((m) => h('li', {
    data: { node: m.node, state: m.state },
    text: `${nodeLabel(m.node, m.name)}: ${m.state}` + (m.drain && m.state === 'draining' ? ` · ${m.drain.replicasRemaining}/${m.drain.replicasAtStart} left` : ''),
  }))),
  stalled.length > 0 ? h('ul', { class: 'stalled', 'data-testid': 'drain-group-stalled' }, ...stalled) : null);
}

// ------------------------------------------------------------------ rolling restart

const ROLLOUT_BADGE = { running: 'state-rollout', completed: 'state-active', stopped: 'state-stalled', cancelled: 'state-disabled' };

const stepLabel = (step) => nodeLabel(step.node, step.name);

/**
 * How long a worker has been in its phase, in seconds, by the server's clock: up to the controller's last
 * published pass (or the rollout's last write, if later) while the rollout runs, up to its end once it ended.
 * The rollout's own `updatedAt` changes only when a phase does, so alone it would always say "for 0 s". Null when
 * either end is unknown.
 */
function secondsInPhase(step, rollout, now) {
  const since = Date.parse(step.phaseSince ?? '');
  const written = Date.parse(rollout.updatedAt ?? '');
  const until = rollout.state === 'running'
    ? Math.max(now ?? Number.NEGATIVE_INFINITY, Number.isNaN(written) ? Number.NEGATIVE_INFINITY : written)
    : Date.parse(rollout.endedAt ?? rollout.updatedAt ?? '');
  return Number.isNaN(since) || !Number.isFinite(until) ? null : Math.max(0, Math.round((until - since) / 1000));
}

function phaseFor(seconds) {
  return seconds === null ? null
    : h('span', { class: 'stuck', 'data-testid': 'phase-for', data: { seconds: String(seconds) }, text: ` for ${duration(seconds)}` });
}

/**
 * The running rolling restart, or the last one: its state, done/total as a bar, the worker under way and how long
 * it has been in its phase, why it stopped, and every worker's phase in order. `rollout` is null when none has run.
 * The start and cancel buttons are in the panel's head; only one of them shows.
 */
export function renderRollout(rollout, cluster) {
  const running = rollout?.state === 'running';
  document.getElementById('rollout-start').hidden = running;
  document.getElementById('rollout-cancel').hidden = !running;
  const none = document.getElementById('rollout-none');
  const box = document.getElementById('rollout');
  none.hidden = Boolean(rollout);
  box.hidden = !rollout;
  if (!rollout) {
    setText(none, 'No rolling restart has run in this cluster.');
    return;
  }
  const state = rollout.state ?? 'unknown';
  box.className = `rollout state-${state}`;
  setAttr(box, 'data-state', state);
  setAttr(box, 'data-rollout', rollout.id);
  setText(document.getElementById('rollout-name'), `${rollout.id}` + (rollout.reason ? `: ${rollout.reason}` : ''));
  const badge = document.getElementById('rollout-state');
  setText(badge, state);
  badge.className = `badge ${ROLLOUT_BADGE[state] ?? ''}`;
  const parts = [`started ${time(rollout.startedAt)}`];
  if (rollout.endedAt) {
    parts.push(`ended ${time(rollout.endedAt)}`);
  }
  const timeout = rollout.nodeTimeoutSeconds;
  parts.push(`node timeout ${timeout > 0 && timeout % 60 === 0 ? `${timeout / 60} min` : duration(timeout)}`);
  setText(document.getElementById('rollout-status'), parts.join(' · '));

  const total = Math.max(0, rollout.total ?? (rollout.steps ?? []).length);
  const done = Math.min(total, Math.max(0, rollout.done ?? 0));
  const progress = document.getElementById('rollout-progress');
  setAttr(progress, 'aria-valuemax', total);
  setAttr(progress, 'aria-valuenow', done);
  setAttr(progress, 'aria-valuetext', `${done} of ${total} workers restarted`);
  progress.querySelector('.bar').style.width = `${total === 0 ? 100 : (100 * done) / total}%`;
  setText(document.getElementById('rollout-done'), `${done}/${total} restarted`);

  const now = serverNow(cluster);
  const steps = rollout.steps ?? [];
  // The worker under way: while running, the first not done; once ended, the one it stopped at, if it had begun.
  const current = steps.find((step) => step.phase !== 'done' && (running || step.phaseSince));
  const currentLine = document.getElementById('rollout-current');
  if (current) {
    const seconds = current.phaseSince ? secondsInPhase(current, rollout, now) : null;
    currentLine.replaceChildren(running ? (current.phase === 'waiting' ? 'next: ' : 'now: ') : `${state} during: `,
      h('b', { text: stepLabel(current) }), ' ', h('code', { text: current.phase }), phaseFor(seconds),
      // What the phase waits for, in the server's words: a rollout that takes long says why.
      ...(running && current.waitingFor ? [h('span', { class: 'since', 'data-testid': 'rollout-waiting-for', text: ` — waiting for ${current.waitingFor}` })] : []));
    setAttr(currentLine, 'data-node', current.node);
    setAttr(currentLine, 'data-phase', current.phase);
  } else {
    currentLine.replaceChildren();
    setAttr(currentLine, 'data-node', null);
    setAttr(currentLine, 'data-phase', null);
  }
  const stopped = document.getElementById('rollout-stopped-because');
  // A cancel's reason already says so ("cancelled by the operator"); a stop's says only what went wrong.
  setText(stopped, rollout.stoppedBecause ? (state === 'stopped' ? `Stopped: ${rollout.stoppedBecause}` : rollout.stoppedBecause) : '');
  stopped.hidden = !rollout.stoppedBecause;

  const items = steps.map((step) => h('li', {
    class: `rollout-step phase-${step.phase}${step === current ? ' current' : ''}`, 'data-testid': 'rollout-step',
    data: { node: step.node, phase: step.phase },
  },
  h('span', { class: 'rollout-step-name', text: stepLabel(step) }), ' ', h('code', { text: step.phase }),
  step === current && step.phaseSince ? phaseFor(secondsInPhase(step, rollout, now)) : null,
  step.doneAt ? h('span', { class: 'since', text: ` at ${time(step.doneAt)}` }) : null));
  document.getElementById('rollout-steps').replaceChildren(...items);
}

// ------------------------------------------------------------------ partition map

let mapKey = null;
const mapCells = new Map();
const mapColumns = new Map();
const mapRows = new Map();

/**
 * The roles one worker has in one partition. `replica`: in the current set and staying; `leader`: the
 * partition's leader; `joining`: in the next set only; `leaving`: in the current set only.
 */
export function cellRoles(partition, node) {
  const current = partition.current ?? [];
  const next = partition.next ?? [];
  const moving = next.length > 0;
  const joining = partition.joining ? partition.joining.includes(node) : moving && next.includes(node) && !current.includes(node);
  const leaving = partition.leaving ? partition.leaving.includes(node) : moving && current.includes(node) && !next.includes(node);
  const roles = [];
  if (current.includes(node) && !leaving) {
    roles.push('replica');
  }
  if (partition.leader === node) {
    roles.push('leader');
  }
  if (joining) {
    roles.push('joining');
  }
  if (leaving) {
    roles.push('leaving');
  }
  return roles;
}

/** The latest partition views by id, for the map's click handlers, which must act on what is shown now. */
const shownPartitions = new Map();

function buildMap(map, partitions, workerIds, onPartitionAction) {
  mapCells.clear();
  mapColumns.clear();
  mapRows.clear();
  const labelEvery = partitions.length <= 32 ? 1 : partitions.length <= 64 ? 4 : 5;
  // The row heads name each worker as everywhere else, N1 (worker-3), so their column fits the longest.
  map.style.gridTemplateColumns = `minmax(5.5em, max-content) repeat(${partitions.length}, minmax(10px, 1fr))`;
  const elements = [h('div', { class: 'corner', text: 'N \\ P', title: 'workers down, partitions across' })];
  partitions.forEach((p, index) => {
    // A click on a column freezes or unfreezes that partition (the server still decides; the dialog confirms first).
    const column = h('div', {
      class: 'col-head', role: 'columnheader', data: { partition: p.id }, title: p.id,
      onclick: () => {
        const shown = shownPartitions.get(p.id);
        if (shown && onPartitionAction) {
          onPartitionAction(shown.policy?.frozen ? 'unfreeze' : 'freeze', shown, null);
        }
      },
    }, index % labelEvery === 0 ? p.id.replace(/^P/, '') : '');
    mapColumns.set(p.id, column);
    elements.push(column);
  });
  for (const id of workerIds) {
    const label = h('span', { class: 'row-label', 'data-testid': 'map-row-label' }, id);
    const row = h('div', { class: 'row-head', role: 'rowheader', data: { node: id } }, h('span', { class: 'dot' }), label);
    row.label = label;
    mapRows.set(id, row);
    elements.push(row);
    for (const p of partitions) {
      // A click on a current member's cell pins the partition's leader to it, or unpins a leader pinned there.
      const cell = h('div', {
        class: 'cell', role: 'gridcell', data: { partition: p.id, node: id },
        onclick: () => {
          const shown = shownPartitions.get(p.id);
          if (shown && onPartitionAction && (shown.current ?? []).includes(id)) {
            onPartitionAction(shown.policy?.pinnedLeader === id ? 'unpin' : 'pin-leader', shown, id);
          }
        },
      });
      mapCells.set(`${p.id}|${id}`, cell);
      elements.push(cell);
    }
  }
  map.replaceChildren(...elements);
}

/**
 * Renders the partitions × workers grid; cells are rebuilt only when partitions or workers change.
 * `onPartitionAction(kind, partition, nodeId)`, when given, handles clicks: `freeze`/`unfreeze` on a column,
 * `pin-leader`/`unpin` on a current member's cell.
 */
export function renderMap(partitions, nodes, onPartitionAction) {
  const map = document.getElementById('partition-map');
  const sorted = [...partitions].sort((a, b) => byNodeId(a.id, b.id));
  const ids = new Set(nodes.filter(isWorker).map((n) => n.id));
  for (const p of sorted) {
    for (const id of [...(p.current ?? []), ...(p.next ?? [])]) {
      ids.add(id);
    }
  }
  const workerIds = [...ids].sort(byNodeId);
  const key = sorted.map((p) => p.id).join(',') + '|' + workerIds.join(',');
  if (key !== mapKey) {
    buildMap(map, sorted, workerIds, onPartitionAction);
    mapKey = key;
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const id of workerIds) {
    const node = byId.get(id);
    const row = mapRows.get(id);
    const away = node ? inMaintenance(node) : false;
    row.className = `row-head state-${node?.state ?? 'unknown'}${node && !node.alive ? ' dead' : ''}${away ? ' in-maintenance' : ''}`;
    setText(row.label, node?.name ? `${id} (${node.name})` : id);
    setAttr(row, 'title', node ? `${id} ${node.name ?? ''}: ${node.state}${node.alive ? '' : ', dead'}`
      + (away ? `, in maintenance until ${time(node.maintenance.until)}` : '') : `${id}: not in the nodes configuration`);
  }
  shownPartitions.clear();
  for (const p of sorted) {
    shownPartitions.set(p.id, p);
    const moving = Boolean(p.moving || (p.next ?? []).length > 0);
    const column = mapColumns.get(p.id);
    const frozen = Boolean(p.policy?.frozen);
    const pinned = p.policy?.pinnedLeader ?? null;
    column.classList.toggle('moving', moving);
    column.classList.toggle('error', Boolean(p.lastError));
    column.classList.toggle('frozen', frozen);
    setAttr(column, 'data-frozen', frozen ? 'true' : null);
    setAttr(column, 'data-pinned', pinned);
    setAttr(column, 'title', `${p.id}: current ${(p.current ?? []).join(' ')}`
      + (moving ? `, next ${(p.next ?? []).join(' ')}` : '') + (p.leader ? `, leader ${p.leader}` : ', no leader')
      + (frozen ? '\nfrozen: its replica set does not change' : '') + (pinned ? `\nleader pinned to ${pinned}` : '')
      + (p.step ? `\nstep: ${p.step}` : '') + (p.lastError ? `\nlast error: ${p.lastError}` : '')
      + `\nclick to ${frozen ? 'unfreeze' : 'freeze'}; click a member's cell to ${pinned ? 'unpin or re-pin' : 'pin'} the leader`);
    for (const id of workerIds) {
      const cell = mapCells.get(`${p.id}|${id}`);
      const roles = cellRoles(p, id);
      const className = ['cell', ...roles, moving ? 'moving' : null, pinned === id ? 'pinned' : null].filter(Boolean).join(' ');
      if (cell.className !== className) {
        cell.className = className;
        setAttr(cell, 'title', `${p.id} on ${id}: ${roles.length ? roles.join(', ') : 'no replica'}`);
      }
    }
  }
  const movingCount = sorted.filter((p) => p.moving || (p.next ?? []).length > 0).length;
  setText(document.getElementById('map-title'),
    `Partition map · ${sorted.length} partitions × ${workerIds.length} workers` + (movingCount ? ` · ${movingCount} moving` : ''));
}

// ------------------------------------------------------------------ events

const EVENT_TONE = {
  'node-dead': 'bad', 'drain-stalled': 'bad', 'partition-move-failed': 'bad',
  'drain-started': 'warn', 'drain-cancelled': 'warn', 'node-transition': 'warn',
  'drain-completed': 'good', 'node-alive': 'good', 'partition-moved': 'info', 'leadership-moved': 'info',
  'maintenance-started': 'warn', 'maintenance-ended': 'good', 'maintenance-expired': 'bad',
  'rollout-started': 'warn', 'rollout-node-restarted': 'good',
  'node-cordoned': 'warn', 'node-uncordoned': 'good', 'node-removed': 'warn',
  'partition-policy-changed': 'warn',
  'drain-group-started': 'warn', 'drain-group-at-risk': 'bad', 'drain-group-cancelled': 'warn', 'drain-group-completed': 'good',
  'replace-started': 'warn', 'replace-cancelled': 'warn', 'replace-finished': 'good', 'settings-changed': 'warn',
};

/** Adds events (oldest first, as the API returns them) to the top of the list. */
export function appendEvents(events) {
  const list = document.getElementById('events');
  for (const event of events) {
    if (list.querySelector(`[data-sequence="${Number(event.sequence)}"]`)) {
      continue;
    }
    const subject = [event.node, event.partition].filter(Boolean).join(' ');
    const numbers = event.numbers ? Object.entries(event.numbers).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    const item = h('li', {
      class: `event tone-${EVENT_TONE[event.kind] ?? 'plain'}`, 'data-testid': 'event',
      data: { kind: event.kind ?? 'other', sequence: String(event.sequence) },
      title: `#${event.sequence} ${event.at ?? ''}` + (numbers ? `\n${numbers}` : ''),
    },
    h('time', { datetime: event.at ?? '', text: time(event.at) }),
    h('span', { class: 'kind', text: String(event.kind ?? 'other').replaceAll('-', ' ') }),
    subject ? h('span', { class: 'subject', text: subject }) : null,
    h('span', { class: 'message', text: event.message ?? '' }));
    list.prepend(item);
  }
  while (list.children.length > EVENTS_KEPT) {
    list.lastElementChild.remove();
  }
}

export function clearEvents() {
  document.getElementById('events').replaceChildren();
}

// ------------------------------------------------------------------ throttles

/**
 * The controller's runtime throttles (GET /api/v1/settings): the values, where they come from, and what the controller's last
 * pass planned with, so an operator who changed them sees when they took effect.
 */
export function renderThrottles(settings) {
  if (settings === null) {
    setText(document.getElementById('throttle-per-node'), '–');
    setText(document.getElementById('throttle-in-cluster'), '–');
    setText(document.getElementById('throttle-transfer'), '–');
    setText(document.getElementById('throttle-source'), 'this node has no runtime settings (an older release)');
    setText(document.getElementById('throttle-in-use'), '');
    return;
  }
  setText(document.getElementById('throttle-per-node'), String(settings.maxChangesPerNode));
  setText(document.getElementById('throttle-in-cluster'), String(settings.maxChangesInCluster));
  // A release before the transfer limit answers without the field.
  const transfer = settings.maxTransferBytesPerSecond;
  setText(document.getElementById('throttle-transfer'), transfer === undefined ? '–'
    : `${transfer === 0 ? 'unlimited' : `${Math.floor(transfer / 1048576)} MiB/s`}${settings.transferRateSource === 'stored' ? '' : " (this node's flag)"}`);
  setText(document.getElementById('throttle-source'), settings.source === 'stored'
    ? `set at ${time(settings.changedAt)} by ${settings.changedBy}${settings.credential ? ` (${settings.credential})` : ''}`
    : "the controller's flags (nobody changed them)");
  setText(document.getElementById('throttle-in-use'), settings.inUse
    ? `the controller plans with ${settings.inUse.maxChangesPerNode} per worker, ${settings.inUse.maxChangesInCluster} in the cluster`
    : 'the controller has not published what it plans with');
}
