package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.MetadataStore;
import dev.sluice.metadata.PlacementIndex;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import dev.sluice.wire.PlacementLoad;
import dev.sluice.wire.ReplicaStatus;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker reads its placements through the placement index: only those that name it, and every change to them. */
class WorkerPlacementIndexTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final URI HTTP = URI.create("http://127.0.0.1:1");
    static final NodeId ELSEWHERE = NodeId.of(99);

    @TempDir
    Path directory;

    private static void place(ClusterMetadata metadata, int partition, NodeId member) {
        PartitionId id = PartitionId.of(partition);
        long version = metadata.placements().read(id).map(VersionedPlacement::version).orElse(0L);
        metadata.placements().write(Placement.stable(id, List.of(member), null, Version.INVALID), version, null, List.of());
    }

    /** The replicas it hosts, in any role: waiting for their elections would only add Raft's election timeout. */
    private static List<PartitionId> hosted(Worker worker) {
        return worker.status().replicas().stream().map(ReplicaStatus::partition).sorted().toList();
    }

    private WorkerConfig config() {
        return WorkerConfig.builder("alpha", "unit", directory.resolve("alpha")).warmUpInterval(Duration.ofMillis(50)).build();
    }

    @Test
    void aWorkerHoldsOnlyItsPlacementsAndFollowsOneThatNamesItAndOneThatLeavesIt() throws Exception {
        ClusterMetadata metadata = new ClusterMetadata(new InMemoryMetadataStore(), InstantSource.system());
        metadata.partitionTable().initialize(new PartitionTable(6, ReplicationProperty.of(1)));
        try (Worker worker = new Worker(config(), metadata)) {
            worker.start(HTTP);
            NodeId me = worker.self().orElseThrow().nodeId();
            for (int p = 0; p < 6; p++) {
                place(metadata, p, p % 2 == 0 ? me : ELSEWHERE);
            }
            Awaitility.await("its three groups").atMost(TIMEOUT).until(() -> hosted(worker).size() == 3);
            assertThat(hosted(worker)).containsExactly(PartitionId.of(0), PartitionId.of(2), PartitionId.of(4));
            PlacementLoad load = worker.status().placements();
            assertThat(load.source()).isEqualTo(PlacementLoad.SOURCE_INDEX);
            assertThat(load.loaded()).isTrue();
            assertThat(load.placements()).as("it holds its own placements, not the cluster's six").isEqualTo(3);
            assertThat(load.waitingFor()).isNull();

            place(metadata, 1, me);
            place(metadata, 0, ELSEWHERE);

            Awaitility.await("P1 joined, P0 left").atMost(TIMEOUT).until(() -> hosted(worker).equals(List.of(PartitionId.of(1), PartitionId.of(2),
                    PartitionId.of(4))) && !Files.exists(worker.partitionDirectory(PartitionId.of(0))));
            assertThat(worker.status().placements().placements()).isEqualTo(3);
            assertThat(worker.routing().partitions()).as("routing still covers every partition, from a copy loaded for it").hasSize(6);
        }
    }

    /**
     * A first load that keeps failing is in the status with what it waits for: entries too large for a batched read
     * make ZooKeeper's client drop the connection on every attempt, as a listing past its packet limit once did.
     */
    @Test
    void aFirstLoadThatKeepsFailingSaysWhatItWaitsFor() throws Exception {
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(directory.resolve("zookeeper"), 0);
                MetadataStore store = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/index-load-test")) {
            ClusterMetadata metadata = new ClusterMetadata(store, InstantSource.system());
            metadata.partitionTable().initialize(new PartitionTable(6, ReplicationProperty.of(1)));
            // The first node of a new cluster is N1.
            for (int i = 0; i < 3; i++) {
                store.put(PlacementIndex.nodeKey(NodeId.of(1)) + "/oversized-" + i, new byte[900_000], Precondition.NONE);
            }
            // No resync within the test: a resync's full read would give the passes placements (while the status still
            // says the watch is stuck) and pass the warm-up check.
            WorkerConfig config = WorkerConfig.builder("alpha", "unit", directory.resolve("alpha")).warmUpInterval(Duration.ofMillis(50))
                    .resyncInterval(Duration.ofMinutes(10)).build();
            try (Worker worker = new Worker(config, metadata)) {
                worker.start(HTTP);
                assertThat(worker.self().orElseThrow().nodeId()).isEqualTo(NodeId.of(1));
                Awaitility.await("the failure in the status").atMost(TIMEOUT).until(() -> worker.status().placements().waitingFor() != null
                        && worker.status().placements().waitingFor().contains("failed"));
                PlacementLoad load = worker.status().placements();
                assertThat(load.loaded()).isFalse();
                assertThat(load.waitingFor()).startsWith("the first load of its index entries (placements-by-node/N1) and the placements they list; "
                        + "the last attempt failed, trying again: ");
                // The warm-up pass runs on its own schedule, and its metadata reads meet the same dropped connections.
                Awaitility.await("the warm-up check says it").atMost(TIMEOUT).untilAsserted(() -> assertThat(worker.status().warmUp())
                        .filteredOn(result -> result.check().equals("metadata-caught-up")).singleElement()
                        .satisfies(result -> assertThat(result.detail()).contains("waiting for the first load of its index entries")));
            }
        }
    }
}
