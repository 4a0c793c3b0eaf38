package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-node placement index ({@link PlacementIndex}) against the placements it indexes: after every write of a
 * seeded random sequence, through every path that writes placements, on the in-memory store and on ZooKeeper.
 */
class PlacementIndexTest {

    static final int NODES = 8;
    static final int PARTITIONS = 40;
    static final Duration WATCH_TIMEOUT = Duration.ofSeconds(20);

    abstract static class Contract {

        abstract MetadataStore newStore();

        /** Random writes per run: every check reads the whole index back, one round trip per node on ZooKeeper. */
        abstract int steps();

        /** A cluster created by this release: its partition table comes with a complete, empty index. */
        static ClusterMetadata newCluster(MetadataStore store) {
            ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
            metadata.partitionTable().initialize(new PartitionTable(PARTITIONS, ReplicationProperty.of(3)));
            return metadata;
        }

        @Test
        void theIndexEqualsThePlacementsAfterEveryWriteOfARandomSequence() {
            // A fresh seed each run widens what the suite covers; -Dsluice.metadata.index.seed=<seed> replays one.
            long seed = Long.getLong("sluice.metadata.index.seed", new Random().nextLong());
            System.out.println("PlacementIndexTest seed " + seed + " (replay with -Dsluice.metadata.index.seed=" + seed + ")");
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = newCluster(store);
                assertThat(metadata.placements().indexed()).isTrue();
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                RandomWriter writer = new RandomWriter(metadata, fence, new Random(seed));
                writer.placeAll();
                assertIndexMatches(store, metadata, "seed " + seed + ", after the initial placement");
                for (int step = 0; step < steps(); step++) {
                    String what = writer.step();
                    assertIndexMatches(store, metadata, "seed " + seed + ", step " + step + " (" + what + ")");
                }
                for (int node = 1; node <= NODES; node++) {
                    NodeId id = NodeId.of(node);
                    assertThat(metadata.placements().readNode(id)).as("seed %d: what %s reads through its index", seed, id)
                            .isEqualTo(naming(metadata.placements().readAll(), id));
                }
            }
        }

        /** The check above must catch a writer that skips the index, or it proves nothing. */
        @Test
        void aPlacementWrittenWithoutItsIndexEntriesFailsTheCheck() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = newCluster(store);
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                new RandomWriter(metadata, fence, new Random(1)).placeAll();
                VersionedPlacement p3 = metadata.placements().read(PartitionId.of(3)).orElseThrow();
                NodeId outsider = outsider(p3.placement());
                Placement moved = p3.placement().withNext(List.of(outsider, p3.placement().current().get(1), p3.placement().current().get(2)), Version.MIN,
                        Instant.EPOCH);
                // The planted bug: the record written as the store writes it, its index entries not.
                store.put(metadata.placements().layout().key(PartitionId.of(3)), new DocumentCodec<>(Placement.class, "placement", PlacementStore.FORMAT)
                        .encode(moved), Precondition.matchesVersion(p3.version()));

                assertThatThrownBy(() -> assertIndexMatches(store, metadata, "after a write that skipped the index")).isInstanceOf(AssertionError.class)
                        .hasMessageContaining(PlacementIndex.entryKey(outsider, PartitionId.of(3)));
                // A later write through the store finds the index disagreeing, and says so rather than writing over it.
                assertThatThrownBy(() -> metadata.placements().write(moved.completed(), p3.version() + 1, null, List.of(fence)))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("BUG: the placement index disagrees");
            }
        }

        /**
         * A cluster created before the index (format-1 flat and format-2 bucketed tables alike) has placements and no
         * index; the controller's build gives it one that equals its placements, also over what an interrupted build
         * left, and from then on the writes keep it.
         */
        @Test
        void anUpgradedClusterGetsACorrectIndex() {
            for (int tableFormat : List.of(1, 2)) {
                try (MetadataStore store = newStore()) {
                    DocumentCodec<PartitionTable> olderTable = new DocumentCodec<>(PartitionTable.class, "partition table", tableFormat);
                    store.put(MetadataKeys.PARTITION_TABLE, olderTable.encode(new PartitionTable(PARTITIONS, ReplicationProperty.of(3))),
                            Precondition.DOES_NOT_EXIST);
                    ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                    Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                    RandomWriter writer = new RandomWriter(metadata, fence, new Random(tableFormat));
                    writer.placeAll();
                    for (int step = 0; step < 10; step++) {
                        writer.step();
                    }
                    assertThat(metadata.placements().indexed()).as("format %d before the build", tableFormat).isFalse();
                    assertThat(store.children(MetadataKeys.PLACEMENTS_BY_NODE)).as("no writer indexes an unindexed cluster").isEmpty();
                    // What an interrupted build may leave: an entry its placement does not justify.
                    store.put(PlacementIndex.entryKey(NodeId.of(99), PartitionId.of(0)), "1".getBytes(StandardCharsets.US_ASCII), Precondition.NONE);
                    ClusterMetadata otherNode = new ClusterMetadata(store, () -> Instant.EPOCH);

                    assertThat(metadata.placements().ensureIndex(List.of(fence), Instant.EPOCH, "controller-1")).isEqualTo(PARTITIONS);

                    assertThat(otherNode.placements().indexed()).isTrue();
                    assertThat(new ClusterMetadata(store, () -> Instant.EPOCH).placements().layout()).as("the layout is kept")
                            .isEqualTo(tableFormat == 1 ? PlacementLayout.FLAT : PlacementLayout.BUCKETED);
                    assertThat(otherNode.partitionTable().read()).contains(new PartitionTable(PARTITIONS, ReplicationProperty.of(3)));
                    // A release before the index reads up to format 2, so it refuses the cluster instead of writing without entries.
                    assertThatThrownBy(() -> new DocumentCodec<>(PartitionTable.class, "partition table", 2).decode(MetadataKeys.PARTITION_TABLE,
                            store.get(MetadataKeys.PARTITION_TABLE).orElseThrow().value())).hasMessageContaining("Upgrade this node");
                    assertThat(metadata.placements().ensureIndex(List.of(fence), Instant.EPOCH, "controller-1")).as("built once").isZero();
                    assertIndexMatches(store, metadata, "format " + tableFormat + ", after the build");
                    for (int step = 0; step < 10; step++) {
                        String what = writer.step();
                        assertIndexMatches(store, metadata, "format " + tableFormat + ", step " + step + " after the build (" + what + ")");
                    }
                }
            }
        }

        @Test
        void aBuildUnderALostFenceStops() {
            try (MetadataStore store = newStore()) {
                store.put(MetadataKeys.PARTITION_TABLE, new DocumentCodec<>(PartitionTable.class, "partition table", 2).encode(new PartitionTable(PARTITIONS,
                        ReplicationProperty.of(3))), Precondition.DOES_NOT_EXIST);
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                new RandomWriter(metadata, fence, new Random(3)).placeAll();
                store.put("fence", new byte[0], Precondition.NONE);

                assertThatThrownBy(() -> metadata.placements().ensureIndex(List.of(fence), Instant.EPOCH, "deposed")).isInstanceOf(Fence.LostException.class);
                assertThat(metadata.placements().indexed()).isFalse();
            }
        }

        /** A worker's view: exactly its placements, one that newly names it, one that stops naming it. */
        @Test
        void aNodeWatchSeesExactlyItsPlacementsAndTheOnesThatJoinAndLeaveIt() {
            try (MetadataStore store = newStore()) {
                ClusterMetadata metadata = newCluster(store);
                Fence fence = new Fence("fence", store.put("fence", new byte[0], Precondition.NONE));
                RandomWriter writer = new RandomWriter(metadata, fence, new Random(7));
                writer.placeAll();
                NodeId me = NodeId.of(2);
                Map<PartitionId, VersionedPlacement> seen = new ConcurrentHashMap<>();
                AtomicBoolean initialized = new AtomicBoolean();
                try (Watch watch = metadata.placements().watchNode(me, (partition, placement) -> {
                    if (placement.isPresent()) {
                        seen.merge(partition, placement.get(), (a, b) -> b.version() > a.version() ? b : a);
                    } else {
                        seen.remove(partition);
                    }
                }, () -> initialized.set(true), () -> {}, failure -> {})) {
                    await().atMost(WATCH_TIMEOUT).untilTrue(initialized);
                    assertThat(seen).isEqualTo(naming(metadata.placements().readAll(), me));

                    VersionedPlacement joining = metadata.placements().readAll().values().stream().filter(p -> !p.placement().names(me)).findFirst()
                            .orElseThrow();
                    Placement withMe = joining.placement().withNext(List.of(me, joining.placement().current().get(1), joining.placement().current().get(2)),
                            Version.MIN, Instant.EPOCH);
                    long joinedAt = metadata.placements().write(withMe, joining.version(), null, List.of(fence));
                    await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(seen.get(withMe.partition()))
                            .isEqualTo(new VersionedPlacement(withMe, joinedAt)));

                    VersionedPlacement leaving = naming(metadata.placements().readAll(), me).values().stream()
                            .filter(p -> !p.placement().partition().equals(withMe.partition())).findFirst().orElseThrow();
                    NodeId outsider = outsider(leaving.placement());
                    List<NodeId> without = new ArrayList<>(leaving.placement().current());
                    without.replaceAll(node -> node.equals(me) ? outsider : node);
                    metadata.placements().write(Placement.stable(leaving.placement().partition(), without, without.getFirst(), Version.MIN),
                            leaving.version(), null, List.of(fence));
                    // A change that keeps naming the node reaches it too.
                    long completedAt = metadata.placements().write(withMe.completed(), joinedAt, null, List.of(fence));

                    await().atMost(WATCH_TIMEOUT).untilAsserted(() -> {
                        assertThat(seen).doesNotContainKey(leaving.placement().partition());
                        assertThat(seen.get(withMe.partition())).isEqualTo(new VersionedPlacement(withMe.completed(), completedAt));
                    });
                    assertThat(seen).isEqualTo(naming(metadata.placements().readAll(), me));
                }
            }
        }
    }

    static NodeId outsider(Placement placement) {
        for (int node = 1; node <= NODES; node++) {
            if (!placement.names(NodeId.of(node))) {
                return NodeId.of(node);
            }
        }
        throw new IllegalStateException("BUG: every node is named");
    }

    static Map<PartitionId, VersionedPlacement> naming(Map<PartitionId, VersionedPlacement> all, NodeId node) {
        Map<PartitionId, VersionedPlacement> naming = new TreeMap<>();
        all.forEach((partition, placement) -> {
            if (placement.placement().names(node)) {
                naming.put(partition, placement);
            }
        });
        return naming;
    }

    /**
     * The index's entries are exactly the (node, partition) pairs the stored placements name, each holding a version no
     * newer than its placement's (equal for every write that went through the store).
     */
    static void assertIndexMatches(MetadataStore store, ClusterMetadata metadata, String when) {
        Map<PartitionId, VersionedPlacement> all = metadata.placements().readAll();
        Map<String, Long> expected = new TreeMap<>();
        all.forEach((partition, placement) -> placement.placement().members().forEach(node -> expected.put(PlacementIndex.entryKey(node, partition),
                placement.version())));
        Map<String, Long> actual = new TreeMap<>();
        for (String node : store.children(MetadataKeys.PLACEMENTS_BY_NODE)) {
            String nodeKey = MetadataKeys.PLACEMENTS_BY_NODE + "/" + node;
            store.readChildren(nodeKey, PlacementIndex.ENTRY_BYTES_MAX).forEach((entry, value) -> actual.put(nodeKey + "/" + entry,
                    Long.parseLong(new String(value.value(), StandardCharsets.US_ASCII))));
        }
        assertThat(actual).as("the index %s", when).isEqualTo(expected);
    }

    /** Writes placements the ways the product does: the first placement, moves, their completion, a removal, policy changes. */
    static final class RandomWriter {
        private final ClusterMetadata metadata;
        private final Fence fence;
        private final Random random;

        RandomWriter(ClusterMetadata metadata, Fence fence, Random random) {
            this.metadata = metadata;
            this.fence = fence;
            this.random = random;
        }

        /** The first placement: every partition in batches, as the controller's first pass and the test kit write them. */
        void placeAll() {
            List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                List<NodeId> set = randomSet(3, new TreeSet<>());
                writes.add(new PlacementStore.PlacementWrite(Placement.stable(PartitionId.of(p), set, set.getFirst(), Version.MIN), 0, null));
            }
            metadata.placements().writeAll(writes, List.of(fence));
        }

        private List<NodeId> randomSet(int size, java.util.Set<NodeId> excluded) {
            List<NodeId> nodes = new ArrayList<>();
            for (int n = 1; n <= NODES; n++) {
                if (!excluded.contains(NodeId.of(n))) {
                    nodes.add(NodeId.of(n));
                }
            }
            Collections.shuffle(nodes, random);
            return List.copyOf(nodes.subList(0, size));
        }

        /** One random write (or a batch of them); says what it did. */
        String step() {
            Map<PartitionId, VersionedPlacement> all = metadata.placements().readAll();
            List<VersionedPlacement> placements = new ArrayList<>(all.values());
            VersionedPlacement picked = placements.get(random.nextInt(placements.size()));
            Placement placement = picked.placement();
            int kind = random.nextInt(6);
            return switch (kind) {
                case 0, 1 -> {
                    // A move: a next set that replaces one to three members (or, while one is under way, its completion).
                    if (placement.hasNext()) {
                        write(placement.completed(), picked, random.nextBoolean());
                        yield "completed " + placement.partition();
                    }
                    List<NodeId> next = new ArrayList<>(placement.current());
                    int replaced = 1 + random.nextInt(3);
                    List<NodeId> incoming = randomSet(replaced, new TreeSet<>(placement.current()));
                    for (int i = 0; i < replaced; i++) {
                        next.set(i, incoming.get(i));
                    }
                    write(placement.withNext(next, Version.MIN, Instant.EPOCH), picked, random.nextBoolean());
                    yield "move of " + placement.partition() + " to " + next;
                }
                case 2 -> {
                    // A removal, as a repair of a dead node's replica writes it: the member replaced at once.
                    List<NodeId> current = new ArrayList<>(placement.current());
                    current.set(random.nextInt(current.size()), randomSet(1, new TreeSet<>(placement.members())).getFirst());
                    write(Placement.stable(placement.partition(), current, current.getFirst(), Version.MIN), picked, random.nextBoolean());
                    yield "repair of " + placement.partition() + " to " + current;
                }
                case 3 -> {
                    write(placement.withLeader(placement.current().get(random.nextInt(placement.current().size()))), picked, false);
                    yield "leader of " + placement.partition();
                }
                case 4 -> {
                    // An operator's policy change: one unfenced write through PlacementStore.write, as PartitionPolicyRequests does.
                    metadata.placements().write(placement.withPolicy(new dev.sluice.model.PartitionPolicy(!placement.policy().frozen(), placement.policy().pinnedLeader())), picked.version(), null,
                            List.of());
                    yield "policy of " + placement.partition();
                }
                default -> {
                    // A controller pass: several partitions in one batch, one of them raced by another writer first.
                    Collections.shuffle(placements, random);
                    List<VersionedPlacement> batch = placements.subList(0, 5);
                    VersionedPlacement raced = batch.get(random.nextInt(batch.size()));
                    metadata.placements().write(raced.placement().withLeader(raced.placement().current().getLast()), raced.version(), null, List.of(fence));
                    List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
                    for (VersionedPlacement one : batch) {
                        Placement moved = one.placement().hasNext() ? one.placement().completed()
                                : one.placement().withNext(randomSwap(one.placement()), Version.MIN, Instant.EPOCH);
                        writes.add(new PlacementStore.PlacementWrite(moved, one.version(), random.nextBoolean() ? one.placement() : null, null));
                    }
                    List<java.util.OptionalLong> versions = metadata.placements().writeAll(writes, List.of(fence));
                    assertThat(versions.get(batch.indexOf(raced))).as("the raced write is left out").isEmpty();
                    yield "batch of " + batch.size() + " with " + raced.placement().partition() + " raced";
                }
            };
        }

        private List<NodeId> randomSwap(Placement placement) {
            List<NodeId> next = new ArrayList<>(placement.current());
            next.set(random.nextInt(next.size()), randomSet(1, new TreeSet<>(placement.members())).getFirst());
            return next;
        }

        /** A fenced write, as the controller's; with the replaced placement passed along or left for the store to read. */
        private void write(Placement placement, VersionedPlacement over, boolean passReplaced) {
            metadata.placements().writeAll(List.of(new PlacementStore.PlacementWrite(placement, over.version(), passReplaced ? over.placement() : null, null)),
                    List.of(fence));
        }
    }

    @Nested
    class InMemory extends Contract {
        @Override
        MetadataStore newStore() {
            return new InMemoryMetadataStore();
        }

        @Override
        int steps() {
            return 150;
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
            return ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/placement-index-test-" + (++namespaces));
        }

        @Override
        int steps() {
            return 60;
        }
    }
}
