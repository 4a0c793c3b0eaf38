package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.n;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.WorkerState;
import org.junit.jupiter.api.Test;

/**
 * A plan without the leader-chain search (what the controller asks for while replica sets change): leaderships that
 * must move still move, balancing transfers are not searched for.
 */
class LeaderChainsTest {

    /**
     * Four workers, twelve partitions, nine replicas on each (sets 1-2-3, 2-3-4, 3-4-1, 4-1-2 in turn, so no replica
     * needs to move), and nine leaderships on worker 1, three on worker 2, none on 3 and 4.
     */
    private static Fixtures.Cluster unevenLeaders() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(12, 3, 1).workers(1, 4, "local.z1");
        int[][] sets = {{1, 2, 3}, {2, 3, 4}, {3, 4, 1}, {4, 1, 2}};
        for (int i = 0; i < 12; i++) {
            int[] members = sets[i % 4];
            int leader = i % 4 == 1 ? 2 : 1;
            cluster.place(i, leader, members);
        }
        return cluster;
    }

    private static Plan withoutChains(Fixtures.Cluster cluster) {
        SchedulerInput input = cluster.input();
        IncrementalScheduler scheduler = new IncrementalScheduler(input.table());
        input.placements().values().forEach(scheduler::put);
        return scheduler.scheduleWithoutLeaderChains(input.nodes(), input.liveness(), input.limits(), input.now());
    }

    @Test
    void unevenLeadershipsAreBalancedWithTheSearchAndLeftWithoutIt() {
        Fixtures.Cluster cluster = unevenLeaders();

        assertThat(cluster.schedule().leadershipChanges()).as("with the search: balancing transfers")
                .isNotEmpty().allMatch(change -> change.cause() == LeadershipChange.Cause.BALANCE);
        assertThat(cluster.schedule().replicaSetChanges()).as("nothing to move").isEmpty();
        assertThat(withoutChains(cluster).leadershipChanges()).as("without it: none").isEmpty();
        assertThat(withoutChains(cluster).replicaSetChanges()).isEmpty();
    }

    @Test
    void withoutTheSearchADrainingLeadersLeadershipsStillMove() {
        Fixtures.Cluster cluster = unevenLeaders().state(1, WorkerState.DRAINING);

        Plan plan = withoutChains(cluster);

        assertThat(plan.leadershipChanges()).filteredOn(change -> n(1).equals(change.from()))
                .hasSize(9).allMatch(change -> change.cause() == LeadershipChange.Cause.LEADER_DRAINING);
        assertThat(plan.leadershipChanges()).noneMatch(change -> change.cause() == LeadershipChange.Cause.BALANCE && !n(1).equals(change.from()));
    }
}
