package dev.sluice.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One applied worker-state transition: who moved which incarnation of which node from what to what,
 * why, when, whether forced, and the nodes-configuration version it produced. Replaying the audit
 * records in version order reproduces every node's worker state.
 *
 * @param credential the API credential that asked for it, when an operator asked through an API whose node
 *     checks credentials; {@code null} for the controller's and a node's own transitions and on a node without
 *     credentials (since the scoped credentials: older records have none)
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
        String requestId,
        CredentialName credential) {

    /** A transition no credential asked for: the controller's, a node's own, or one on a node without credentials. */
    public AuditRecord(GenerationalNodeId node, String nodeName, WorkerState from, WorkerState to, Actor actor, String reason, boolean forced,
            Instant at, Version version, String requestId) {
        this(node, nodeName, from, to, actor, reason, forced, at, version, requestId, null);
    }

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
