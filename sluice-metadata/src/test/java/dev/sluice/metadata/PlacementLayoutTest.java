package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.PartitionId;
import org.junit.jupiter.api.Test;

class PlacementLayoutTest {

    @Test
    void keysOfBothLayouts() {
        assertThat(PlacementLayout.FLAT.key(PartitionId.of(1_234))).isEqualTo("placements/P1234");
        assertThat(PlacementLayout.BUCKETED.key(PartitionId.of(0))).isEqualTo("placements/b0/P0");
        assertThat(PlacementLayout.BUCKETED.key(PartitionId.of(999))).isEqualTo("placements/b0/P999");
        assertThat(PlacementLayout.BUCKETED.key(PartitionId.of(1_000))).isEqualTo("placements/b1/P1000");
        assertThat(PlacementLayout.BUCKETED.key(PartitionId.of(999_999))).isEqualTo("placements/b999/P999999");
    }

    @Test
    void thePartitionOfAKeyInEitherLayoutAndOfNothingElse() {
        assertThat(PlacementLayout.partitionOf("placements/P7")).contains(PartitionId.of(7));
        assertThat(PlacementLayout.partitionOf("placements/b1/P1000")).contains(PartitionId.of(1_000));
        assertThat(PlacementLayout.partitionOf("placements/b0/P1000")).as("a record in the wrong bucket").isEmpty();
        assertThat(PlacementLayout.partitionOf("placements/b1")).as("a bucket").isEmpty();
        assertThat(PlacementLayout.partitionOf("placements")).isEmpty();
        assertThat(PlacementLayout.partitionOf("placements/7")).isEmpty();
        assertThat(PlacementLayout.partitionOf("placements/b1/P1000/deeper")).isEmpty();
        assertThat(PlacementLayout.partitionOf("nodes")).isEmpty();
    }
}
