package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.EventLog;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.ReplicationProperty;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusPublisherTest {

    /** A publisher of a leader's term that writes its status and events at once. */
    private static StatusPublisher publisher(ControllerHarness cluster) {
        ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
        var fence = documents.takeEpoch("publisher-test");
        return new StatusPublisher(new StatusWriter(documents, cluster.metadata.events(), fence, Runnable::run), fence,
                "publisher-test", ControllerMetrics.discarding(), ControllerConfig.DEFAULTS);
    }

    private static long lastEventSequence(ControllerHarness cluster) {
        List<EventLog.LoggedEvent> before = cluster.metadata.events().latest(1);
        return before.isEmpty() ? 0 : before.getFirst().sequence();
    }

    /**
     * A drain of a hundred workers at once moves ten thousand leaderships in one pass. An event each was ten times what the
     * writer keeps waiting: nine in ten were dropped. Now the first hundred have an event each and one event sums up
     * the rest, so nothing is dropped and the count is whole.
     */
    @Test
    void aPassThatMovesTenThousandLeadershipsListsAHundredAndSumsUpTheRest() {
        try (ControllerHarness cluster = new ControllerHarness(3, 3, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1)) {
            long since = lastEventSequence(cluster);
            StatusPublisher publisher = publisher(cluster);

            for (int p = 0; p < 10_000; p++) {
                String why = p % 4 == 0 ? "balance" : "leader-draining";
                publisher.leadershipMoved(PartitionId.of(p), new MoveStep.ShedLeadership(NodeId.of(1 + p % 100), NodeId.of(200 + p % 50), why),
                        Duration.ofMillis(100), cluster.clock.instant());
            }
            publisher.publish(NodesConfiguration.empty(), List.of(), List.of(), List.of(), List.of(), List.of(), null,
                    new PassTimings(System.nanoTime()), cluster.clock.instant());

            List<ClusterEvent> logged = cluster.metadata.events().read(since, EventLog.MAX_READ).stream().map(EventLog.LoggedEvent::event)
                    .filter(event -> event.kind() == EventKind.LEADERSHIP_MOVED).toList();
            assertThat(logged).hasSize(StatusPublisher.LEADERSHIP_EVENTS_PER_PASS + 1);
            assertThat(logged.subList(0, StatusPublisher.LEADERSHIP_EVENTS_PER_PASS)).allSatisfy(event -> assertThat(event.partition()).isNotNull());
            ClusterEvent summary = logged.getLast();
            assertThat(summary.numbers()).containsEntry("leaderships", 9_900L);
            assertThat(summary.message()).isEqualTo("and 9900 more leadership transfers in this pass (2475 balance, 7425 leader-draining)");
        }
    }

    /** A worker's death and return are each told once, also when the passes between them see the same sets again. */
    @Test
    void aDeathAndAReturnAreToldOnceEachAndAgainWhenTheyHappenAgain() {
        try (ControllerHarness cluster = new ControllerHarness(3, 3, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1)) {
            long since = lastEventSequence(cluster);
            StatusPublisher publisher = publisher(cluster);
            NodesConfiguration nodes = cluster.metadata.nodes().current();
            NodeId n1 = NodeId.of(1);
            NodeId n2 = NodeId.of(2);
            NodeId n3 = NodeId.of(3);
            List<java.util.Set<NodeId>> passes = List.of(java.util.Set.of(n1, n2, n3), java.util.Set.of(n1, n2), dev.sluice.model.NodeIdSet.copyOf(
                    java.util.Set.of(n1, n2)), java.util.Set.of(n1, n2, n3), java.util.Set.of(n1, n2, n3), java.util.Set.of(n1, n2));
            for (java.util.Set<NodeId> registered : passes) {
                publisher.reportDeaths(nodes, registered, cluster.clock.instant());
                publisher.publish(nodes, List.of(), List.of(), List.of(), List.of(), List.of(), null, new PassTimings(System.nanoTime()),
                        cluster.clock.instant());
            }

            List<String> told = cluster.metadata.events().read(since, EventLog.MAX_READ).stream().map(EventLog.LoggedEvent::event)
                    .filter(event -> event.kind() == EventKind.NODE_DEAD || event.kind() == EventKind.NODE_ALIVE)
                    .map(event -> event.kind() + " " + event.node()).toList();
            assertThat(told).containsExactly(EventKind.NODE_DEAD + " N3", EventKind.NODE_ALIVE + " N3", EventKind.NODE_DEAD + " N3");
        }
    }
}
