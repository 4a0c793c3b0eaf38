package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.Actor;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Liveness;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdSet;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Role;
import dev.sluice.model.StateChange;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The liveness handed to the scheduler: when each node was first seen dead, kept across passes that change nothing. */
class LivenessTrackerTest {

    private static final Instant START = Instant.parse("2026-11-30T12:00:00Z");
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);

    private static NodesConfiguration workers(int... ids) {
        List<NodeConfig> nodes = IntStream.of(ids).mapToObj(id -> new NodeConfig("worker-" + id, new GenerationalNodeId(NodeId.of(id), 1),
                NodeAddresses.of("127.0.0.1:" + (9000 + id), "http://127.0.0.1:" + (8000 + id)), Set.of(Role.WORKER), Location.DEFAULT,
                WorkerState.ACTIVE, new StateChange(START, Actor.OPERATOR, "test", Version.MIN, ""), "inc-" + id, null)).toList();
        return new NodesConfiguration(Version.MIN, nodes, List.of());
    }

    @Test
    void aNodeIsDeadSinceItWasFirstSeenGoneAndAgainAfterItCameBack() {
        LivenessTracker tracker = new LivenessTracker(START);
        NodesConfiguration nodes = workers(1, 2, 3);

        Liveness all = tracker.update(nodes, NodeIdSet.copyOf(Set.of(N1, N2, N3)), START.plusSeconds(1));
        assertThat(all.aliveNodes()).containsExactlyInAnyOrder(N1, N2, N3);

        Liveness gone = tracker.update(nodes, Set.of(N1, N2), START.plusSeconds(2));
        assertThat(gone.deadSince(N3)).contains(START.plusSeconds(2));
        // The same nodes and an equal alive set (another object, another kind of set): the same answer, not a later death.
        Liveness still = tracker.update(nodes, NodeIdSet.copyOf(Set.of(N1, N2)), START.plusSeconds(3));
        assertThat(still).isEqualTo(gone);
        assertThat(still.deadSince(N3)).contains(START.plusSeconds(2));

        Liveness back = tracker.update(nodes, Set.of(N1, N2, N3), START.plusSeconds(4));
        assertThat(back.isAlive(N3)).isTrue();
        assertThat(back.deadNodes()).isEmpty();
        Liveness goneAgain = tracker.update(nodes, Set.of(N1, N2), START.plusSeconds(5));
        assertThat(goneAgain.deadSince(N3)).as("dead again: since the second time").contains(START.plusSeconds(5));

        // A node removed from the configuration is forgotten, also while the alive set stays the same.
        Liveness removed = tracker.update(workers(1, 2), Set.of(N1, N2), START.plusSeconds(6));
        assertThat(removed.deadNodes()).isEmpty();
        assertThat(tracker.isDead(N3)).isFalse();
    }
}
