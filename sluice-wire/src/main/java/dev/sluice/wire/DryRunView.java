package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.WorkerState;
import java.util.List;
import java.util.Map;

/**
 * The answer to a dry-run: would the change be allowed, and what would move.
 *
 * @param dryRun always {@code true}, which tells this answer from a {@link StateChanged}
 * @param refusal what the change would be refused with, or {@code null} when it is allowed
 * @param violations what the scheduler still could not satisfy after the plan
 * @param replicasPerWorker replicas each worker would hold afterwards, by node id
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DryRunView(
        boolean dryRun,
        NodeView node,
        WorkerState target,
        boolean allowed,
        RefusalView refusal,
        List<MoveView> moves,
        List<LeadershipChangeView> leadershipChanges,
        List<ExplanationView> violations,
        Map<String, Integer> replicasPerWorker,
        List<String> warnings) {

    public DryRunView {
        moves = Lists.copyOrEmpty(moves);
        leadershipChanges = Lists.copyOrEmpty(leadershipChanges);
        violations = Lists.copyOrEmpty(violations);
        warnings = Lists.copyOrEmpty(warnings);
    }
}
