package dev.sluice.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * After a cluster's first start (or a restart of every worker) each partition's leader is whichever member won its
 * election, not the one the placement chose: leaderships are uneven by chance. Passes of an {@link IncrementalScheduler}
 * balance them, each within its budget of transfers, to within one leadership per worker, with few more transfers than the
 * workers over the mean must shed, and no more passes than the budget makes necessary. (What each pass costs at fleet size is {@code SchedulerScale --elect}.)
 *
 * <p>{@code -Dsluice.scheduler.elections.seed=N} replays another draw.
 */
class ElectedLeadersTest {

    private static final long SEED = Long.getLong("sluice.scheduler.elections.seed", 20261130L);
    private static final int WORKERS = 300;
    private static final int PARTITIONS = 30_000;
    private static final int BUDGET = 16;

    @Test
    void leadershipsElectionsLeftAreBalancedWithinTheBudgetAndNearTheMinimumOfTransfers() {
        System.out.println("ElectedLeadersTest: seed " + SEED + " (-Dsluice.scheduler.elections.seed=N replays another)");
        Fixtures.Cluster cluster = new Fixtures.Cluster(PARTITIONS, 3, 3);
        for (int id = 1; id <= WORKERS; id++) {
            cluster.worker(id, "r.z" + id % 3, WorkerState.ACTIVE);
        }
        cluster.limits(new SchedulerLimits(4, 1_000, Duration.ofSeconds(60), BUDGET));
        IncrementalScheduler scheduler = new IncrementalScheduler(cluster.table);
        cluster.apply(scheduler.schedule(cluster.input()));

        Random random = new Random(SEED);
        for (Placement placement : List.copyOf(cluster.placements.values())) {
            List<NodeId> members = placement.current();
            cluster.placements.put(placement.partition(), placement.withLeader(members.get(random.nextInt(members.size()))));
        }
        Map<NodeId, Integer> elected = cluster.leadersPerNode();
        int ceiling = (PARTITIONS + WORKERS - 1) / WORKERS;
        int mustShed = elected.values().stream().mapToInt(count -> Math.max(0, count - ceiling)).sum();
        int spreadBefore = spread(elected);
        assertThat(spreadBefore).as("leaderships per worker after the elections, max - min").isGreaterThan(10);

        int transfers = 0;
        int passes = 0;
        while (true) {
            Plan plan = scheduler.schedule(cluster.input());
            passes++;
            assertThat(plan.replicaSetChanges()).as("pass " + passes + ": no replica moves for leaderships").isEmpty();
            long paid = plan.leadershipChanges().stream().filter(change -> change.cause() == LeadershipChange.Cause.BALANCE).count();
            assertThat(paid).as("pass " + passes + ": balancing transfers").isLessThanOrEqualTo(BUDGET);
            assertThat(plan.leadershipChanges()).as("pass " + passes + ": only balancing").hasSize((int) paid);
            if (plan.hasNoChanges()) {
                break;
            }
            transfers += plan.leadershipChanges().size();
            cluster.apply(plan);
            assertThat(passes).as("passes, against the %d leaderships to shed", mustShed).isLessThan(10 * mustShed / BUDGET + 10);
        }
        Map<NodeId, Integer> balanced = cluster.leadersPerNode();
        System.out.printf("ElectedLeadersTest: spread %d -> %d in %d passes, %d transfers (workers over %d leaderships held %d more)%n",
                spreadBefore, spread(balanced), passes, transfers, ceiling, mustShed);
        assertThat(spread(balanced)).as("leaderships per worker at the end, max - min: " + balanced).isLessThanOrEqualTo(1);
        // A chain of transfers sheds one leadership for each of its hops: a fifth more than the minimum in this draw.
        assertThat(transfers).as("transfers, against the %d the workers over the mean had to shed", mustShed).isBetween(mustShed, mustShed + mustShed / 4);
        // Every pass but the last few spends its whole budget: the budget, not the search, paces the balancing.
        assertThat(passes).as("passes for %d transfers of %d a pass", transfers, BUDGET).isLessThanOrEqualTo(transfers / BUDGET + 3);
    }

    private static int spread(Map<NodeId, Integer> leaders) {
        int max = leaders.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        int min = leaders.size() < WORKERS ? 0 : leaders.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        return max - min;
    }
}
