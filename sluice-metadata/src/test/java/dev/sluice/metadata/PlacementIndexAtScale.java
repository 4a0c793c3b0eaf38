package dev.sluice.metadata;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The placement index at size on a real three-server ZooKeeper ensemble (in this JVM): two clusters of N placements
 * over W workers, one created with the index (A) and one as before it (B, a format-2 table). Prints what the index
 * costs (znodes, data, the controller's writes, the build of an older cluster's index) and what it saves a worker
 * (first load time and value bytes, through its index against every placement). docs/benchmarks.md, "Metadata at
 * size", has the command and the results.
 *
 * <p>Arguments: {@code --partitions 100000 --workers 10000 --moves 1000 --sample 20 --seed 1 --servers 3 --compare true}.
 * {@code --compare false} leaves out cluster B, the moves and the build (a million placements of each do not fit in one
 * JVM with three servers); {@code --servers 1} runs one server.
 */
public final class PlacementIndexAtScale {

    public static void main(String[] args) {
        int status = 0;
        try {
            run(args);
        } catch (Throwable failed) {
            failed.printStackTrace();
            status = 1;
        }
        // The servers' threads would keep a failed run's JVM alive.
        System.exit(status);
    }

    private static void run(String[] args) throws Exception {
        Map<String, String> options = PlacementsAtScale.options(args);
        int partitions = Integer.parseInt(options.getOrDefault("partitions", "100000"));
        int workers = Integer.parseInt(options.getOrDefault("workers", "10000"));
        int moves = Integer.parseInt(options.getOrDefault("moves", "1000"));
        int sample = Integer.parseInt(options.getOrDefault("sample", "20"));
        long seed = Long.parseLong(options.getOrDefault("seed", "1"));
        int servers = Integer.parseInt(options.getOrDefault("servers", "3"));
        boolean compare = Boolean.parseBoolean(options.getOrDefault("compare", "true"));
        System.out.printf("%,d partitions x 3 replicas over %,d workers; %,d moves; %d sampled workers; seed %d; heap max %,d MiB%n", partitions, workers,
                moves, sample, seed, Runtime.getRuntime().maxMemory() >> 20);
        System.out.println("uptime at start: " + PlacementsAtScale.uptime());
        System.setProperty("zookeeper.4lw.commands.whitelist", "*");
        try (Servers ensemble = Servers.start(servers)) {
            figures(ensemble, "empty ensemble");
            if (!compare) {
                try (MetadataStore storeA = connect(ensemble, "/sluice/indexed")) {
                    ClusterMetadata indexed = new ClusterMetadata(storeA, () -> Instant.EPOCH);
                    indexed.partitionTable().initialize(new PartitionTable(partitions, ReplicationProperty.of(3)));
                    write(indexed, partitions, workers, new SplittableRandom(seed), "A, with the index");
                    figures(ensemble, "after A");
                    move(indexed, partitions, workers, moves, new SplittableRandom(seed + 1), "A, with the index");
                }
                firstLoads(ensemble, workers, sample, new SplittableRandom(seed + 3));
                System.out.println("uptime at end: " + PlacementsAtScale.uptime());
                return;
            }
            try (MetadataStore storeB = connect(ensemble, "/sluice/before"); MetadataStore storeA = connect(ensemble, "/sluice/indexed")) {
                ClusterMetadata before = new ClusterMetadata(storeB, () -> Instant.EPOCH);
                storeB.put(MetadataKeys.PARTITION_TABLE, new DocumentCodec<>(PartitionTable.class, "partition table", 2).encode(new PartitionTable(partitions,
                        ReplicationProperty.of(3))), Precondition.DOES_NOT_EXIST);
                write(before, partitions, workers, new SplittableRandom(seed), "B, without the index");
                figures(ensemble, "after B");
                ClusterMetadata indexed = new ClusterMetadata(storeA, () -> Instant.EPOCH);
                indexed.partitionTable().initialize(new PartitionTable(partitions, ReplicationProperty.of(3)));
                write(indexed, partitions, workers, new SplittableRandom(seed), "A, with the index");
                figures(ensemble, "after A (B + A: A's index is the difference from twice B)");

                move(before, partitions, workers, moves, new SplittableRandom(seed + 1), "B, without the index");
                move(indexed, partitions, workers, moves, new SplittableRandom(seed + 1), "A, with the index");
                batch(before, partitions, workers, new SplittableRandom(seed + 2), "B, without the index");
                batch(indexed, partitions, workers, new SplittableRandom(seed + 2), "A, with the index");

                long start = System.nanoTime();
                Fence fence = new Fence("fence", storeB.put("fence", new byte[0], Precondition.NONE));
                long built = before.placements().ensureIndex(List.of(fence), Instant.EPOCH, "bench");
                System.out.printf("build of B's index (an upgraded cluster's first controller term): %,d placements in %.1f s%n", built, seconds(start));
                figures(ensemble, "after B's index was built");
            }
            firstLoads(ensemble, workers, sample, new SplittableRandom(seed + 3));
        }
        System.out.println("uptime at end: " + PlacementsAtScale.uptime());
    }

    /** Three servers in this JVM (Curator's TestingCluster), or one embedded server (a one-server TestingCluster never elects). */
    record Servers(String connectString, List<Integer> ports, AutoCloseable running) implements AutoCloseable {
        static Servers start(int count) throws Exception {
            if (count == 1) {
                EmbeddedZooKeeper server = EmbeddedZooKeeper.start(java.nio.file.Files.createTempDirectory("index-bench-zk"), 0);
                return new Servers(server.connectString(), List.of(server.port()), server);
            }
            ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start(count);
            return new Servers(ensemble.connectString(), ensemble.instances().stream().map(org.apache.curator.test.InstanceSpec::getPort).toList(), ensemble);
        }

        /** A mntr figure from each server, as "a / b / c". */
        String stat(String key) {
            List<String> values = new ArrayList<>();
            for (int port : ports) {
                values.add(PlacementsAtScale.fourLetterWord(port, "mntr").lines().filter(line -> line.startsWith(key + "\t")).findFirst()
                        .map(line -> line.substring(key.length() + 1)).orElse("?"));
            }
            return String.join(" / ", values);
        }

        @Override
        public void close() throws Exception {
            running.close();
        }
    }

    private static MetadataStore connect(Servers ensemble, String root) {
        return ZooKeeperMetadataStore.connect(ensemble.connectString(), root, Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void figures(Servers ensemble, String when) {
        System.out.printf("%s: znodes %s; approximate data size %s; load %s%n", when, ensemble.stat("zk_znode_count"),
                ensemble.stat("zk_approximate_data_size"), PlacementsAtScale.uptime().replaceAll(".*load average: ", ""));
    }

    /** As the controller's first pass writes them: batches of 1,000 through writeAll (100 to a commit). */
    private static void write(ClusterMetadata metadata, int partitions, int workers, SplittableRandom random, String what) {
        long start = System.nanoTime();
        for (int from = 0; from < partitions; from += 1_000) {
            List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
            for (int p = from; p < Math.min(partitions, from + 1_000); p++) {
                writes.add(new PlacementStore.PlacementWrite(PlacementsAtScale.placement(p, workers, random), 0, null));
            }
            metadata.placements().writeAll(writes, List.of());
        }
        double seconds = seconds(start);
        System.out.printf("write %s: %,d placements in %.1f s = %,.0f/s%n", what, partitions, seconds, partitions / seconds);
    }

    /** A replica-set change each, one at a time: the next set written over current (the start of a move), one member replaced. */
    private static void move(ClusterMetadata metadata, int partitions, int workers, int moves, SplittableRandom random, String what) {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < moves; i++) {
            VersionedPlacement read = metadata.placements().read(PartitionId.of(random.nextInt(partitions))).orElseThrow();
            Placement moved = read.placement().withNext(replaceOne(read.placement(), workers, random), Version.of(8), Instant.EPOCH);
            long start = System.nanoTime();
            metadata.placements().writeAll(List.of(new PlacementStore.PlacementWrite(moved, read.version(), read.placement(), null)), List.of());
            nanos.add(System.nanoTime() - start);
        }
        nanos.sort(null);
        System.out.printf("move one at a time %s: %,d writes, median %.2f ms, p99 %.2f ms, mean %.2f ms%n", what, moves, nanos.get(moves / 2) / 1e6,
                nanos.get(moves * 99 / 100) / 1e6, nanos.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6);
    }

    /** A pass of 1,000 moves in one writeAll (10 commits). */
    private static void batch(ClusterMetadata metadata, int partitions, int workers, SplittableRandom random, String what) {
        List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
        java.util.Set<Integer> picked = new java.util.HashSet<>();
        while (writes.size() < 1_000) {
            int p = random.nextInt(partitions);
            if (!picked.add(p)) {
                continue;
            }
            VersionedPlacement read = metadata.placements().read(PartitionId.of(p)).orElseThrow();
            Placement changed = read.placement().hasNext() ? read.placement().completed()
                    : read.placement().withNext(replaceOne(read.placement(), workers, random), Version.of(8), Instant.EPOCH);
            writes.add(new PlacementStore.PlacementWrite(changed, read.version(), read.placement(), null));
        }
        long start = System.nanoTime();
        long written = metadata.placements().writeAll(writes, List.of()).stream().filter(java.util.OptionalLong::isPresent).count();
        System.out.printf("a pass of 1,000 changes in one writeAll %s: %,d written in %.2f s%n", what, written, seconds(start));
    }

    private static List<NodeId> replaceOne(Placement placement, int workers, SplittableRandom random) {
        List<NodeId> next = new ArrayList<>(placement.current());
        NodeId incoming;
        do {
            incoming = NodeId.of(1 + random.nextInt(workers));
        } while (placement.members().contains(incoming));
        next.set(random.nextInt(next.size()), incoming);
        return next;
    }

    /** Each sampled worker's first load in a new session: through its index, then (for a few) every placement. */
    private static void firstLoads(Servers ensemble, int workers, int sample, SplittableRandom random) throws Exception {
        List<Double> indexSeconds = new ArrayList<>();
        long indexBytes = 0;
        long indexPlacements = 0;
        for (int i = 0; i < sample; i++) {
            NodeId node = NodeId.of(1 + random.nextInt(workers));
            long start = System.nanoTime();
            try (CountingStore store = new CountingStore(connect(ensemble, "/sluice/indexed"))) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                PlacementCopy copy = new PlacementCopy();
                CountDownLatch loaded = new CountDownLatch(1);
                try (Watch watch = metadata.placements().watchNode(node, copy::onNotification, loaded::countDown, () -> {}, failure -> {})) {
                    if (!loaded.await(10, TimeUnit.MINUTES)) {
                        System.out.printf("first load through the index of %s: not done in 10 min%n", node);
                        return;
                    }
                    indexSeconds.add(seconds(start));
                    indexBytes += store.bytes.get();
                    indexPlacements += copy.size();
                }
            }
        }
        indexSeconds.sort(null);
        System.out.printf("worker first load through its index (connect, watch, read its placements), %d workers: median %.3f s, max %.3f s; "
                        + "%.1f placements and %,d value bytes each on average%n", sample, indexSeconds.get(sample / 2), indexSeconds.getLast(),
                (double) indexPlacements / sample, indexBytes / sample);
        for (int i = 0; i < 2; i++) {
            long start = System.nanoTime();
            try (CountingStore store = new CountingStore(connect(ensemble, "/sluice/indexed"))) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                PlacementCopy copy = new PlacementCopy();
                CountDownLatch loaded = new CountDownLatch(1);
                try (Watch watch = metadata.placements().watch(copy::onNotification, loaded::countDown, () -> {})) {
                    loaded.await(20, TimeUnit.MINUTES);
                    System.out.printf("worker first load of every placement (as before the index): %,d placements in %.1f s, %,d value bytes%n", copy.size(),
                            seconds(start), store.bytes.get());
                }
            }
        }
    }

    /** A store that counts the value bytes its reads and watches bring in (paths and stats left out). */
    static final class CountingStore extends ForwardingMetadataStore {
        final AtomicLong bytes = new AtomicLong();

        CountingStore(MetadataStore delegate) {
            super(delegate);
        }

        private Optional<Versioned> counted(Optional<Versioned> value) {
            value.ifPresent(v -> bytes.addAndGet(v.value().length));
            return value;
        }

        private <M extends Map<String, Versioned>> M counted(M values) {
            values.values().forEach(v -> bytes.addAndGet(v.value().length));
            return values;
        }

        @Override
        public Optional<Versioned> get(String key) {
            return counted(delegate.get(key));
        }

        @Override
        public SortedMap<String, Versioned> readChildren(String key) {
            return counted(delegate.readChildren(key));
        }

        @Override
        public SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
            return counted(delegate.readChildren(key, valueBytesMax));
        }

        @Override
        public SortedMap<String, Versioned> getAll(Collection<String> keys, int valueBytesMax) {
            return counted(delegate.getAll(keys, valueBytesMax));
        }

        private WatchListener counting(WatchListener listener) {
            return new WatchListener() {
                @Override
                public void onChange(String key, Optional<Versioned> value) {
                    listener.onChange(key, counted(value));
                }

                @Override
                public void onInitialized() {
                    listener.onInitialized();
                }

                @Override
                public void onResync() {
                    listener.onResync();
                }

                @Override
                public void onLoadFailed(Exception failure) {
                    listener.onLoadFailed(failure);
                }
            };
        }

        @Override
        public Watch watch(String key, boolean recursive, int valueBytesMax, WatchListener listener) {
            return delegate.watch(key, recursive, valueBytesMax, counting(listener));
        }

        @Override
        public Watch watch(String key, boolean recursive, WatchListener listener) {
            return delegate.watch(key, recursive, counting(listener));
        }

    }

    private PlacementIndexAtScale() {}
}
