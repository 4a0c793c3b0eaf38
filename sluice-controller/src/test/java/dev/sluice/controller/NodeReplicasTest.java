package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A report whose views were replaced ({@link NodeReplicas#withViews}, which lays the replacements over the report's map
 * and merges its leaderships) must be the report made from scratch of the views it ends with: equal, in the same order,
 * hosting and leading the same partitions in the same terms — through chains of replacements long enough to be copied.
 */
class NodeReplicasTest {

    private static final Instant AT = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void replacedViewsAreTheReportMadeFromScratchOfTheViewsItEndsWith() {
        long seed = 20_261_130L;
        SplittableRandom random = new SplittableRandom(seed);
        NodeId node = NodeId.of(3);
        for (int report = 0; report < 50; report++) {
            TreeMap<PartitionId, ReplicaView> views = new TreeMap<>();
            for (int p = 0; p < 200; p++) {
                if (random.nextInt(3) == 0) {
                    views.put(PartitionId.of(p), view(p, random));
                }
            }
            NodeReplicas replaced = new NodeReplicas(node, AT, views);
            for (int step = 0; step < 40; step++) {
                Map<PartitionId, ReplicaView> change = new HashMap<>();
                List<PartitionId> hosted = new ArrayList<>(views.keySet());
                for (int i = random.nextInt(6); i > 0 && !hosted.isEmpty(); i--) {
                    PartitionId partition = hosted.get(random.nextInt(hosted.size()));
                    change.put(partition, view(partition.value(), random));
                }
                replaced = replaced.withViews(change);
                views.putAll(change);
                NodeReplicas scratch = new NodeReplicas(node, AT, views);
                String as = "seed " + seed + ", report " + report + ", step " + step;
                assertThat(replaced).as(as).isEqualTo(scratch);
                assertThat(List.copyOf(replaced.replicas().entrySet())).as(as).isEqualTo(List.copyOf(scratch.replicas().entrySet()));
                assertThat(replaced.hostedPartitions()).as(as).isEqualTo(scratch.hostedPartitions());
                assertThat(replaced.claimsAsMuchAs(scratch) && scratch.claimsAsMuchAs(replaced)).as(as + ": the same leaderships in the same terms").isTrue();
                for (int p = 0; p < 200; p++) {
                    assertThat(replaced.hosts(PartitionId.of(p))).isEqualTo(views.containsKey(PartitionId.of(p)));
                    assertThat(replaced.replicas().get(PartitionId.of(p))).isEqualTo(views.get(PartitionId.of(p)));
                }
            }
        }
    }

    @Test
    void aViewOfAPartitionTheReportDoesNotHostIsRefused() {
        NodeReplicas report = new NodeReplicas(NodeId.of(1), AT, Map.of(PartitionId.of(1), view(1, new SplittableRandom(1))));
        ReplicaView elsewhere = view(2, new SplittableRandom(2));
        assertThatThrownBy(() -> report.withViews(Map.of(PartitionId.of(2), elsewhere))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("N1's report does not host P2");
    }

    private static ReplicaView view(int partition, SplittableRandom random) {
        ReplicaRole role = random.nextBoolean() ? ReplicaRole.LEADER : ReplicaRole.FOLLOWER;
        return new ReplicaView(PartitionId.of(partition), role, NodeId.of(1 + random.nextInt(5)), random.nextInt(10), List.of(NodeId.of(1), NodeId.of(3)),
                false, random.nextInt(1000));
    }
}
