package dev.sluice.chaos;

import dev.sluice.client.SluiceClient;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.PartitionView;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The measured scenario on a running multi-host cluster: under the chaos clients' load, one seeded worker is
 * drained until the controller disables it; then, optionally, its process is stopped and started again with the
 * same address, Raft port and data directory (a host coming back from maintenance), and it is made active again
 * until the scheduler has balanced replicas onto it. Every phase is timed, every replica move counted from the
 * placements before and after, and at the end every key is read back and checked against every acknowledged
 * write.
 *
 * <p>Owns the clients it starts; not the cluster.
 */
final class DrainRejoin {

    /** A drain of a worker holding a few dozen replicas took 5-20 s on the 2-core machine; far more means stuck. */
    static final Duration DRAIN_BOUND = Duration.ofMinutes(4);
    /** The restarted node registers its new incarnation within its start-up time. */
    static final Duration RESTART_BOUND = ChaosCluster.START_TIMEOUT;
    static final Duration REJOIN_BOUND = Duration.ofMinutes(4);
    /** Acknowledged writes before the drain starts, so the drain runs under load that is known to flow. */
    static final int WARM_UP_WRITES = 20;
    static final Duration WARM_UP_BOUND = Duration.ofMinutes(2);

    /**
     * What the scenario measured.
     *
     * @param drainMoves replicas that joined another worker during the drain: the minimum is {@code replicasHeld}
     * @param rejoinMoves replicas that joined any worker while the returning worker was balanced back in
     * @param restartSeconds from starting the stopped process until the cluster reports its new incarnation alive;
     *     negative when the scenario did not rejoin
     * @param rejoinSeconds from the activation request until nothing moves and replica counts differ by at most one;
     *     negative when the scenario did not rejoin
     */
    record Result(long seed, String victim, int replicasHeld, double drainSeconds, int drainMoves, double restartSeconds, double rejoinSeconds,
            int rejoinMoves, int replicasAfterRejoin, String raftAddressBefore, String raftAddressAfter, String incarnationBefore,
            String incarnationAfter, long writesAcknowledged, long writesFailed, long writesUnknown, long readsOk, long readsFailed, int keysRead,
            int lostWrites, List<String> problems) {

        boolean rejoined() {
            return rejoinSeconds >= 0;
        }

        List<String> describe() {
            List<String> lines = new ArrayList<>();
            lines.add("seed            " + seed + " (replay with --seed " + seed + ")");
            lines.add(String.format(java.util.Locale.ROOT, "drain           %s held %d replicas; disabled %.1f s after the request; %d replica moves",
                    victim, replicasHeld, drainSeconds, drainMoves));
            if (rejoined()) {
                lines.add(String.format(java.util.Locale.ROOT, "restart         %s back as %s (was %s) %.1f s after its process started; Raft address %s (was %s)",
                        victim, incarnationAfter, incarnationBefore, restartSeconds, raftAddressAfter, raftAddressBefore));
                lines.add(String.format(java.util.Locale.ROOT, "rejoin          balanced %.1f s after the activation; %d replica moves; %s holds %d replicas",
                        rejoinSeconds, rejoinMoves, victim, replicasAfterRejoin));
            }
            lines.add(String.format(java.util.Locale.ROOT, "client          writes %d acknowledged / %d failed / %d unknown; reads %d ok / %d failed",
                    writesAcknowledged, writesFailed, writesUnknown, readsOk, readsFailed));
            lines.add("lost writes     " + lostWrites + " (" + keysRead + " keys read back at the end)");
            problems.forEach(problem -> lines.add("PROBLEM         " + problem));
            return lines;
        }
    }

    private DrainRejoin() {}

    /**
     * Runs the scenario on {@code cluster}, which must be serving. Never throws for what it measures: a drain that
     * does not end, a loss, a process that dies are {@link Result#problems()}.
     */
    static Result run(ChaosCluster cluster, long seed, boolean rejoin, PrintStream log) throws java.io.IOException, InterruptedException {
        log.println("drain-rejoin: seed " + seed);
        int partitions = cluster.layout().partitions();
        List<String> problems = new ArrayList<>();
        long start = System.nanoTime();
        Admin admin = new Admin(cluster.nodeUrls(), cluster.token(), start, cluster.clientTls());
        awaitConverged(cluster, admin, partitions, log);

        HostProcess victim = cluster.nodes().get(new Random(seed).nextInt(cluster.nodes().size()));
        History history = new History();
        Clients clients = new Clients(cluster.nodeUrls(), cluster.token(), history, seed, start, cluster.clientTls());
        clients.start();
        double drainSeconds = -1;
        double restartSeconds = -1;
        double rejoinSeconds = -1;
        int drainMoves = 0;
        int rejoinMoves = 0;
        int held = 0;
        int heldAfter = 0;
        String raftBefore = "?";
        String raftAfter = "?";
        String incarnationBefore = "?";
        String incarnationAfter = "?";
        try {
            ChaosCluster.awaitUntil(WARM_UP_WRITES + " acknowledged writes before the drain", WARM_UP_BOUND,
                    () -> history.count(Op.Kind.WRITE, Op.Outcome.OK) >= WARM_UP_WRITES);
            Map<String, Set<String>> before = replicaSets(admin);
            NodeView victimBefore = node(admin, victim.name());
            held = victimBefore.replicas();
            raftBefore = victimBefore.raftAddress();
            incarnationBefore = victimBefore.incarnation();
            log.println("drain-rejoin: draining " + victim.name() + " (" + victimBefore.id() + ", " + held + " replicas, "
                    + victimBefore.leaderships() + " leaderships) under load");

            long drainStarted = System.nanoTime();
            requestState(admin, victim.name(), "draining", "drain-rejoin: drain under load");
            ChaosCluster.awaitUntil(victim.name() + " is disabled", DRAIN_BOUND, () -> "disabled".equals(state(admin, victim.name())));
            drainSeconds = seconds(System.nanoTime() - drainStarted);
            Map<String, Set<String>> drained = replicaSets(admin);
            drainMoves = joined(before, drained);
            log.println(String.format(java.util.Locale.ROOT, "drain-rejoin: %s disabled in %.1f s, %d replica moves", victim.name(), drainSeconds, drainMoves));

            if (rejoin) {
                // A host back from maintenance: the same address, Raft port, name and data directory, a new process.
                victim.kill();
                long restarted = System.nanoTime();
                victim.start();
                String old = incarnationBefore;
                ChaosCluster.awaitUntil(victim.name() + " is back with a new incarnation", RESTART_BOUND, () -> {
                    if (!victim.alive()) {
                        throw new IllegalStateException(victim.name() + " exited after its restart: " + victim.checkUnexpectedExit());
                    }
                    NodeView now = node(admin, victim.name());
                    return now.alive() && !now.incarnation().equals(old);
                });
                restartSeconds = seconds(System.nanoTime() - restarted);
                NodeView back = node(admin, victim.name());
                raftAfter = back.raftAddress();
                incarnationAfter = back.incarnation();

                long activated = System.nanoTime();
                requestState(admin, victim.name(), "active", "drain-rejoin: rejoin after restart");
                AtomicReference<String> unbalanced = new AtomicReference<>("not checked yet");
                try {
                    ChaosCluster.awaitUntil(victim.name() + " is balanced back in", REJOIN_BOUND, () -> {
                        unbalanced.set(imbalance(admin, partitions));
                        return unbalanced.get() == null;
                    });
                } catch (IllegalStateException notBalanced) {
                    throw new IllegalStateException(notBalanced.getMessage() + ": " + unbalanced.get(), notBalanced);
                }
                rejoinSeconds = seconds(System.nanoTime() - activated);
                rejoinMoves = joined(drained, replicaSets(admin));
                heldAfter = node(admin, victim.name()).replicas();
                log.println(String.format(java.util.Locale.ROOT, "drain-rejoin: %s balanced back in %.1f s, %d replica moves, holds %d",
                        victim.name(), rejoinSeconds, rejoinMoves, heldAfter));
            }
        } catch (IllegalStateException failed) {
            problems.add(failed.getMessage());
        } finally {
            clients.stop();
        }
        cluster.unexpectedExits().forEach(exit -> problems.add("a process exited on its own: " + exit));
        // Counted before the final reads, which are the check's and not the load's.
        long writesOk = history.count(Op.Kind.WRITE, Op.Outcome.OK);
        long writesFailed = history.count(Op.Kind.WRITE, Op.Outcome.FAILED);
        long writesUnknown = history.count(Op.Kind.WRITE, Op.Outcome.UNKNOWN);
        long readsOk = history.count(Op.Kind.READ, Op.Outcome.OK);
        long readsFailed = history.count(Op.Kind.READ, Op.Outcome.FAILED);

        Map<String, Op> finals = finalReads(cluster, history, start, problems);
        List<AcknowledgedWritesChecker.Loss> losses = AcknowledgedWritesChecker.check(history.ops(), finals);
        losses.forEach(loss -> problems.add(String.join("\n  ", loss.describe())));
        return new Result(seed, victim.name(), held, drainSeconds, drainMoves, restartSeconds, rejoinSeconds, rejoinMoves, heldAfter, raftBefore, raftAfter,
                incarnationBefore, incarnationAfter, writesOk, writesFailed, writesUnknown, readsOk, readsFailed, finals.size(), losses.size(),
                List.copyOf(problems));
    }

    /**
     * Waits until every partition has its replica set and one leader: the nodes count as started once every
     * partition is placed, but their Raft groups may come up later on a loaded machine.
     */
    private static void awaitConverged(ChaosCluster cluster, Admin admin, int partitions, PrintStream log) {
        long started = System.nanoTime();
        AtomicReference<String> problem = new AtomicReference<>("not checked yet");
        try {
            ChaosCluster.awaitUntil("the cluster serves every partition", cluster.layout().startTimeout(), () -> {
                problem.set(ChaosRun.convergenceProblem(cluster, admin, partitions));
                return problem.get() == null;
            });
        } catch (IllegalStateException notServing) {
            throw new IllegalStateException(notServing.getMessage() + ": " + problem.get(), notServing);
        }
        log.println(String.format(java.util.Locale.ROOT, "drain-rejoin: every partition led %.1f s after placement", seconds(System.nanoTime() - started)));
    }

    /** Why the cluster is not balanced yet, or null: something moves, or active workers' replica counts differ by more than one. */
    private static String imbalance(Admin admin, int partitions) {
        List<PartitionView> placed = admin.getFromAny("/api/v1/partitions", 0).orElseThrow(() -> new IllegalStateException("no node answered"))
                .asList(PartitionView.class);
        Optional<PartitionView> moving = placed.stream().filter(p -> p.moving() || !p.next().isEmpty()).findFirst();
        if (placed.size() != partitions || moving.isPresent()) {
            return moving.map(p -> p.id() + " moves: " + p.step()).orElse(placed.size() + " of " + partitions + " partitions placed");
        }
        Map<String, Integer> replicas = new TreeMap<>();
        for (NodeView node : nodes(admin)) {
            if (node.state().wireName().equals("active")) {
                replicas.put(node.name(), node.replicas());
            }
        }
        int max = replicas.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        int min = replicas.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        return max - min <= 1 ? null : "replicas by active worker " + replicas;
    }

    private static void requestState(Admin admin, String node, String state, String reason) {
        String body = "{\"state\": \"" + state + "\", \"reason\": \"" + reason + "\"}";
        List<String> answers = new ArrayList<>();
        for (java.net.URI target : admin.nodes()) {
            Optional<Admin.Answer> answer = admin.post(target, "/api/v1/nodes/" + node + "/state", body);
            if (answer.isPresent() && answer.get().ok()) {
                return;
            }
            answers.add(target + ": " + answer.map(a -> a.status() + " " + a.message()).orElse("no answer"));
        }
        throw new IllegalStateException("no node accepted " + state + " for " + node + ": " + answers);
    }

    private static List<NodeView> nodes(Admin admin) {
        return admin.getFromAny("/api/v1/nodes", 0).orElseThrow(() -> new IllegalStateException("no node answered GET /api/v1/nodes"))
                .asList(NodeView.class);
    }

    private static NodeView node(Admin admin, String name) {
        return nodes(admin).stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("GET /api/v1/nodes does not list " + name));
    }

    private static String state(Admin admin, String name) {
        return node(admin, name).state().wireName();
    }

    /** Each partition's current replica set (node ids). */
    private static Map<String, Set<String>> replicaSets(Admin admin) {
        Map<String, Set<String>> sets = new TreeMap<>();
        admin.getFromAny("/api/v1/partitions", 0).orElseThrow(() -> new IllegalStateException("no node answered GET /api/v1/partitions"))
                .asList(PartitionView.class).forEach(p -> sets.put(p.id(), Set.copyOf(p.current())));
        return sets;
    }

    /** Replicas in {@code after} that {@code before} did not have: each is one replica copied to a worker. */
    static int joined(Map<String, Set<String>> before, Map<String, Set<String>> after) {
        int joined = 0;
        for (Map.Entry<String, Set<String>> partition : after.entrySet()) {
            Set<String> added = new HashSet<>(partition.getValue());
            added.removeAll(before.getOrDefault(partition.getKey(), Set.of()));
            joined += added.size();
        }
        return joined;
    }

    /** Reads every key the clients wrote once more, through a fresh client, now that the load has stopped. */
    private static Map<String, Op> finalReads(ChaosCluster cluster, History history, long startNanos, List<String> problems) {
        Clients reader = new Clients(cluster.nodeUrls(), cluster.token(), history, 0, startNanos, cluster.clientTls());
        Map<String, Op> finals = new TreeMap<>();
        try (SluiceClient client = Clients.newClient(cluster.nodeUrls(), cluster.token(), 0, cluster.clientTls())) {
            for (int k = 0; k < Clients.KEYS; k++) {
                String key = Clients.key(k);
                for (int attempt = 1; attempt <= ChaosRun.FINAL_READ_ATTEMPTS && !finals.containsKey(key); attempt++) {
                    Op read = reader.read(client, ChaosRun.FINAL_READER, key);
                    if (read.outcome() == Op.Outcome.OK) {
                        finals.put(key, read);
                    }
                }
                if (!finals.containsKey(key)) {
                    problems.add("key " + key + " could not be read at the end (" + ChaosRun.FINAL_READ_ATTEMPTS + " attempts)");
                }
            }
        }
        return finals;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
