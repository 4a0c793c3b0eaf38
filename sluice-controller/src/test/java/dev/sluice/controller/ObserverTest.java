package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.ReplicationProperty;
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
     * Leaders are recomputed lazily after moved leaderships; what they say must not change: a moved leadership
     * counts at once, and an answer that arrives after it counts only from the next pass, as before.
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
}
