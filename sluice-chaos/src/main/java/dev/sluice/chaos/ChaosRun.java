package dev.sluice.chaos;

import dev.sluice.client.SluiceClient;
import dev.sluice.metadata.AuditLog;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainView;
import dev.sluice.wire.EventView;
import dev.sluice.wire.EventsPage;
import dev.sluice.wire.PartitionView;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.wire.WorkerStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * One fault-injection run from a seed: makes the hosts and the cluster, runs clients, operator and nemesis
 * for the fault window, heals everything, waits (with stated bounds) for drains to end and the cluster to
 * converge, reads every key, runs the checkers, writes the run's directory and removes the cluster.
 *
 * <p>The run's directory ({@code <output>/<time>-seed-<seed>/}) holds {@code seed.txt}, {@code schedule.txt}
 * (planned and applied faults), {@code history.tsv}, {@code operator.txt}, {@code summary.txt} and the
 * processes' logs under {@code logs/}.
 */
public final class ChaosRun {

    /** After healing, a drain must end disabled or name why it is stuck within this. */
    public static final Duration DRAIN_BOUND = Duration.ofMinutes(2);
    /** After healing and the drains, every partition must have its full replica set and one leader within this. */
    public static final Duration CONVERGE_BOUND = Duration.ofMinutes(2);
    /** Attempts at each key's final read (each bounded by the client's call timeout). */
    static final int FINAL_READ_ATTEMPTS = 5;
    /** The process number of the final reads in the history. */
    static final int FINAL_READER = 99;
    static final Duration WATCH_INTERVAL = Duration.ofSeconds(2);

    /**
     * @param faultWindow how long clients, operator and nemesis run; faults start and heal inside it
     * @param partitions partitions of the cluster (three replicas each)
     * @param output where the run's directory is made
     */
    public record Options(long seed, Duration faultWindow, int partitions, Path output, Set<String> kinds) {

        /** A run that deals every fault kind. */
        public Options(long seed, Duration faultWindow, int partitions, Path output) {
            this(seed, faultWindow, partitions, output, allKinds());
        }

        /**
         * @param kinds the wire names of the fault kinds to deal ({@code kill-node}, …)
         * @throws IllegalArgumentException naming the known kinds, if one is unknown or none is given
         */
        public Options {
            kinds = Set.copyOf(kinds);
            if (kinds.isEmpty()) {
                throw new IllegalArgumentException("name at least one fault kind");
            }
            kinds.forEach(FaultKind::parse);
            if (faultWindow.compareTo(Schedule.WARM_UP.plusSeconds(10)) < 0) {
                throw new IllegalArgumentException("the fault window must be at least " + Schedule.WARM_UP.plusSeconds(10).toSeconds() + " s, got " + faultWindow);
            }
            if (partitions < 1 || partitions > 128) {
                throw new IllegalArgumentException("partitions must be between 1 and 128, got " + partitions);
            }
        }
    }

    /** The wire names of every fault kind, in declaration order. */
    public static Set<String> allKinds() {
        Set<String> names = new java.util.LinkedHashSet<>();
        for (FaultKind kind : FaultKind.values()) {
            names.add(kind.wireName());
        }
        return java.util.Collections.unmodifiableSet(names);
    }

    /** What a run found: its directory, the summary lines and every anomaly (empty when the run passed). */
    public record Report(Path directory, List<String> summary, List<String> anomalies) {
        public boolean ok() {
            return anomalies.isEmpty();
        }
    }

    private ChaosRun() {}

    /** Why a run cannot happen on this machine, or empty. */
    public static Optional<String> unsupported() {
        return HostNetwork.unsupported().or(NodeDisks::unsupported);
    }

    public static Report run(Options options, PrintStream log) throws IOException, InterruptedException {
        long seed = options.seed();
        log.println("sluice-chaos: seed " + seed + " (replay with --seed " + seed + "), fault window " + options.faultWindow().toSeconds() + " s");
        Path directory = options.output().toAbsolutePath()
                .resolve(LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-seed-" + seed);
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("seed.txt"), seed + "\n", StandardCharsets.UTF_8);
        Schedule schedule = Schedule.generate(seed, options.faultWindow(), kindsOf(options));
        schedule.describe().forEach(line -> log.println("schedule: " + line));

        List<String> anomalies = new ArrayList<>();
        Map<String, String> summary = new LinkedHashMap<>();
        summary.put("seed", Long.toString(seed));
        summary.put("fault window", options.faultWindow().toSeconds() + " s");
        if (!Set.copyOf(allKinds()).equals(options.kinds())) {
            summary.put("fault kinds", "only " + kindsOf(options).stream().map(FaultKind::wireName).toList());
            log.println("sluice-chaos: fault kinds " + summary.get("fault kinds"));
        }
        History history = new History();
        List<Nemesis.Applied> applied = List.of();
        Map<Integer, Leadership> leadersAtStart = Map.of();
        Map<String, String> keyPartitions = Map.of();
        List<String> nodeNames = List.of();
        List<Operator.Action> actions = List.of();
        Map<String, Op> finals = Map.of();
        List<ConvergenceWatch.Recovery> recoveries = List.of();
        List<Admin.Exchange> exchanges = List.of();
        try (ChaosCluster cluster = ChaosCluster.start(directory, options.partitions(), log)) {
            awaitServing(cluster, options.partitions(), summary, log);
            long start = System.nanoTime();
            Admin admin = new Admin(cluster.nodeUrls(), cluster.token(), start, cluster.clientTls());
            Operator operator = new Operator(admin, seed ^ 0x5DEECE66DL, start, log);
            Clients clients = new Clients(cluster.nodeUrls(), cluster.token(), history, seed, start, cluster.clientTls());
            Nemesis nemesis = new Nemesis(cluster, admin, operator, schedule, start, log);
            clients.start();
            operator.start();
            nemesis.start();
            ConvergenceWatch convergence = new ConvergenceWatch(nemesis::applied, schedule, () -> convergenceProblem(cluster, admin, options.partitions()),
                    () -> System.nanoTime() - start, ConvergenceWatch.POLL_INTERVAL);
            convergence.start();
            watch(admin, new Random(seed ^ 0x9E3779B97F4A7C15L), start + options.faultWindow().toNanos());
            nemesis.stop();
            operator.stop();
            convergence.stop();
            recoveries = convergence.recoveries();
            applied = nemesis.applied();
            leadersAtStart = nemesis.leadersAtStart();
            nodeNames = cluster.nodes().stream().map(HostProcess::name).toList();
            actions = operator.actions();
            nemesis.failure().ifPresent(failed -> anomalies.add("the nemesis failed: " + failed));
            List<String> crashed = cluster.unexpectedExits();
            crashed.forEach(exit -> anomalies.add("a process exited that the nemesis did not kill: " + exit));
            nemesis.healEverything();
            long healedAt = System.nanoTime();
            log.println("healed everything; stopping the clients");
            clients.stop();

            drains(admin, operator, healedAt, summary, anomalies, log);
            converge(cluster, admin, options.partitions(), summary, anomalies, log);
            liveness(admin, summary, anomalies, log);
            auditReplay(cluster, admin, summary, anomalies, log);
            exchanges = admin.exchanges();
            finals = finalReads(cluster, history, summary, anomalies, log);
            keyPartitions = keyPartitions(cluster);
            summary.put("admin API", admin.answers() + " answers, " + admin.unavailableAnswers() + " documented 503s, "
                    + admin.serverErrorCount() + " other 5xx, " + admin.unreachableAttempts() + " requests to unreachable nodes");
            admin.serverErrors().forEach(error -> anomalies.add("the admin API answered a server error: " + error));
            summary.put("processes", crashed.isEmpty() ? "none exited except those the nemesis killed" : crashed.size() + " exited on their own");
        } finally {
            writeFiles(directory, schedule, applied, actions, history);
        }
        check(history, finals, summary, anomalies);
        quorumLoss(applied, history.ops(), exchanges, summary, anomalies);
        summary.put("faults", applied.size() + " applied: " + countByKind(applied));
        summary.put("operations", String.format("writes %d ok / %d failed / %d unknown; reads %d ok / %d failed",
                history.count(Op.Kind.WRITE, Op.Outcome.OK), history.count(Op.Kind.WRITE, Op.Outcome.FAILED), history.count(Op.Kind.WRITE, Op.Outcome.UNKNOWN),
                history.count(Op.Kind.READ, Op.Outcome.OK), history.count(Op.Kind.READ, Op.Outcome.FAILED)));
        summary.put("operator", actions.size() + " requests: " + countActions(actions));
        summary.put("write pauses", "longest time without an acknowledged write while a fault was in force, by kind: "
                + longestWritePauses(applied, history.ops()));
        summary.put("converged", "time from each fault's heal to convergence, by kind: " + convergenceByKind(recoveries));
        summary.put("unaffected p99", "p99 latency of acknowledged writes, invoked while a fault was in force, to partitions no node it hit led "
                + "when it started, by kind: " + unaffectedWriteLatencies(applied, leadersAtStart, keyPartitions, nodeNames, history.ops()));
        summary.put("anomalies", Integer.toString(anomalies.size()));
        List<String> lines = new ArrayList<>();
        summary.forEach((name, value) -> lines.add(String.format("%-16s %s", name, value)));
        lines.add("");
        lines.addAll(kindTable(applied, history.ops(), recoveries, exchanges));
        Files.write(directory.resolve("convergence.txt"), recoveries.stream().map(r -> r.fault().describe() + "  " + r.describe()).toList(),
                StandardCharsets.UTF_8);
        if (!anomalies.isEmpty()) {
            lines.add("");
            lines.add("ANOMALIES");
            anomalies.forEach(a -> lines.add("  " + a));
        }
        Files.write(directory.resolve("summary.txt"), lines, StandardCharsets.UTF_8);
        log.println();
        lines.forEach(log::println);
        log.println("run directory: " + directory);
        return new Report(directory, lines, List.copyOf(anomalies));
    }

    /** Until {@code untilNanos}, asks a random node for the cluster view now and then, so the admin API is exercised through every fault. */
    private static void watch(Admin admin, Random random, long untilNanos) throws InterruptedException {
        while (System.nanoTime() < untilNanos) {
            admin.get(admin.nodes().get(random.nextInt(admin.nodes().size())), random.nextBoolean() ? "/api/v1/cluster" : "/api/v1/partitions");
            Thread.sleep(Math.max(0, Math.min(WATCH_INTERVAL.toMillis(), (untilNanos - System.nanoTime()) / 1_000_000)));
        }
    }

    /** Every node still draining must end disabled or report a stall with reasons within {@link #DRAIN_BOUND}. */
    private static void drains(Admin admin, Operator operator, long healedAt, Map<String, String> summary, List<String> anomalies, PrintStream log) {
        Map<String, String> outcomes = new TreeMap<>();
        AtomicReference<List<Admin.NodeState>> last = new AtomicReference<>(List.of());
        try {
            ChaosCluster.awaitUntil("every drain ends disabled or reports a stall reason", DRAIN_BOUND, () -> {
                List<Admin.NodeState> states = admin.nodeStates(0).orElseThrow();
                last.set(states);
                for (Admin.NodeState node : states) {
                    if (node.state().equals("draining") && stallReasons(admin, node.name()).isEmpty()) {
                        return false;
                    }
                }
                return true;
            });
        } catch (IllegalStateException timedOut) {
            last.get().stream().filter(n -> n.state().equals("draining"))
                    .forEach(n -> anomalies.add("the drain of " + n.name() + " neither finished nor reported a stall reason within " + DRAIN_BOUND.toSeconds() + " s after healing"));
        }
        double seconds = (System.nanoTime() - healedAt) / 1e9;
        Map<String, List<Operator.Drain>> started = operator.drains();
        for (Admin.NodeState node : last.get()) {
            List<Operator.Drain> of = started.getOrDefault(node.name(), List.of());
            if (of.isEmpty() && !node.state().equals("draining")) {
                continue;
            }
            boolean cancelled = !of.isEmpty() && of.getLast().cancelled;
            String outcome = switch (node.state()) {
                case "disabled" -> "disabled";
                case "active" -> cancelled ? "cancelled, active" : "active again";
                case "draining" -> {
                    List<String> reasons = stallReasons(admin, node.name());
                    yield reasons.isEmpty() ? "still draining, no stall reported" : "stalled: " + String.join("; ", reasons);
                }
                default -> node.state();
            };
            if (cancelled && !node.state().equals("active")) {
                // The last drain of this node was cancelled and none followed, so the node must be active.
                anomalies.add("the drain of " + node.name() + " was cancelled but the node is " + node.state());
            }
            outcomes.put(node.name(), of.size() + " drain(s) started, ends " + outcome);
        }
        summary.put("drains", outcomes.isEmpty() ? "none started" : outcomes + String.format(" (settled %.1f s after healing)", seconds));
        log.println("drains: " + outcomes);
    }

    /** The stalled partitions' reasons of {@code node}'s drain, empty unless the drain reports itself stalled. */
    private static List<String> stallReasons(Admin admin, String node) {
        Optional<DrainView> drain = admin.getFromAny("/api/v1/nodes/" + node + "/drain", 0).map(answer -> answer.as(DrainView.class));
        if (drain.isEmpty() || !drain.get().stalled()) {
            return List.of();
        }
        List<String> reasons = new ArrayList<>();
        for (DrainView.StalledPartition stalled : drain.get().stalledPartitions()) {
            if (stalled.reason() != null && !stalled.reason().isBlank()) {
                reasons.add(stalled.partition() + " " + stalled.reason() + ": " + Objects.toString(stalled.message(), ""));
            }
        }
        return reasons;
    }

    /** Every partition: a full replica set of active nodes, nothing moving, and exactly one node that says it leads. */
    private static void converge(ChaosCluster cluster, Admin admin, int partitions, Map<String, String> summary, List<String> anomalies, PrintStream log) {
        long started = System.nanoTime();
        AtomicReference<String> problem = new AtomicReference<>("not checked yet");
        try {
            ChaosCluster.awaitUntil("every partition has its full replica set and one leader", CONVERGE_BOUND, () -> {
                problem.set(convergenceProblem(cluster, admin, partitions));
                return problem.get() == null;
            });
            summary.put("convergence", String.format("%d partitions × %d replicas, one leader each, %.1f s after the drains settled",
                    partitions, cluster.layout().replication(), (System.nanoTime() - started) / 1e9));
        } catch (IllegalStateException timedOut) {
            anomalies.add("the cluster did not converge within " + CONVERGE_BOUND.toSeconds() + " s after healing: " + problem.get());
            summary.put("convergence", "NOT within " + CONVERGE_BOUND.toSeconds() + " s: " + problem.get());
        }
        log.println("convergence: " + summary.get("convergence"));
    }

    /** What keeps the cluster from having converged, or null if it has. */
    static String convergenceProblem(ChaosCluster cluster, Admin admin, int partitions) {
        Optional<List<Admin.NodeState>> nodes = admin.nodeStates(0);
        Optional<Admin.Answer> placements = admin.getFromAny("/api/v1/partitions", 0);
        if (nodes.isEmpty() || placements.isEmpty()) {
            return "no node answered the admin API";
        }
        Map<String, String> stateById = new HashMap<>();
        nodes.get().forEach(n -> stateById.put(n.id(), n.state()));
        List<PartitionView> placed = placements.get().asList(PartitionView.class);
        if (placed.size() != partitions) {
            return placed.size() + " of " + partitions + " partitions placed";
        }
        for (PartitionView partition : placed) {
            if (partition.current().size() != cluster.layout().replication() || !partition.next().isEmpty() || partition.leader() == null) {
                return partition.id() + " is " + partition;
            }
            for (String member : partition.current()) {
                if (!"active".equals(stateById.get(member))) {
                    return partition.id() + " names " + member + ", which is " + stateById.get(member);
                }
            }
        }
        Map<String, Integer> leaders = new TreeMap<>();
        for (HostProcess node : cluster.nodes()) {
            Optional<Admin.Answer> status = admin.get(cluster.url(node), WorkerStatus.PATH);
            if (status.isEmpty() || !status.get().ok()) {
                return node.name() + " does not report its status";
            }
            for (ReplicaStatus replica : status.get().as(WorkerStatus.class).replicas()) {
                if (replica.role() == ReplicaRole.LEADER) {
                    leaders.merge(replica.partition().toString(), 1, Integer::sum);
                }
            }
        }
        if (leaders.size() != partitions || leaders.values().stream().anyMatch(count -> count != 1)) {
            return "replicas that say they lead, by partition: " + leaders;
        }
        return null;
    }

    /** Reads every key once more through a fresh client, now that nothing fails. */
    private static Map<String, Op> finalReads(ChaosCluster cluster, History history, Map<String, String> summary, List<String> anomalies, PrintStream log) {
        Clients reader = new Clients(cluster.nodeUrls(), cluster.token(), history, 0, 0, cluster.clientTls());
        Map<String, Op> finals = new TreeMap<>();
        long start = System.nanoTime();
        try (SluiceClient client = Clients.newClient(cluster.nodeUrls(), cluster.token(), 0, cluster.clientTls())) {
            for (int k = 0; k < Clients.KEYS; k++) {
                String key = Clients.key(k);
                for (int attempt = 1; attempt <= FINAL_READ_ATTEMPTS && !finals.containsKey(key); attempt++) {
                    Op read = reader.read(client, FINAL_READER, key);
                    if (read.outcome() == Op.Outcome.OK) {
                        finals.put(key, read);
                    }
                }
                if (!finals.containsKey(key)) {
                    anomalies.add("key " + key + " could not be read after healing (" + FINAL_READ_ATTEMPTS + " attempts)");
                }
            }
        }
        summary.put("final reads", finals.size() + " of " + Clients.KEYS + String.format(" keys read in %.1f s", (System.nanoTime() - start) / 1e9));
        log.println("final reads: " + finals.size() + " keys");
        return Map.copyOf(finals);
    }

    private static void check(History history, Map<String, Op> finals, Map<String, String> summary, List<String> anomalies) {
        List<Op> ops = history.ops();
        List<LinearizabilityChecker.Result> results = LinearizabilityChecker.check(ops);
        long bad = results.stream().filter(r -> r.status() == LinearizabilityChecker.Status.NOT_LINEARIZABLE).count();
        long inconclusive = results.stream().filter(r -> r.status() == LinearizabilityChecker.Status.INCONCLUSIVE).count();
        results.stream().filter(r -> !r.ok()).forEach(r -> anomalies.add(String.join("\n  ", r.describe())));
        summary.put("linearizable", results.size() + " keys checked: " + (results.size() - bad - inconclusive) + " linearizable, " + bad
                + " not, " + inconclusive + " inconclusive");
        List<AcknowledgedWritesChecker.Loss> losses = AcknowledgedWritesChecker.check(ops, finals);
        losses.forEach(loss -> anomalies.add(String.join("\n  ", loss.describe())));
        summary.put("acknowledged", losses.isEmpty() ? "every acknowledged write readable at the end" : losses.size() + " keys lost an acknowledged write");
    }

    /**
     * Per fault kind, the longest stretch inside a fault (start to heal) in which no write was acknowledged,
     * in seconds: how long clients could not write, at worst, while that kind of fault was in force.
     */
    static Map<String, String> longestWritePauses(List<Nemesis.Applied> applied, List<Op> ops) {
        long[] acknowledged = ops.stream().filter(op -> op.kind() == Op.Kind.WRITE && op.outcome() == Op.Outcome.OK)
                .mapToLong(Op::completeNanos).sorted().toArray();
        Map<String, Long> longest = new TreeMap<>();
        for (Nemesis.Applied fault : applied) {
            long previous = fault.startedNanos();
            long gap = 0;
            for (long at : acknowledged) {
                if (at <= fault.startedNanos()) {
                    continue;
                }
                if (at > fault.healedNanos()) {
                    break;
                }
                gap = Math.max(gap, at - previous);
                previous = at;
            }
            gap = Math.max(gap, fault.healedNanos() - previous);
            longest.merge(fault.fault().kind().wireName(), gap, Math::max);
        }
        Map<String, String> seconds = new TreeMap<>();
        longest.forEach((kind, nanos) -> seconds.put(kind, String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9)));
        return seconds;
    }

    /**
     * Every node process runs again after healing, so the admin API must report every node alive within
     * {@link #CONVERGE_BOUND}: liveness that does not come back makes the controller treat a running worker
     * as dead (finding 2).
     */
    private static void liveness(Admin admin, Map<String, String> summary, List<String> anomalies, PrintStream log) {
        long started = System.nanoTime();
        AtomicReference<List<String>> dead = new AtomicReference<>(List.of("not checked yet"));
        try {
            ChaosCluster.awaitUntil("every running node is reported alive", CONVERGE_BOUND, () -> {
                dead.set(admin.nodeStates(0).orElseThrow().stream().filter(n -> !n.alive()).map(Admin.NodeState::name).toList());
                return dead.get().isEmpty();
            });
            summary.put("liveness", String.format(java.util.Locale.ROOT, "every node reported alive %.1f s after convergence", (System.nanoTime() - started) / 1e9));
        } catch (IllegalStateException timedOut) {
            anomalies.add("nodes that run were still reported dead " + CONVERGE_BOUND.toSeconds() + " s after convergence: " + dead.get());
            summary.put("liveness", "NOT every node alive: " + dead.get() + " reported dead");
        }
        log.println("liveness: " + summary.get("liveness"));
    }

    /**
     * How long into a ZooKeeper quorum loss the admin API may take to answer: a node's metadata store waits
     * its connection timeout for ZooKeeper once, then fails at once (finding 3); two seconds more for the
     * ensemble to notice it lost its quorum and drop its clients.
     */
    static final Duration QUORUM_LOSS_ANSWER_AFTER = ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT.plusSeconds(2);
    /**
     * A key whose write was acknowledged this shortly before a quorum loss began had a serving leader then;
     * Raft needs no ZooKeeper, so it must go on taking writes through the loss.
     */
    static final Duration QUORUM_LOSS_SERVING_WINDOW = Duration.ofSeconds(5);

    /**
     * What a ZooKeeper quorum loss must not stop: every write sent during the loss to a key that took a write
     * in the {@link #QUORUM_LOSS_SERVING_WINDOW} before it is acknowledged (its partition had a leader, and
     * Raft needs no ZooKeeper), and the admin API answers, with its documented 503 if it cannot read the
     * metadata, every request sent once the loss has lasted {@link #QUORUM_LOSS_ANSWER_AFTER}. The longest
     * write pause is reported, not judged: four clients that each wait up to a call's timeout on one key
     * whose partition has no leader (left so by the fault before) stop all writes for that long.
     */
    static void quorumLoss(List<Nemesis.Applied> applied, List<Op> ops, List<Admin.Exchange> exchanges, Map<String, String> summary,
            List<String> anomalies) {
        long[] acknowledged = ops.stream().filter(op -> op.kind() == Op.Kind.WRITE && op.outcome() == Op.Outcome.OK)
                .mapToLong(Op::completeNanos).sorted().toArray();
        List<String> lines = new ArrayList<>();
        for (Nemesis.Applied fault : applied) {
            if (fault.fault().kind() != FaultKind.KILL_ZOOKEEPER_MAJORITY) {
                continue;
            }
            long pause = longestWritePauseNanos(fault, acknowledged);
            java.util.Set<String> serving = new java.util.TreeSet<>();
            for (Op op : ops) {
                if (op.kind() == Op.Kind.WRITE && op.outcome() == Op.Outcome.OK && op.completeNanos() <= fault.startedNanos()
                        && op.completeNanos() >= fault.startedNanos() - QUORUM_LOSS_SERVING_WINDOW.toNanos()) {
                    serving.add(op.key());
                }
            }
            int unacknowledged = 0;
            for (Op op : ops) {
                if (op.kind() == Op.Kind.WRITE && op.outcome() != Op.Outcome.OK && serving.contains(op.key())
                        && op.invokeNanos() >= fault.startedNanos() && op.invokeNanos() < fault.healedNanos()) {
                    unacknowledged++;
                    anomalies.add(String.format(java.util.Locale.ROOT, "a write to %s, which took writes just before the ZooKeeper quorum loss %s,"
                            + " was not acknowledged though Raft needs no ZooKeeper: %s (%s)", op.key(), fault.describe().trim(), op.describe(), op.error()));
                }
            }
            Map<Admin.Exchange.Outcome, Integer> late = new java.util.EnumMap<>(Admin.Exchange.Outcome.class);
            for (Admin.Exchange exchange : exchanges) {
                if (exchange.sentNanos() >= fault.startedNanos() + QUORUM_LOSS_ANSWER_AFTER.toNanos() && exchange.sentNanos() < fault.healedNanos()) {
                    late.merge(exchange.outcome(), 1, Integer::sum);
                    if (exchange.outcome() == Admin.Exchange.Outcome.TIMED_OUT) {
                        anomalies.add(String.format(java.util.Locale.ROOT, "the admin API did not answer %s %s, sent %.1f s into the ZooKeeper quorum loss %s,"
                                + " within %d s", exchange.method(), exchange.path(), (exchange.sentNanos() - fault.startedNanos()) / 1e9,
                                fault.describe().trim(), Admin.REQUEST_TIMEOUT.toSeconds()));
                    }
                }
            }
            lines.add(String.format(java.util.Locale.ROOT, "#%d: %d key(s) serving, %d write(s) to them not acknowledged, longest write pause %.1f s,"
                    + " admin requests sent after %d s: %s", fault.fault().index(), serving.size(), unacknowledged,
                    pause / 1e9, QUORUM_LOSS_ANSWER_AFTER.toSeconds(), late.isEmpty() ? "none"
                    : late.entrySet().stream().map(e -> e.getValue() + " " + e.getKey().wireName()).collect(java.util.stream.Collectors.joining(", "))));
        }
        if (!lines.isEmpty()) {
            summary.put("quorum losses", String.join("; ", lines));
        }
    }

    /** The longest stretch between {@code fault}'s start and heal without an acknowledged write ({@code acknowledged}: sorted times). */
    static long longestWritePauseNanos(Nemesis.Applied fault, long[] acknowledged) {
        long previous = fault.startedNanos();
        long longest = 0;
        for (long at : acknowledged) {
            if (at <= fault.startedNanos()) {
                continue;
            }
            if (at > fault.healedNanos()) {
                break;
            }
            longest = Math.max(longest, at - previous);
            previous = at;
        }
        return Math.max(longest, fault.healedNanos() - previous);
    }

    /**
     * Waits (up to {@link ChaosCluster#START_TIMEOUT}) until the cluster has converged by the final check's
     * rule before the workload starts: the nodes count as started once every partition is placed, but on a
     * loaded machine their Raft groups came up a minute later, and the first faults hit a cluster that had
     * never served. A cluster that does not converge is run anyway, and the summary says so.
     */
    private static void awaitServing(ChaosCluster cluster, int partitions, Map<String, String> summary, PrintStream log) {
        long started = System.nanoTime();
        Admin probe = new Admin(cluster.nodeUrls(), cluster.token(), started, cluster.clientTls());
        AtomicReference<String> problem = new AtomicReference<>("not checked yet");
        try {
            ChaosCluster.awaitUntil("the cluster serves every partition", ChaosCluster.START_TIMEOUT, () -> {
                problem.set(convergenceProblem(cluster, probe, partitions));
                return problem.get() == null;
            });
            summary.put("start", String.format(java.util.Locale.ROOT, "converged %.1f s after every partition was placed", (System.nanoTime() - started) / 1e9));
        } catch (IllegalStateException notServing) {
            summary.put("start", "NOT converged " + ChaosCluster.START_TIMEOUT.toSeconds() + " s after every partition was placed (" + problem.get()
                    + "); the workload started anyway");
        }
        log.println("start: " + summary.get("start"));
    }

    private static Set<FaultKind> kindsOf(Options options) {
        Set<FaultKind> kinds = java.util.EnumSet.noneOf(FaultKind.class);
        options.kinds().forEach(name -> kinds.add(FaultKind.parse(name)));
        return kinds;
    }

    /** Attempts at reading the logs between two equal reads of the node states, so no transition slips in between. */
    static final int AUDIT_READ_ATTEMPTS = 5;
    /** Pages of the event log read at most: it keeps 10,000 events, a page holds up to 1,000. */
    static final int MAX_EVENT_PAGES = EventLog.RETAINED_EVENTS / EventLog.MAX_READ + 2;

    /**
     * The audit log replays to the final node states: checked on the event log as the admin API serves it
     * ({@code GET /api/v1/events}, whose node-transition events carry their audit records) and on the audit
     * log in the metadata store, against the states {@code GET /api/v1/nodes} reports.
     */
    private static void auditReplay(ChaosCluster cluster, Admin admin, Map<String, String> summary, List<String> anomalies, PrintStream log) {
        List<AuditReplayChecker.Result> results = new ArrayList<>();
        try {
            for (int attempt = 1; attempt <= AUDIT_READ_ATTEMPTS && results.isEmpty(); attempt++) {
                Map<String, WorkerState> before = finalStates(admin);
                List<AuditReplayChecker.Entry> events = eventLog(admin);
                List<AuditReplayChecker.Entry> audit = storedAuditLog(cluster);
                if (!before.equals(finalStates(admin))) {
                    continue;
                }
                results.add(AuditReplayChecker.check("event log (GET /api/v1/events)", events, false, before));
                results.add(AuditReplayChecker.check("audit log (metadata store)", audit, true, before));
            }
        } catch (RuntimeException unreadable) {
            anomalies.add("the audit logs could not be read for the replay check: " + unreadable);
            summary.put("audit replay", "NOT checked: " + unreadable);
            return;
        }
        if (results.isEmpty()) {
            summary.put("audit replay", "NOT checked: the node states changed during each of " + AUDIT_READ_ATTEMPTS + " reads of the logs");
            anomalies.add("the node states kept changing after the run settled, so the audit log could not be replayed against them");
            return;
        }
        for (AuditReplayChecker.Result result : results) {
            result.mismatches().forEach(mismatch -> anomalies.add("the " + result.source() + " does not replay to the final node states: " + mismatch));
        }
        summary.put("audit replay", results.stream().map(AuditReplayChecker.Result::describe).collect(java.util.stream.Collectors.joining("; ")));
        log.println("audit replay: " + summary.get("audit replay"));
    }

    private static Map<String, WorkerState> finalStates(Admin admin) {
        Map<String, WorkerState> states = new TreeMap<>();
        admin.nodeStates(0).orElseThrow(() -> new IllegalStateException("no node answered GET /api/v1/nodes"))
                .forEach(node -> states.put(node.id(), WorkerState.parse(node.state())));
        return states;
    }

    /** Every event the admin API still serves, oldest first, as replay entries. */
    static List<AuditReplayChecker.Entry> eventLog(Admin admin) {
        List<AuditReplayChecker.Entry> entries = new ArrayList<>();
        long since = -1;
        for (int page = 0; page < MAX_EVENT_PAGES; page++) {
            EventsPage events = admin.getFromAny("/api/v1/events?since=" + since + "&limit=" + EventLog.MAX_READ, 0)
                    .orElseThrow(() -> new IllegalStateException("no node answered GET /api/v1/events")).as(EventsPage.class);
            for (EventView event : events.events()) {
                long sequence = event.sequence();
                if (event.transition() != null) {
                    String id = GenerationalNodeId.parse(event.transition().node()).id().toString();
                    entries.add(new AuditReplayChecker.Entry.Transitioned(sequence, id, event.transition().from(), event.transition().to(),
                            event.transition().version(), event.message()));
                } else if (event.kind() == EventKind.NODE_REGISTERED && event.node() != null) {
                    long generation = event.numbers() == null ? 0 : event.numbers().getOrDefault("generation", 0L);
                    entries.add(new AuditReplayChecker.Entry.Registered(sequence, event.node(), (int) generation));
                } else if (event.kind() == EventKind.NODE_TRANSITION) {
                    throw new IllegalStateException("event " + sequence + " is a node transition without its audit record: " + event);
                }
            }
            long last = events.last();
            if (events.events().isEmpty() || last == since) {
                return entries;
            }
            since = last;
        }
        throw new IllegalStateException("the event log did not end within " + MAX_EVENT_PAGES + " pages");
    }

    /** The audit log as the metadata store holds it (never trimmed), read from the ensemble directly. */
    static List<AuditReplayChecker.Entry> storedAuditLog(ChaosCluster cluster) {
        try (ZooKeeperMetadataStore store = cluster.connectMetadata()) {
            List<AuditRecord> records = new ClusterMetadata(store, java.time.InstantSource.system()).audit().read(-1, AuditLog.MAX_READ);
            if (records.size() >= AuditLog.MAX_READ) {
                throw new IllegalStateException("the audit log holds " + AuditLog.MAX_READ + " records or more; the check reads one page");
            }
            List<AuditReplayChecker.Entry> entries = new ArrayList<>();
            // The audit log has no sequence numbers in its records; their read order is commit order.
            for (int i = 0; i < records.size(); i++) {
                AuditRecord record = records.get(i);
                entries.add(new AuditReplayChecker.Entry.Transitioned(i, record.node().id().toString(), record.from(), record.to(),
                        record.version().value(), ClusterEvent.transition(record).message()));
            }
            return entries;
        }
    }

    /** Per kind, the convergence times after healing, and apart from them how many did not converge in time. */
    private static String convergenceByKind(List<ConvergenceWatch.Recovery> recoveries) {
        Map<String, String> byKind = new java.util.LinkedHashMap<>();
        ConvergenceWatch.byKind(recoveries).forEach((kind, stats) -> byKind.put(kind.wireName(), stats.describe()));
        return byKind.toString();
    }

    /**
     * One line per fault kind applied: how many, the longest write pause while one was in force, the time to
     * converge after healing (median and max of those that converged before the next fault; those that did not
     * are counted apart), and how the admin API answered the harness's requests while one was in force.
     */
    static List<String> kindTable(List<Nemesis.Applied> applied, List<Op> ops, List<ConvergenceWatch.Recovery> recoveries,
            List<Admin.Exchange> exchanges) {
        Map<String, String> pauses = longestWritePauses(applied, ops);
        Map<FaultKind, ConvergenceWatch.KindSummary> convergence = ConvergenceWatch.byKind(recoveries);
        Map<FaultKind, Integer> counts = new java.util.EnumMap<>(FaultKind.class);
        Map<FaultKind, Map<Admin.Exchange.Outcome, Integer>> answers = new java.util.EnumMap<>(FaultKind.class);
        for (Nemesis.Applied fault : applied) {
            counts.merge(fault.fault().kind(), 1, Integer::sum);
            Map<Admin.Exchange.Outcome, Integer> of = answers.computeIfAbsent(fault.fault().kind(), k -> new java.util.EnumMap<>(Admin.Exchange.Outcome.class));
            for (Admin.Exchange exchange : exchanges) {
                if (exchange.sentNanos() >= fault.startedNanos() && exchange.sentNanos() < fault.healedNanos()) {
                    of.merge(exchange.outcome(), 1, Integer::sum);
                }
            }
        }
        List<String> lines = new ArrayList<>();
        lines.add(String.format(java.util.Locale.ROOT, "%-28s %7s %11s %9s %8s %8s %11s  %s", "by kind", "applied", "write pause", "converged", "median",
                "max", "not in time", "admin API while in force"));
        counts.forEach((kind, count) -> {
            ConvergenceWatch.KindSummary stats = convergence.getOrDefault(kind, new ConvergenceWatch.KindSummary(kind, List.of(), 0, 0));
            String answered = answers.get(kind).entrySet().stream().map(e -> e.getValue() + " " + e.getKey().wireName())
                    .collect(java.util.stream.Collectors.joining(", "));
            lines.add(String.format(java.util.Locale.ROOT, "%-28s %7d %11s %9d %8s %8s %11s  %s", kind.wireName(), count, pauses.getOrDefault(kind.wireName(), "-"),
                    stats.convergedNanos().size(), seconds(stats.medianNanos()), seconds(stats.maxNanos()),
                    (stats.notBeforeNextFault() + stats.notBeforeWindowEnd()) + "", answered.isEmpty() ? "no requests" : answered));
        });
        lines.add("(converged: after the heal, before the next fault started; 'not in time': still not converged when the next fault or"
                + " the end of the window came, kept out of median and max)");
        return lines;
    }

    private static String seconds(long nanos) {
        return nanos < 0 ? "-" : String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** Each key's partition ({@code P3}), as the cluster's table says; empty if no node gave the table. */
    private static Map<String, String> keyPartitions(ChaosCluster cluster) {
        Map<String, String> partitions = new TreeMap<>();
        try (SluiceClient client = Clients.newClient(cluster.nodeUrls(), cluster.token(), 0, cluster.clientTls())) {
            for (int k = 0; k < Clients.KEYS; k++) {
                partitions.put(Clients.key(k), client.partitionOf(Clients.key(k)).toString());
            }
        } catch (dev.sluice.client.SluiceClientException noTable) {
            return Map.of();
        }
        return partitions;
    }

    /**
     * The Sluice nodes a fault hit, read from its record: the node it names as its target, or the members of the
     * minority it names; none for a ZooKeeper fault. Reads the names as words, so {@code node-1} is not found in
     * {@code node-12}.
     */
    static Set<String> nodesHit(Nemesis.Applied fault, Collection<String> nodeNames) {
        Set<String> words = new java.util.HashSet<>(List.of(fault.target().split("[\\s\\[\\],]+")));
        return nodeNames.stream().filter(words::contains).collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * Per fault kind, the p99 latency of the acknowledged writes invoked between a fault's start and its heal to
     * keys whose partition was led, just before the fault, by a node the fault did not hit ({@link #nodesHit}):
     * what the fault cost the partitions it had no business delaying. Partitions no node claimed to lead then are
     * left out; writes to the counted partitions that were not acknowledged are counted beside it (their latency
     * is unknown, and at least the call timeout).
     */
    static Map<String, String> unaffectedWriteLatencies(List<Nemesis.Applied> applied, Map<Integer, Leadership> leadersAtStart,
            Map<String, String> keyPartitions, Collection<String> nodeNames, List<Op> ops) {
        Map<String, List<Long>> latencies = new TreeMap<>();
        Map<String, Integer> unacknowledged = new TreeMap<>();
        for (Nemesis.Applied fault : applied) {
            String kind = fault.fault().kind().wireName();
            latencies.computeIfAbsent(kind, k -> new ArrayList<>());
            unacknowledged.putIfAbsent(kind, 0);
            Leadership leaders = leadersAtStart.get(fault.fault().index());
            if (leaders == null) {
                continue;
            }
            Set<String> hit = nodesHit(fault, nodeNames);
            for (Op op : ops) {
                String partition = keyPartitions.get(op.key());
                if (op.kind() != Op.Kind.WRITE || op.invokeNanos() < fault.startedNanos() || op.invokeNanos() > fault.healedNanos()
                        || partition == null || !leaders.known(partition) || leaders.ledByAnyOf(partition, hit)) {
                    continue;
                }
                if (op.outcome() == Op.Outcome.OK) {
                    latencies.get(kind).add(op.completeNanos() - op.invokeNanos());
                } else {
                    unacknowledged.merge(kind, 1, Integer::sum);
                }
            }
        }
        Map<String, String> described = new TreeMap<>();
        latencies.forEach((kind, nanos) -> {
            String unanswered = unacknowledged.get(kind) == 0 ? "" : ", " + unacknowledged.get(kind) + " not acknowledged";
            if (nanos.isEmpty()) {
                described.put(kind, "no writes" + unanswered);
                return;
            }
            List<Long> sorted = nanos.stream().sorted().toList();
            long p99 = sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
            described.put(kind, String.format(java.util.Locale.ROOT, "%d ms of %d%s", Math.round(p99 / 1e6), sorted.size(), unanswered));
        });
        return described;
    }

    private static Map<String, Integer> countByKind(List<Nemesis.Applied> applied) {
        Map<String, Integer> counts = new TreeMap<>();
        applied.forEach(a -> counts.merge(a.fault().kind().wireName(), 1, Integer::sum));
        return counts;
    }

    private static Map<String, Integer> countActions(List<Operator.Action> actions) {
        Map<String, Integer> counts = new TreeMap<>();
        actions.forEach(a -> counts.merge(a.action() + " " + (a.status() < 0 ? "unanswered" : Integer.toString(a.status())), 1, Integer::sum));
        return counts;
    }

    private static void writeFiles(Path directory, Schedule schedule, List<Nemesis.Applied> applied, List<Operator.Action> actions, History history)
            throws IOException {
        List<String> scheduleLines = new ArrayList<>(schedule.describe());
        scheduleLines.add("");
        scheduleLines.add("applied (target found when the fault started; times from the start of the workload):");
        applied.forEach(a -> scheduleLines.add(a.describe()));
        Files.write(directory.resolve("schedule.txt"), scheduleLines, StandardCharsets.UTF_8);
        Files.write(directory.resolve("operator.txt"), actions.stream().map(Operator.Action::describe).toList(), StandardCharsets.UTF_8);
        history.write(directory.resolve("history.tsv"));
    }
}
