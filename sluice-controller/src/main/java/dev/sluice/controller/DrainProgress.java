package dev.sluice.controller;

import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Where one worker's drain stands: the one status object the HTTP API, the CLI progress bar and the
 * dashboard all show. Computed by the controller on every pass from the placements, what the nodes
 * report, and the drain's start record.
 *
 * @param state the worker's state now: {@code draining} while it runs, {@code disabled} once done,
 *     {@code active} if it was cancelled
 * @param replicasAtStart replicas the worker held when the controller first saw it draining
 * @param replicasRemaining partitions whose current or next replica set still names the worker
 * @param leadershipsRemaining partitions the worker still leads
 * @param movesInFlight replica-set changes under way that take a replica off the worker
 * @param movesDone replicas moved off since the drain started
 * @param ratePerMinute replicas moved off per minute since the drain started
 * @param etaSeconds time to finish at that rate, or {@code null} before the first move completes
 * @param stalled whether the drain has made no progress for the stall period and something blocks it
 * @param stalledPartitions each partition that cannot move and why
 * @param waitingFor while running, what the drain waits for before the worker can be disabled, in one
 *     line (e.g. {@code N4 still holds P17's files: removal pending for 40 s (…)}); {@code null} otherwise
 * @param replacedBy when the drain is a replace, the worker receiving the replicas; {@code null} for a plain drain
 */
public record DrainProgress(
        NodeId node,
        GenerationalNodeId incarnation,
        String name,
        WorkerState state,
        Instant startedAt,
        Instant completedAt,
        int replicasAtStart,
        int replicasRemaining,
        int leadershipsRemaining,
        int movesInFlight,
        int movesDone,
        double ratePerMinute,
        Long etaSeconds,
        boolean stalled,
        List<StalledPartition> stalledPartitions,
        String waitingFor,
        Instant updatedAt,
        NodeId replacedBy) {

    /** A drain that is no replace. */
    public DrainProgress(NodeId node, GenerationalNodeId incarnation, String name, WorkerState state, Instant startedAt, Instant completedAt,
            int replicasAtStart, int replicasRemaining, int leadershipsRemaining, int movesInFlight, int movesDone, double ratePerMinute, Long etaSeconds,
            boolean stalled, List<StalledPartition> stalledPartitions, String waitingFor, Instant updatedAt) {
        this(node, incarnation, name, state, startedAt, completedAt, replicasAtStart, replicasRemaining, leadershipsRemaining, movesInFlight, movesDone,
                ratePerMinute, etaSeconds, stalled, stalledPartitions, waitingFor, updatedAt, null);
    }

    public DrainProgress {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(state, "state");
        stalledPartitions = stalledPartitions == null ? List.of() : List.copyOf(stalledPartitions);
    }

    /**
     * A partition a drain cannot move, or whose files the draining worker cannot drop.
     *
     * @param worker the worker the reason is about: the joiner that does not host the group, the worker
     *     whose removal is pending, or the draining worker itself
     * @param partition the partition, or {@code null} when the stall is the worker's as a whole (it does not
     *     answer, so which groups it still holds is not known)
     * @param since when the partition last made progress
     */
    public record StalledPartition(PartitionId partition, NodeId worker, StallReason reason, String message, Instant since) {
        public StalledPartition {
            Objects.requireNonNull(worker, "worker");
            Objects.requireNonNull(reason, "reason");
        }
    }

    public boolean finished() {
        return state == WorkerState.DISABLED;
    }

    /** A one-line summary, for logs and events. */
    public String summary() {
        StringBuilder text = new StringBuilder()
                .append(node).append(' ').append(state).append(replacedBy == null ? "" : " (replaced by " + replacedBy + ")")
                .append(": ").append(replicasRemaining).append('/').append(replicasAtStart).append(" replicas left, ")
                .append(leadershipsRemaining).append(" leaderships, ").append(movesInFlight).append(" moving");
        if (etaSeconds != null) {
            text.append(", eta ").append(etaSeconds).append(" s");
        }
        if (stalled) {
            text.append(", STALLED: ");
            stalledPartitions.stream().limit(3).forEach(s -> text.append(s.partition()).append(' ').append(s.reason()).append(": ")
                    .append(s.message()).append("; "));
        }
        return text.toString();
    }
}
