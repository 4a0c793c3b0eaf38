package dev.sluice.testkit.bench;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.EventLog;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.testkit.LocalTestCluster;
import dev.sluice.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.awaitility.Awaitility;

/**
 * Measures the drain of one worker holding 18 replicas (4 workers, 24 partitions × 3), with a given
 * amount of state per partition, at given concurrency limits, under a steady client workload: the wall
 * time from the drain request until the controller disabled the worker, the time each partition went
 * without a leader while its leadership moved, and the client's p50/p99/max latency before and during
 * the drain. Everything runs in one JVM (embedded ZooKeeper, four nodes on loopback), as the Ratis
 * reference script did. The drain is split into phases read from the controller's event log: react
 * (request → first move started), moving (→ last move completed) and tail (→ disabled), the same split
 * {@link RatisDrainBaseline} reports for bare Ratis.
 *
 * <pre>
 * ./mvnw -q -pl sluice-testkit -am compile dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=/tmp/cp.txt
 * java -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.DrainBenchmark --mb 1,10 --concurrency 1,4,16 --runs 1 --seed 1
 * </pre>
 *
 * Not a test: it makes no assertion; its numbers depend on the machine and what else it runs.
 */
public final class DrainBenchmark {

    static final int WORKERS = 4;
    static final int PARTITIONS = 24;
    static final int VALUE_BYTES = 64 * 1024;
    static final int FILL_THREADS = 4;
    static final Duration BEFORE = Duration.ofSeconds(10);
    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(10);
    static final double CLIENT_RATE = 200;
    /** The client workload of every drain measurement: 4 writers, 4,000 keys, {@link #CLIENT_RATE} writes/s, 100-byte values. */
    static final Workload.Options CLIENT_LOAD = new Workload.Options(4, 4_000, CLIENT_RATE, 100);

    /**
     * With {@code -Dsluice.bench.tls=true} the nodes serve HTTPS and run Raft under mutual TLS, and the client trusts the
     * cluster's CA: the same drain, to see what TLS costs (docs/benchmarks.md, "Drain with TLS").
     */
    static final boolean TLS = Boolean.getBoolean("sluice.bench.tls");

    private DrainBenchmark() {}

    public static void main(String[] args) throws Exception {
        DrainRun.logToStandardError();
        DrainRun.Options options = DrainRun.Options.parse(args, List.of(1, 10), List.of(1, 4, 16));
        DrainRun.measureAll(options, DrainBenchmark::run);
    }

    static DrainRun run(int megabytes, int limit, long seed) throws Exception {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(limit, Math.max(16, limit), Duration.ofSeconds(60), 16));
        LocalTestCluster.Builder builder = LocalTestCluster.builder().clusterName("drain-bench").workers(WORKERS).partitions(PARTITIONS).replication(3)
                .controlPlane(config, Optional.empty())
                .startTimeout(Duration.ofMinutes(3));
        if (TLS) {
            builder.tls();
        }
        try (LocalTestCluster cluster = builder.start()) {
            Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
                var placements = cluster.metadata().placements().readAll();
                return placements.size() == PARTITIONS && placements.values().stream().noneMatch(v -> v.placement().hasNext())
                        && cluster.nodes().stream().allMatch(n -> placements.values().stream().filter(v -> v.placement().names(n.nodeId())).count() == 18);
            });
            cluster.awaitLeaders(Duration.ofMinutes(1));
            SluiceClient.Builder clientBuilder = SluiceClient.builder().random(new SplittableRandom(seed)).callTimeout(Duration.ofSeconds(60));
            cluster.trust().ifPresent(trust -> clientBuilder.tls(trust.sslContext()));
            SluiceClient client = cluster.client(clientBuilder);
            fill(client::put, cluster.table(), megabytes, seed);

            Workload workload = new Workload(client, CLIENT_LOAD);
            workload.phase("before");
            workload.start();
            Thread.sleep(BEFORE.toMillis());

            TestNode drained = cluster.node(1);
            NodeId id = drained.nodeId();
            long firstEvent = lastSequence(cluster);
            workload.phase("during");
            Instant requested = Instant.now();
            long started = System.nanoTime();
            Lifecycle.Outcome outcome = new Lifecycle(cluster.metadata(), config.limits(), InstantSource.system())
                    .request(id.toString(), WorkerState.DRAINING, "benchmark", false, false);
            if (!(outcome instanceof Lifecycle.Outcome.Done)) {
                throw new IllegalStateException("drain refused: " + outcome);
            }
            Awaitility.await().atMost(DRAIN_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> cluster.metadata().nodes().current().find(id).orElseThrow().workerState() == WorkerState.DISABLED);
            double seconds = (System.nanoTime() - started) / 1e9;
            workload.phase("after");
            workload.stop();
            Workload.Verification verification = workload.verify(client);

            DrainEvents events = DrainEvents.read(cluster, id, firstEvent, requested);
            return new DrainRun(TLS ? "sluice-tls" : "sluice", megabytes, limit, seed, seconds, events.reactSeconds(), events.movingSeconds(), events.tailSeconds(),
                    events.moves(), events.leaderlessMillis(), workload.stats("before"), workload.stats("during"), workload.errors(),
                    verification.mismatchCount(), verification.ok());
        }
    }

    /**
     * What the controller's event log says about one drain of {@code node}: the phases (react, moving,
     * tail), the moves and the leaderless time of each leadership it moved.
     */
    record DrainEvents(double reactSeconds, double movingSeconds, double tailSeconds, int moves, long[] leaderlessMillis) {

        static DrainEvents read(LocalTestCluster cluster, NodeId node, long afterSequence, Instant requested) {
            List<Long> leaderless = new ArrayList<>();
            int moves = 0;
            Instant firstMoveStarted = null;
            Instant lastMoved = null;
            Instant drainRequested = null;
            Instant disabled = null;
            Instant completed = null;
            long sequence = afterSequence;
            while (true) {
                List<EventLog.LoggedEvent> batch = cluster.metadata().events().read(sequence, EventLog.MAX_READ);
                if (batch.isEmpty()) {
                    break;
                }
                for (EventLog.LoggedEvent logged : batch) {
                    ClusterEvent event = logged.event();
                    boolean ofNode = node.equals(event.node());
                    switch (event.kind()) {
                        case LEADERSHIP_MOVED -> {
                            if (ofNode) {
                                leaderless.add(event.numbers().getOrDefault("durationMillis", 0L));
                            }
                        }
                        case PARTITION_MOVE_STARTED -> {
                            if (ofNode && event.partition() != null && firstMoveStarted == null) {
                                firstMoveStarted = event.at();
                            }
                        }
                        case PARTITION_MOVED -> {
                            if (ofNode && event.partition() != null) {
                                moves++;
                                lastMoved = event.at();
                            }
                        }
                        case NODE_TRANSITION -> {
                            if (ofNode && event.transition().to() == WorkerState.DRAINING && drainRequested == null) {
                                drainRequested = event.at();
                            }
                            if (ofNode && event.transition().to() == WorkerState.DISABLED && disabled == null) {
                                disabled = event.at();
                            }
                        }
                        case DRAIN_COMPLETED -> {
                            if (ofNode && completed == null) {
                                completed = event.at();
                            }
                        }
                        default -> { }
                    }
                }
                sequence = batch.getLast().sequence();
            }
            // The disable itself is the end; the drain-completed event follows on the controller's next pass.
            Instant end = disabled != null ? disabled : completed;
            if (firstMoveStarted == null || lastMoved == null || end == null) {
                throw new IllegalStateException("the event log lacks the drain's events for " + node + " (first move started " + firstMoveStarted
                        + ", last move " + lastMoved + ", disabled " + end + ")");
            }
            // The audit record of the request is the drain's start; the benchmark's own clock reading is a fallback.
            Instant start = drainRequested != null ? drainRequested : requested;
            return new DrainEvents(seconds(start, firstMoveStarted), seconds(firstMoveStarted, lastMoved), seconds(lastMoved, end), moves,
                    leaderless.stream().mapToLong(Long::longValue).sorted().toArray());
        }

        private static double seconds(Instant from, Instant to) {
            return Duration.between(from, to).toNanos() / 1e9;
        }
    }

    /**
     * Writes {@code megabytes} of {@link #VALUE_BYTES}-byte values into every partition of {@code table},
     * in parallel, through {@code put}: the same keys and sizes for Sluice and for the bare-Ratis baseline.
     */
    static void fill(BiConsumer<String, byte[]> put, PartitionTable table, int megabytes, long seed) throws Exception {
        int perPartition = Math.max(1, megabytes * 1024 * 1024 / VALUE_BYTES);
        byte[] value = new byte[VALUE_BYTES];
        new SplittableRandom(seed).nextBytes(value);
        List<String> keys = new ArrayList<>();
        int partitions = table.partitionCount();
        int[] counts = new int[partitions];
        for (int i = 0; keys.size() < perPartition * partitions; i++) {
            String key = "fill-" + i;
            int partition = table.partitionOf(key).value();
            if (counts[partition] < perPartition) {
                counts[partition]++;
                keys.add(key);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(FILL_THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < FILL_THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = thread; i < keys.size(); i += FILL_THREADS) {
                        put.accept(keys.get(i), value);
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static long lastSequence(LocalTestCluster cluster) {
        List<EventLog.LoggedEvent> latest = cluster.metadata().events().latest(1);
        return latest.isEmpty() ? -1 : latest.getLast().sequence();
    }
}
