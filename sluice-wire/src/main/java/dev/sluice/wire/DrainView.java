package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Where one worker's drain stands, as the admin API serves it ({@code drain} of a node, {@code drains} of the
 * cluster, {@code GET /api/v1/nodes/{node}/drain}) and the CLI, the dashboard and the chaos harness read it.
 * The controller computes it on every pass; see its {@code DrainProgress} for what each number means.
 *
 * @param state the worker's state now: {@code draining} while it runs, {@code disabled} once done,
 *     {@code active} if it was cancelled
 * @param completedAt when the worker became disabled, or {@code null} while it drains
 * @param etaSeconds time to finish at the current rate, or {@code null} before the first move completes
 * @param waitingFor while running, what the drain waits for before the worker can be disabled, in one line;
 *     {@code null} otherwise
 * @param stalledPartitions the partitions the drain is stalled on, at most 20 of them
 * @param stalledLeftOut how many more partitions the drain is stalled on than {@code stalledPartitions} lists (0 from a
 *     release before the bound)
 * @param replacedBy when the drain is a replace, the worker receiving the replicas ({@code N5 (worker-5)}); {@code null}
 *     for a plain drain (since the replace)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DrainView(
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
        String replacedBy,
        @JsonSetter(nulls = Nulls.AS_EMPTY) int stalledLeftOut) {

    /** A drain that is no replace. */
    public DrainView(NodeId node, GenerationalNodeId incarnation, String name, WorkerState state, Instant startedAt, Instant completedAt,
            int replicasAtStart, int replicasRemaining, int leadershipsRemaining, int movesInFlight, int movesDone, double ratePerMinute, Long etaSeconds,
            boolean stalled, List<StalledPartition> stalledPartitions, String waitingFor, Instant updatedAt) {
        this(node, incarnation, name, state, startedAt, completedAt, replicasAtStart, replicasRemaining, leadershipsRemaining, movesInFlight, movesDone,
                ratePerMinute, etaSeconds, stalled, stalledPartitions, waitingFor, updatedAt, null, 0);
    }

    /** How many partitions the drain is stalled on: those listed and those left out. */
    public int stalledCount() {
        return stalledPartitions.size() + stalledLeftOut;
    }

    public DrainView {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(state, "state");
        stalledPartitions = Lists.copyOrEmpty(stalledPartitions);
    }

    /**
     * A partition the drain cannot move, or whose files the draining worker cannot drop.
     *
     * @param partition the partition, or {@code null} when the stall is the worker's as a whole
     * @param worker the worker the reason is about
     * @param reason a stall reason's wire name ({@code removal-pending}); text, so that a reader older than the
     *     controller still shows a reason it does not know
     * @param since when the partition last made progress
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StalledPartition(PartitionId partition, NodeId worker, String reason, String message, Instant since) {}
}
