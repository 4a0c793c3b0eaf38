package dev.sluice.testkit.bench;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.DrainGroupRequests;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.testkit.LocalTestCluster;
import dev.sluice.testkit.TestNode;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * Drains a whole zone of a local cluster (by default 9 workers in 3 zones, 24 partitions × 3 in at least 2 zones)
 * under client writes, two ways, alternately in one sitting: as one group drain ({@code group}) and worker after
 * worker, each to disabled before the next is asked ({@code sequential}). For each run: the wall time from the
 * request until the last worker of the zone is disabled, the client errors, the lost writes (every acknowledged
 * write read back), and the replica moves next to the minimum — the replicas the zone held. Every run has a fresh
 * cluster in this JVM (embedded ZooKeeper, nodes on loopback); the machine's load is printed at each run's start.
 *
 * <pre>
 * ./mvnw -q -pl sluice-testkit -am compile dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx3g -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.ZoneDrainBenchmark --seeds 1,2,3 [--workers 9 --zones 3]
 * </pre>
 *
 * Not a test: it makes no assertion; its numbers depend on the machine and what else it runs.
 */
public final class ZoneDrainBenchmark {

    static final int PARTITIONS = 24;
    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(10);
    static final Duration BEFORE = Duration.ofSeconds(5);
    /** 4 writers over 4,000 keys at 200 writes/s, 100-byte values: the client load of the other drain benchmarks. */
    static final Workload.Options CLIENT_LOAD = new Workload.Options(4, 4_000, 200, 100);
    private static final Pattern JOINING = Pattern.compile("→ \\[([^\\]]*)\\]");

    private ZoneDrainBenchmark() {}

    /** One run's numbers. */
    record Run(String mode, long seed, double seconds, int held, int moves, long writes, long errors, int lost, String load) {}

    public static void main(String[] args) throws Exception {
        DrainRun.logToStandardError();
        List<Long> seeds = List.of(1L, 2L, 3L);
        int workers = 9;
        int zones = 3;
        String first = "group";
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--seeds" -> seeds = java.util.Arrays.stream(value.split(",")).map(Long::parseLong).toList();
                case "--workers" -> workers = Integer.parseInt(value);
                case "--zones" -> zones = Integer.parseInt(value);
                case "--first" -> first = value;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; expected --seeds 1,2,3, --workers, --zones, --first group|sequential");
            }
        }
        String second = first.equals("group") ? "sequential" : "group";
        System.out.printf(Locale.ROOT, "zone drain: %d workers in %d zones, %d partitions × 3 in ≥2 zones, seeds %s, %s first%n", workers, zones, PARTITIONS,
                seeds, first);
        List<Run> runs = new ArrayList<>();
        for (long seed : seeds) {
            for (String mode : List.of(first, second)) {
                Run run = run(mode, seed, workers, zones);
                runs.add(run);
                System.out.printf(Locale.ROOT, "RUN %s seed %d: %.1f s, moves %d (zone held %d), writes %d, errors %d, lost %d  [%s]%n", run.mode(), run.seed(),
                        run.seconds(), run.moves(), run.held(), run.writes(), run.errors(), run.lost(), run.load());
            }
        }
        System.out.println();
        System.out.println("| run | mode | seed | zone drained in (s) | replica moves / zone held | client writes | client errors | lost writes | load at start (1, 5, 15 min) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            System.out.printf(Locale.ROOT, "| %d | %s | %d | %.1f | %d / %d | %d | %d | %d | %s |%n", i + 1, r.mode(), r.seed(), r.seconds(), r.moves(), r.held(),
                    r.writes(), r.errors(), r.lost(), r.load().replace("load average: ", ""));
        }
        for (String mode : List.of("group", "sequential")) {
            double[] seconds = runs.stream().filter(r -> r.mode().equals(mode)).mapToDouble(Run::seconds).toArray();
            System.out.printf(Locale.ROOT, "median %s: %.1f s over %d runs%n", mode, DrainAlternating.median(seconds), seconds.length);
        }
        System.exit(0);
    }

    static Run run(String mode, long seed, int workers, int zones) throws Exception {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 16, Duration.ofSeconds(60), 16));
        String load = DrainAlternating.uptime();
        try (LocalTestCluster cluster = LocalTestCluster.builder().clusterName("zone-drain-bench").workers(workers).zones(zones).minZones(2)
                .partitions(PARTITIONS).replication(3).controlPlane(config, Optional.empty()).startTimeout(Duration.ofMinutes(3)).start()) {
            Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
                var placements = cluster.metadata().placements().readAll();
                return placements.size() == PARTITIONS && placements.values().stream().noneMatch(v -> v.placement().hasNext())
                        && cluster.nodes().stream().allMatch(n -> placements.values().stream().anyMatch(v -> v.placement().names(n.nodeId())));
            });
            cluster.awaitLeaders(Duration.ofMinutes(1));
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(seed)).callTimeout(Duration.ofSeconds(60)));
            Workload workload = new Workload(client, CLIENT_LOAD);
            workload.start();
            Thread.sleep(BEFORE.toMillis());

            String zone = "local.zone-1";
            List<TestNode> members = cluster.nodes().stream().filter(n -> cluster.metadata().nodes().current().find(n.nodeId()).orElseThrow()
                    .location().toString().equals(zone)).toList();
            int held = 0;
            for (VersionedPlacement versioned : cluster.metadata().placements().readAll().values()) {
                for (TestNode member : members) {
                    if (versioned.placement().current().contains(member.nodeId())) {
                        held++;
                    }
                }
            }
            long mark = cluster.metadata().events().latest(1).getLast().sequence();
            Lifecycle lifecycle = new Lifecycle(cluster.metadata(), config.limits(), InstantSource.system());
            long started = System.nanoTime();
            if (mode.equals("group")) {
                DrainGroupRequests.Outcome outcome = new DrainGroupRequests(cluster.metadata(), lifecycle, InstantSource.system())
                        .start(new DrainGroupRequests.Selection(List.of(), zone), null, "benchmark", false, false, Optional.empty());
                if (!(outcome instanceof DrainGroupRequests.Outcome.Started)) {
                    throw new IllegalStateException("group drain refused: " + outcome);
                }
                for (TestNode member : members) {
                    awaitDisabled(cluster, member.nodeId());
                }
            } else {
                for (TestNode member : members) {
                    Lifecycle.Outcome outcome = lifecycle.request(member.nodeId().toString(), WorkerState.DRAINING, "benchmark", false, false);
                    if (!(outcome instanceof Lifecycle.Outcome.Done)) {
                        throw new IllegalStateException("drain of " + member.nodeId() + " refused: " + outcome);
                    }
                    awaitDisabled(cluster, member.nodeId());
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            workload.stop();
            Workload.Verification verification = workload.verify(client);
            int moves = 0;
            for (EventLog.LoggedEvent event : cluster.metadata().events().read(mark, EventLog.MAX_READ)) {
                if (event.event().kind() == EventKind.PARTITION_MOVED) {
                    Matcher joining = JOINING.matcher(event.event().message());
                    if (joining.find() && !joining.group(1).isBlank()) {
                        moves += joining.group(1).split(",").length;
                    }
                }
            }
            return new Run(mode, seed, seconds, held, moves, workload.writes(), workload.errors(), verification.mismatchCount(), load);
        }
    }

    private static void awaitDisabled(LocalTestCluster cluster, NodeId node) {
        Awaitility.await().atMost(DRAIN_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(() -> cluster.metadata().nodes().current().find(node).orElseThrow().workerState() == WorkerState.DISABLED);
    }
}
