package dev.sluice.controller;

import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.Objects;

/**
 * What the controller remembers of one worker's latest drain, stored so that progress survives a
 * controller failover: when it started, what the worker held then, and how it ended.
 *
 * @param drainVersion the nodes-configuration version that made the worker draining; a new drain of the
 *     same worker has a newer one
 * @param outcome {@code disabled} (finished) or {@code active} (cancelled), or {@code null} while running
 * @param replacedBy when the drain is a replace, the worker that receives the replicas, else {@code null} (since the
 *     replace; absent in older records)
 */
public record DrainRecord(
        NodeId node,
        GenerationalNodeId incarnation,
        String name,
        Version drainVersion,
        Instant startedAt,
        int replicasAtStart,
        int leadershipsAtStart,
        Instant completedAt,
        WorkerState outcome,
        NodeId replacedBy) {

    /** A drain that is no replace. */
    public DrainRecord(NodeId node, GenerationalNodeId incarnation, String name, Version drainVersion, Instant startedAt, int replicasAtStart,
            int leadershipsAtStart, Instant completedAt, WorkerState outcome) {
        this(node, incarnation, name, drainVersion, startedAt, replicasAtStart, leadershipsAtStart, completedAt, outcome, null);
    }

    public DrainRecord {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(drainVersion, "drainVersion");
        Objects.requireNonNull(startedAt, "startedAt");
    }

    public boolean running() {
        return outcome == null;
    }

    public DrainRecord ended(WorkerState how, Instant at) {
        return new DrainRecord(node, incarnation, name, drainVersion, startedAt, replicasAtStart, leadershipsAtStart, at, how, replacedBy);
    }
}
