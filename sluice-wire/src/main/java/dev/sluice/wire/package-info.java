/**
 * The JSON records both sides of Sluice's HTTP wires share: the worker's status report ({@code GET
 * /internal/v1/status}: {@link dev.sluice.wire.WorkerStatus} and its parts) and the admin API's answers
 * ({@code /api/v1/…}: {@link dev.sluice.wire.NodeView}, {@link dev.sluice.wire.DrainView}, …). The writer
 * serializes a record and the reader deserializes the same record, so a field renamed on one side fails a
 * test instead of reading as blank on the other.
 *
 * <p>Rules, because workers, controllers, nodes and CLIs of neighbouring versions talk during a rolling
 * upgrade and the admin API's shapes are a published contract ({@code openapi.json}):
 * <ul>
 *   <li>Field names and enum wire names never change; fields are only added.
 *   <li>Every record ignores properties it does not know ({@code @JsonIgnoreProperties}), whatever mapper
 *       reads it.
 *   <li>An added field is a reference type that may be {@code null} (a list: empty), since an older writer
 *       leaves it out and the shared mapper refuses a missing primitive.
 *   <li>An enum a newer writer may extend reads an unknown name as a catch-all ({@link
 *       dev.sluice.wire.ReplicaRole#UNKNOWN}); codes owned by modules this one cannot see (stall reasons,
 *       scheduler reasons and causes, refusal kinds) travel as their wire-name text.
 * </ul>
 *
 * <p>Depends only on {@code sluice-model} and Jackson's annotations, so the CLI can read the API without the
 * controller and the controller can read a worker without the worker.
 */
package dev.sluice.wire;
