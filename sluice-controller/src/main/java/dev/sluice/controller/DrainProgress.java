package dev.sluice.controller;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
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
 * @param stalledPartitions partitions that cannot move and why, at most {@link #MAX_STALLED_LISTED} of them, in partition order
 * @param waitingFor while running, what the drain waits for before the worker can be disabled, in one
 *     line (e.g. {@code N4 still holds P17's files: removal pending for 40 s (…)}); {@code null} otherwise
 * @param replacedBy when the drain is a replace, the worker receiving the replicas; {@code null} for a plain drain
 * @param stalledLeftOut how many more stalls there are than {@code stalledPartitions} lists (0 in a drain from a controller
 *     before the bound)
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
        NodeId replacedBy,
        @JsonSetter(nulls = Nulls.AS_EMPTY) int stalledLeftOut) {

    /**
     * Stalls a drain lists. A worker holding 300,000 replicas whose drain stalls on all of them (its zone has no room)
     * listed every one: tens of megabytes in one document. The first ones say why; the count says how many more.
     */
    public static final int MAX_STALLED_LISTED = 20;

    /** A drain that is no replace. */
    public DrainProgress(NodeId node, GenerationalNodeId incarnation, String name, WorkerState state, Instant startedAt, Instant completedAt,
            int replicasAtStart, int replicasRemaining, int leadershipsRemaining, int movesInFlight, int movesDone, double ratePerMinute, Long etaSeconds,
            boolean stalled, List<StalledPartition> stalledPartitions, String waitingFor, Instant updatedAt) {
        this(node, incarnation, name, state, startedAt, completedAt, replicasAtStart, replicasRemaining, leadershipsRemaining, movesInFlight, movesDone,
                ratePerMinute, etaSeconds, stalled, stalledPartitions, waitingFor, updatedAt, null, 0);
    }

    public DrainProgress {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(state, "state");
        stalledPartitions = stalledPartitions == null ? List.of() : stalledPartitions;
        if (stalledPartitions.size() > MAX_STALLED_LISTED) {
            stalledLeftOut += stalledPartitions.size() - MAX_STALLED_LISTED;
            stalledPartitions = stalledPartitions.subList(0, MAX_STALLED_LISTED);
        }
        stalledPartitions = List.copyOf(stalledPartitions);
    }

    /** How many partitions the drain is stalled on: those listed and those left out. */
    public int stalledCount() {
        return stalledPartitions.size() + stalledLeftOut;
    }

    /**
     * Whether {@code other} says the same as this one about the drain, apart from what changes with the clock alone (when
     * it was computed, the rate and the ETA): a drain's document is rewritten when this changes, or when it is old.
     */
    boolean saysTheSameAs(DrainProgress other) {
        // other with this one's clock-driven parts, compared as records: a field added later takes part without a word here.
        return other != null && equals(new DrainProgress(other.node, other.incarnation, other.name, other.state, other.startedAt, other.completedAt,
                other.replicasAtStart, other.replicasRemaining, other.leadershipsRemaining, other.movesInFlight, other.movesDone, ratePerMinute,
                etaSeconds, other.stalled, other.stalledPartitions, other.waitingFor, updatedAt, other.replacedBy, other.stalledLeftOut));
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
            if (stalledCount() > 3) {
                text.append("and ").append(stalledCount() - 3).append(" more");
            }
        }
        return text.toString();
    }
}
