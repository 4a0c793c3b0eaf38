package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IdentifiersAndPartitionsTest {

    @Test
    void idsPrintAndParseTheSameWay() {
        assertThat(NodeId.parse("N3")).isEqualTo(NodeId.of(3)).hasToString("N3");
        assertThat(NodeId.parse("3")).isEqualTo(NodeId.of(3));
        assertThat(GenerationalNodeId.parse("N3:7")).hasToString("N3:7").extracting(GenerationalNodeId::generation).isEqualTo(7);
        assertThat(PartitionId.parse("P5")).isEqualTo(PartitionId.of(5)).hasToString("P5");
        assertThat(WorkerState.parse("DRAINING")).isEqualTo(WorkerState.DRAINING);
        assertThat(WorkerState.DRAINING).hasToString("draining");
        for (String bad : new String[] {"", "N", "N-1", "N0", "x3", "N3:0", "3:", "N99999999999"}) {
            assertThatThrownBy(() -> {
                if (bad.contains(":")) {
                    GenerationalNodeId.parse(bad);
                } else {
                    NodeId.parse(bad);
                }
            }).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> WorkerState.parse("sleeping")).hasMessageContaining("provisioning, active, draining, disabled");
    }

    @Test
    void nodeNamesThatReadLikeIdsAreRefused() {
        assertThatThrownBy(() -> NodeConfig.requireValidName("N3")).hasMessageContaining("reads like a node id");
        assertThatThrownBy(() -> NodeConfig.requireValidName("-dash")).hasMessageContaining("invalid node name");
        assertThat(NodeConfig.requireValidName("worker-3")).isEqualTo("worker-3");
    }

    @Test
    void everyKeyFallsInsideItsPartitionsRange() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int partitions : new int[] {1, 2, 3, 24, 1000, PartitionTable.MAX_PARTITIONS}) {
            PartitionTable table = new PartitionTable(partitions, ReplicationProperty.of(3));
            for (int i = 0; i < 2_000; i++) {
                byte[] key = ("key-" + random.nextLong()).getBytes(StandardCharsets.UTF_8);
                PartitionId partition = table.partitionOf(key);
                long hash = KeyHash.hash(key);
                assertThat(Long.compareUnsigned(hash, table.rangeStart(partition))).as("seed %d", seed).isGreaterThanOrEqualTo(0);
                if (partition.value() + 1 < partitions) {
                    assertThat(Long.compareUnsigned(hash, table.rangeStart(PartitionId.of(partition.value() + 1)))).as("seed %d", seed).isNegative();
                }
            }
        }
    }

    @Test
    void aTableHoldsAMillionPartitionsAndRefusesOneMoreThanTheLimit() {
        PartitionTable million = new PartitionTable(1_000_000, ReplicationProperty.of(3));
        assertThat(million.partitionCount()).isEqualTo(1_000_000);
        assertThat(million.partitions()).hasSize(1_000_000).endsWith(PartitionId.of(999_999));
        assertThat(million.rangeStart(PartitionId.of(999_999))).isNotZero();
        assertThat(new PartitionTable(PartitionTable.MAX_PARTITIONS, ReplicationProperty.of(3)).partitionCount()).isEqualTo(1 << 20);
        assertThatThrownBy(() -> new PartitionTable(PartitionTable.MAX_PARTITIONS + 1, ReplicationProperty.of(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("partition count must be between 1 and 1048576, got 1048577");
    }

    @Test
    void keysSpreadEvenlyOverPartitions() {
        PartitionTable table = new PartitionTable(24, ReplicationProperty.of(3));
        int[] counts = new int[24];
        for (int i = 0; i < 240_000; i++) {
            counts[table.partitionOf("key-" + i).value()]++;
        }
        for (int count : counts) {
            assertThat(count).isBetween(9_000, 11_000);
        }
    }

    @Test
    void theKeyHashIsStableAcrossReleases() {
        // Part of the stored format: these values must never change.
        assertThat(KeyHash.hash("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(KeyHash.hash(new byte[] {'a'}));
        assertThat(new PartitionTable(24, ReplicationProperty.of(3)).partitionOf("user-42")).isEqualTo(
                new PartitionTable(24, ReplicationProperty.of(3)).partitionOf("user-42".getBytes(StandardCharsets.UTF_8)));
        assertThat(KeyHash.hash("sluice".getBytes(StandardCharsets.UTF_8))).isEqualTo(-4856765262635287236L);
        assertThat(new PartitionTable(24, ReplicationProperty.of(3)).partitionOf("user-42")).isEqualTo(PartitionId.of(15));
    }

    @Test
    void invalidKeysAndTablesAreRefused() {
        PartitionTable table = new PartitionTable(24, ReplicationProperty.of(3));
        assertThatThrownBy(() -> table.partitionOf(new byte[0])).hasMessageContaining("empty");
        assertThatThrownBy(() -> table.partitionOf(new byte[PartitionTable.MAX_KEY_BYTES + 1])).hasMessageContaining("limit");
        assertThatThrownBy(() -> new PartitionTable(0, ReplicationProperty.of(3))).hasMessageContaining("partition count");
        assertThatThrownBy(() -> new ReplicationProperty(3, 4)).hasMessageContaining("minZones");
    }
}
