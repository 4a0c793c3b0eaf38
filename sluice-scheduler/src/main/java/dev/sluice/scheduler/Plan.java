package dev.sluice.scheduler;

import java.util.List;

/**
 * The outcome of one scheduling pass: what to change, and what could not be done and why. Every list is
 * sorted by partition, so the same input always gives an equal plan.
 *
 * @param replicaSetChanges next replica sets to write (initial sets of new partitions included)
 * @param leadershipChanges leadership moves; each needs no replica move and is not throttled
 * @param explanations what the pass could not do, one entry per partition and reason
 */
public record Plan(List<ReplicaSetChange> replicaSetChanges, List<LeadershipChange> leadershipChanges,
        List<Explanation> explanations, Summary summary) {

    public Plan {
        replicaSetChanges = List.copyOf(replicaSetChanges);
        leadershipChanges = List.copyOf(leadershipChanges);
        explanations = List.copyOf(explanations);
    }

    /** Whether the plan changes nothing (explanations may still say why something waits). */
    public boolean hasNoChanges() {
        return replicaSetChanges.isEmpty() && leadershipChanges.isEmpty();
    }

    /**
     * Numbers about the cluster as it will be once this plan's changes, those already under way and
     * the required ones waiting for a throttle slot are done (so a throttled drain already shows its
     * end state). "Eligible" workers are the Active, alive ones: the only ones that may receive replicas.
     *
     * @param changesInFlight placements that already had a next set (revisions included)
     * @param throttled required changes that wait for a slot
     * @param replicasPerWorkerMin fewest replicas on an eligible worker (0 if there is none)
     * @param leadersPerWorkerMax most leaderships on an eligible worker
     */
    public record Summary(
            int eligibleWorkers,
            int partitions,
            int changesInFlight,
            int newChanges,
            int throttled,
            int replicasPerWorkerMin,
            int replicasPerWorkerMax,
            int leadersPerWorkerMin,
            int leadersPerWorkerMax) {

        /** Whether replicas and leaders differ by at most one between eligible workers. */
        public boolean balanced() {
            return replicasPerWorkerMax - replicasPerWorkerMin <= 1 && leadersPerWorkerMax - leadersPerWorkerMin <= 1;
        }
    }
}
