package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HostedSetsTest {

    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void anAnswerHostingWhatTheWorkersLastOneDidCarriesTheSameArrayAndNothingElseChanges() {
        HostedSets sets = new HostedSets();
        NodeReplicas first = sets.shared(report(N1, NOW, 1, 2, 3));
        NodeReplicas again = report(N1, NOW.plusSeconds(1), 1, 2, 3);
        NodeReplicas shared = sets.shared(again);

        assertThat(shared.hostedPartitions()).isSameAs(first.hostedPartitions());
        assertThat(shared.node()).isEqualTo(N1);
        assertThat(shared.observedAt()).isEqualTo(again.observedAt());
        assertThat(shared.replicas()).isEqualTo(again.replicas());
        assertThat(shared.claimsAsMuchAs(again)).isTrue();
    }

    @Test
    void anAnswerHostingOtherPartitionsOrFromAnotherWorkerKeepsItsOwn() {
        HostedSets sets = new HostedSets();
        NodeReplicas first = sets.shared(report(N1, NOW, 1, 2, 3));
        NodeReplicas moved = sets.shared(report(N1, NOW.plusSeconds(1), 1, 2, 4));
        NodeReplicas other = sets.shared(report(N2, NOW.plusSeconds(1), 1, 2, 3));

        assertThat(moved.hostedPartitions()).isNotSameAs(first.hostedPartitions()).containsExactly(1, 2, 4);
        assertThat(other.hostedPartitions()).isNotSameAs(first.hostedPartitions());
        // The latest answer is what the next one is compared with, not the first.
        assertThat(sets.shared(report(N1, NOW.plusSeconds(2), 1, 2, 4)).hostedPartitions()).isSameAs(moved.hostedPartitions());
    }

    @Test
    void anAnswerHostingOtherPartitionsSaysHowTheyDifferFromTheLastAnswers() {
        HostedSets sets = new HostedSets();
        NodeReplicas first = sets.shared(report(N1, NOW, 1, 2, 3, 7));
        NodeReplicas moved = sets.shared(report(N1, NOW.plusSeconds(1), 0, 2, 3, 5, 9));

        assertThat(first.hostedChange()).isNull();
        assertThat(moved.hostedChange()).satisfies(change -> {
            assertThat(change.from()).isSameAs(first.hostedPartitions());
            assertThat(change.added()).containsExactly(0, 5, 9);
            assertThat(change.removed()).containsExactly(1, 7);
        });
        // A report with replaced views hosts the same partitions, so it keeps the change.
        PartitionId two = PartitionId.of(2);
        NodeReplicas replaced = moved.withViews(Map.of(two, new ReplicaView(two, ReplicaRole.FOLLOWER, N2, 4, List.of(N1, N2), false, 0)));
        assertThat(replaced.hostedChange()).isSameAs(moved.hostedChange());
    }

    /**
     * Seeded random answers of two workers, some of them decoded but never taken in (as an answer the observer drops): the
     * hosts kept by the decoders' changes, or by walking where a change was made against another answer than the one
     * taken out, agree with the reports after every answer.
     */
    @Test
    void replicaHostsKeptByTheAnswersChangesAgreeWithTheReports() {
        long seed = Long.getLong("sluice.test.seed", System.nanoTime());
        System.out.println("HostedSetsTest seed " + seed + " (replay with -Dsluice.test.seed=" + seed + ")");
        java.util.Random random = new java.util.Random(seed);
        HostedSets sets = new HostedSets();
        ReplicaHosts hosts = new ReplicaHosts();
        Map<NodeId, NodeReplicas> taken = new java.util.HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            NodeId node = random.nextBoolean() ? N1 : N2;
            int[] partitions = random.ints(random.nextInt(8), 0, 12).distinct().sorted().toArray();
            NodeReplicas answer = sets.shared(report(node, NOW.plusSeconds(i), partitions));
            if (random.nextInt(10) == 0) {
                continue;
            }
            hosts.replace(taken.get(node), answer);
            taken.put(node, answer);
            assertThat(hosts.check(taken)).as("seed %d, answer %d", seed, i).isEmpty();
        }
    }

    private static NodeReplicas report(NodeId node, Instant at, int... partitions) {
        Map<PartitionId, ReplicaView> views = new TreeMap<>();
        for (int p : partitions) {
            PartitionId partition = PartitionId.of(p);
            views.put(partition, new ReplicaView(partition, p == 2 ? ReplicaRole.LEADER : ReplicaRole.FOLLOWER, node, 3, List.of(node), false, 0));
        }
        return new NodeReplicas(node, at, views);
    }
}
