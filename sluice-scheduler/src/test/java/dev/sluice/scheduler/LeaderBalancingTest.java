package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.n;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Leader balancing's search, which applies many chains of transfers per search, against the rules it must keep and
 * against the search as it was (one search per chain, {@link Pass#withOneChainPerSearch}): on seeded random clusters
 * whose leaderships are uneven — skewed leaders, drained and dead leaders whose leaderships move anyway, cordoned,
 * provisioning and dead workers, frozen and pinned partitions, budgets from none to plenty — one pass must
 *
 * <ul>
 *   <li>end as balanced as the old search ends (leaderships per candidate, max − min), and balanced (max − min ≤ 1) or
 *       with no chain of transfers left that could improve it when the budget is not what stopped it;
 *   <li>make no more paid transfers (cause {@code balance}) than {@code maxFillMovesPerPass};
 *   <li>give a balancing leadership only to a candidate member of the partition's current set.
 * </ul>
 *
 * <p>{@code -Dsluice.scheduler.leaders.seed=N -Dsluice.scheduler.leaders.cases=1} replays one case.
 */
class LeaderBalancingTest {

    private static final long FIRST_SEED = Long.getLong("sluice.scheduler.leaders.seed", 20261130L);
    private static final int CASES = Integer.getInteger("sluice.scheduler.leaders.cases", 400);
    /** More transfers than any case's leaderships could need. */
    private static final int AMPLE_BUDGET = 100_000;

    @Test
    void randomUnevenLeadershipsAreBalancedAsWellAsByTheOldSearchWithinTheBudgetAndOnlyToCandidates() {
        System.out.println("LeaderBalancingTest: seeds " + FIRST_SEED + " to " + (FIRST_SEED + CASES - 1)
                + " (-Dsluice.scheduler.leaders.seed=N -Dsluice.scheduler.leaders.cases=1 replays one)");
        long paid = 0;
        long oldPaid = 0;
        int lessEven = 0;
        int moreEven = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + CASES; seed++) {
            try {
                Outcome outcome = new Case(seed).check();
                if (outcome.ampleBudget()) {
                    paid += outcome.paid();
                    oldPaid += outcome.oldPaid();
                }
                lessEven += outcome.spread() > outcome.oldSpread() ? 1 : 0;
                moreEven += outcome.spread() < outcome.oldSpread() ? 1 : 0;
            } catch (AssertionError | RuntimeException failure) {
                throw new AssertionError("seed " + seed + " failed (replay: -Dsluice.scheduler.leaders.seed=" + seed
                        + " -Dsluice.scheduler.leaders.cases=1): " + failure.getMessage(), failure);
            }
        }
        System.out.println("LeaderBalancingTest: with an ample budget " + paid + " paid transfers (old search " + oldPaid + "); "
                + lessEven + " cases less even than the old search, " + moreEven + " more (all with a budget that ran out)");
        // Where the two searches pick different chains of the same cost, later chains differ and so can the outcome: per case
        // that is tie-breaking, but a search that chose worse chains would show here. Measured on the default 400 seeds:
        // 4,928 transfers against the old search's 4,899, 12 cases less even by one and 5 more even, all with a budget used up.
        assertThat(paid).as("paid transfers with an ample budget, against the old search's " + oldPaid).isLessThanOrEqualTo(oldPaid + oldPaid / 20);
        assertThat(lessEven).as("cases less even than the old search, of " + CASES).isLessThanOrEqualTo(CASES / 10);
    }

    /** What one pass did with the new search and the old one. */
    private record Outcome(boolean ampleBudget, int spread, int oldSpread, int paid, int oldPaid) {}

    /** A drain's shed leaderships at once, over many workers: the case the search was rebuilt for, checked the same way. */
    @Test
    void aLargeDrainsShedLeadershipsAreBalancedInOnePass() {
        Random random = new Random(FIRST_SEED);
        int workers = 150;
        Fixtures.Cluster cluster = new Fixtures.Cluster(3_000, 3, 3);
        for (int id = 1; id <= workers; id++) {
            cluster.worker(id, "r.z" + id % 3, WorkerState.ACTIVE);
        }
        for (int p = 0; p < 3_000; p++) {
            int[] members = new int[3];
            for (int z = 0; z < 3; z++) {
                members[z] = 1 + z + 3 * random.nextInt(workers / 3);
            }
            cluster.place(p, members[random.nextInt(3)], members);
        }
        for (int id = 1; id <= 15; id++) {
            cluster.state(id, WorkerState.DRAINING);
        }
        cluster.limits(SchedulerLimits.DEFAULTS.unthrottled().withMaxFillMovesPerPass(AMPLE_BUDGET));
        Outcome outcome = new Case(cluster, "drain of 15 of 150 workers").check();
        assertThat(outcome.spread()).as("leaderships per candidate, max - min").isLessThanOrEqualTo(1);
    }

    private static final class Case {
        final String name;
        final Fixtures.Cluster cluster;

        Case(long seed) {
            Random random = new Random(seed);
            name = "seed " + seed;
            int workers = 2 + random.nextInt(60);
            int partitions = 1 + random.nextInt(600);
            int replicas = 1 + random.nextInt(Math.min(4, workers));
            cluster = new Fixtures.Cluster(partitions, replicas, 1);
            for (int id = 1; id <= workers; id++) {
                int roll = random.nextInt(20);
                WorkerState state = roll == 0 ? WorkerState.DRAINING : roll == 1 ? WorkerState.PROVISIONING : WorkerState.ACTIVE;
                cluster.worker(id, "r.z" + random.nextInt(3), state);
                if (roll == 2) {
                    cluster.cordon(id);
                } else if (roll == 3) {
                    cluster.dead(id, Fixtures.NOW.minusSeconds(random.nextBoolean() ? 5 : 600));
                }
            }
            // Leaders skewed towards low ids, so chains of several transfers are needed, some through free leaderships.
            double skew = random.nextDouble();
            for (int p = 0; p < partitions; p++) {
                Set<Integer> chosen = new HashSet<>();
                while (chosen.size() < replicas) {
                    chosen.add(1 + (random.nextDouble() < skew ? random.nextInt(Math.max(1, workers / 3)) : random.nextInt(workers)));
                }
                int[] members = chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
                int leader = random.nextInt(10) == 0 ? 0 : members[random.nextDouble() < skew ? 0 : random.nextInt(members.length)];
                cluster.place(p, leader, members);
                int roll = random.nextInt(40);
                if (roll == 0) {
                    cluster.policy(p, new PartitionPolicy(true, null));
                } else if (roll == 1) {
                    cluster.policy(p, new PartitionPolicy(false, n(members[random.nextInt(members.length)])));
                }
            }
            int budget = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> 1 + random.nextInt(5);
                case 2 -> 16;
                case 3 -> AMPLE_BUDGET;
                default -> throw new IllegalStateException("BUG");
            };
            cluster.limits(random.nextBoolean() ? SchedulerLimits.DEFAULTS.unthrottled().withMaxFillMovesPerPass(budget)
                    : new SchedulerLimits(1 + random.nextInt(6), 1 + random.nextInt(40), Duration.ofSeconds(60), budget));
        }

        Case(Fixtures.Cluster cluster, String name) {
            this.cluster = cluster;
            this.name = name;
        }

        /** Checks the rules; what the new and the old search did. */
        Outcome check() {
            SchedulerInput input = cluster.input();
            Plan plan = pass(input, false);
            Plan old = pass(input, true);
            assertThat(withoutLeaders(plan)).as(name + ": replica sets are not the leader search's").isEqualTo(withoutLeaders(old));
            Map<NodeId, Integer> leaders = leadersAfter(input, plan);
            Set<NodeId> candidates = candidates(input);
            int paid = 0;
            for (LeadershipChange change : plan.leadershipChanges()) {
                if (change.cause() != LeadershipChange.Cause.BALANCE) {
                    continue;
                }
                paid++;
                Placement placement = input.placements().get(change.partition());
                assertThat(candidates).as(name + ": " + change + " goes to a candidate").contains(change.to());
                assertThat(placement.current()).as(name + ": " + change + " goes to a member with the data").contains(change.to());
            }
            int budget = input.limits().maxFillMovesPerPass();
            assertThat(paid).as(name + ": paid transfers within the budget of " + budget).isLessThanOrEqualTo(budget);
            int spread = spread(plan.summary());
            int oldSpread = spread(old.summary());
            int oldPaid = (int) old.leadershipChanges().stream().filter(change -> change.cause() == LeadershipChange.Cause.BALANCE).count();
            String outcome = "spread " + spread + ", paid " + paid + " of " + budget + " (old search: spread " + oldSpread + ", paid " + oldPaid + "), over " + leaders;
            if (budget >= AMPLE_BUDGET) {
                // Not stopped by the budget: as even as the old search, and no chain of transfers may improve it
                // (RandomClusterPropertyTest's oracle, over the plan's outcome).
                assertThat(spread).as(name + ": as even as with the old search: " + outcome).isLessThanOrEqualTo(oldSpread);
                if (spread > 1) {
                    assertThat(improvingChain(input, plan, candidates, leaders)).as(name + ": " + outcome).isNull();
                }
            }
            return new Outcome(budget >= AMPLE_BUDGET, spread, oldSpread, paid, oldPaid);
        }

        private Plan pass(SchedulerInput input, boolean oneChainPerSearch) {
            Pass pass = new Pass(NodeFacts.of(input.nodes(), input.liveness(), input.now()),
                    PlacementIndex.of(input.table(), input.placements(), false), input.limits(), input.now());
            return (oneChainPerSearch ? pass.withOneChainPerSearch() : pass).run();
        }

        private static List<String> withoutLeaders(Plan plan) {
            return plan.replicaSetChanges().stream().map(change -> change.partition() + " " + change.kind() + " " + change.current() + " -> " + change.next()).toList();
        }

        private static int spread(Plan.Summary summary) {
            return summary.leadersPerWorkerMax() - summary.leadersPerWorkerMin();
        }

        /** Candidates as the scheduler defines them, for the fixtures these cases use: Active, alive, not cordoned. */
        private Set<NodeId> candidates(SchedulerInput input) {
            Set<NodeId> candidates = new HashSet<>();
            for (NodeConfig node : input.nodes().nodes()) {
                NodeId id = node.id().id();
                if (node.workerState() == WorkerState.ACTIVE && !cluster.dead.contains(id) && node.cordon() == null) {
                    candidates.add(id);
                }
            }
            return candidates;
        }

        private static Map<NodeId, Integer> leadersAfter(SchedulerInput input, Plan plan) {
            Map<PartitionId, NodeId> leader = new HashMap<>();
            input.placements().values().forEach(placement -> leader.put(placement.partition(), placement.leader()));
            plan.leadershipChanges().forEach(change -> leader.put(change.partition(), change.to()));
            Map<NodeId, Integer> count = new HashMap<>();
            leader.values().stream().filter(id -> id != null).forEach(id -> count.merge(id, 1, Integer::sum));
            return count;
        }

        /**
         * A chain u0 → … → uk of transfers (u leads a partition, not frozen or pinned, with no replica change planned,
         * whose member v is a candidate) from a candidate leading c to one leading at most c − 2, or null.
         */
        private static String improvingChain(SchedulerInput input, Plan plan, Set<NodeId> candidates, Map<NodeId, Integer> leaders) {
            Set<PartitionId> changing = new HashSet<>();
            plan.replicaSetChanges().forEach(change -> changing.add(change.partition()));
            Map<PartitionId, NodeId> leaderOf = new HashMap<>();
            input.placements().values().forEach(placement -> leaderOf.put(placement.partition(), placement.leader()));
            plan.leadershipChanges().forEach(change -> leaderOf.put(change.partition(), change.to()));
            Map<NodeId, List<NodeId>> edges = new HashMap<>();
            Map<String, PartitionId> via = new HashMap<>();
            for (Placement placement : input.placements().values()) {
                NodeId from = leaderOf.get(placement.partition());
                if (from == null || !candidates.contains(from) || changing.contains(placement.partition())
                        || placement.policy().frozen() || placement.policy().pinnedLeader() != null) {
                    continue;
                }
                for (NodeId member : placement.current()) {
                    if (!member.equals(from) && candidates.contains(member)) {
                        edges.computeIfAbsent(from, k -> new ArrayList<>()).add(member);
                        via.putIfAbsent(from + ">" + member, placement.partition());
                    }
                }
            }
            for (NodeId source : candidates) {
                int count = leaders.getOrDefault(source, 0);
                Map<NodeId, NodeId> parent = new HashMap<>();
                Set<NodeId> seen = new HashSet<>(List.of(source));
                List<NodeId> frontier = new ArrayList<>(List.of(source));
                while (!frontier.isEmpty()) {
                    List<NodeId> next = new ArrayList<>();
                    for (NodeId u : frontier) {
                        for (NodeId v : edges.getOrDefault(u, List.of())) {
                            if (seen.add(v)) {
                                parent.put(v, u);
                                if (leaders.getOrDefault(v, 0) <= count - 2) {
                                    StringBuilder chain = new StringBuilder();
                                    for (NodeId w = v; parent.containsKey(w); w = parent.get(w)) {
                                        chain.append(" <-").append(input.placements().get(via.get(parent.get(w) + ">" + w))).append("- ").append(parent.get(w));
                                    }
                                    return source + " (" + count + ") reaches " + v + " (" + leaders.getOrDefault(v, 0) + "):" + chain;
                                }
                                next.add(v);
                            }
                        }
                    }
                    frontier = next;
                }
            }
            return null;
        }
    }
}
