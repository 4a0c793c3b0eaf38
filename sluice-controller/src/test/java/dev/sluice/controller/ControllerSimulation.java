package dev.sluice.controller;

import dev.sluice.metadata.AuditLog;
import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.metadata.Precondition;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.TransitionTable;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A deterministic simulation of the control plane: the real controller, scheduler, lifecycle and
 * metadata documents against the in-memory store, the {@link SimulatedDataPlane} and a hand-moved clock,
 * in one thread, driven by one seed — the same seed replays the same run step by step.
 *
 * <p>A run has a fault phase, in which an operator drains, cancels and recommissions workers at random
 * while faults come and go (worker deaths and restarts, hung processes, removals that hang, joiners that
 * never host, groups that cannot elect, leaders under which changes keep failing, controller failovers),
 * and a healing phase with every fault removed. Checkers run after every step (the transition table is
 * never violated, a moving replica set never loses its live majority, a newly written move only adds
 * Active workers) and at the end (every partition settled on its placement with a leader, every drain
 * disabled or stalled with a reason, disabled workers hold nothing).
 */
final class ControllerSimulation {

    /** What one run found. */
    record Outcome(long seed, int steps, List<String> violations, Map<String, Integer> faults, Map<String, Integer> drains, Timings timings) {
        boolean ok() {
            return violations.isEmpty();
        }

        String summary() {
            return "seed " + seed + ": " + steps + " steps, faults " + faults + ", drains " + drains
                    + (violations.isEmpty() ? ", no violation" : ", VIOLATIONS: " + violations.subList(0, Math.min(5, violations.size())));
        }
    }

    /**
     * A cluster size chosen by hand instead of drawn from the seed.
     *
     * @param workers workers registered at the start
     * @param partitions partitions in the table, each with {@link #REPLICAS} replicas
     */
    record Size(int workers, int partitions) {
        Size {
            if (workers < 1 || partitions < 1) {
                throw new IllegalArgumentException("a simulated cluster needs at least one worker and one partition, got " + workers + " workers × "
                        + partitions + " partitions");
            }
            if (partitions > PartitionTable.MAX_PARTITIONS) {
                throw new IllegalArgumentException(partitions + " partitions is more than a partition table holds (PartitionTable.MAX_PARTITIONS = "
                        + PartitionTable.MAX_PARTITIONS + ")");
            }
            if (workers < REPLICAS) {
                throw new IllegalArgumentException(partitions + " partitions × " + REPLICAS + " replicas cannot be placed on " + workers
                        + " workers: each replica of a partition needs a worker of its own");
            }
        }

        /**
         * The size from {@code -Dsluice.sim.workers} and {@code -Dsluice.sim.partitions}, or empty when neither
         * is given (then each seed draws its own small cluster).
         *
         * @throws IllegalArgumentException if only one is given, one is not a number, or the size is not one the
         *     simulation can run
         */
        static java.util.Optional<Size> fromProperties(java.util.function.UnaryOperator<String> properties) {
            String workers = properties.apply("sluice.sim.workers");
            String partitions = properties.apply("sluice.sim.partitions");
            if (workers == null && partitions == null) {
                return java.util.Optional.empty();
            }
            if (workers == null || partitions == null) {
                throw new IllegalArgumentException("give both -Dsluice.sim.workers and -Dsluice.sim.partitions, or neither (got workers="
                        + workers + ", partitions=" + partitions + ")");
            }
            return java.util.Optional.of(new Size(parse("sluice.sim.workers", workers), parse("sluice.sim.partitions", partitions)));
        }

        private static int parse(String property, String value) {
            try {
                return Integer.parseInt(value.strip());
            } catch (NumberFormatException notANumber) {
                throw new IllegalArgumentException("-D" + property + " must be a whole number, got '" + value + "'");
            }
        }
    }

    /** Where a run's wall time went: controller passes, the simulated workers and data plane, the per-step checkers. */
    record Timings(long passNanos, long dataPlaneNanos, long checkNanos) {
        String describe() {
            return "passes " + passNanos / 1_000_000 + " ms, data plane " + dataPlaneNanos / 1_000_000 + " ms, checks " + checkNanos / 1_000_000 + " ms";
        }
    }

    /** A fault under way and the step it ends at. */
    private record Active(String kind, int endsAt, Runnable heal) {}

    /** Replicas per partition. */
    static final int REPLICAS = 3;
    /** Chance per step that the operator or the nemesis does something. */
    static final double ACTION_CHANCE = 0.04;
    /** Steps with nothing moving after which the healing phase ends early. */
    static final int QUIET_STEPS = 150;
    /** Violations kept per run; the first is the one that matters. */
    static final int MAX_VIOLATIONS = 20;

    private final long seed;
    private final SplittableRandom random;
    private final ControllerHarness cluster;
    private final List<String> violations = new ArrayList<>();
    private final Map<String, Integer> faults = new TreeMap<>();
    private final Map<String, Integer> drains = new TreeMap<>();
    private final List<Active> active = new ArrayList<>();
    /** Each partition's next set as last seen: a move decided (or revised) is a next set that changed. */
    private final Map<PartitionId, List<NodeId>> nextSets = new HashMap<>();
    private int auditSeen;
    /** Bookmarks of what the per-step checks have looked at: placement changes, group changes, dead workers. */
    private int placementsSeen;
    private int groupsSeen;
    private Set<NodeId> downAtLastCheck;
    private long checkNanos;
    private Sabotage sabotage;
    private int step;
    private int controllers = 1;
    private boolean writeConflicts;

    private ControllerSimulation(long seed, Size size) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        // Drawn even when a size is given, so that a seed has the same throttles and latency at any size (its
        // faults hit workers and partitions drawn from the size), and the build's seeds replay as before.
        int drawnWorkers = 4 + random.nextInt(4);
        int drawnPartitions = 8 + random.nextInt(25);
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(1 + random.nextInt(4), 16, Duration.ofSeconds(10), 16));
        this.cluster = new ControllerHarness(size == null ? drawnWorkers : size.workers(), size == null ? drawnPartitions : size.partitions(),
                ReplicationProperty.of(REPLICAS), config, 1 + random.nextInt(3));
    }

    /** Runs {@code faultSteps} with faults, then {@code healSteps} without, on a cluster drawn from the seed. */
    static Outcome run(long seed, int faultSteps, int healSteps) {
        return run(seed, null, faultSteps, healSteps);
    }

    /** As {@link #run(long, int, int)}, on a cluster of {@code size} (null: drawn from the seed). */
    static Outcome run(long seed, Size size, int faultSteps, int healSteps) {
        return run(seed, size, faultSteps, healSteps, null);
    }

    /**
     * What a test breaks on purpose after a step's pass and before that step's checks, to show that a checker
     * catches it.
     */
    @FunctionalInterface
    interface Sabotage {
        void after(int step, ControllerHarness cluster);
    }

    /** As {@link #run(long, Size, int, int)}, with {@code sabotage} (null: none). */
    static Outcome run(long seed, Size size, int faultSteps, int healSteps, Sabotage sabotage) {
        ControllerSimulation simulation = new ControllerSimulation(seed, size);
        simulation.sabotage = sabotage;
        try (ControllerHarness cluster = simulation.cluster) {
            return simulation.run(faultSteps, healSteps);
        }
    }

    private Outcome run(int faultSteps, int healSteps) {
        for (step = 0; step < faultSteps && violations.size() < MAX_VIOLATIONS; step++) {
            endFaults(false);
            if (random.nextDouble() < ACTION_CHANCE) {
                act();
            }
            advance();
        }
        endFaults(true);
        int quietSince = -1;
        for (int i = 0; i < healSteps && violations.size() < MAX_VIOLATIONS; i++, step++) {
            advance();
            // Once nothing has moved for a while there is nothing left to heal; stop early.
            quietSince = quiet() ? (quietSince < 0 ? i : quietSince) : -1;
            if (quietSince >= 0 && i - quietSince >= QUIET_STEPS) {
                break;
            }
        }
        long checking = System.nanoTime();
        checkEnd();
        checkNanos += System.nanoTime() - checking;
        if (cluster.dataPlane.stagingsStuck > 0) {
            // Not injected: a joiner killed during its change, which Ratis then stages for as long as clients write.
            faults.put("dead-joiner-staged", cluster.dataPlane.stagingsStuck);
            faults.put("dead-joiner-staged-ended-by-step-down", cluster.dataPlane.stagingsEndedByStepDown);
        }
        // Sorted, so that a replay prints the same line as the run it replays.
        return new Outcome(seed, step, List.copyOf(violations), java.util.Collections.unmodifiableMap(new TreeMap<>(faults)),
                java.util.Collections.unmodifiableMap(new TreeMap<>(drains)), new Timings(cluster.passNanos, cluster.dataPlaneNanos, checkNanos));
    }

    private void advance() {
        try {
            cluster.step();
        } catch (RuntimeException bug) {
            violation("a pass threw " + bug);
        }
        if (sabotage != null) {
            sabotage.after(step, cluster);
        }
        long checking = System.nanoTime();
        checkStep();
        checkNanos += System.nanoTime() - checking;
    }

    // ------------------------------------------------------------------ the operator and the nemesis

    private void act() {
        List<NodeId> workers = List.copyOf(cluster.names.keySet());
        NodeId node = workers.get(random.nextInt(workers.size()));
        List<PartitionId> partitions = List.copyOf(cluster.storedPlacements.readAll().keySet());
        PartitionId partition = partitions.isEmpty() ? null : partitions.get(random.nextInt(partitions.size()));
        boolean oneDown = cluster.names.keySet().stream().anyMatch(n -> !cluster.running(n)) || !cluster.dataPlane.unresponsive.isEmpty();
        int choice = random.nextInt(11);
        switch (choice) {
            case 0, 1 -> operator(node, WorkerState.DRAINING, random.nextInt(5) == 0);
            case 2 -> operator(node, WorkerState.ACTIVE, false);
            case 3 -> {
                if (!oneDown && cluster.running(node)) {
                    cluster.kill(node);
                    fault("kill", 20 + random.nextInt(400), () -> cluster.restart(node));
                }
            }
            case 4 -> {
                if (!oneDown && cluster.running(node)) {
                    cluster.dataPlane.unresponsive.add(node);
                    fault("hang", 50 + random.nextInt(250), () -> cluster.dataPlane.unresponsive.remove(node));
                }
            }
            case 5 -> {
                if (partition != null) {
                    cluster.dataPlane.removalsHang.computeIfAbsent(node, n -> new HashSet<>()).add(partition);
                    fault("removal-hangs", 50 + random.nextInt(250), () -> cluster.dataPlane.removalsHang.getOrDefault(node, new HashSet<>()).remove(partition));
                }
            }
            case 6 -> {
                if (partition != null) {
                    cluster.dataPlane.neverHost.computeIfAbsent(node, n -> new HashSet<>()).add(partition);
                    fault("joiner-never-hosts", 50 + random.nextInt(250), () -> cluster.dataPlane.neverHost.getOrDefault(node, new HashSet<>()).remove(partition));
                }
            }
            case 7 -> {
                if (partition != null) {
                    cluster.dataPlane.noElection.add(partition);
                    fault("no-election", 20 + random.nextInt(130), () -> cluster.dataPlane.noElection.remove(partition));
                }
            }
            case 8 -> {
                if (partition != null && cluster.dataPlane.group(partition) != null && cluster.dataPlane.group(partition).leader != null) {
                    cluster.dataPlane.stuckUnder.put(partition, cluster.dataPlane.group(partition).leader);
                    fault("stuck-leader", 50 + random.nextInt(150), () -> cluster.dataPlane.stuckUnder.remove(partition));
                }
            }
            case 9 -> {
                if (!writeConflicts) {
                    writeConflicts = true;
                    cluster.interfereBeforeCommits(this::conflict);
                    fault("write-conflict", 20 + random.nextInt(180), () -> {
                        writeConflicts = false;
                        cluster.interfereBeforeCommits(null);
                    });
                }
            }
            default -> {
                cluster.loop = cluster.newLoop("controller-" + (++controllers));
                faults.merge("controller-failover", 1, Integer::sum);
            }
        }
    }

    /**
     * Another writer gets to a placement first: its record is rewritten unchanged (a new version) just before
     * a commit that expects the old one, as when an operator or a deposed controller writes in between.
     */
    private void conflict(List<Op> ops) {
        for (Op op : ops) {
            if (op instanceof Op.Put put && put.key().startsWith(MetadataKeys.PLACEMENTS + "/")
                    && put.precondition() instanceof Precondition.MatchesVersion && random.nextInt(4) == 0) {
                cluster.store.get(put.key()).ifPresent(stored -> {
                    cluster.store.put(put.key(), stored.value(), Precondition.NONE);
                    cluster.storedPlacements.writtenOutsideACommit(put.key());
                    // Counted, so a run shows the controller's writes really lost races.
                    faults.merge("placement-written-first", 1, Integer::sum);
                });
            }
        }
    }

    private void operator(NodeId node, WorkerState target, boolean force) {
        Lifecycle.Outcome outcome = new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock).request(node.toString(), target, "simulation",
                force, false);
        if (outcome instanceof Lifecycle.Outcome.Done done && done.changed()) {
            drains.merge(target == WorkerState.DRAINING ? "started" : "activated", 1, Integer::sum);
        }
    }

    private void fault(String kind, int steps, Runnable heal) {
        faults.merge(kind, 1, Integer::sum);
        active.add(new Active(kind, step + steps, heal));
    }

    private void endFaults(boolean all) {
        for (Active fault : List.copyOf(active)) {
            if (all || fault.endsAt() <= step) {
                fault.heal().run();
                active.remove(fault);
            }
        }
    }

    // ------------------------------------------------------------------ checkers

    /**
     * The per-step checks, each looking only at what could have changed in the step, so that a step costs
     * the same at 100,000 partitions as at 10 (looking at everything made the checks most of a large step):
     * new audit records; placements whose stored record changed; groups created or reconfigured, or, when
     * a worker died or came back, every group.
     */
    private void checkStep() {
        List<AuditRecord> audit;
        do {
            audit = cluster.metadata.audit().read(auditSeen - 1, AuditLog.MAX_READ);
            for (AuditRecord record : audit) {
                TransitionTable.Permission permission = TransitionTable.cell(record.from(), record.to()).permission(record.actor());
                if (permission == TransitionTable.Permission.NOT_PERMITTED
                        || (permission == TransitionTable.Permission.FORCE_ONLY && !record.forced())) {
                    violation("transition " + record.from() + " → " + record.to() + " by " + record.actor() + (record.forced() ? " (forced)" : "")
                            + " is not in the transition table");
                }
            }
            auditSeen += audit.size();
        } while (audit.size() == AuditLog.MAX_READ);

        Map<PartitionId, PlacementStore.VersionedPlacement> placements = cluster.storedPlacements.readAll();
        Map<NodeId, WorkerState> states = null;
        for (PartitionId partition : new java.util.TreeSet<>(cluster.storedPlacements.changesSince(placementsSeen))) {
            PlacementStore.VersionedPlacement versioned = placements.get(partition);
            if (versioned == null) {
                nextSets.remove(partition);
                continue;
            }
            Placement placement = versioned.placement();
            List<NodeId> before = nextSets.put(partition, placement.next());
            if (before != null && !before.equals(placement.next())) {
                if (states == null) {
                    states = workerStates();
                }
                for (NodeId joining : placement.joining()) {
                    if (states.get(joining) != WorkerState.ACTIVE) {
                        violation(partition + " was moved onto " + joining + ", which is " + states.get(joining));
                    }
                }
            }
        }
        placementsSeen = cluster.storedPlacements.changeCount();

        Set<NodeId> down = new HashSet<>();
        cluster.names.keySet().stream().filter(n -> !cluster.running(n)).forEach(down::add);
        // A group's live members change only when its configuration does or a worker dies or comes back.
        java.util.Collection<PartitionId> regroupable = down.equals(downAtLastCheck) ? cluster.dataPlane.configurationChangesSince(groupsSeen)
                : placements.keySet();
        groupsSeen = cluster.dataPlane.configurationChangeCount();
        downAtLastCheck = down;
        if (down.size() <= 1) {
            for (PartitionId partition : new java.util.TreeSet<>(regroupable)) {
                SimulatedDataPlane.Group group = cluster.dataPlane.group(partition);
                if (group == null) {
                    continue;
                }
                long live = group.configuration.stream().filter(cluster::running).count();
                if (live * 2 <= group.configuration.size()) {
                    violation(partition + "'s group " + group.configuration + " has only " + live + " live members");
                }
            }
        }
    }

    private Map<NodeId, WorkerState> workerStates() {
        Map<NodeId, WorkerState> states = new HashMap<>();
        for (NodeConfig node : cluster.metadata.nodes().current().workers()) {
            states.put(node.nodeId(), node.workerState());
        }
        return states;
    }

    private void checkEnd() {
        Map<PartitionId, Placement> placements = cluster.placements();
        ControllerStatus status = cluster.loop.lastStatus();
        Set<NodeId> stalledDrains = new HashSet<>();
        if (status != null) {
            for (DrainProgress drain : status.drains()) {
                if (drain.state() == WorkerState.DRAINING && drain.stalled() && drain.stalledPartitions().stream().allMatch(s -> s.reason() != null)) {
                    stalledDrains.add(drain.node());
                }
            }
        }
        for (NodeConfig node : cluster.metadata.nodes().current().workers()) {
            switch (node.workerState()) {
                case DRAINING -> {
                    if (stalledDrains.contains(node.nodeId())) {
                        drains.merge("stalled-with-reason", 1, Integer::sum);
                    } else {
                        violation(node.nodeId() + " is still draining after the faults healed, and no stall reason says why");
                    }
                }
                case DISABLED -> {
                    drains.merge("ended-disabled", 1, Integer::sum);
                    if (!cluster.dataPlane.hostedBy(node.nodeId()).isEmpty()) {
                        violation(node.nodeId() + " is disabled but still hosts " + cluster.dataPlane.hostedBy(node.nodeId()));
                    }
                }
                case ACTIVE, PROVISIONING -> { }
            }
        }
        Map<PartitionId, StallReason> stalledPartitions = new HashMap<>();
        if (status != null) {
            status.drains().forEach(drain -> drain.stalledPartitions().forEach(s -> stalledPartitions.put(s.partition(), s.reason())));
        }
        for (Placement placement : placements.values()) {
            SimulatedDataPlane.Group group = cluster.dataPlane.group(placement.partition());
            if (placement.hasNext()) {
                // With every fault healed, a move always finishes: its joiners run and host, its group elects.
                violation(placement.partition() + " still moving after the faults healed: " + placement + "; "
                        + (status == null ? "?" : status.moves().stream().filter(m -> m.partition().equals(placement.partition())).findFirst().orElse(null))
                        + (stalledPartitions.containsKey(placement.partition()) ? " (stalled: " + stalledPartitions.get(placement.partition()) + ")" : ""));
            } else if (group == null || !new HashSet<>(group.configuration).equals(new HashSet<>(placement.current()))) {
                violation(placement.partition() + "'s group " + (group == null ? "does not exist" : group.configuration) + " is not its placement " + placement.current());
            } else if (group.leader == null) {
                violation(placement.partition() + " has no leader after the faults healed");
            }
        }
    }

    /** No placement moves, and every draining worker's drain is stalled with a reason. */
    private boolean quiet() {
        ControllerStatus status = cluster.loop.lastStatus();
        if (status == null || status.movesInFlight() > 0) {
            return false;
        }
        return cluster.metadata.nodes().current().workers().stream().filter(n -> n.workerState() == WorkerState.DRAINING)
                .allMatch(n -> status.drain(n.nodeId()).map(DrainProgress::stalled).orElse(false));
    }

    private void violation(String what) {
        if (violations.size() < MAX_VIOLATIONS) {
            violations.add("step " + step + ": " + what);
        }
    }
}
