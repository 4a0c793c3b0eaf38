package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batched placement writes: the same contract on the in-memory store and on ZooKeeper. */
class PlacementStoreTest {

    static final List<NodeId> NODES = List.of(NodeId.of(1), NodeId.of(2), NodeId.of(3));

    abstract static class Contract {

        abstract MetadataStore newStore();

        static Placement placement(int partition) {
            return Placement.stable(PartitionId.of(partition), NODES, NodeId.of(1), Version.MIN);
        }

        static ClusterEvent event(String message) {
            return ClusterEvent.of(Instant.EPOCH, EventKind.OTHER, null, null, message, Map.of());
        }

        @Test
        void writesEveryPlacementAndItsEventInOneBatch() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
                for (int p = 0; p < 5; p++) {
                    writes.add(new PlacementStore.PlacementWrite(placement(p), 0, event("P" + p)));
                }
                List<OptionalLong> versions = metadata.placements().writeAll(writes, List.of(fence));

                assertThat(versions).allMatch(v -> v.isPresent() && v.getAsLong() == 1);
                assertThat(metadata.placements().readAll()).hasSize(5);
                assertThat(metadata.events().read(-1, 100)).extracting(e -> e.event().message()).containsExactly("P0", "P1", "P2", "P3", "P4");
            }
        }

        @Test
        void someOfThePlacementsAreReadInOneGoTheMissingLeftOut() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                for (int p = 0; p < 5; p++) {
                    metadata.placements().write(placement(p), 0, null, List.of(fence));
                }

                Map<PartitionId, PlacementStore.VersionedPlacement> some = metadata.placements().readSome(
                        List.of(PartitionId.of(1), PartitionId.of(3), PartitionId.of(7)));

                assertThat(some).containsOnlyKeys(PartitionId.of(1), PartitionId.of(3));
                assertThat(some.get(PartitionId.of(3)).placement()).isEqualTo(placement(3));
                assertThat(some.get(PartitionId.of(3)).version()).isEqualTo(1);
            }
        }

        @Test
        void aRaceOnOnePartitionLeavesItOutAndWritesTheOthers() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                for (int p = 0; p < 3; p++) {
                    metadata.placements().write(placement(p), 0, null, List.of(fence));
                }
                // Someone else moved P1 on to v2: a batch expecting v1 must not overwrite it.
                metadata.placements().write(placement(1).withLeader(NodeId.of(2)), 1, null, List.of(fence));

                List<OptionalLong> versions = metadata.placements().writeAll(List.of(
                        new PlacementStore.PlacementWrite(placement(0).withLeader(NodeId.of(3)), 1, event("P0")),
                        new PlacementStore.PlacementWrite(placement(1).withLeader(NodeId.of(3)), 1, event("P1")),
                        new PlacementStore.PlacementWrite(placement(2).withLeader(NodeId.of(3)), 1, event("P2"))), List.of(fence));

                assertThat(versions).containsExactly(OptionalLong.of(2), OptionalLong.empty(), OptionalLong.of(2));
                assertThat(metadata.placements().read(PartitionId.of(1)).orElseThrow().placement().leader()).isEqualTo(NodeId.of(2));
                assertThat(metadata.placements().read(PartitionId.of(2)).orElseThrow().placement().leader()).isEqualTo(NodeId.of(3));
                assertThat(metadata.events().read(-1, 100)).extracting(e -> e.event().message()).containsExactly("P0", "P2");
            }
        }

        @Test
        void aMovedFenceWritesNothing() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                Fence stale = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                store.put("fence", new byte[0], Precondition.NONE);

                assertThatThrownBy(() -> metadata.placements().writeAll(List.of(new PlacementStore.PlacementWrite(placement(0), 0, event("P0"))),
                        List.of(stale))).isInstanceOf(Fence.LostException.class);
                assertThat(metadata.placements().readAll()).isEmpty();
                assertThat(metadata.events().read(-1, 100)).isEmpty();
            }
        }

        @Test
        void moreWritesThanOneCommitHoldAreAllWritten() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
                for (int p = 0; p < PlacementStore.WRITES_PER_COMMIT * 2 + 7; p++) {
                    writes.add(new PlacementStore.PlacementWrite(placement(p), 0, null));
                }
                assertThat(metadata.placements().writeAll(writes, List.of(fence))).allMatch(OptionalLong::isPresent);
                assertThat(metadata.placements().readAll()).hasSize(writes.size());
            }
        }

        @Test
        void aNewClusterKeepsItsPlacementsInBucketsOfAThousand() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                metadata.partitionTable().initialize(new PartitionTable(3_000, ReplicationProperty.of(3)));
                for (int p : List.of(0, 999, 1_000, 2_500)) {
                    metadata.placements().write(placement(p), 0, null, List.of());
                }
                metadata.placements().write(placement(1_000).withLeader(NodeId.of(2)), 1, null, List.of());

                assertThat(metadata.placements().layout()).isEqualTo(PlacementLayout.BUCKETED);
                assertThat(store.children(MetadataKeys.PLACEMENTS)).containsExactly("b0", "b1", "b2");
                assertThat(store.children("placements/b0")).containsExactly("P0", "P999");
                assertThat(store.get("placements/b1/P1000")).map(Versioned::version).contains(2L);
                assertThat(metadata.placements().readAll()).containsOnlyKeys(PartitionId.of(0), PartitionId.of(999), PartitionId.of(1_000),
                        PartitionId.of(2_500));
                assertThat(metadata.placements().read(PartitionId.of(1_000)).orElseThrow().placement().leader()).isEqualTo(NodeId.of(2));
            }
        }

        /** A cluster created by a release before the bucketed layout: its partition table is format 1 and its placements flat. */
        @Test
        void aClusterCreatedWithTheFlatLayoutIsReadAndWrittenInIt() {
            try (MetadataStore store = newStore()) {
                DocumentCodec<PartitionTable> previousTable = new DocumentCodec<>(PartitionTable.class, "partition table", 1);
                DocumentCodec<Placement> placements = new DocumentCodec<>(Placement.class, "placement", 1);
                store.put(MetadataKeys.PARTITION_TABLE, previousTable.encode(new PartitionTable(2_000, ReplicationProperty.of(3))), Precondition.DOES_NOT_EXIST);
                store.put("placements/P1", placements.encode(placement(1)), Precondition.DOES_NOT_EXIST);
                store.put("placements/P1500", placements.encode(placement(1_500)), Precondition.DOES_NOT_EXIST);
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);

                assertThat(metadata.placements().layout()).isEqualTo(PlacementLayout.FLAT);
                assertThat(metadata.partitionTable().read()).contains(new PartitionTable(2_000, ReplicationProperty.of(3)));
                assertThat(metadata.placements().readAll()).containsOnlyKeys(PartitionId.of(1), PartitionId.of(1_500));
                assertThat(metadata.placements().write(placement(1_500).withLeader(NodeId.of(3)), 1, null, List.of())).isEqualTo(2);
                metadata.placements().write(placement(7), 0, null, List.of());

                assertThat(store.children(MetadataKeys.PLACEMENTS)).containsExactly("P1", "P1500", "P7");
                assertThat(metadata.placements().read(PartitionId.of(1_500)).orElseThrow()).isEqualTo(
                        new PlacementStore.VersionedPlacement(placement(1_500).withLeader(NodeId.of(3)), 2));
            }
        }

        @Test
        void aPartitionTableOfANewerFormatIsRefusedNamingItsKey() {
            try (MetadataStore store = newStore()) {
                DocumentCodec<PartitionTable> newer = new DocumentCodec<>(PartitionTable.class, "partition table", PartitionTableStore.FORMAT + 1);
                store.put(MetadataKeys.PARTITION_TABLE, newer.encode(new PartitionTable(10, ReplicationProperty.of(3))), Precondition.DOES_NOT_EXIST);
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);

                assertThatThrownBy(() -> metadata.placements().readAll()).isInstanceOf(CorruptDocumentException.class)
                        .hasMessage("metadata key 'partition-table' does not hold a valid partition table: it was written in format " + (PartitionTableStore.FORMAT + 1)
                                + " by a newer Sluice; this one reads up to format " + PartitionTableStore.FORMAT + ". Upgrade this node");
            }
        }

        @Test
        void aWatchSeesPlacementsInBuckets() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                metadata.placements().write(placement(5), 0, null, List.of());
                PlacementCopy copy = new PlacementCopy();
                try (Watch watch = metadata.placements().watch(copy::onNotification, () -> {}, () -> {})) {
                    metadata.placements().write(placement(1_005), 0, null, List.of());
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                            assertThat(copy.snapshot()).containsOnlyKeys(PartitionId.of(5), PartitionId.of(1_005)));
                }
            }
        }

        @Test
        void twoWritesOfOnePartitionAreRefusedBeforeAnythingIsWritten() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                assertThatThrownBy(() -> metadata.placements().writeAll(List.of(new PlacementStore.PlacementWrite(placement(0), 0, null),
                        new PlacementStore.PlacementWrite(placement(0), 0, null)), List.of()))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two writes of P0");
                assertThat(metadata.placements().readAll()).isEmpty();
            }
        }
    }

    @Nested
    class InMemory extends Contract {
        @Override
        MetadataStore newStore() {
            return new InMemoryMetadataStore();
        }
    }

    @TempDir
    static Path zooKeeperData;
    static EmbeddedZooKeeper zooKeeper;
    static int namespaces;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(zooKeeperData, 0);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        zooKeeper.close();
    }

    @Nested
    class OnZooKeeper extends Contract {
        @Override
        MetadataStore newStore() {
            Supplier<String> fresh = () -> "/sluice/placements-test-" + (++namespaces);
            return ZooKeeperMetadataStore.connect(zooKeeper.connectString(), fresh.get());
        }
    }
}
