package dev.sluice.scheduler;

import dev.sluice.model.NodeId;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The full plan a what-if leads to: passes are run with throttles lifted, each one's changes simulated
 * as completed, until a pass changes nothing.
 *
 * @param moves every replica move of every pass, in pass order and then by partition
 * @param leadershipChanges every leadership move of every pass, same order
 * @param violations what is still not satisfied at the fixpoint (explanations of the last pass)
 * @param passes how many passes ran, the last one changing nothing if {@code converged}
 * @param converged false if the pass limit was reached first (a bug worth reporting)
 * @param replicasPerWorker replicas each eligible worker holds at the end, by id
 * @param leadersPerWorker leaderships each eligible worker holds at the end, by id
 */
public record DryRunReport(
        List<Move> moves,
        List<LeadershipChange> leadershipChanges,
        List<Explanation> violations,
        int passes,
        boolean converged,
        Map<NodeId, Integer> replicasPerWorker,
        Map<NodeId, Integer> leadersPerWorker) {

    public DryRunReport {
        moves = List.copyOf(moves);
        leadershipChanges = List.copyOf(leadershipChanges);
        violations = List.copyOf(violations);
        replicasPerWorker = Collections.unmodifiableMap(new TreeMap<>(replicasPerWorker));
        leadersPerWorker = Collections.unmodifiableMap(new TreeMap<>(leadersPerWorker));
    }
}
