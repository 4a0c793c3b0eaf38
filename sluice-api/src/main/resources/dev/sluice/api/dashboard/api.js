// The admin API as the dashboard uses it: JSON over fetch on the same origin, the bearer token from the
// browser's local storage on every request, and one error type that says whether the node answered.

const TOKEN_KEY = 'sluice.token';

/** A request that gets no answer within this time counts as the cluster being unreachable. */
export const REQUEST_TIMEOUT_MS = 4000;

/**
 * A failed request. `status` is 0 when the node did not answer at all (network error or timeout);
 * otherwise it is the HTTP status and `body` the parsed JSON answer (the API always answers JSON with a
 * `message`), or null.
 */
export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
  }

  get unreachable() {
    return this.status === 0;
  }
}

export function storedToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function storeToken(token) {
  try {
    if (token) {
      localStorage.setItem(TOKEN_KEY, token);
    } else {
      localStorage.removeItem(TOKEN_KEY);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes a token from a `#token=…` fragment, stores it and removes it from the address bar. A fragment
 * never reaches the server, so the token stays out of access logs; removing it keeps it out of
 * screenshots and the browser history. Returns whether a token was found.
 */
export function adoptTokenFromFragment() {
  const hash = window.location.hash.startsWith('#') ? window.location.hash.slice(1) : '';
  const params = new URLSearchParams(hash);
  if (!params.has('token')) {
    return false;
  }
  storeToken(params.get('token').trim());
  params.delete('token');
  const rest = params.toString();
  window.history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? '#' + rest : ''));
  return true;
}

async function request(method, path, body) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  const headers = { Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  // A cluster that checks credentials needs the token for reads too (the read scope), not only for changes.
  const token = storedToken();
  if (token) {
    headers.Authorization = 'Bearer ' + token;
  }
  let response;
  let text;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
    text = await response.text();
  } catch (e) {
    throw new ApiError(0, null, abort.signal.aborted
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : `the node did not answer (${e.message})`);
  } finally {
    clearTimeout(timer);
  }
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const message = json && typeof json.message === 'string' ? json.message : `HTTP ${response.status} ${response.statusText}`;
    throw new ApiError(response.status, json, message);
  }
  if (json === null) {
    throw new ApiError(response.status, null, `${path} did not answer JSON`);
  }
  return json;
}

const node = (id) => '/api/v1/nodes/' + encodeURIComponent(id);

export const cluster = () => request('GET', '/api/v1/cluster');
export const nodes = () => request('GET', '/api/v1/nodes');
/** The partitions the map shows at most: a column each, and each poll reads their placements. */
export const MAP_PARTITIONS = 256;
/** The first partitions by id, at most MAP_PARTITIONS: a million would take each poll minutes to read. */
export const partitions = () => request('GET', '/api/v1/partitions?limit=' + MAP_PARTITIONS);
/** The controller's runtime throttles: changes under way per worker and in the cluster. */
/**
 * The throttles (stored and in use); null from a node of a release without runtime settings (404), so the rest of the
 * page still shows.
 */
export async function settings() {
  try {
    return await request('GET', '/api/v1/settings');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return null;
    }
    throw error;
  }
}

/** Events after sequence `since`, or the newest ones when `since` is null; oldest first. */
export function events(since, limit) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (since !== null && since !== undefined) {
    query.set('since', String(since));
  }
  return request('GET', '/api/v1/events?' + query);
}

/**
 * Asks for a worker-state change (or its dry-run). Resolves with the 200 answer; rejects with an
 * ApiError whose body is the refusal for a 409, or the error for 401, 404 and the rest.
 */
export function requestState(nodeId, { state, reason = '', force = false, dryRun = false }) {
  return request('POST', node(nodeId) + '/state', { state, reason, force, dryRun });
}

/**
 * Begins or extends a worker's maintenance (or dry-runs it). A dry-run resolves with the plan: `allowed`,
 * `refusal` (with the partitions at risk in `blocking`), `leadershipChanges` and `warnings`; anything else with
 * the node. Rejects with an ApiError whose body is the refusal for a 409.
 */
export function beginMaintenance(nodeId, { durationSeconds, reason = '', force = false, dryRun = false }) {
  return request('POST', node(nodeId) + '/maintenance', { durationSeconds, reason, force, dryRun });
}

/** Ends a worker's maintenance; a worker in none answers `changed: false`. */
export const endMaintenance = (nodeId) => request('DELETE', node(nodeId) + '/maintenance');

/** Cordons a worker: no new replica or leadership, it keeps what it holds. A cordoned one answers `changed: false`. */
export const cordon = (nodeId, reason = '') => request('POST', node(nodeId) + '/cordon', { reason });

/** Lifts a worker's cordon; one without a cordon answers `changed: false`. */
export const uncordon = (nodeId) => request('DELETE', node(nodeId) + '/cordon');

const partition = (id) => '/api/v1/partitions/' + encodeURIComponent(id);

/** Freezes (`frozen`) or unfreezes a partition's replica set; resolves with `{partition, changed}`. */
export const freeze = (partitionId, frozen, reason = '') => frozen
  ? request('POST', partition(partitionId) + '/freeze', { reason })
  : request('DELETE', partition(partitionId) + '/freeze');

/** Pins a partition's leader to `nodeId`, a member of its current set; rejects with the server's refusal otherwise. */
export const pinLeader = (partitionId, nodeId, reason = '') => request('POST', partition(partitionId) + '/pin-leader', { node: nodeId, reason });

/** Lifts a partition's leader pin. */
export const unpinLeader = (partitionId) => request('DELETE', partition(partitionId) + '/pin-leader');

/**
 * Removes a disabled, stopped worker that holds nothing, for good (the admin scope). Resolves with `{id, name,
 * lastGeneration, removedAt}`; rejects with an ApiError whose body is the refusal (and its reason) for a 409.
 */
export const removeNode = (nodeId, reason = '') => request('DELETE', node(nodeId) + (reason ? '?' + new URLSearchParams({ reason }) : ''));

/**
 * Starts a rolling restart (or dry-runs it) of `scope`: `{}` for every active worker, `{ zone }` or `{ nodes }`.
 * A dry-run resolves with the plan (the workers in order, each with `leads`, `blocking` and `warnings`), a start
 * with the rollout.
 */
export function startRollout(scope, { nodeTimeoutSeconds, reason = '', dryRun = false }) {
  return request('POST', '/api/v1/rollouts', { ...scope, nodeTimeoutSeconds, reason, dryRun });
}

/** The running rolling restart or the last one; null when none has ever run (the API answers 404). */
export async function currentRollout() {
  try {
    return await request('GET', '/api/v1/rollouts/current');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return null;
    }
    throw error;
  }
}

/**
 * Every group drain (several workers or a zone drained as one operation), newest first, with its progress; none from a
 * node of a release without group drains (404), so the rest of the page still shows.
 */
export async function drainGroups() {
  try {
    return await request('GET', '/api/v1/drains');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return [];
    }
    throw error;
  }
}

/** Cancels the running rolling restart; one that already ended is answered as it is. */
export const cancelRollout = () => request('DELETE', '/api/v1/rollouts/current');

/**
 * The credential the stored token is: `{checked, name, scopes, grants}`, where `grants` lists every scope it may use
 * (read, operate, admin, data). Null when the node does not say (one older than credentials): the server decides.
 */
export async function credential() {
  try {
    return await request('GET', '/api/v1/credential');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return null;
    }
    throw error;
  }
}
