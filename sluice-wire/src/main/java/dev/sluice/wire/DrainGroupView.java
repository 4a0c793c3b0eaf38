package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.NodeId;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.List;

/**
 * A drain of several workers (or a zone, or one worker with a deadline) as one operation, as the admin API serves
 * it ({@code GET /api/v1/drains/{drain}}, the answer to starting and cancelling one, {@code drainGroups} of the
 * cluster) and the CLI and the dashboard read it. The controller computes the progress every pass; see its
 * {@code DrainGroupProgress}.
 *
 * @param state {@code running}, {@code completed} or {@code cancelled}
 * @param members each worker's own drain, in the group's order
 * @param etaSeconds time to finish at the group's rate; {@code 0} once ended; {@code null} before the first move
 *     completed or while a stall makes it unknown
 * @param deadline when the operator wants it done, or {@code null}
 * @param deadlineStatus {@code none}, {@code on-track}, {@code at-risk}, {@code overdue}, {@code met} or {@code missed}
 * @param timeLeftSeconds seconds to the deadline (negative past it), or {@code null} without one
 * @param progressKnown whether the controller has published progress for it yet (false just after it started:
 *     the numbers are then zero, not measured)
 * @param pendingMembers members whose change of state the controller has still to write: of a running group too large
 *     for one write, those not yet draining; of a cancelled one, those not yet back to active (0 from a server before it)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DrainGroupView(
        String id,
        String reason,
        String zone,
        String state,
        Instant startedAt,
        Instant endedAt,
        List<Member> members,
        int replicasAtStart,
        int replicasRemaining,
        int leadershipsRemaining,
        int movesInFlight,
        int movesDone,
        double ratePerMinute,
        Long etaSeconds,
        boolean stalled,
        List<DrainView.StalledPartition> stalledPartitions,
        Instant deadline,
        String deadlineStatus,
        Long timeLeftSeconds,
        boolean progressKnown,
        Instant updatedAt,
        int pendingMembers) {

    public DrainGroupView {
        members = Lists.copyOrEmpty(members);
        stalledPartitions = Lists.copyOrEmpty(stalledPartitions);
    }

    /** At risk of missing its deadline, or past it while running. */
    public boolean atRisk() {
        return "at-risk".equals(deadlineStatus) || "overdue".equals(deadlineStatus);
    }

    /**
     * One worker of the group.
     *
     * @param state its worker state now
     * @param drain its own drain progress, or {@code null} before the controller picked it up
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Member(NodeId node, String name, WorkerState state, DrainView drain) {
        public String label() {
            return node + " (" + name + ")";
        }
    }
}
