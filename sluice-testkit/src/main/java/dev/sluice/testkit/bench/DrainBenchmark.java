package dev.sluice.testkit.bench;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.EventLog;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.testkit.LocalTestCluster;
import dev.sluice.testkit.TestNode;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;

/**
 * Measures the drain of one worker holding 18 replicas (4 workers, 24 partitions × 3), with a given
 * amount of state per partition, at given concurrency limits, under a steady client workload: the wall
 * time from the drain request until the controller disabled the worker, the time each partition went
 * without a leader while its leadership moved, and the client's p50/p99/max latency before and during
 * the drain. Everything runs in one JVM (embedded ZooKeeper, four nodes on loopback), as the Ratis
 * reference script did.
 *
 * <pre>
 * ./mvnw -q -pl sluice-testkit -am install -DskipTests
 * ./mvnw -q -pl sluice-testkit dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.DrainBenchmark --mb 1,10 --concurrency 1,4,16
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

    private DrainBenchmark() {}

    /** One measured drain. */
    record Result(int megabytes, int concurrency, double drainSeconds, int moves, long[] leaderlessMillis, Workload.Stats before,
            Workload.Stats during, long clientErrors, boolean verified) {}

    public static void main(String[] args) throws Exception {
        List<Integer> megabytes = List.of(1, 10);
        List<Integer> concurrency = List.of(1, 4, 16);
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--mb")) {
                megabytes = parse(args[i + 1]);
            } else if (args[i].equals("--concurrency")) {
                concurrency = parse(args[i + 1]);
            }
        }
        List<Result> results = new ArrayList<>();
        for (int mb : megabytes) {
            for (int limit : concurrency) {
                Result result = run(mb, limit);
                results.add(result);
                print(List.of(result), false);
            }
        }
        System.out.println();
        print(results, true);
    }

    private static List<Integer> parse(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }

    static Result run(int megabytes, int limit) throws Exception {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(limit, Math.max(16, limit), Duration.ofSeconds(60), 16));
        try (LocalTestCluster cluster = LocalTestCluster.builder().clusterName("drain-bench").workers(WORKERS).partitions(PARTITIONS).replication(3)
                .controlPlane(config, Optional.empty())
                .startTimeout(Duration.ofMinutes(3))
                .start()) {
            Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
                var placements = cluster.metadata().placements().readAll();
                return placements.size() == PARTITIONS && placements.values().stream().noneMatch(v -> v.placement().hasNext())
                        && cluster.nodes().stream().allMatch(n -> placements.values().stream().filter(v -> v.placement().names(n.nodeId())).count() == 18);
            });
            cluster.awaitLeaders(Duration.ofMinutes(1));
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(1)).callTimeout(Duration.ofSeconds(60)));
            fill(client, cluster, megabytes);

            Workload workload = new Workload(client, new Workload.Options(4, 4_000, CLIENT_RATE, 100));
            workload.phase("before");
            workload.start();
            Thread.sleep(BEFORE.toMillis());

            TestNode drained = cluster.node(1);
            NodeId id = drained.nodeId();
            long firstEvent = lastSequence(cluster);
            workload.phase("during");
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

            List<Long> leaderless = new ArrayList<>();
            int moves = 0;
            for (EventLog.LoggedEvent event : cluster.metadata().events().read(firstEvent, EventLog.MAX_READ)) {
                if (event.event().kind() == EventKind.LEADERSHIP_MOVED) {
                    leaderless.add(event.event().numbers().getOrDefault("durationMillis", 0L));
                }
                if (event.event().kind() == EventKind.PARTITION_MOVED && event.event().partition() != null) {
                    moves++;
                }
            }
            return new Result(megabytes, limit, seconds, moves, leaderless.stream().mapToLong(Long::longValue).sorted().toArray(),
                    workload.stats("before"), workload.stats("during"), workload.errors(), verification.ok());
        }
    }

    /** Writes {@code megabytes} of values into every partition, in parallel. */
    private static void fill(SluiceClient client, LocalTestCluster cluster, int megabytes) throws Exception {
        int perPartition = Math.max(1, megabytes * 1024 * 1024 / VALUE_BYTES);
        byte[] value = new byte[VALUE_BYTES];
        new SplittableRandom(7).nextBytes(value);
        List<String> keys = new ArrayList<>();
        int[] counts = new int[PARTITIONS];
        for (int i = 0; keys.size() < perPartition * PARTITIONS; i++) {
            String key = "fill-" + i;
            int partition = cluster.table().partitionOf(key).value();
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
                        client.put(keys.get(i), value);
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static long lastSequence(LocalTestCluster cluster) {
        List<EventLog.LoggedEvent> latest = cluster.metadata().events().latest(1);
        return latest.isEmpty() ? -1 : latest.getLast().sequence();
    }

    private static void print(List<Result> results, boolean header) {
        if (header) {
            System.out.println("| state per partition | concurrency | drain (s) | moves | leaderless p50 / max (ms) | client before p50 / p99 / max (ms) | client during p50 / p99 / max (ms) | client errors | verified |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
        }
        for (Result r : results) {
            long[] l = r.leaderlessMillis();
            String leaderless = l.length == 0 ? "-" : l[l.length / 2] + " / " + l[l.length - 1];
            System.out.printf(Locale.ROOT, "| %d MB | %d | %.1f | %d | %s | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %d | %s |%n",
                    r.megabytes(), r.concurrency(), r.drainSeconds(), r.moves(), leaderless,
                    r.before().p50Millis(), r.before().p99Millis(), r.before().maxMillis(),
                    r.during().p50Millis(), r.during().p99Millis(), r.during().maxMillis(), r.clientErrors(), r.verified() ? "yes" : "NO");
        }
    }
}
