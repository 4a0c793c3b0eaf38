package dev.sluice.testkit.bench;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.Lifecycle;
import dev.sluice.controller.MaintenanceRequests;
import dev.sluice.controller.Rollout;
import dev.sluice.controller.RolloutRequests;
import dev.sluice.metadata.EventLog;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.testkit.LocalTestCluster;
import dev.sluice.testkit.TestNode;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;

/**
 * Restarts every worker of a local cluster (4 workers, 24 partitions × 3) once, under the standard client
 * load, two ways in one sitting, alternating: Sluice's rolling restart ({@code rollout}: maintenance,
 * leaderships handed over, graceful shutdown, back, caught up — one worker at a time), and the naive way
 * ({@code naive}: stop the process, start it again, wait until it is ready, next). It reports client errors,
 * acknowledged writes read back, replica moves, leadership changes, the longest time any partition had no
 * leader (sampled every 20 ms from the workers' own Raft state), and client latency before and during.
 *
 * <p>With {@code --away 5m} it measures instead what a worker away for that long costs, with and without a
 * maintenance intent: the replica moves the controller starts while it is away (the dead-node grace period is
 * 60 s).
 *
 * <pre>
 * ./mvnw -q -pl sluice-testkit -am compile dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx3g -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.RolloutBenchmark --runs 2 --seed 1
 * java -Xmx3g -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.RolloutBenchmark --away 5m --seed 1
 * </pre>
 *
 * Not a test: it makes no assertion; its numbers depend on the machine and what else it runs.
 */
public final class RolloutBenchmark {

    static final int WORKERS = 4;
    static final int PARTITIONS = 24;
    static final Duration BEFORE = Duration.ofSeconds(10);
    /** How long the supervisor (and the naive script) waits between a process ending and starting it again. */
    static final Duration RESTART_PAUSE = Duration.ofSeconds(1);
    static final Duration TIMEOUT = Duration.ofMinutes(15);
    static final Duration PROBE_INTERVAL = Duration.ofMillis(20);

    private RolloutBenchmark() {}

    /**
     * One restart of every worker, measured.
     *
     * @param leadershipsAway the leadership changes that moved a leadership off a worker in maintenance: one per
     *     partition a restarted worker led when its turn came, the "away" half of the bound; every other change
     *     (balancing them back, mostly) should be at most as many
     */
    record Run(String way, long seed, double seconds, long clientErrors, boolean verified, int mismatches, int replicaMovesStarted,
            int leadershipEvents, int leadershipsAway, long longestTransferMillis, long maxLeaderlessMillis, Workload.Stats before,
            Workload.Stats during) {

        String row() {
            return String.format(Locale.ROOT, "| %s | %d | %.1f | %d | %s | %d | %d (%d away, %d other) | %d | %d | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f |",
                    way, seed, seconds, clientErrors, verified ? "yes" : "NO (" + mismatches + " lost)", replicaMovesStarted, leadershipEvents,
                    leadershipsAway, leadershipEvents - leadershipsAway, longestTransferMillis, maxLeaderlessMillis,
                    before.p50Millis(), before.p99Millis(), before.maxMillis(), during.p50Millis(), during.p99Millis(), during.maxMillis());
        }
    }

    /** With {@code --trace}, every run prints the events that explain its leadership changes to standard error. */
    private static boolean trace;

    public static void main(String[] args) throws Exception {
        DrainRun.logToStandardError();
        int runs = 1;
        long seed = 1;
        Duration away = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--away" -> away = Duration.parse("PT" + args[++i].toUpperCase(Locale.ROOT));
                case "--trace" -> trace = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (expected --runs N, --seed S, --away 5m, --trace)");
            }
        }
        System.out.println("seed " + seed);
        if (away != null) {
            for (boolean maintenance : List.of(true, false)) {
                System.out.println(away(maintenance, away, seed));
            }
            return;
        }
        System.out.println("| way | seed | seconds | client errors | every write read back | replica moves | leadership changes | longest transfer (ms) | max leaderless (ms) | client before p50 / p99 / max (ms) | client during p50 / p99 / max (ms) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (int run = 0; run < runs; run++) {
            for (String way : List.of("rollout", "naive")) {
                System.out.println(restartAll(way, seed + run).row());
            }
        }
    }

    private static LocalTestCluster start(String name) throws Exception {
        LocalTestCluster cluster = LocalTestCluster.builder().clusterName(name).workers(WORKERS).partitions(PARTITIONS).replication(3)
                .controlPlane(ControllerConfig.DEFAULTS, Optional.empty())
                .restartAfterGracefulShutdown(RESTART_PAUSE)
                .startTimeout(Duration.ofMinutes(3))
                .start();
        Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
            var placements = cluster.metadata().placements().readAll();
            return placements.size() == PARTITIONS && placements.values().stream().noneMatch(v -> v.placement().hasNext())
                    && cluster.nodes().stream().allMatch(n -> placements.values().stream().filter(v -> v.placement().names(n.nodeId())).count() == 18);
        });
        cluster.awaitLeaders(Duration.ofMinutes(1));
        return cluster;
    }

    static Run restartAll(String way, long seed) throws Exception {
        try (LocalTestCluster cluster = start("rollout-bench")) {
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(seed)).callTimeout(Duration.ofSeconds(60)));
            Workload workload = new Workload(client, DrainBenchmark.CLIENT_LOAD);
            workload.phase("before");
            workload.start();
            Thread.sleep(BEFORE.toMillis());
            long mark = lastSequence(cluster);
            LeaderlessProbe probe = new LeaderlessProbe(cluster);
            Thread probing = Thread.ofPlatform().daemon().name("leaderless-probe").start(probe);
            workload.phase("during");
            long started = System.nanoTime();
            if (way.equals("rollout")) {
                RolloutRequests requests = new RolloutRequests(cluster.metadata(),
                        new Lifecycle(cluster.metadata(), ControllerConfig.DEFAULTS.limits(), InstantSource.system()), InstantSource.system());
                RolloutRequests.Outcome outcome = requests.start(new RolloutRequests.Selection(List.of(), null), Duration.ofMinutes(5), "benchmark", false);
                if (!(outcome instanceof RolloutRequests.Outcome.Done)) {
                    throw new IllegalStateException("rollout refused: " + outcome);
                }
                Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                        .until(() -> requests.current().map(r -> r.state().ended()).orElse(false));
                Rollout rollout = requests.current().orElseThrow();
                if (rollout.state() != Rollout.State.COMPLETED) {
                    throw new IllegalStateException("the rollout ended " + rollout.state() + ": " + rollout.stoppedBecause());
                }
            } else {
                for (TestNode node : List.copyOf(cluster.nodes())) {
                    cluster.stop(node.index());
                    Thread.sleep(RESTART_PAUSE.toMillis());
                    cluster.restart(node.index());
                    Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> node.isRunning() && node.worker().ready());
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            probe.stop();
            probing.join();
            workload.phase("after");
            workload.stop();
            Workload.Verification verification = workload.verify(client);
            int moves = 0;
            int leaderships = 0;
            int away = 0;
            long longestTransfer = 0;
            for (ClusterEvent event : eventsAfter(cluster, mark)) {
                if (trace && TRACED.contains(event.kind())) {
                    System.err.println("TRACE " + way + " " + event.at() + " " + event.kind().wireName() + " " + event.message());
                }
                if (event.kind() == EventKind.PARTITION_MOVE_STARTED) {
                    moves++;
                } else if (event.kind() == EventKind.LEADERSHIP_MOVED) {
                    leaderships++;
                    if (event.message().endsWith("(" + LeadershipChange.Cause.LEADER_IN_MAINTENANCE.wireName() + ")")) {
                        away++;
                    }
                    // The controller's transfer call, end to end: the longest a transfer may keep a partition leaderless.
                    longestTransfer = Math.max(longestTransfer, event.numbers().getOrDefault("durationMillis", 0L));
                }
            }
            if (trace) {
                System.err.println("TRACE " + way + " longest leaderless: " + probe.longest() + " for " + probe.longestMillis() + " ms");
            }
            return new Run(way, seed, seconds, workload.errors(), verification.ok(), verification.mismatchCount(), moves, leaderships, away,
                    longestTransfer, probe.longestMillis(), workload.stats("before"), workload.stats("during"));
        }
    }

    private static final java.util.Set<EventKind> TRACED = java.util.EnumSet.of(EventKind.LEADERSHIP_MOVED, EventKind.MAINTENANCE_STARTED,
            EventKind.MAINTENANCE_ENDED, EventKind.NODE_DEAD, EventKind.NODE_ALIVE);

    /** One worker away for {@code away}, with or without a maintenance intent: how many replica moves start meanwhile. */
    static String away(boolean maintenance, Duration away, long seed) throws Exception {
        try (LocalTestCluster cluster = start("away-bench")) {
            TestNode node = cluster.node(1);
            NodeId id = node.nodeId();
            if (maintenance) {
                MaintenanceRequests.Outcome outcome = new MaintenanceRequests(cluster.metadata(),
                        new Lifecycle(cluster.metadata(), ControllerConfig.DEFAULTS.limits(), InstantSource.system()), InstantSource.system())
                        .begin(id.toString(), "benchmark", away.plusMinutes(10), false, false);
                if (!(outcome instanceof MaintenanceRequests.Outcome.Done)) {
                    throw new IllegalStateException("maintenance refused: " + outcome);
                }
            }
            long mark = lastSequence(cluster);
            java.time.Instant stoppedAt = java.time.Instant.now();
            cluster.stop(node.index());
            Thread.sleep(away.toMillis());
            List<ClusterEvent> starts = eventsAfter(cluster, mark).stream().filter(e -> e.kind() == EventKind.PARTITION_MOVE_STARTED).toList();
            int moves = starts.size();
            long firstMoveAfter = starts.isEmpty() ? -1 : Duration.between(stoppedAt, starts.getFirst().at()).toSeconds();
            return String.format(Locale.ROOT, "| %s | %s | %d | %s |", maintenance ? "in maintenance" : "no maintenance", away, moves,
                    firstMoveAfter < 0 ? "-" : firstMoveAfter + " s");
        }
    }

    /** Samples, from the workers' own Raft state, how long each partition goes without any member that leads it. */
    static final class LeaderlessProbe implements Runnable {
        private final LocalTestCluster cluster;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final Map<PartitionId, Long> leaderlessSince = new HashMap<>();
        private volatile long longestNanos;
        private volatile String longest = "none";

        LeaderlessProbe(LocalTestCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public void run() {
            while (!stopped.get()) {
                long now = System.nanoTime();
                for (PartitionId partition : cluster.table().partitions()) {
                    if (led(partition)) {
                        Long since = leaderlessSince.remove(partition);
                        if (since != null && now - since > longestNanos) {
                            longestNanos = now - since;
                            longest = partition + " from " + java.time.Instant.now().minusNanos(now - since);
                        }
                    } else {
                        leaderlessSince.putIfAbsent(partition, now);
                    }
                }
                try {
                    Thread.sleep(PROBE_INTERVAL.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }

        /**
         * Whether any running member reports itself the leader. Asked node by node: a node that is starting or stopping
         * and cannot answer says nothing about the others (asked through one call, it once counted every partition as
         * leaderless for as long as a node took to start).
         */
        private boolean led(PartitionId partition) {
            for (TestNode node : cluster.nodes()) {
                try {
                    if (node.isRunning() && node.worker().replicaStatus(partition).filter(status -> status.role() == ReplicaRole.LEADER).isPresent()) {
                        return true;
                    }
                } catch (RuntimeException startingOrStopping) {
                    // Not this one.
                }
            }
            return false;
        }

        /** Which partition was leaderless the longest, and since when. */
        String longest() {
            return longest;
        }

        void stop() {
            stopped.set(true);
        }

        long longestMillis() {
            long now = System.nanoTime();
            long longest = longestNanos;
            for (long since : leaderlessSince.values()) {
                longest = Math.max(longest, now - since);
            }
            return longest / 1_000_000;
        }
    }

    private static long lastSequence(LocalTestCluster cluster) {
        List<EventLog.LoggedEvent> latest = cluster.metadata().events().latest(1);
        return latest.isEmpty() ? -1 : latest.getLast().sequence();
    }

    private static List<ClusterEvent> eventsAfter(LocalTestCluster cluster, long sequence) {
        List<ClusterEvent> events = new ArrayList<>();
        long after = sequence;
        while (true) {
            List<EventLog.LoggedEvent> batch = cluster.metadata().events().read(after, EventLog.MAX_READ);
            if (batch.isEmpty()) {
                return events;
            }
            batch.forEach(logged -> events.add(logged.event()));
            after = batch.getLast().sequence();
        }
    }
}
