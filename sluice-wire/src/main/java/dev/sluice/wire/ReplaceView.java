package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The answer to a replace ({@code POST /api/v1/nodes/{node}/replace}), started or dry-run: the two workers, whether the
 * replace is (or would be) allowed, and its plan — every move (each of the replaced worker's replicas to the receiving
 * worker), the leadership changes, and how long it takes under the throttles in force.
 *
 * @param dryRun whether nothing was written
 * @param changed whether this request wrote the replace (false for a dry-run, and for a retry that found its own write)
 * @param old the worker being replaced, as it is now (draining once the replace is written)
 * @param replacement the worker receiving the replicas
 * @param allowed whether the replace is (would be) allowed
 * @param refusal what a dry-run would be refused with, or {@code null}
 * @param waves rounds of moves the throttles allow at once: the moves all involve the receiving worker
 * @param etaSeconds the plan's estimated time: waves × the measured time of one move, or, when longer, the time the
 *     replacement needs to take in the replicas' data under the catch-up transfer limit
 * @param transfer the data the moves copy, and the limit counted with
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplaceView(
        boolean dryRun,
        boolean changed,
        NodeView old,
        NodeView replacement,
        boolean allowed,
        RefusalView refusal,
        List<MoveView> moves,
        List<LeadershipChangeView> leadershipChanges,
        List<ExplanationView> violations,
        int maxChangesPerNode,
        int maxChangesInCluster,
        int waves,
        long etaSeconds,
        TransferView transfer) {

    public ReplaceView {
        moves = Lists.copyOrEmpty(moves);
        leadershipChanges = Lists.copyOrEmpty(leadershipChanges);
        violations = Lists.copyOrEmpty(violations);
    }
}
