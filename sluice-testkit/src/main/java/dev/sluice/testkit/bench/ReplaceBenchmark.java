package dev.sluice.testkit.bench;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.CordonRequests;
import dev.sluice.controller.Lifecycle;
import dev.sluice.controller.ReplaceRequests;
import dev.sluice.controller.SettingsRequests;
import dev.sluice.raft.CatchUpThrottle;
import dev.sluice.raft.TransferRate;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.testkit.LocalTestCluster;
import dev.sluice.testkit.TestNode;
import dev.sluice.worker.WarmUpCheck;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;

/**
 * Measures replacing one worker by a new one in a local cluster under client load: 4 workers, 24 partitions × 3 (18
 * replicas each), {@code --mb} MB per partition; a fifth worker joins, is cordoned before it activates (so the balancer
 * leaves it empty), and worker-1 is replaced by it. Prints the wall time from the request until worker-1 is disabled, the
 * replica moves, the placements that changed otherwise than worker-1 → worker-5 (every placement is read every 50 ms while
 * the replace runs, and every final set compared with the one before), the client's errors and latency, and whether every
 * acknowledged write reads back. With {@code --transfer-rate MIB} the catch-up transfer limit is stored for the cluster
 * first (as {@code sluice settings set --max-transfer-rate} does), and the data NEW took in and the time it waited for the
 * limit are printed too.
 *
 * <pre>
 * ./mvnw -q -pl sluice-testkit -am compile dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=/tmp/cp.txt
 * java -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.ReplaceBenchmark --mb 1 --concurrency 4 --runs 1
 * java -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.ReplaceBenchmark --mb 4 --transfer-rate 2
 * </pre>
 *
 * Not a test: it makes no assertion beyond what it prints; its numbers depend on the machine and what else it runs.
 */
public final class ReplaceBenchmark {

    static final Duration BEFORE = Duration.ofSeconds(5);
    static final Duration REPLACE_TIMEOUT = Duration.ofMinutes(10);

    private ReplaceBenchmark() {}

    public static void main(String[] args) throws Exception {
        DrainRun.logToStandardError();
        int megabytes = intArg(args, "--mb", 1);
        int concurrency = intArg(args, "--concurrency", 4);
        int runs = intArg(args, "--runs", 1);
        long transferRate = intArg(args, "--transfer-rate", 0) * 1024L * 1024;
        System.out.println("| state per partition | concurrency | transfer limit | replace (s) | moves | OLD held | other changes | NEW took in (MiB) | waited for the limit (s) "
                + "| client during p50 / p99 / max (ms) | client errors | verified |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (int run = 0; run < runs; run++) {
            System.out.println(run(megabytes, concurrency, transferRate, run + 1));
        }
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }

    private static Map<PartitionId, List<NodeId>> sets(LocalTestCluster cluster) {
        Map<PartitionId, List<NodeId>> sets = new TreeMap<>();
        for (VersionedPlacement versioned : cluster.metadata().placements().readAll().values()) {
            sets.put(versioned.placement().partition(), versioned.placement().current().stream().sorted().toList());
        }
        return sets;
    }

    static String run(int megabytes, int limit, long transferRate, long seed) throws Exception {
        AtomicBoolean release = new AtomicBoolean();
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(limit, Math.max(16, limit), Duration.ofSeconds(60), 16));
        try (LocalTestCluster cluster = LocalTestCluster.builder().clusterName("replace-bench").workers(DrainBenchmark.WORKERS)
                .partitions(DrainBenchmark.PARTITIONS).replication(3)
                .workerCustomizer((index, worker) -> index < DrainBenchmark.WORKERS ? worker : worker.warmUpCheck(WarmUpCheck.of("bench-release",
                        () -> release.get() ? WarmUpCheck.Outcome.pass("released") : WarmUpCheck.Outcome.fail("held by the benchmark"))))
                .controlPlane(config, Optional.empty())
                .startTimeout(Duration.ofMinutes(3))
                .start()) {
            Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
                var placements = cluster.metadata().placements().readAll();
                return placements.size() == DrainBenchmark.PARTITIONS && placements.values().stream().noneMatch(v -> v.placement().hasNext());
            });
            cluster.awaitLeaders(Duration.ofMinutes(1));
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(seed)).callTimeout(Duration.ofSeconds(60)));
            DrainBenchmark.fill(client::put, cluster.table(), megabytes, seed);

            TestNode fresh = cluster.addNode();
            Awaitility.await().atMost(Duration.ofMinutes(1)).until(() -> cluster.metadata().nodes().current().findByName(fresh.name()).isPresent());
            CordonRequests.Outcome cordoned = new CordonRequests(cluster.metadata(), InstantSource.system()).cordon(fresh.name(), "bench: keep empty",
                    Optional.empty());
            if (!(cordoned instanceof CordonRequests.Outcome.Done)) {
                throw new IllegalStateException("cordon refused: " + cordoned);
            }
            release.set(true);
            NodeId newId = fresh.nodeId();
            Awaitility.await().atMost(Duration.ofMinutes(1))
                    .until(() -> cluster.metadata().nodes().current().find(newId).orElseThrow().workerState() == WorkerState.ACTIVE);

            if (transferRate != TransferRate.UNLIMITED) {
                SettingsRequests.Outcome set = new SettingsRequests(cluster.metadata(), config.limits(), InstantSource.system())
                        .change(null, null, transferRate, Optional.empty());
                if (!(set instanceof SettingsRequests.Outcome.Done)) {
                    throw new IllegalStateException("transfer limit refused: " + set);
                }
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fresh.worker().transferRate().bytesPerSecond() == transferRate);
            }
            long tookInBefore = fresh.worker().catchUpBytes(CatchUpThrottle.Kind.SNAPSHOT) + fresh.worker().catchUpBytes(CatchUpThrottle.Kind.LOG);
            long waitedBefore = fresh.worker().transferRate().nanosWaited();

            NodeId oldId = cluster.node(0).nodeId();
            Map<PartitionId, List<NodeId>> before = sets(cluster);
            long held = before.values().stream().filter(set -> set.contains(oldId)).count();
            Map<PartitionId, Placement> stray = new ConcurrentHashMap<>();
            ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
            Workload workload = new Workload(client, DrainBenchmark.CLIENT_LOAD);
            workload.phase("before");
            workload.start();
            Thread.sleep(BEFORE.toMillis());
            workload.phase("during");
            watcher.scheduleWithFixedDelay(() -> cluster.metadata().placements().readAll().values().forEach(v -> {
                Placement placement = v.placement();
                List<NodeId> was = before.get(placement.partition());
                List<NodeId> swapped = was.stream().map(m -> m.equals(oldId) ? newId : m).sorted().toList();
                for (List<NodeId> set : placement.hasNext() ? List.of(placement.current(), placement.next()) : List.of(placement.current())) {
                    List<NodeId> sorted = set.stream().sorted().toList();
                    if (!sorted.equals(was) && !sorted.equals(swapped)) {
                        stray.put(placement.partition(), placement);
                    }
                }
            }), 0, 50, TimeUnit.MILLISECONDS);
            long started = System.nanoTime();
            Lifecycle lifecycle = new Lifecycle(cluster.metadata(), config.limits(), InstantSource.system());
            ReplaceRequests.Outcome outcome = new ReplaceRequests(cluster.metadata(), lifecycle, config::limits, InstantSource.system())
                    .request(oldId.toString(), newId.toString(), "benchmark", false, Optional.empty());
            if (!(outcome instanceof ReplaceRequests.Outcome.Started)) {
                throw new IllegalStateException("replace refused: " + outcome);
            }
            Awaitility.await().atMost(REPLACE_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> cluster.metadata().nodes().current().find(oldId).orElseThrow().workerState() == WorkerState.DISABLED);
            double seconds = (System.nanoTime() - started) / 1e9;
            double tookInMib = (fresh.worker().catchUpBytes(CatchUpThrottle.Kind.SNAPSHOT) + fresh.worker().catchUpBytes(CatchUpThrottle.Kind.LOG) - tookInBefore)
                    / (1024.0 * 1024);
            double waited = (fresh.worker().transferRate().nanosWaited() - waitedBefore) / 1e9;
            watcher.shutdownNow();
            workload.phase("after");
            workload.stop();
            Workload.Verification verification = workload.verify(client);
            Map<PartitionId, List<NodeId>> after = sets(cluster);
            long moves = 0;
            long otherChanges = stray.size();
            for (Map.Entry<PartitionId, List<NodeId>> entry : before.entrySet()) {
                List<NodeId> now = after.get(entry.getKey());
                List<NodeId> swapped = entry.getValue().stream().map(m -> m.equals(oldId) ? newId : m).sorted().toList();
                if (!now.equals(swapped)) {
                    otherChanges++;
                } else if (!now.equals(entry.getValue())) {
                    moves++;
                }
            }
            Workload.Stats during = workload.stats("during");
            return String.format(Locale.ROOT, "| %d MB | %d | %s | %.1f | %d | %d | %d | %.1f | %.1f | %.1f / %.1f / %.1f | %d | %s |", megabytes, limit,
                    SettingsRequests.transferRate(transferRate), seconds, moves, held, otherChanges, tookInMib, waited, during.p50Millis(), during.p99Millis(), during.maxMillis(), workload.errors(),
                    verification.ok() ? "yes (" + verification.keysChecked() + " keys)" : "NO: " + verification.mismatchCount() + " mismatches");
        }
    }
}
