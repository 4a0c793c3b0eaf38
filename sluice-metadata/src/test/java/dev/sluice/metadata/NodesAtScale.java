package dev.sluice.metadata;

import dev.sluice.model.Actor;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The nodes configuration at size ({@link NodesLayout}), on the in-memory store and on one embedded ZooKeeper server
 * in this JVM: how long writing N nodes in batches, reading them all, reading after one change, a change, and a
 * watch's notification of a change take. Prints one line per figure; docs/benchmarks.md, "The nodes configuration at
 * size", has the command and the results.
 *
 * <p>Arguments: {@code --nodes 10000,20000 --changes 20}. Wall-clock on a shared machine: each figure is the median of
 * {@code changes} repetitions (the first full read once), and the run prints {@code uptime} before and after.
 */
public final class NodesAtScale {

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = Stream.of(option(args, "nodes", "10000,20000").split(",")).map(Integer::parseInt).toList();
        int changes = Integer.parseInt(option(args, "changes", "20"));
        System.out.println("uptime at start: " + PlacementsAtScale.uptime());
        Path data = Files.createTempDirectory("nodes-at-scale");
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(data, 0)) {
            for (int nodes : sizes) {
                try (InMemoryMetadataStore writer = new InMemoryMetadataStore(); InMemoryMetadataStore reader = writer.newSession()) {
                    run("in-memory", nodes, changes, writer, reader);
                }
                String root = "/bench-" + nodes;
                try (ZooKeeperMetadataStore writer = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), root);
                        ZooKeeperMetadataStore reader = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), root)) {
                    run("zookeeper", nodes, changes, writer, reader);
                }
            }
        }
        System.out.println("uptime at end: " + PlacementsAtScale.uptime());
    }

    private static void run(String storeName, int nodes, int changes, MetadataStore writerStore, MetadataStore readerStore) throws Exception {
        Clock clock = Clock.systemUTC();
        ClusterMetadata writer = new ClusterMetadata(writerStore, clock);
        NodesConfiguration configuration = NodesConfigurationLayoutTest.workers(nodes, Version.MIN);
        long started = System.nanoTime();
        writer.nodes().writeInBatches(configuration);
        double writeMillis = millisSince(started);
        int headerBytes = writerStore.get(MetadataKeys.NODES).orElseThrow().value().length;
        int nodeBytes = writerStore.get(NodesLayout.key(NodeId.of(nodes))).orElseThrow().value().length;

        started = System.nanoTime();
        NodesConfiguration read = new ClusterMetadata(readerStore, clock).nodes().current();
        double fullReadMillis = millisSince(started);
        if (read.nodes().size() != nodes) {
            throw new IllegalStateException("BUG: read " + read.nodes().size() + " nodes of " + nodes);
        }

        ClusterMetadata reader = new ClusterMetadata(readerStore, clock);
        reader.nodes().current();
        BlockingQueue<NodesConfigurationStore.Snapshot> delivered = new ArrayBlockingQueue<>(changes + 2);
        double[] changeMillis = new double[changes];
        double[] notifyMillis = new double[changes];
        double[] deltaReadMillis = new double[changes];
        try (Watch watch = new ClusterMetadata(readerStore, clock).nodes().watch(delivered::add)) {
            delivered.poll(60, TimeUnit.SECONDS);
            for (int i = 0; i < changes; i++) {
                NodeId node = NodeId.of(1 + i);
                started = System.nanoTime();
                NodesConfigurationStore.Update update = writer.nodes().transition(new GenerationalNodeId(node, 1), WorkerState.DRAINING, Actor.OPERATOR,
                        "bench", false, c -> new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null), List.of());
                changeMillis[i] = millisSince(started);
                if (!update.applied()) {
                    throw new IllegalStateException("BUG: " + update.result());
                }
                NodesConfigurationStore.Snapshot snapshot = delivered.poll(60, TimeUnit.SECONDS);
                notifyMillis[i] = millisSince(started);
                if (snapshot == null || !snapshot.configuration().version().equals(update.configuration().version())) {
                    throw new IllegalStateException("BUG: the watch delivered " + snapshot + " for " + update.configuration().version());
                }
                started = System.nanoTime();
                reader.nodes().current();
                deltaReadMillis[i] = millisSince(started);
            }
        }
        System.out.printf(Locale.ROOT, "%-10s %,7d nodes: header %,d B, a node %,d B; written in batches %,.0f ms; first read (all documents) %,.0f ms; "
                + "median of %d: a change %.1f ms, its watch notification %.1f ms after the change began, a read after it %.1f ms%n", storeName, nodes,
                headerBytes, nodeBytes, writeMillis, fullReadMillis, changes, median(changeMillis), median(notifyMillis), median(deltaReadMillis));
    }

    private static double millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e6;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--" + name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
