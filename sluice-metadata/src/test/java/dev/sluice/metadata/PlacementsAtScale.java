package dev.sluice.metadata;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.curator.test.InstanceSpec;

/**
 * The placement layout at size on a real three-server ZooKeeper ensemble (the conformance suite's
 * {@link ZooKeeperEnsemble}, in this JVM): how long writing, reading back and watching N placements take, what
 * a controller that takes over pays to load them, and what the ensemble holds (znodes, data size, watches, heap,
 * snapshot). Prints one line per figure; docs/benchmarks.md, "Metadata at size", has the command and the results.
 *
 * <p>Arguments: {@code --partitions 100000,1000000 --workers 1000 --updates 10000 --seed 1}. Every figure is
 * wall-clock on a shared machine; the run prints {@code uptime} before and after.
 */
public final class PlacementsAtScale {

    private static final String ROOT = "/sluice/bench";

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        List<Integer> sizes = Stream.of(options.getOrDefault("partitions", "100000").split(",")).map(Integer::parseInt).toList();
        int workers = Integer.parseInt(options.getOrDefault("workers", "1000"));
        int updates = Integer.parseInt(options.getOrDefault("updates", "10000"));
        long seed = Long.parseLong(options.getOrDefault("seed", String.valueOf(System.nanoTime())));
        System.out.println("seed " + seed + "; workers " + workers + "; heap max " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        System.out.println("uptime at start: " + uptime());
        for (int partitions : sizes) {
            run(partitions, workers, updates, seed);
        }
        System.out.println("uptime at end: " + uptime());
    }

    private static void run(int partitions, int workers, int updates, long seed) throws Exception {
        System.out.printf("%n== %,d partitions, %,d workers, 3 replicas ==%n", partitions, workers);
        // mntr is not on ZooKeeper's default four-letter-word list; these servers run in this JVM.
        System.setProperty("zookeeper.4lw.commands.whitelist", "*");
        long heapBefore = usedHeapAfterGc();
        try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start(3)) {
            SplittableRandom random = new SplittableRandom(seed);
            long written;
            try (MetadataStore store = connect(ensemble)) {
                ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
                written = write(metadata, partitions, workers, random);
                read(metadata, partitions, "read back (one session, readAll)");
            }
            watchAndUpdate(ensemble, partitions, workers, updates, random);
            takeOver(ensemble, partitions);
            servers(ensemble);
            long heapAfter = usedHeapAfterGc();
            System.out.printf("heap of the three servers (this JVM's live heap after GC, clients closed): %,d MiB in all, ~%,d MiB each%n",
                    (heapAfter - heapBefore) >> 20, ((heapAfter - heapBefore) / 3) >> 20);
            snapshot(ensemble);
            System.out.printf("placements written: %,d%n", written);
        }
    }

    private static MetadataStore connect(ZooKeeperEnsemble ensemble) {
        return ZooKeeperMetadataStore.connect(ensemble.connectString(), ROOT, Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    static Placement placement(int partition, int workers, SplittableRandom random) {
        List<NodeId> replicas = new ArrayList<>(3);
        while (replicas.size() < 3) {
            NodeId node = NodeId.of(1 + random.nextInt(workers));
            if (!replicas.contains(node)) {
                replicas.add(node);
            }
        }
        return Placement.stable(PartitionId.of(partition), replicas, replicas.getFirst(), Version.of(7));
    }

    /** As the controller's first pass writes them: in batches, one session, no events. */
    private static long write(ClusterMetadata metadata, int partitions, int workers, SplittableRandom random) {
        long start = System.nanoTime();
        long bytes = 0;
        int done = 0;
        for (int from = 0; from < partitions; from += 1_000) {
            List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
            for (int p = from; p < Math.min(partitions, from + 1_000); p++) {
                Placement placement = placement(p, workers, random);
                writes.add(new PlacementStore.PlacementWrite(placement, 0, null));
            }
            if (from == 0) {
                bytes = new DocumentCodec<>(Placement.class, "placement", 1).encode(writes.getFirst().placement()).length;
            }
            try {
                done += (int) metadata.placements().writeAll(writes, List.of()).stream().filter(java.util.OptionalLong::isPresent).count();
            } catch (RuntimeException failed) {
                System.out.printf("write: FAILED after %,d placements: %s%n", done, failed);
                return done;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("write: %,d placements in %.1f s = %,.0f placements/s (one document ~%d bytes)%n", done, seconds, done / seconds, bytes);
        return done;
    }

    private static void read(ClusterMetadata metadata, int partitions, String what) {
        long start = System.nanoTime();
        try {
            int read = metadata.placements().readAll().size();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s: %,d of %,d in %.1f s = %,.0f placements/s%n", what, read, partitions, seconds, read / seconds);
        } catch (RuntimeException failed) {
            System.out.printf("%s: FAILED after %.1f s: %s%n", what, (System.nanoTime() - start) / 1e9, rootCause(failed));
        }
    }

    /** A watcher's first load, then how fast it sees a burst of single-placement updates. */
    private static void watchAndUpdate(ZooKeeperEnsemble ensemble, int partitions, int workers, int updates, SplittableRandom random) throws Exception {
        try (MetadataStore watcherStore = connect(ensemble); MetadataStore writerStore = connect(ensemble)) {
            ClusterMetadata watcher = new ClusterMetadata(watcherStore, () -> Instant.EPOCH);
            ClusterMetadata writer = new ClusterMetadata(writerStore, () -> Instant.EPOCH);
            Map<PartitionId, Long> seen = new ConcurrentHashMap<>();
            CountDownLatch initialized = new CountDownLatch(1);
            long start = System.nanoTime();
            try (Watch watch = watcher.placements().watch((partition, placement) -> placement.ifPresent(p -> seen.merge(partition, p.version(), Math::max)),
                    initialized::countDown, () -> {})) {
                if (!initialized.await(20, TimeUnit.MINUTES)) {
                    System.out.printf("watch: not initialized within 20 min (%,d seen)%n", seen.size());
                    return;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("watch, first load: %,d placements in %.1f s = %,.0f placements/s%n", seen.size(), seconds, seen.size() / seconds);
                System.out.printf("watches on the servers with one watcher: %s%n", stat(ensemble, "zk_watch_count"));

                Map<PartitionId, Long> expected = new LinkedHashMap<>();
                List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
                for (int i = 0; i < updates; i++) {
                    PartitionId partition = PartitionId.of(random.nextInt(partitions));
                    if (expected.containsKey(partition) || !seen.containsKey(partition)) {
                        continue;
                    }
                    Placement moved = placement(partition.value(), workers, random);
                    long version = seen.get(partition);
                    writes.add(new PlacementStore.PlacementWrite(moved, version, null));
                    expected.put(partition, version + 1);
                }
                long updateStart = System.nanoTime();
                // One at a time, as a pass that completes one move at a time would; the watcher sees each.
                for (PlacementStore.PlacementWrite write : writes) {
                    writer.placements().write(write.placement(), write.expectedVersion(), null, List.of());
                }
                double writeSeconds = (System.nanoTime() - updateStart) / 1e9;
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                while (System.nanoTime() < deadline && !expected.entrySet().stream().allMatch(e -> seen.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                    Thread.sleep(5);
                }
                double seenSeconds = (System.nanoTime() - updateStart) / 1e9;
                System.out.printf("update one by one: %,d in %.1f s = %,.0f writes/s; the watcher had all %.1f s after the first = %,.0f notifications/s%n",
                        writes.size(), writeSeconds, writes.size() / writeSeconds, seenSeconds, writes.size() / seenSeconds);
            }
        }
    }

    /** What a controller that takes over pays: ClusterView.Watching connects and waits for its placement watch's first load. */
    private static void takeOver(ZooKeeperEnsemble ensemble, int partitions) throws Exception {
        long start = System.nanoTime();
        try (MetadataStore store = connect(ensemble)) {
            ClusterMetadata metadata = new ClusterMetadata(store, () -> Instant.EPOCH);
            PlacementCopy copy = new PlacementCopy();
            CountDownLatch initialized = new CountDownLatch(1);
            try (Watch watch = metadata.placements().watch(copy::onNotification, initialized::countDown, () -> {})) {
                initialized.await(20, TimeUnit.MINUTES);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("take-over (connect, watch, first load): %,d of %,d placements in %.1f s%n", copy.size(), partitions, seconds);
            }
        }
    }

    private static void servers(ZooKeeperEnsemble ensemble) {
        for (String key : List.of("zk_znode_count", "zk_approximate_data_size", "zk_watch_count", "zk_max_latency", "zk_avg_latency")) {
            System.out.printf("%s: %s%n", key, stat(ensemble, key));
        }
    }

    /**
     * Kills the leader and restarts it: the ensemble elects another, whose first act as leader is a snapshot of
     * everything (the snapshot sizes below), and the old leader loads its disk and syncs.
     */
    private static void snapshot(ZooKeeperEnsemble ensemble) throws Exception {
        long start = System.nanoTime();
        InstanceSpec follower = ensemble.killLeader();
        ensemble.restartKilled();
        System.out.printf("leader killed and restarted, until the ensemble has a leader again: %.1f s%n", (System.nanoTime() - start) / 1e9);
        for (InstanceSpec spec : ensemble.instances()) {
            Path dir = spec.getDataDirectory().toPath().resolve("version-2");
            long newest = 0;
            long logs = 0;
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path file : files.toList()) {
                        if (file.getFileName().toString().startsWith("snapshot.")) {
                            newest = Math.max(newest, Files.size(file));
                        } else if (file.getFileName().toString().startsWith("log.")) {
                            logs += Files.size(file);
                        }
                    }
                }
            }
            System.out.printf("server %d%s: largest snapshot %,d MiB; transaction logs %,d MiB%n", spec.getServerId(), spec.equals(follower) ? " (the old leader)" : "",
                    newest >> 20, logs >> 20);
        }
    }

    /** A mntr figure from each server, as "a / b / c". */
    static String stat(ZooKeeperEnsemble ensemble, String key) {
        List<String> values = new ArrayList<>();
        for (InstanceSpec spec : ensemble.instances()) {
            values.add(fourLetterWord(spec.getPort(), "mntr").lines().filter(line -> line.startsWith(key + "\t")).findFirst()
                    .map(line -> line.substring(key.length() + 1)).orElse("?"));
        }
        return String.join(" / ", values);
    }

    static String fourLetterWord(int port, String word) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(word.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException failed) {
            return "";
        }
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String rootCause(Throwable failed) {
        Throwable cause = failed;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return failed + (cause != failed ? " (cause: " + cause + ")" : "");
    }

    static String uptime() {
        try {
            return new String(new ProcessBuilder("uptime").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private PlacementsAtScale() {}
}
