package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Seeded randomized properties, in plain JUnit: random clusters (1–200 workers, 1–2,000 partitions, 1–5
 * replicas, 1–4 zones, random worker states and deaths) are scheduled to a fixpoint and checked against
 * the rules. Every failure names its seed; {@code -Dsluice.scheduler.seed=N} reruns just that one, and
 * {@code -Dsluice.scheduler.cases=N} runs more.
 */
class RandomClusterPropertyTest {

    private static final long FIRST_SEED = 20261127L;
    private static final int DEFAULT_CASES = 120;
    /** Passes a throttled cluster may need; far above what any generated case takes. */
    private static final int MAX_PASSES = 5_000;
    /** Throttled convergence is only tried on clusters this small (replicas in total), to keep the suite fast. */
    private static final int MAX_REPLICAS_FOR_THROTTLED_CASES = 3_000;

    @Test
    void randomClustersConvergeToPlacementsThatKeepEveryRule() {
        String single = System.getProperty("sluice.scheduler.seed");
        if (single != null) {
            runSeed(Long.parseLong(single));
            return;
        }
        int cases = Integer.getInteger("sluice.scheduler.cases", DEFAULT_CASES);
        for (int i = 0; i < cases; i++) {
            runSeed(FIRST_SEED + i);
        }
    }

    private static void runSeed(long seed) {
        try {
            new Case(seed).run();
        } catch (AssertionError | RuntimeException failure) {
            throw new AssertionError("seed " + seed + " failed (rerun with -Dsluice.scheduler.seed=" + seed + "): " + failure.getMessage(), failure);
        }
    }

    private static final class Case {
        final long seed;
        final Random random;
        final Fixtures.Cluster cluster;
        final int workerCount;
        final int zoneCount;
        final boolean throttled;

        Case(long seed) {
            this.seed = seed;
            this.random = new Random(seed);
            workerCount = 1 + random.nextInt(200);
            int partitions = 1 + random.nextInt(2_000);
            int replicas = 1 + random.nextInt(5);
            zoneCount = 1 + random.nextInt(4);
            int minZones = 1 + random.nextInt(replicas);
            cluster = new Fixtures.Cluster(partitions, replicas, minZones);
            for (int id = 1; id <= workerCount; id++) {
                cluster.worker(id, "r.z" + random.nextInt(zoneCount), randomState());
            }
            throttled = partitions * replicas <= MAX_REPLICAS_FOR_THROTTLED_CASES && random.nextBoolean();
            cluster.limits(throttled
                    ? new SchedulerLimits(1 + random.nextInt(8), 1 + random.nextInt(64), Duration.ofSeconds(60), 1 + random.nextInt(32))
                    : SchedulerLimits.DEFAULTS.unthrottled());
        }

        private WorkerState randomState() {
            int roll = random.nextInt(100);
            return roll < 75 ? WorkerState.ACTIVE : roll < 83 ? WorkerState.PROVISIONING : roll < 92 ? WorkerState.DRAINING : WorkerState.DISABLED;
        }

        void run() {
            // 1. From nothing, with some workers dead (within and beyond the grace period).
            for (int id = 1; id <= workerCount; id++) {
                int roll = random.nextInt(100);
                if (roll < 5) {
                    cluster.dead(id, NOW.minusSeconds(10));
                } else if (roll < 10) {
                    cluster.dead(id, NOW.minusSeconds(600));
                }
            }
            convergeChecked("initial placement");
            checkSafety();

            // 2. Time passes: every death is now past the grace period; then everything is balanced.
            cluster.now = NOW.plusSeconds(3_600);
            convergeChecked("after the grace period");
            checkSafety();
            checkBalance();

            // 3. Determinism: the same input in other map orders gives an equal plan.
            checkDeterminism();

            // 4. Drain one worker: exactly as many moves as it holds replicas.
            List<NodeId> eligible = eligibleWorkers();
            if (eligible.size() > cluster.table.replication().replicas()) {
                NodeId drained = eligible.get(random.nextInt(eligible.size()));
                int held = cluster.replicasPerNode().getOrDefault(drained, 0);
                int led = cluster.leadersPerNode().getOrDefault(drained, 0);
                boolean safe = Scheduler.drainPrecheck(cluster.input(), Set.of(drained)).isEmpty();
                cluster.state(drained.value(), WorkerState.DRAINING);
                List<Plan> plans = convergeChecked("drain of " + drained);
                checkSafety();
                assertThat(cluster.replicasPerNode().getOrDefault(drained, 0)).as("replicas left on drained " + drained).isZero();
                assertThat(cluster.leadersPerNode().getOrDefault(drained, 0)).as("leaderships left on drained " + drained).isZero();
                if (Boolean.getBoolean("sluice.scheduler.debug")) {
                    System.out.println("workers=" + workerCount + " zones=" + zoneCount + " table=" + cluster.table + " throttled=" + throttled
                            + " limits=" + cluster.limits + " drained=" + drained + " held=" + held);
                    for (Plan plan : plans) {
                        plan.replicaSetChanges().stream().filter(c -> c.kind() != ChangeKind.REPAIR && c.kind() != ChangeKind.DRAIN).forEach(System.out::println);
                        System.out.println("-- " + plan.summary());
                    }
                }
                if (safe && zonesAllowMinimalDrain(drained)) {
                    assertThat(Fixtures.moveCount(plans)).as("replica moves to drain " + drained + " holding " + held).isEqualTo(held);
                }
                assertThat(Fixtures.leaderChangeCount(plans)).as("leader changes to drain " + drained).isGreaterThanOrEqualTo(led);
                checkBalance();
            }

            // 5. Cordon one worker, then drain another: every path that runs (drain targets, repair, balancing, leaders)
            // leaves the cordoned worker exactly what it held. Last, since the checks above count it as a candidate.
            List<NodeId> candidates = eligibleWorkers();
            if (candidates.size() >= 2) {
                NodeId cordoned = candidates.get(random.nextInt(candidates.size()));
                NodeId drained = candidates.stream().filter(id -> !id.equals(cordoned)).toList().get(random.nextInt(candidates.size() - 1));
                Set<PartitionId> held = partitionsNaming(cordoned);
                Set<PartitionId> led = partitionsLedBy(cordoned);
                cluster.cordon(cordoned.value());
                cluster.state(drained.value(), WorkerState.DRAINING);
                String phase = "drain of " + drained + " with " + cordoned + " cordoned";
                for (int pass = 0; ; pass++) {
                    assertThat(pass).as(phase + ": passes").isLessThan(MAX_PASSES);
                    SchedulerInput input = cluster.input();
                    Plan plan = Scheduler.schedule(input);
                    checkPlan(input, plan, phase + ", pass " + pass);
                    for (ReplicaSetChange change : plan.replicaSetChanges()) {
                        assertThat(change.joining()).as(change + " adds cordoned " + cordoned).doesNotContain(cordoned);
                        assertThat(change.leaving()).as(change + " takes from cordoned " + cordoned).doesNotContain(cordoned);
                    }
                    for (LeadershipChange change : plan.leadershipChanges()) {
                        assertThat(change.from()).as(change + " takes a leadership from cordoned " + cordoned).isNotEqualTo(cordoned);
                        if (cordoned.equals(change.to())) {
                            // Only as the last resort: the partition must have a leader and no member that stays is a candidate.
                            Placement placement = input.placements().get(change.partition());
                            assertThat(placement.current().stream().filter(id -> !id.equals(cordoned) && !id.equals(placement.leader()))
                                    .filter(id -> isEligible(input, id))).as(change + " leads on cordoned " + cordoned + " though a candidate stays").isEmpty();
                            led.add(change.partition());
                        }
                    }
                    if (plan.hasNoChanges()) {
                        break;
                    }
                    cluster.apply(plan);
                }
                assertThat(partitionsNaming(cordoned)).as("replica sets naming cordoned " + cordoned).isEqualTo(held);
                assertThat(partitionsLedBy(cordoned)).as("leaderships of cordoned " + cordoned).isEqualTo(led);
            }
        }

        Set<PartitionId> partitionsNaming(NodeId node) {
            Set<PartitionId> named = new java.util.TreeSet<>();
            cluster.placements.values().stream().filter(p -> p.names(node)).forEach(p -> named.add(p.partition()));
            return named;
        }

        Set<PartitionId> partitionsLedBy(NodeId node) {
            Set<PartitionId> led = new java.util.TreeSet<>();
            cluster.placements.values().stream().filter(p -> node.equals(p.leader())).forEach(p -> led.add(p.partition()));
            return led;
        }

        /** Converges and checks every intermediate plan's per-change rules. */
        List<Plan> convergeChecked(String phase) {
            List<Plan> plans = new ArrayList<>();
            for (int pass = 0; pass < MAX_PASSES; pass++) {
                SchedulerInput input = cluster.input();
                Plan plan = Scheduler.schedule(input);
                checkPlan(input, plan, phase + ", pass " + pass);
                plans.add(plan);
                if (plan.hasNoChanges()) {
                    return plans;
                }
                cluster.apply(plan);
            }
            throw new AssertionError(phase + ": no fixpoint after " + MAX_PASSES + " passes");
        }

        void checkPlan(SchedulerInput input, Plan plan, String where) {
            int replicas = input.table().replication().replicas();
            int fill = 0;
            int started = 0;
            Map<NodeId, Integer> perNode = new HashMap<>();
            for (ReplicaSetChange change : plan.replicaSetChanges()) {
                for (NodeId joining : change.joining()) {
                    assertThat(isEligible(input, joining)).as(where + ": " + change + " adds non-candidate " + joining).isTrue();
                }
                // Make-before-break: nothing leaves unless the set keeps its size or shrinks to the goal.
                assertThat(change.next().size()).as(where + ": " + change + " drops without replacement")
                        .isGreaterThanOrEqualTo(Math.min(replicas, change.current().size()));
                if (change.kind() == ChangeKind.FILL) {
                    fill++;
                }
                if (change.kind() != ChangeKind.INITIAL) {
                    started++;
                    for (NodeId node : change.joining()) {
                        perNode.merge(node, 1, Integer::sum);
                    }
                    for (NodeId node : change.leaving()) {
                        perNode.merge(node, 1, Integer::sum);
                    }
                }
                if (change.preferredLeader() != null && change.kind() != ChangeKind.INITIAL) {
                    assertThat(change.current()).as(where + ": leader of " + change + " has data").contains(change.preferredLeader());
                }
            }
            assertThat(fill).as(where + ": fill moves").isLessThanOrEqualTo(input.limits().maxFillMovesPerPass());
            assertThat(started).as(where + ": changes started").isLessThanOrEqualTo(input.limits().maxChangesInCluster());
            perNode.forEach((node, count) -> assertThat(count).as(where + ": changes on " + node).isLessThanOrEqualTo(input.limits().maxChangesPerNode()));
            for (LeadershipChange change : plan.leadershipChanges()) {
                Placement placement = input.placements().get(change.partition());
                assertThat(placement.current()).as(where + ": " + change + " goes to a member with data").contains(change.to());
            }
        }

        void checkSafety() {
            SchedulerInput input = cluster.input();
            int replicas = input.table().replication().replicas();
            int minZones = input.table().replication().minZones();
            List<NodeId> eligible = eligibleWorkers();
            Set<String> zonesWithCandidates = new HashSet<>();
            for (NodeId id : eligible) {
                zonesWithCandidates.add(cluster.location(id).toString());
            }
            for (PartitionId partition : input.table().partitions()) {
                Placement placement = input.placements().get(partition);
                if (eligible.isEmpty()) {
                    continue;
                }
                assertThat(placement).as("placement of " + partition).isNotNull();
                List<NodeId> members = placement.current();
                long usable = members.stream().filter(id -> keeps(input, id)).count();
                assertThat(usable).as(partition + " usable members of " + members).isEqualTo(Math.min(replicas, eligible.size() + waiting(input, members)));
                if (eligible.size() >= replicas) {
                    for (NodeId member : members) {
                        assertThat(keeps(input, member)).as(partition + ": " + member + " may not hold a replica after convergence").isTrue();
                    }
                }
                if (zonesWithCandidates.size() >= minZones && eligible.size() >= replicas) {
                    Set<String> zones = new HashSet<>();
                    members.forEach(id -> zones.add(cluster.location(id).toString()));
                    assertThat(zones.size()).as(partition + " zones of " + members).isGreaterThanOrEqualTo(minZones);
                }
                if (placement.leader() != null && eligible.size() > 0) {
                    assertThat(members).as(partition + " leader is a member").contains(placement.leader());
                }
                if (members.stream().anyMatch(id -> isEligible(input, id))) {
                    assertThat(placement.leader()).as(partition + " leader of " + members).isNotNull();
                    assertThat(isEligible(input, placement.leader())).as(partition + " leader " + placement.leader() + " is a candidate").isTrue();
                }
            }
        }

        /** Balance among candidates: ±1 within each zone always; over all when zone rules cannot interfere. */
        void checkBalance() {
            SchedulerInput input = cluster.input();
            List<NodeId> eligible = eligibleWorkers();
            if (eligible.isEmpty()) {
                return;
            }
            Map<NodeId, Integer> replicas = cluster.replicasPerNode();
            Map<NodeId, Integer> leaders = cluster.leadersPerNode();
            Map<String, List<Integer>> byZone = new TreeMap<>();
            List<Integer> all = new ArrayList<>();
            List<Integer> allLeaders = new ArrayList<>();
            for (NodeId id : eligible) {
                int count = replicas.getOrDefault(id, 0);
                byZone.computeIfAbsent(cluster.location(id).toString(), z -> new ArrayList<>()).add(count);
                all.add(count);
                allLeaders.add(leaders.getOrDefault(id, 0));
            }
            byZone.forEach((zone, counts) -> assertThat(Collections.max(counts) - Collections.min(counts))
                    .as("replica spread within zone " + zone + ": " + counts).isLessThanOrEqualTo(1));
            if (zoneRulesCannotInterfere(input, eligible)) {
                assertThat(Collections.max(all) - Collections.min(all)).as("replica spread over candidates " + replicas).isLessThanOrEqualTo(1);
            }
            int leaderSpread = Collections.max(allLeaders) - Collections.min(allLeaders);
            if (leaderSpread > 1) {
                // Leaders can only move within replica sets; then no chain of transfers may improve it.
                assertThat(improvingLeaderChain(input, eligible, leaders)).as("leader spread " + leaderSpread + " over candidates " + leaders
                        + " although a chain of transfers would improve it").isNull();
            }
        }

        /**
         * An independent oracle: a chain u0 → u1 → … → uk of leadership transfers (u leads a partition
         * whose member v is a candidate) from a worker with c leaderships to one with at most c − 2, or
         * null if there is none.
         */
        String improvingLeaderChain(SchedulerInput input, List<NodeId> eligible, Map<NodeId, Integer> leaders) {
            Set<NodeId> candidates = new HashSet<>(eligible);
            Map<NodeId, List<NodeId>> edges = new HashMap<>();
            for (Placement placement : input.placements().values()) {
                if (placement.leader() == null || !candidates.contains(placement.leader())) {
                    continue;
                }
                for (NodeId member : placement.current()) {
                    if (!member.equals(placement.leader()) && candidates.contains(member)) {
                        edges.computeIfAbsent(placement.leader(), k -> new ArrayList<>()).add(member);
                    }
                }
            }
            for (NodeId source : eligible) {
                int count = leaders.getOrDefault(source, 0);
                Set<NodeId> seen = new HashSet<>(List.of(source));
                List<NodeId> frontier = new ArrayList<>(List.of(source));
                while (!frontier.isEmpty()) {
                    List<NodeId> nextFrontier = new ArrayList<>();
                    for (NodeId u : frontier) {
                        for (NodeId v : edges.getOrDefault(u, List.of())) {
                            if (seen.add(v)) {
                                if (leaders.getOrDefault(v, 0) <= count - 2) {
                                    return source + " (" + count + ") reaches " + v + " (" + leaders.getOrDefault(v, 0) + ")";
                                }
                                nextFrontier.add(v);
                            }
                        }
                    }
                    frontier = nextFrontier;
                }
            }
            return null;
        }

        void checkDeterminism() {
            SchedulerInput input = cluster.input();
            Plan reference = Scheduler.schedule(input);
            List<Map.Entry<PartitionId, Placement>> entries = new ArrayList<>(input.placements().entrySet());
            Collections.shuffle(entries, new Random(seed));
            Map<PartitionId, Placement> shuffled = new LinkedHashMap<>();
            entries.forEach(e -> shuffled.put(e.getKey(), e.getValue()));
            List<NodeConfig> nodes = new ArrayList<>(input.nodes().nodes());
            Collections.shuffle(nodes, new Random(seed + 1));
            SchedulerInput reordered = input.withPlacements(shuffled)
                    .withNodes(new dev.sluice.model.NodesConfiguration(input.nodes().version(), nodes, List.of()));
            assertThat(Scheduler.schedule(reordered)).as("plan for reordered input").isEqualTo(reference);
            assertThat(Scheduler.schedule(input)).as("plan for the same input").isEqualTo(reference);
        }

        /**
         * Zone rules cannot force imbalance when no spread is asked for, or when every zone has the same
         * number of candidates and enough of them.
         */
        boolean zoneRulesCannotInterfere(SchedulerInput input, List<NodeId> eligible) {
            int minZones = input.table().replication().minZones();
            if (minZones == 1) {
                return true;
            }
            Map<String, Integer> perZone = new HashMap<>();
            eligible.forEach(id -> perZone.merge(cluster.location(id).toString(), 1, Integer::sum));
            return perZone.size() >= minZones && new HashSet<>(perZone.values()).size() == 1;
        }

        /**
         * A drain moves exactly what the drained worker holds when no spread is asked for. With a spread,
         * the drained worker's zone may end up fuller than others, and then balancing moves that the
         * zone rules allow can follow (they are checked by {@link #checkBalance} instead).
         */
        boolean zonesAllowMinimalDrain(NodeId drained) {
            return cluster.input().table().replication().minZones() == 1;
        }

        List<NodeId> eligibleWorkers() {
            SchedulerInput input = cluster.input();
            return cluster.nodes.keySet().stream().filter(id -> isEligible(input, id)).toList();
        }

        static boolean isEligible(SchedulerInput input, NodeId id) {
            return input.nodes().find(id).map(n -> n.workerState().mayReceiveReplicas() && !n.isCordoned()).orElse(false) && input.liveness().isAlive(id);
        }

        static boolean keeps(SchedulerInput input, NodeId id) {
            return input.nodes().find(id).map(n -> n.workerState().keepsReplicas()).orElse(false)
                    && !input.liveness().deadLongerThan(id, input.limits().deadNodeGrace(), input.now());
        }

        static int waiting(SchedulerInput input, List<NodeId> members) {
            return (int) members.stream().filter(id -> keeps(input, id) && !input.liveness().isAlive(id)).count();
        }
    }
}
