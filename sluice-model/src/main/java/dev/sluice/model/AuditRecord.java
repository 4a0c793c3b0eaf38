package dev.sluice.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One applied worker-state transition: who moved which incarnation of which node from what to what,
 * why, when, whether forced, and the nodes-configuration version it produced. Replaying the audit
 * records in version order reproduces every node's worker state.
 */
public record AuditRecord(
        GenerationalNodeId node,
        String nodeName,
        WorkerState from,
        WorkerState to,
        Actor actor,
        String reason,
        boolean forced,
        Instant at,
        Version version,
        String requestId) {

    public AuditRecord {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(version, "version");
        reason = reason == null ? "" : reason;
        requestId = requestId == null ? "" : requestId;
    }
}
