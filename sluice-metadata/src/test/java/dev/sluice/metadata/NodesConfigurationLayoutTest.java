package dev.sluice.metadata;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.model.Actor;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Role;
import dev.sluice.model.StateChange;
import dev.sluice.model.Tombstone;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nodes configuration stored as a header and one document per node ({@link NodesLayout}), on both stores: ten
 * thousand nodes, readers that never see a mix of two versions, the conversion of a format-1 document, and a watch
 * that reads only the documents that changed.
 */
class NodesConfigurationLayoutTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static EmbeddedZooKeeper zooKeeper;

    @BeforeAll
    static void startZooKeeper(@TempDir Path data) throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(data.resolve("zk"), 0);
    }

    @AfterAll
    static void stopZooKeeper() {
        zooKeeper.close();
    }

    @Nested
    class InMemory extends Cases {
        private InMemoryMetadataStore first;

        @Override
        MetadataStore newSession() {
            if (first == null) {
                first = new InMemoryMetadataStore();
                return first;
            }
            return first.newSession();
        }
    }

    @Nested
    class OnZooKeeper extends Cases {
        private final String root = "/layout-" + UUID.randomUUID();

        @Override
        MetadataStore newSession() {
            return ZooKeeperMetadataStore.connect(zooKeeper.connectString(), root);
        }
    }

    abstract static class Cases {

        private final List<MetadataStore> sessions = new ArrayList<>();

        /** A new session on this test's cluster. */
        abstract MetadataStore newSession();

        MetadataStore session() {
            MetadataStore session = newSession();
            sessions.add(session);
            return session;
        }

        @AfterEach
        void closeSessions() {
            sessions.reversed().forEach(MetadataStore::close);
        }

        @Test
        void tenThousandNodesAreWrittenInBulkReadWholeAndChangedOneAtATime() {
            ClusterMetadata writer = new ClusterMetadata(session(), CLOCK);
            NodesConfiguration tenThousand = workers(10_000, Version.MIN);
            writer.nodes().writeInBatches(tenThousand);

            // A new instance has nothing to start from: it reads every document.
            CountingStore counted = new CountingStore(session());
            ClusterMetadata reader = new ClusterMetadata(counted, CLOCK);
            assertThat(reader.nodes().current()).isEqualTo(tenThousand);
            assertThat(counted.nodeDocumentReads).hasValue(10_000);

            NodeConfig registered = ((ChangeResult.Changed) writer.nodes().register("worker-10001", NodeAddresses.of("10.0.0.1:7000",
                    "http://10.0.0.1:8000"), Set.of(Role.WORKER), Location.DEFAULT).result()).node();
            assertThat(registered.id()).hasToString("N10001:1");
            writer.nodes().transition(new GenerationalNodeId(NodeId.of(17), 1), WorkerState.DRAINING, Actor.OPERATOR, "kernel", false,
                    config -> new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null), List.of());

            counted.nodeDocumentReads.set(0);
            NodesConfiguration read = reader.nodes().current();
            assertThat(read.version()).isEqualTo(Version.of(3));
            assertThat(read.nodes()).hasSize(10_001);
            assertThat(read.find(NodeId.of(17)).orElseThrow().workerState()).isEqualTo(WorkerState.DRAINING);
            assertThat(read).isEqualTo(new ClusterMetadata(session(), CLOCK).nodes().current());
            // The reader had version 1: the header lists the two documents changed since, and only those are read.
            assertThat(counted.nodeDocumentReads).hasValue(2);
            assertThat(writer.store().get(MetadataKeys.NODES).orElseThrow().value().length).isLessThan(1_000);
        }

        /**
         * A reader whose reads of the node documents are interleaved, at seeded points, with commits of other writers
         * must still get exactly a configuration some commit wrote: the one of the version it reports.
         */
        @Test
        void aReaderNeverSeesAMixOfTwoVersions() {
            long seed = Long.getLong("sluice.test.seed", System.nanoTime());
            System.out.println("NodesConfigurationLayoutTest.aReaderNeverSeesAMixOfTwoVersions seed=" + seed + " (rerun with -Dsluice.test.seed=" + seed + ")");
            Random random = new Random(seed);
            ClusterMetadata writer = new ClusterMetadata(session(), CLOCK);
            Map<Version, NodesConfiguration> committed = new ConcurrentHashMap<>();
            committed.put(Version.MIN, writer.nodes().writeInBatches(workers(300, Version.MIN)).configuration());
            AtomicInteger interleaved = new AtomicInteger();
            CountingStore readerStore = new CountingStore(session());
            // A full read is overtaken by about 300 / 16 * 1.5 commits: well within the 256 versions a header remembers, so the
            // reader can catch up by re-reading only what they changed (past that, it would read everything again, be
            // overtaken again, and give up).
            readerStore.betweenReads = () -> {
                if (random.nextInt(16) == 0) {
                    interleaved.incrementAndGet();
                    for (int i = random.nextInt(2); i >= 0; i--) {
                        NodesConfigurationStore.Update update = randomChange(writer, random);
                        committed.put(update.configuration().version(), update.configuration());
                    }
                }
            };
            ClusterMetadata longLived = new ClusterMetadata(readerStore, CLOCK);
            for (int read = 0; read < 60; read++) {
                // Half the reads start from nothing (every document), half from the reader's last read (the changed ones).
                ClusterMetadata reader = random.nextBoolean() ? longLived : new ClusterMetadata(readerStore, CLOCK);
                NodesConfiguration seen = reader.nodes().current();
                assertThat(seen).as("version %s as read (seed %d)", seen.version(), seed).isEqualTo(committed.get(seen.version()));
            }
            assertThat(interleaved.get()).as("commits made in the middle of reads").isGreaterThan(50);
            assertThat(readerStore.headerReads.get()).as("header reads: more than one per read, since reads were overtaken").isGreaterThan(60);
        }

        /** The older nodes of a rolling upgrade go on reading a format-1 configuration that still fits in one document. */
        @Test
        void aFormatOneDocumentThatStillFitsIsChangedInPlace() {
            MetadataStore store = session();
            NodesConfiguration old = workers(10, Version.of(7));
            store.put(MetadataKeys.NODES, NodesConfigurationStore.singleDocumentCodec().encode(old), Precondition.DOES_NOT_EXIST);
            NodesConfigurationStore.Update update = new ClusterMetadata(store, CLOCK).nodes().transition(new GenerationalNodeId(NodeId.of(3), 1),
                    WorkerState.DRAINING, Actor.OPERATOR, "kernel", false, c -> new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null), List.of());
            assertThat(update.applied()).isTrue();
            DocumentCodec<NodesConfiguration> olderRelease = new DocumentCodec<>(NodesConfiguration.class, "nodes configuration", 1);
            assertThat(olderRelease.decode(MetadataKeys.NODES, store.get(MetadataKeys.NODES).orElseThrow().value())).isEqualTo(update.configuration());
            assertThat(store.children(MetadataKeys.NODES_BY_ID)).as("nothing converted").isEmpty();
            assertThat(new ClusterMetadata(store, CLOCK).nodes().current()).isEqualTo(update.configuration());
        }

        @Test
        void aFormatOneDocumentIsReadAsItIsAndConvertedByTheFirstChangeThatDoesNotFit() {
            MetadataStore store = session();
            // As many workers as an older release's one document holds with a few hundred bytes to spare: the change
            // below, with its long reason, does not fit any more.
            int count = mostThatFit(MetadataStore.MAX_VALUE_BYTES - 400);
            NodesConfiguration old = withTombstone(workers(count, Version.of(41)));
            long storedAt = store.put(MetadataKeys.NODES, NodesConfigurationStore.singleDocumentCodec().encode(old), Precondition.DOES_NOT_EXIST);
            int documents = count;
            String longReason = "converted: " + "x".repeat(2_000);

            ClusterMetadata metadata = new ClusterMetadata(store, CLOCK);
            assertThat(metadata.nodes().read()).isEqualTo(new NodesConfigurationStore.Snapshot(old, storedAt));
            assertThat(store.children(MetadataKeys.NODES_BY_ID)).as("reading converts nothing").isEmpty();

            // An older release changes the document while the conversion writes the node documents: the conversion
            // starts again from the newer document, and its change is kept.
            CountingStore interfering = new CountingStore(store);
            interfering.beforeFirstCommit = () -> {
                NodesConfiguration olderWrite = withState(old, NodeId.of(5), WorkerState.DRAINING, Version.of(42));
                store.put(MetadataKeys.NODES, NodesConfigurationStore.singleDocumentCodec().encode(olderWrite), Precondition.matchesVersion(storedAt));
            };
            NodesConfigurationStore.Update update = new ClusterMetadata(interfering, CLOCK).nodes().transition(new GenerationalNodeId(NodeId.of(9), 1),
                    WorkerState.DRAINING, Actor.OPERATOR, longReason, false, c -> new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null), List.of());
            assertThat(update.applied()).isTrue();
            assertThat(update.configuration().version()).isEqualTo(Version.of(43));

            byte[] header = store.get(MetadataKeys.NODES).orElseThrow().value();
            assertThat(new String(header, UTF_8)).startsWith("{\"format\":2,\"version\":43,\"documents\":" + documents + ",");
            assertThat(store.children(MetadataKeys.NODES_BY_ID)).hasSize(documents);
            NodesConfiguration converted = new ClusterMetadata(session(), CLOCK).nodes().current();
            assertThat(converted).isEqualTo(update.configuration());
            assertThat(converted.find(NodeId.of(5)).orElseThrow().workerState()).as("the older release's change").isEqualTo(WorkerState.DRAINING);
            assertThat(converted.find(NodeId.of(9)).orElseThrow().workerState()).isEqualTo(WorkerState.DRAINING);
            assertThat(converted.isRemoved(NodeId.of(documents))).isTrue();
            assertThat(metadata.audit().read(-1, 10)).singleElement().satisfies(record -> assertThat(record.version()).isEqualTo(Version.of(43)));

            // An older release reads the header with its format-1 codec and refuses it rather than misreading it.
            DocumentCodec<NodesConfiguration> olderRelease = new DocumentCodec<>(NodesConfiguration.class, "nodes configuration", 1);
            assertThatThrownBy(() -> olderRelease.decode(MetadataKeys.NODES, header)).isInstanceOf(CorruptDocumentException.class)
                    .hasMessage("metadata key 'nodes' does not hold a valid nodes configuration: it was written in format 2 by a newer Sluice; "
                            + "this one reads up to format 1. Upgrade this node");
        }

        @Test
        void theWatchDeliversEveryVersionAndReadsOnlyTheChangedDocuments() {
            ClusterMetadata writer = new ClusterMetadata(session(), CLOCK);
            writer.nodes().writeInBatches(workers(1_000, Version.MIN));
            CountingStore counted = new CountingStore(session());
            List<NodesConfigurationStore.Snapshot> delivered = new CopyOnWriteArrayList<>();
            try (Watch watch = new ClusterMetadata(counted, CLOCK).nodes().watch(delivered::add)) {
                await().atMost(TIMEOUT).until(() -> !delivered.isEmpty());
                assertThat(delivered.getFirst().configuration().nodes()).hasSize(1_000);
                counted.nodeDocumentReads.set(0);
                counted.listings.set(0);

                Random random = new Random(7);
                for (int change = 0; change < 20; change++) {
                    NodeId node = NodeId.of(1 + random.nextInt(1_000));
                    WorkerState target = writer.nodes().current().find(node).orElseThrow().workerState() == WorkerState.ACTIVE
                            ? WorkerState.DRAINING : WorkerState.ACTIVE;
                    NodesConfigurationStore.Update update = writer.nodes().transition(new GenerationalNodeId(node, 1), target, Actor.OPERATOR, "watch",
                            false, c -> new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null), List.of());
                    assertThat(update.applied()).isTrue();
                    // One change at a time, so no watch can coalesce two versions.
                    await().atMost(TIMEOUT).until(() -> delivered.getLast().configuration().version().equals(update.configuration().version()));
                    assertThat(delivered.getLast().configuration()).isEqualTo(update.configuration());
                }
                assertThat(counted.nodeDocumentReads).as("one document read per change of one node").hasValue(20);

                List<GenerationalNodeId> group = writer.nodes().current().workers().stream().filter(node -> node.workerState() == WorkerState.ACTIVE)
                        .limit(3).map(NodeConfig::id).toList();
                GuardFacts passed = new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null);
                NodesConfigurationStore.Update groupDrain = writer.nodes().update(config -> new NodesChange.TransitionWorkers(group, WorkerState.DRAINING,
                        Actor.OPERATOR, "group", false, "g1", GuardFacts.DrainPrecheck.PASSED, Map.of(group.get(0).id(), passed, group.get(1).id(), passed,
                                group.get(2).id(), passed), "request-g1", CLOCK.instant(), null), List.of());
                assertThat(groupDrain.applied()).as("%s", groupDrain.result()).isTrue();
                await().atMost(TIMEOUT).until(() -> delivered.getLast().configuration().version().equals(groupDrain.configuration().version()));
                assertThat(delivered.getLast().configuration()).isEqualTo(groupDrain.configuration());
                assertThat(counted.nodeDocumentReads).as("and one per member of a group change").hasValue(23);
                assertThat(counted.listings).as("never all of them again").hasValue(0);
            }
            List<Version> versions = delivered.stream().map(snapshot -> snapshot.configuration().version()).toList();
            assertThat(versions).as("every version, in order").isEqualTo(java.util.stream.LongStream.rangeClosed(1, 22).mapToObj(Version::of).toList());
        }

        private static NodesConfigurationStore.Update randomChange(ClusterMetadata writer, Random random) {
            NodesConfiguration current = writer.nodes().current();
            if (random.nextInt(50) == 0) {
                String name = "joiner-" + random.nextInt(1_000_000);
                return writer.nodes().register(name, NodeAddresses.of("10.1.0.1:7000", "http://10.1.0.1:8000"), Set.of(Role.WORKER), Location.DEFAULT);
            }
            NodeConfig node = current.nodes().get(random.nextInt(current.nodes().size()));
            WorkerState target = node.workerState() == WorkerState.ACTIVE ? WorkerState.DRAINING : WorkerState.ACTIVE;
            Actor actor = node.workerState() == WorkerState.PROVISIONING ? Actor.NODE : Actor.OPERATOR;
            return writer.nodes().transition(node.id(), target, actor, "random " + random.nextInt(), true,
                    c -> new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null), List.of());
        }
    }

    /** {@code count} Active workers, as one configuration at {@code version}. */
    static NodesConfiguration workers(int count, Version version) {
        StateChange change = new StateChange(CLOCK.instant(), Actor.NODE, "warm-up passed", version, "");
        List<NodeConfig> nodes = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            nodes.add(new NodeConfig("worker-" + i, new GenerationalNodeId(NodeId.of(i), 1), NodeAddresses.of("10.0." + (i / 250) + "." + (i % 250)
                    + ":7000", "http://10.0." + (i / 250) + "." + (i % 250) + ":8000"), Set.of(Role.WORKER), Location.parse("eu.zone-" + (i % 3)),
                    WorkerState.ACTIVE, change, "incarnation-" + i, null));
        }
        return new NodesConfiguration(version, nodes, List.of());
    }

    /** {@code configuration} with its last node removed. */
    /**
     * The most workers (the last a tombstone, as in the test) whose format-1 document takes at most {@code bytes}. Found
     * by bisection: each try encodes about a megabyte, and counting up one worker at a time from 2,900 took ~100 tries
     * and several seconds per store. The document grows with every worker, so the answer is the same.
     */
    private static int mostThatFit(int bytes) {
        java.util.function.IntPredicate fits = count -> NodesConfigurationStore.singleDocumentCodec()
                .encode(withTombstone(workers(count, Version.of(41)))).length <= bytes;
        int fitting = 2_900;
        assertThat(fits.test(fitting)).as("%d workers fit in %d bytes", fitting, bytes).isTrue();
        int tooMany = fitting + 256;
        while (fits.test(tooMany)) {
            fitting = tooMany;
            tooMany += 256;
        }
        while (tooMany - fitting > 1) {
            int middle = (fitting + tooMany) >>> 1;
            if (fits.test(middle)) {
                fitting = middle;
            } else {
                tooMany = middle;
            }
        }
        return fitting;
    }

    private static NodesConfiguration withTombstone(NodesConfiguration configuration) {
        NodeConfig last = configuration.nodes().getLast();
        return new NodesConfiguration(configuration.version(), configuration.nodes().subList(0, configuration.nodes().size() - 1),
                List.of(new Tombstone(last.nodeId(), last.name(), 1, CLOCK.instant())));
    }

    private static NodesConfiguration withState(NodesConfiguration configuration, NodeId id, WorkerState state, Version version) {
        List<NodeConfig> nodes = configuration.nodes().stream().map(node -> node.nodeId().equals(id)
                ? node.withWorkerState(state, new StateChange(CLOCK.instant(), Actor.OPERATOR, "older release", version, "older")) : node).toList();
        return new NodesConfiguration(version, nodes, configuration.tombstones());
    }

    /**
     * A store that counts what is read of the nodes configuration, and can run something between the reads of node
     * documents (reading them one at a time then) or before its first commit.
     */
    static final class CountingStore extends ForwardingMetadataStore {
        final AtomicInteger headerReads = new AtomicInteger();
        final AtomicInteger nodeDocumentReads = new AtomicInteger();
        final AtomicInteger listings = new AtomicInteger();
        volatile Runnable betweenReads;
        volatile Runnable beforeFirstCommit;

        CountingStore(MetadataStore delegate) {
            super(delegate);
        }

        private void counted(String key) {
            if (key.equals(MetadataKeys.NODES)) {
                headerReads.incrementAndGet();
            } else if (key.startsWith(MetadataKeys.NODES_BY_ID + "/")) {
                nodeDocumentReads.incrementAndGet();
            }
        }

        @Override
        public Optional<Versioned> get(String key) {
            counted(key);
            return delegate.get(key);
        }

        @Override
        public SortedMap<String, Versioned> readChildren(String key) {
            return readChildren(key, MAX_VALUE_BYTES);
        }

        @Override
        public SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
            listings.incrementAndGet();
            Runnable between = betweenReads;
            if (between == null) {
                SortedMap<String, Versioned> values = delegate.readChildren(key, valueBytesMax);
                values.keySet().forEach(name -> counted(key + "/" + name));
                return values;
            }
            SortedMap<String, Versioned> values = new TreeMap<>();
            for (String name : delegate.children(key)) {
                between.run();
                get(key + "/" + name).ifPresent(value -> values.put(name, value));
            }
            return values;
        }

        @Override
        public SortedMap<String, Versioned> getAll(Collection<String> keys, int valueBytesMax) {
            Runnable between = betweenReads;
            if (between == null) {
                keys.forEach(this::counted);
                return delegate.getAll(keys, valueBytesMax);
            }
            SortedMap<String, Versioned> values = new TreeMap<>();
            for (String key : keys) {
                between.run();
                get(key).ifPresent(value -> values.put(key, value));
            }
            return values;
        }

        @Override
        public long put(String key, byte[] value, Precondition precondition) {
            return commit(List.of(Op.put(key, value, precondition))).getFirst().version();
        }

        @Override
        public List<Op.Result> commit(List<Op> ops) {
            Runnable before = beforeFirstCommit;
            if (before != null) {
                beforeFirstCommit = null;
                before.run();
            }
            return delegate.commit(ops);
        }

        @Override
        public void close() {
            // The session is the test's to close.
        }
    }
}
