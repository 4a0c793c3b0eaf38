package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockingPartitionTest {

    @Test
    void partitionsReadAsRangesOfConsecutiveIds() {
        assertThat(PartitionId.ranges(List.of(PartitionId.of(3), PartitionId.of(0), PartitionId.of(1), PartitionId.of(2), PartitionId.of(7),
                PartitionId.of(9), PartitionId.of(10)))).isEqualTo("P0–P3, P7, P9–P10");
        assertThat(PartitionId.ranges(List.of())).isEmpty();
    }

    /** 24 partitions blocked for one reason read as one line; another reason gets its own, after the larger group. */
    @Test
    void identicalReasonsAreGroupedLargestFirst() {
        List<BlockingPartition> blocking = new ArrayList<>();
        blocking.add(new BlockingPartition(PartitionId.of(30), "frozen", "the partition is frozen"));
        for (int p = 0; p < 24; p++) {
            blocking.add(new BlockingPartition(PartitionId.of(p), "not-enough-candidates", "needs 3 replicas, can place 2"));
        }

        List<BlockingPartition.Group> groups = BlockingPartition.grouped(blocking);

        assertThat(groups).extracting(BlockingPartition.Group::toString).containsExactly(
                "P0–P23 (24): not-enough-candidates: needs 3 replicas, can place 2",
                "P30: frozen: the partition is frozen");
        assertThat(BlockingPartition.summary(blocking, 1)).isEqualTo("P0–P23 (24): not-enough-candidates: needs 3 replicas, can place 2; and 1 more group(s)");
    }
}
