package dev.sluice.testkit.bench;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ClusterController;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.ControllerStatus;
import dev.sluice.controller.DrainProgress;
import dev.sluice.controller.Lifecycle;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.WorkerState;
import dev.sluice.server.ControlPlane;
import dev.sluice.server.NodeComponent;
import dev.sluice.server.SluiceNode;
import dev.sluice.testkit.LocalTestCluster;
import dev.sluice.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Drains workers one after another, {@code --rounds} times, on a local cluster under continuous client
 * load, and checks that every drain ends in one of the two answers an operator may get: the worker is
 * disabled, or the controller names a stalled partition and the reason. Each round picks a worker with a
 * seeded random generator (the seed is printed; the same seed picks the same workers in the same order),
 * drains it through {@link Lifecycle} as an operator would, waits up to {@code --bound-seconds} for
 * either answer, recommissions the worker (back to Active) and waits until the cluster has settled before
 * the next round. At the end every acknowledged write is read back.
 *
 * <pre>
 * java -Xmx3g -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.DrainLoop \
 *      --rounds 50 --seed 42 --bound-seconds 120 [--workers 5] [--mb 1]
 * </pre>
 *
 * Exits with 1 if a round ended with neither answer within the bound, the cluster did not settle after a
 * round, or a write was lost; with 0 otherwise. Not a test: it takes many minutes, so it runs by hand.
 */
public final class DrainLoop {

    static final int PARTITIONS = 24;
    static final Duration POLL = Duration.ofMillis(100);
    /** The cluster counts as settled once nothing has moved for this long (a rebalance starts a pass or two after the recommission). */
    static final Duration SETTLED_FOR = Duration.ofSeconds(3);
    static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    private DrainLoop() {}

    enum Ending {
        DISABLED, STALLED, REFUSED, NEITHER
    }

    /** How one round ended; {@code detail} is the stall reasons, the refusal, or what the controller showed when the bound passed. */
    record Round(int number, NodeId node, String name, Ending ending, double seconds, String detail, boolean settled, double settleSeconds) {}

    public static void main(String[] args) throws Exception {
        DrainRun.logToStandardError();
        int rounds = 50;
        long seed = new SplittableRandom().nextLong(1, Long.MAX_VALUE);
        Duration bound = Duration.ofSeconds(120);
        int workers = 5;
        int megabytes = 1;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--seed" -> seed = Long.parseLong(value);
                case "--bound-seconds" -> bound = Duration.ofSeconds(Long.parseLong(value));
                case "--workers" -> workers = Integer.parseInt(value);
                case "--mb" -> megabytes = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --rounds, --seed, --bound-seconds, --workers, --mb");
            }
        }
        if (workers < 4) {
            throw new IllegalArgumentException("with replication 3 a drain needs at least 4 workers, got " + workers);
        }
        System.out.printf(Locale.ROOT, "drain loop: seed %d, %d rounds, bound %d s, %d workers, %d partitions x 3, %d MB per partition%n",
                seed, rounds, bound.toSeconds(), workers, PARTITIONS, megabytes);
        System.out.println("start " + Instant.now() + "  uptime: " + DrainAlternating.uptime());
        int exitCode = run(rounds, seed, bound, workers, megabytes);
        System.out.println("end   " + Instant.now() + "  uptime: " + DrainAlternating.uptime());
        System.exit(exitCode);
    }

    static int run(int rounds, long seed, Duration bound, int workers, int megabytes) throws Exception {
        ControllerConfig config = ControllerConfig.DEFAULTS;
        // Only the choice of workers comes from this generator, so a seed replays the same order of drains.
        SplittableRandom choices = new SplittableRandom(seed);
        List<Round> results = new ArrayList<>();
        try (LocalTestCluster cluster = LocalTestCluster.builder().clusterName("drain-loop").workers(workers).partitions(PARTITIONS).replication(3)
                .controlPlane(config, Optional.empty())
                .startTimeout(START_TIMEOUT)
                .start()) {
            Lifecycle lifecycle = new Lifecycle(cluster.metadata(), config.limits(), InstantSource.system());
            if (!awaitSettled(cluster, null, START_TIMEOUT)) {
                throw new IllegalStateException("the cluster did not place and settle its partitions within " + START_TIMEOUT);
            }
            cluster.awaitLeaders(START_TIMEOUT);
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(seed)).callTimeout(Duration.ofSeconds(60)));
            DrainBenchmark.fill(client::put, cluster.table(), megabytes, seed);
            Workload workload = new Workload(client, DrainBenchmark.CLIENT_LOAD);
            workload.start();
            try {
                List<TestNode> nodes = cluster.nodes().stream().sorted(Comparator.comparing(TestNode::name)).toList();
                for (int number = 1; number <= rounds; number++) {
                    TestNode picked = nodes.get(choices.nextInt(nodes.size()));
                    Round round = round(cluster, lifecycle, number, picked, bound);
                    results.add(round);
                    System.out.println(describe(round) + "  [" + DrainAlternating.uptime() + "]");
                }
            } finally {
                workload.stop();
            }
            Workload.Verification verification = workload.verify(client);
            return summarize(results, workload, verification, seed);
        }
    }

    private static Round round(LocalTestCluster cluster, Lifecycle lifecycle, int number, TestNode picked, Duration bound) throws InterruptedException {
        NodeId id = picked.nodeId();
        long started = System.nanoTime();
        long deadline = started + bound.toNanos();
        Lifecycle.Outcome outcome = lifecycle.request(id.toString(), WorkerState.DRAINING, "drain loop, round " + number, false, false);
        Ending ending;
        String detail;
        if (!(outcome instanceof Lifecycle.Outcome.Done)) {
            ending = Ending.REFUSED;
            detail = outcome.toString();
        } else {
            ending = Ending.NEITHER;
            detail = "";
            while (System.nanoTime() < deadline) {
                if (state(cluster, id) == WorkerState.DISABLED) {
                    ending = Ending.DISABLED;
                    break;
                }
                Optional<DrainProgress> drain = controllerStatus(cluster).flatMap(status -> status.drain(id));
                if (drain.isPresent() && drain.get().stalled() && drain.get().stalledPartitions().stream().anyMatch(DrainLoop::hasReason)) {
                    ending = Ending.STALLED;
                    detail = drain.get().stalledPartitions().stream().filter(DrainLoop::hasReason)
                            .map(s -> s.partition() + " " + s.reason() + ": " + s.message()).collect(Collectors.joining("; "));
                    break;
                }
                Thread.sleep(POLL.toMillis());
            }
            if (ending == Ending.NEITHER) {
                detail = "after " + bound.toSeconds() + " s: " + state(cluster, id) + "; controller: "
                        + controllerStatus(cluster).map(DrainLoop::explain).orElse("no status published");
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        long settleStarted = System.nanoTime();
        boolean recommissioned = recommission(cluster, lifecycle, id, number, bound);
        boolean settled = recommissioned && awaitSettled(cluster, id, bound);
        double settleSeconds = (System.nanoTime() - settleStarted) / 1e9;
        if (!recommissioned) {
            detail = (detail.isEmpty() ? "" : detail + "; ") + "recommission to active failed within " + bound.toSeconds() + " s";
        }
        return new Round(number, id, picked.name(), ending, seconds, detail, settled, settleSeconds);
    }

    private static boolean hasReason(DrainProgress.StalledPartition stalled) {
        return stalled.reason() != null;
    }

    /** Draining (stalled or not done) or disabled, back to Active; retried within the bound if refused. */
    private static boolean recommission(LocalTestCluster cluster, Lifecycle lifecycle, NodeId id, int number, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            if (state(cluster, id) == WorkerState.ACTIVE) {
                return true;
            }
            Lifecycle.Outcome outcome = lifecycle.request(id.toString(), WorkerState.ACTIVE, "drain loop, recommission after round " + number, false, false);
            if (outcome instanceof Lifecycle.Outcome.Done) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                System.out.println("  recommissioning " + id + " refused: " + outcome);
                return false;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /**
     * Waits until {@code node} (if given) is Active, no placement has a next set and the controller reports
     * no move, all for {@link #SETTLED_FOR} in a row.
     */
    private static boolean awaitSettled(LocalTestCluster cluster, NodeId node, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        long quietSince = -1;
        while (System.nanoTime() < deadline) {
            var placements = cluster.metadata().placements().readAll();
            boolean quiet = (node == null || state(cluster, node) == WorkerState.ACTIVE)
                    && placements.size() == PARTITIONS
                    && placements.values().stream().noneMatch(v -> v.placement().hasNext())
                    && controllerStatus(cluster).map(status -> status.movesInFlight() == 0).orElse(false);
            long now = System.nanoTime();
            if (!quiet) {
                quietSince = -1;
            } else if (quietSince < 0) {
                quietSince = now;
            } else if (now - quietSince >= SETTLED_FOR.toNanos()) {
                return true;
            }
            Thread.sleep(POLL.toMillis());
        }
        return false;
    }

    private static WorkerState state(LocalTestCluster cluster, NodeId id) {
        return cluster.metadata().nodes().current().find(id).map(NodeConfig::workerState).orElseThrow();
    }

    /** The controller leader's own latest status, or else the one it last published to the metadata store. */
    static Optional<ControllerStatus> controllerStatus(LocalTestCluster cluster) {
        for (TestNode node : cluster.nodes()) {
            Optional<SluiceNode> process = node.running();
            if (process.isEmpty()) {
                continue;
            }
            for (NodeComponent component : process.get().components()) {
                if (component instanceof ControlPlane plane) {
                    Optional<ControllerStatus> status = plane.controller().filter(ClusterController::isLeader).flatMap(ClusterController::localStatus);
                    if (status.isPresent()) {
                        return status;
                    }
                }
            }
        }
        return new ControllerDocuments(cluster.metadata()).status();
    }

    private static String explain(ControllerStatus status) {
        String drains = status.drains().stream().map(DrainProgress::summary).collect(Collectors.joining(" | "));
        String moves = status.moves().stream().map(m -> m.partition() + " " + m.step() + (m.lastError() == null ? "" : " (" + m.lastError() + ")"))
                .collect(Collectors.joining("; "));
        return "drains [" + drains + "], moves [" + moves + "]";
    }

    private static String describe(Round round) {
        String settle = round.settled() ? String.format(Locale.ROOT, "settled in %.1f s", round.settleSeconds())
                : String.format(Locale.ROOT, "NOT SETTLED after %.1f s", round.settleSeconds());
        return String.format(Locale.ROOT, "round %d: %s (%s) %s after %.1f s%s; %s", round.number(), round.node(), round.name(),
                round.ending().name().toLowerCase(Locale.ROOT), round.seconds(), round.detail().isEmpty() ? "" : " — " + round.detail(), settle);
    }

    private static int summarize(List<Round> rounds, Workload workload, Workload.Verification verification, long seed) {
        long disabled = rounds.stream().filter(r -> r.ending() == Ending.DISABLED).count();
        long stalled = rounds.stream().filter(r -> r.ending() == Ending.STALLED).count();
        long refused = rounds.stream().filter(r -> r.ending() == Ending.REFUSED).count();
        long neither = rounds.stream().filter(r -> r.ending() == Ending.NEITHER).count();
        long unsettled = rounds.stream().filter(r -> !r.settled()).count();
        double[] drains = rounds.stream().filter(r -> r.ending() == Ending.DISABLED).mapToDouble(Round::seconds).sorted().toArray();
        System.out.println();
        System.out.printf(Locale.ROOT, "seed %d, %d rounds: %d disabled, %d stalled with a reason, %d refused with a reason, %d neither within the bound (failures)%n",
                seed, rounds.size(), disabled, stalled, refused, neither);
        if (drains.length > 0) {
            System.out.printf(Locale.ROOT, "drain to disabled: min %.1f s, median %.1f s, max %.1f s (%d drains)%n",
                    drains[0], DrainAlternating.median(drains), drains[drains.length - 1], drains.length);
        }
        System.out.printf(Locale.ROOT, "rounds that did not settle afterwards: %d%n", unsettled);
        System.out.printf(Locale.ROOT, "client: %d writes acknowledged, %d errors; lost writes: %d of %d keys read back%n",
                workload.writes(), workload.errors(), verification.mismatchCount(), verification.keysChecked());
        workload.errorSamples().stream().limit(5).forEach(sample -> System.out.println("  client error: " + sample));
        verification.mismatches().stream().limit(5).forEach(mismatch -> System.out.println("  lost: " + mismatch));
        rounds.stream().filter(r -> r.ending() == Ending.NEITHER || !r.settled()).forEach(r -> System.out.println("  FAILED " + describe(r)));
        return neither > 0 || unsettled > 0 || !verification.ok() ? 1 : 0;
    }
}
