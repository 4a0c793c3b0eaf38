package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ReplicaRole;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ObserverTest {

    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);
    private static final PartitionId P0 = new PartitionId(0);

    private static NodeReplicas report(ControllerHarness cluster, NodeId node, ReplicaRole role, NodeId leader, long term) {
        return new NodeReplicas(node, cluster.clock.instant(), Map.of(P0, new ReplicaView(P0, role, leader, term, List.of(N1, N2, N3), false, 0)));
    }

    /**
     * Leaders are kept claim by claim across passes; what they say must not change: a moved leadership counts at once,
     * and an answer that arrives after it counts only from the next pass.
     */
    @Test
    void aMovedLeadershipCountsAtOnceAndALaterAnswerOnlyFromTheNextPass() {
        try (ControllerHarness cluster = new ControllerHarness(3, 1, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1)) {
            Observer observer = new Observer(cluster.dataPlane, ControllerConfig.DEFAULTS, new ControllerEvent.Inbox(() -> { }));
            var nodes = cluster.metadata.nodes().current();
            observer.begin(nodes, Set.of(N1, N2, N3), Set.of(), cluster.clock.instant());
            observer.answered(report(cluster, N1, ReplicaRole.LEADER, N1, 1));
            observer.answered(report(cluster, N2, ReplicaRole.FOLLOWER, N1, 1));
            observer.answered(report(cluster, N3, ReplicaRole.FOLLOWER, N1, 1));
            assertThat(observer.leader(P0)).as("answers count from the next pass").isEmpty();
            observer.begin(nodes, Set.of(N1, N2, N3), Set.of(), cluster.clock.instant());
            assertThat(observer.leader(P0)).contains(N1);

            observer.leaderMoved(P0, N2);
            observer.leaderMoved(P0, N3);
            assertThat(observer.leader(P0)).contains(N3);
            assertThat(observer.leaderships(N3)).isEqualTo(1);
            assertThat(observer.leaderships(N1)).isZero();

            observer.leaderMoved(P0, N2);
            observer.answered(report(cluster, N1, ReplicaRole.LEADER, N1, 9));
            assertThat(observer.leader(P0)).as("the answer after the move counts from the next pass").contains(N2);
            assertThat(observer.leaders()).containsEntry(P0, N2);
            observer.begin(nodes, Set.of(N1, N2, N3), Set.of(), cluster.clock.instant());
            assertThat(observer.leader(P0)).contains(N1);
        }
    }

    /** Only what alive workers said recently counts towards the client impact. */
    @Test
    void clientWindowsComeFromFreshReportsOfAliveWorkersOnly() {
        try (ControllerHarness cluster = new ControllerHarness(4, 1, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1)) {
            Observer observer = new Observer(cluster.dataPlane, ControllerConfig.DEFAULTS, new ControllerEvent.Inbox(() -> { }));
            java.time.Instant now = cluster.clock.instant();
            ClientWindow window = new ClientWindow(now.minusSeconds(10), now, 5, 1, List.of(new ClientWindow.LatencyBucket(1.0, 5)));
            java.time.Instant old = now.minus(ControllerConfig.DEFAULTS.statusPollInterval().multipliedBy(Observer.FRESH_REPORT_POLLS + 1));
            observer.answered(new NodeReplicas(N1, now, Map.of(), List.of(), true, window));
            observer.answered(new NodeReplicas(N2, old, Map.of(), List.of(), true, window));
            observer.answered(new NodeReplicas(N3, now, Map.of(), List.of(), true, null));
            observer.answered(new NodeReplicas(NodeId.of(4), now, Map.of(), List.of(), true, window));

            observer.begin(cluster.metadata.nodes().current(), Set.of(N1, N2, N3), Set.of(), now);

            assertThat(observer.clientWindows()).as("N2's report is stale, N3 has no window, N4 is dead").containsOnlyKeys(N1);
            observer.leaderMoved(P0, N1);
            assertThat(observer.clientWindows()).as("a moved leadership keeps the window").containsEntry(N1, window);
        }
    }

    /**
     * Seeded random answers, moved leaderships, deaths and passes over 12 workers and 40 partitions: after every step the
     * leaders kept claim by claim are those derived from scratch from the counted reports, and each worker's leadership
     * count is what its report says.
     */
    @Test
    void keptLeadersAreThoseOfTheReportsAfterEveryStep() {
        long seed = Long.getLong("sluice.test.seed", System.nanoTime());
        System.out.println("ObserverTest seed " + seed + " (rerun with -Dsluice.test.seed=" + seed + ")");
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        try (ControllerHarness cluster = new ControllerHarness(12, 1, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1)) {
            Observer observer = new Observer(cluster.dataPlane, ControllerConfig.DEFAULTS, new ControllerEvent.Inbox(() -> { }));
            var nodes = cluster.metadata.nodes().current();
            java.util.Set<NodeId> alive = new java.util.HashSet<>();
            for (int i = 1; i <= 12; i++) {
                alive.add(NodeId.of(i));
            }
            int leaderChanges = 0;
            for (int step = 0; step < 2_000; step++) {
                int what = random.nextInt(10);
                if (what < 5) {
                    NodeId node = NodeId.of(1 + random.nextInt(12));
                    Map<PartitionId, ReplicaView> replicas = new java.util.HashMap<>();
                    for (int p = 0; p < 40; p++) {
                        if (random.nextInt(3) == 0) {
                            PartitionId partition = new PartitionId(p);
                            ReplicaRole role = random.nextInt(3) == 0 ? ReplicaRole.LEADER : ReplicaRole.FOLLOWER;
                            replicas.put(partition, new ReplicaView(partition, role, role == ReplicaRole.LEADER ? node : null, random.nextInt(4),
                                    List.of(), false, 0));
                        }
                    }
                    observer.answered(new NodeReplicas(node, cluster.clock.instant(), replicas));
                } else if (what < 7) {
                    observer.leaderMoved(new PartitionId(random.nextInt(40)), random.nextInt(5) == 0 ? null : NodeId.of(1 + random.nextInt(12)));
                } else if (what < 8) {
                    NodeId node = NodeId.of(1 + random.nextInt(12));
                    if (!alive.remove(node)) {
                        alive.add(node);
                    }
                } else {
                    observer.begin(nodes, alive, Set.of(), cluster.clock.instant());
                }
                assertThat(observer.checkLeaders()).as("step %d, seed %d", step, seed).isEmpty();
                leaderChanges += observer.takeLeaderChanges().size();
            }
            assertThat(leaderChanges).as("the run changed leaders at all").isGreaterThan(100);
        }
    }
}
