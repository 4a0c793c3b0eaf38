package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.NOW;
import static dev.sluice.scheduler.Fixtures.n;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The incremental index must not change a single decision: over random sequences of changes — plans applied as changes
 * under way and completed later, workers drained, killed, revived, cordoned, put in maintenance, replaced, added and
 * removed, placements frozen, pinned, rewritten by hand, removed, time passing the grace period — an {@link
 * IncrementalScheduler} that is told only what changed plans exactly what {@link Scheduler#schedule} plans from
 * nothing, and what a scheduler that visits every partition (the algorithm before the index) plans.
 *
 * <p>{@code -Dsluice.scheduler.incremental.seed=N -Dsluice.scheduler.incremental.cases=1} replays one case;
 * {@code -Dsluice.scheduler.incremental.cases=2000} runs more.
 */
class IncrementalSchedulerTest {

    private static final long FIRST_SEED = Long.getLong("sluice.scheduler.incremental.seed", 20261129L);
    private static final int CASES = Integer.getInteger("sluice.scheduler.incremental.cases", 30);
    private static final int PASSES = 30;

    @Test
    void incrementalPassesPlanExactlyWhatPassesFromNothingPlan() {
        System.out.println("IncrementalSchedulerTest: seeds " + FIRST_SEED + " to " + (FIRST_SEED + CASES - 1)
                + " (-Dsluice.scheduler.incremental.seed=N -Dsluice.scheduler.incremental.cases=1 replays one)");
        for (int i = 0; i < CASES; i++) {
            new Case(FIRST_SEED + i).run();
        }
    }

    @Test
    void aPlacementOutsideTheTableIsRefused() {
        IncrementalScheduler scheduler = new IncrementalScheduler(new PartitionTable(4, ReplicationProperty.of(3)));
        assertThatThrownBy(() -> scheduler.put(Placement.stable(PartitionId.of(4), List.of(n(1)), n(1), Version.MIN)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("P4 is outside the table of 4 partitions");
    }

    private static final class Case {
        final long seed;
        final Random random;
        final Fixtures.Cluster cluster;
        final IncrementalScheduler incremental;
        final Set<PartitionId> changed = new HashSet<>();
        /** The last pass's nodes and liveness, given again while no event changed them, as the controller does. */
        SchedulerInput last;
        boolean nodesOrLivenessChanged = true;
        int nextWorkerId;
        int zones;

        Case(long seed) {
            this.seed = seed;
            this.random = new Random(seed);
            int workers = 3 + random.nextInt(40);
            int partitions = 1 + random.nextInt(300);
            int replicas = 1 + random.nextInt(4);
            zones = 1 + random.nextInt(4);
            cluster = new Fixtures.Cluster(partitions, replicas, 1 + random.nextInt(replicas));
            for (int id = 1; id <= workers; id++) {
                cluster.worker(id, "r.z" + random.nextInt(zones), random.nextInt(10) == 0 ? WorkerState.PROVISIONING : WorkerState.ACTIVE);
            }
            nextWorkerId = workers + 1;
            cluster.limits(random.nextBoolean() ? SchedulerLimits.DEFAULTS.unthrottled()
                    : new SchedulerLimits(1 + random.nextInt(6), 1 + random.nextInt(40), Duration.ofSeconds(60), random.nextInt(20)));
            incremental = new IncrementalScheduler(cluster.table);
        }

        void run() {
            for (int pass = 0; pass < PASSES; pass++) {
                if (pass > 0) {
                    mutate(pass);
                }
                SchedulerInput input = cluster.input();
                if (!nodesOrLivenessChanged) {
                    // The same objects, so what the scheduler keeps from them is used again, while the time moves on.
                    input = new SchedulerInput(last.nodes(), last.liveness(), input.table(), input.placements(), input.limits(), input.now());
                }
                last = input;
                nodesOrLivenessChanged = false;
                Plan expected = Scheduler.schedule(input);
                Plan everyPartition = new IncrementalScheduler(cluster.table, true).schedule(input);
                Plan actual;
                if (random.nextInt(5) == 0) {
                    actual = incremental.schedule(input);
                } else {
                    for (PartitionId partition : changed) {
                        Placement placement = cluster.placements.get(partition);
                        if (placement == null) {
                            incremental.remove(partition);
                        } else {
                            incremental.put(placement);
                        }
                    }
                    actual = incremental.schedule(input.nodes(), input.liveness(), input.limits(), input.now());
                }
                changed.clear();
                String where = "seed " + seed + ", pass " + pass + " (replay: -Dsluice.scheduler.incremental.seed=" + seed
                        + " -Dsluice.scheduler.incremental.cases=1)";
                assertThat(everyPartition).as("visiting every partition, " + where).isEqualTo(expected);
                assertThat(actual).as("incremental, " + where).isEqualTo(expected);
                apply(expected);
            }
        }

        /** Writes the plan as the controller does: new sets as changes under way, leaderships at once. */
        void apply(Plan plan) {
            for (LeadershipChange change : plan.leadershipChanges()) {
                put(cluster.placements.get(change.partition()).withLeader(change.to()));
            }
            for (ReplicaSetChange change : plan.replicaSetChanges()) {
                Placement before = cluster.placements.get(change.partition());
                Placement after = before == null || change.kind() == ChangeKind.INITIAL
                        ? Placement.stable(change.partition(), change.next(), change.preferredLeader(), Version.MIN)
                        : before.withNext(change.next(), Version.MIN, cluster.now);
                put(after.withLeader(change.preferredLeader() == null ? after.leader() : change.preferredLeader()));
            }
        }

        void put(Placement placement) {
            cluster.placements.put(placement.partition(), placement);
            changed.add(placement.partition());
        }

        void mutate(int pass) {
            // Most changes under way complete between passes, as the data plane finishes them.
            for (Placement placement : List.copyOf(cluster.placements.values())) {
                if (placement.hasNext() && random.nextInt(3) > 0) {
                    put(placement.completed());
                }
            }
            cluster.now = cluster.now.plusSeconds(random.nextInt(4) == 0 ? 40 : 1);
            int events = random.nextInt(4);
            for (int e = 0; e < events; e++) {
                event();
                nodesOrLivenessChanged = true;
            }
        }

        void event() {
            List<NodeId> workers = cluster.nodes.values().stream().filter(NodeConfig::isWorker).map(NodeConfig::nodeId).toList();
            NodeId worker = workers.get(random.nextInt(workers.size()));
            int id = worker.value();
            List<Placement> placed = List.copyOf(cluster.placements.values());
            Placement some = placed.isEmpty() ? null : placed.get(random.nextInt(placed.size()));
            switch (random.nextInt(16)) {
                case 0 -> cluster.state(id, WorkerState.DRAINING);
                case 1 -> cluster.state(id, WorkerState.ACTIVE);
                case 2 -> cluster.state(id, WorkerState.DISABLED);
                case 3 -> cluster.dead(id, cluster.now.minusSeconds(random.nextBoolean() ? 5 : 600));
                case 4 -> cluster.alive(id);
                case 5 -> {
                    if (cluster.nodes.get(worker).isCordoned()) {
                        cluster.uncordon(id);
                    } else {
                        cluster.cordon(id);
                    }
                }
                case 6 -> cluster.maintenance(id, cluster.now.minusSeconds(1), cluster.now.plusSeconds(random.nextInt(120)));
                case 7 -> cluster.worker(nextWorkerId++, "r.z" + random.nextInt(zones + 1), WorkerState.ACTIVE);
                case 8 -> {
                    // A removed node: placements may still name it, as after a forced disable.
                    if (cluster.nodes.get(worker).workerState() == WorkerState.DISABLED) {
                        cluster.nodes.remove(worker);
                        cluster.alive(id);
                    }
                }
                case 9 -> {
                    NodeId by = workers.get(random.nextInt(workers.size()));
                    if (!by.equals(worker) && cluster.nodes.get(worker).workerState() == WorkerState.ACTIVE) {
                        cluster.replace(id, by.value());
                    }
                }
                case 10 -> {
                    if (some != null) {
                        put(some.withPolicy(new PartitionPolicy(!some.policy().frozen(), null)));
                    }
                }
                case 11 -> {
                    if (some != null && !some.current().isEmpty()) {
                        put(some.withPolicy(new PartitionPolicy(false, some.current().get(random.nextInt(some.current().size())))));
                    }
                }
                case 12 -> {
                    if (some != null) {
                        put(some.withLeader(random.nextBoolean() ? null : workers.get(random.nextInt(workers.size()))));
                    }
                }
                case 13 -> {
                    if (some != null) {
                        cluster.placements.remove(some.partition());
                        changed.add(some.partition());
                    }
                }
                case 14 -> {
                    // A set written by hand: any workers, any size, a node nobody knows now and then.
                    int p = random.nextInt(cluster.table.partitionCount());
                    List<NodeId> members = new ArrayList<>(new HashSet<>(List.of(workers.get(random.nextInt(workers.size())),
                            workers.get(random.nextInt(workers.size())), random.nextInt(8) == 0 ? NodeId.of(900 + random.nextInt(3))
                                    : workers.get(random.nextInt(workers.size())))));
                    members.sort(null);
                    put(Placement.stable(PartitionId.of(p), members, members.get(0), Version.MIN));
                }
                case 15 -> {
                    if (cluster.nodes.get(worker).maintenance() != null) {
                        cluster.endMaintenance(id, cluster.now);
                    }
                }
                default -> throw new IllegalStateException("BUG: no such event");
            }
        }
    }
}
