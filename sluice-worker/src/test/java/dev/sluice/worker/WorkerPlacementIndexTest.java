package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.EphemeralKey;
import dev.sluice.metadata.ForwardingMetadataStore;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.LeaderElection;
import dev.sluice.metadata.LogEntry;
import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.MetadataStore;
import dev.sluice.metadata.MetadataUnavailableException;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.PlacementIndex;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.Versioned;
import dev.sluice.metadata.Watch;
import dev.sluice.metadata.WatchListener;
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
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicReference;
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

    /**
     * The copy of every placement for routing has a first load of its own, started by the first routing request; one that
     * keeps failing (the oversized values now lie among the placements, so every batched read of them drops the
     * connection) is named in the refusal and in the status, and once the store recovers the copy loads by itself.
     */
    @Test
    void aRoutingCopyWhoseFirstLoadFailsSaysWhyAndLoadsOnceTheStoreRecovers() throws Exception {
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(directory.resolve("zookeeper"), 0);
                MetadataStore store = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/routing-load-test")) {
            ClusterMetadata metadata = new ClusterMetadata(store, InstantSource.system());
            metadata.partitionTable().initialize(new PartitionTable(6, ReplicationProperty.of(1)));
            try (Worker worker = new Worker(config(), metadata)) {
                worker.start(HTTP);
                NodeId me = worker.self().orElseThrow().nodeId();
                for (int p = 0; p < 6; p++) {
                    place(metadata, p, p == 0 ? me : ELSEWHERE);
                }
                Awaitility.await("its one group").atMost(TIMEOUT).until(() -> hosted(worker).equals(List.of(PartitionId.of(0))));
                String placementKey = metadata.placements().layout().key(PartitionId.of(0));
                String bucket = placementKey.substring(0, placementKey.lastIndexOf('/'));
                List<String> oversized = List.of(bucket + "/oversized-0", bucket + "/oversized-1", bucket + "/oversized-2");
                for (String key : oversized) {
                    store.put(key, new byte[900_000], Precondition.NONE);
                }
                assertThat(worker.status().routing()).as("no routing copy before the first routing request").isNull();

                assertThatThrownBy(worker::routing).isInstanceOf(RoutingPlacements.RoutingNotLoaded.class)
                        .hasMessageStartingWith("this node is still loading every placement for routing (0 so far; the last attempt failed, trying again: ")
                        .hasMessageContaining("failed, the last at ").hasMessageEndingWith("); ask again");
                PlacementLoad routing = worker.status().routing();
                assertThat(routing.source()).isEqualTo(PlacementLoad.SOURCE_EVERY_PLACEMENT);
                assertThat(routing.loaded()).isFalse();
                assertThat(routing.waitingFor()).startsWith("the first load of every placement (placements) for routing; the last attempt failed, "
                        + "trying again: ");
                assertThat(worker.status().placements().loaded()).as("its own placements, read through the index, are not affected").isTrue();

                for (String key : oversized) {
                    store.delete(key, Precondition.NONE);
                }

                Awaitility.await("the routing copy loaded").atMost(TIMEOUT).until(() -> worker.status().routing().loaded());
                assertThat(worker.status().routing().waitingFor()).isNull();
                assertThat(worker.status().routing().placements()).isEqualTo(6);
                assertThat(worker.routing().partitions()).hasSize(6);
            }
        }
    }

    /** A status that counts two or more failed attempts. */
    private static final java.util.regex.Pattern TRIED_AGAIN = java.util.regex.Pattern.compile("\\b([2-9]|[1-9][0-9]+) attempts failed");

    /**
     * A full read of every placement after missed notifications that fails is tried again until one succeeds, and the
     * status says so meanwhile: without it the copy would follow notifications only until the next resync.
     */
    @Test
    void aFailedRereadOfTheRoutingCopyIsTriedAgainUntilItSucceeds() throws Exception {
        FailingPlacementReads store = new FailingPlacementReads(new InMemoryMetadataStore());
        ClusterMetadata metadata = new ClusterMetadata(store, InstantSource.system());
        metadata.partitionTable().initialize(new PartitionTable(4, ReplicationProperty.of(1)));
        try (Worker worker = new Worker(config(), metadata)) {
            worker.start(HTTP);
            NodeId me = worker.self().orElseThrow().nodeId();
            for (int p = 0; p < 4; p++) {
                place(metadata, p, p == 0 ? me : ELSEWHERE);
            }
            Awaitility.await("routing from the copy of every placement").atMost(TIMEOUT).until(() -> worker.routing().partitions().size() == 4);
            assertThat(worker.status().routing().loaded()).isTrue();

            store.failing = true;
            store.routingWatch.get().onResync();

            // At least two: the retries come 0.5, 1, 2, 4… s apart, and a test thread that looked late under load (once on
            // 2026-11-29, after the third attempt) never saw exactly two.
            Awaitility.await("the failing re-read tried again, in the status").atMost(TIMEOUT).until(() -> worker.status().routing().waitingFor() != null
                    && TRIED_AGAIN.matcher(worker.status().routing().waitingFor()).find());
            assertThat(worker.status().routing().waitingFor()).startsWith("a full read of every placement for routing after missed notifications "
                    + "(meanwhile the copy follows notifications only); the last attempt failed, trying again: "
                    + "dev.sluice.metadata.MetadataUnavailableException: the test fails every read of the placements");
            assertThat(worker.status().routing().loaded()).as("routing still answers from the copy").isTrue();

            store.failing = false;

            Awaitility.await("a retry re-read every placement").atMost(TIMEOUT).until(() -> worker.status().routing().waitingFor() == null);
        }
    }

    /**
     * A full read runs on the copy's own thread: it blocks on the store for seconds at size, and on the common pool (one
     * thread on a two-core machine, shared with the rest of the process) a busy pool held it back, and it held the pool.
     */
    @Test
    void aRereadOfTheRoutingCopyDoesNotWaitForTheCommonPool() throws Exception {
        FailingPlacementReads store = new FailingPlacementReads(new InMemoryMetadataStore());
        ClusterMetadata metadata = new ClusterMetadata(store, InstantSource.system());
        metadata.partitionTable().initialize(new PartitionTable(2, ReplicationProperty.of(1)));
        place(metadata, 0, ELSEWHERE);
        place(metadata, 1, ELSEWHERE);
        RoutingPlacements routing = new RoutingPlacements("alpha", InstantSource.system(), metadata.placements());
        int poolThreads = java.util.concurrent.ForkJoinPool.getCommonPoolParallelism();
        java.util.concurrent.CountDownLatch occupied = new java.util.concurrent.CountDownLatch(poolThreads);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try {
            assertThat(routing.await().size()).isEqualTo(2);
            for (int i = 0; i < poolThreads; i++) {
                java.util.concurrent.ForkJoinPool.commonPool().execute(() -> {
                    occupied.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertThat(occupied.await(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).as("every thread of the common pool busy").isTrue();

            store.failing = true;
            store.routingWatch.get().onResync();

            Awaitility.await("the re-read attempted and retried with the common pool busy").atMost(TIMEOUT)
                    .until(() -> routing.load().waitingFor() != null && TRIED_AGAIN.matcher(routing.load().waitingFor()).find());
        } finally {
            release.countDown();
            routing.close();
        }
    }

    /**
     * Fails every listing and batched read of the placements while {@link #failing}, as a store that cannot answer
     * them would; keeps the listener of the placement watch so the test can tell it that notifications were missed.
     */
    private static final class FailingPlacementReads extends ForwardingMetadataStore {
        volatile boolean failing;
        final AtomicReference<WatchListener> routingWatch = new AtomicReference<>();

        FailingPlacementReads(MetadataStore delegate) {
            super(delegate);
        }

        private void failOnPlacements(String key) {
            if (failing && (key.equals(MetadataKeys.PLACEMENTS) || key.startsWith(MetadataKeys.PLACEMENTS + "/"))) {
                throw new MetadataUnavailableException("the test fails every read of the placements", null);
            }
        }

        @Override
        public List<String> children(String key) {
            failOnPlacements(key);
            return delegate.children(key);
        }

        @Override
        public SortedMap<String, Versioned> readChildren(String key) {
            failOnPlacements(key);
            return delegate.readChildren(key);
        }

        @Override
        public SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
            failOnPlacements(key);
            return delegate.readChildren(key, valueBytesMax);
        }

        @Override
        public Watch watch(String key, boolean recursive, WatchListener listener) {
            if (key.equals(MetadataKeys.PLACEMENTS)) {
                routingWatch.set(listener);
            }
            return delegate.watch(key, recursive, listener);
        }

        @Override
        public Watch watch(String key, boolean recursive, int valueBytesMax, WatchListener listener) {
            if (key.equals(MetadataKeys.PLACEMENTS)) {
                routingWatch.set(listener);
            }
            return delegate.watch(key, recursive, valueBytesMax, listener);
        }

    }
}
