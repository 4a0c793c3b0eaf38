package dev.sluice.bench;

import dev.sluice.model.Liveness;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import dev.sluice.scheduler.ChangeKind;
import dev.sluice.scheduler.IncrementalScheduler;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.ReplicaSetChange;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.SchedulerLimits;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The scheduler at fleet size, pass by pass: a full placement from nothing, then a drain driven to the end the way the
 * controller drives it — each pass's changes are written as changes under way, each completes a fixed number of passes
 * later (the data plane's latency), leaderships move at once — and for every pass the benchmark thread's CPU time,
 * the bytes it allocated, and the wall time. At the end: the replicas moved against the minimum (the replicas the
 * drained workers held), the passes and the simulated time to converge (100 ms a pass), and the heap the placements
 * and the scheduler's structures keep.
 *
 * <p>Usage: {@code java -Xmx6g -cp sluice-bench/target/benchmarks.jar dev.sluice.bench.SchedulerScale [options]} with
 * {@code --shape 10000x1000000} (workers × partitions, 3 replicas over 3 zones), {@code --drain 100} (workers N1…N100,
 * spread over the zones) or {@code --drain zone} (every worker of zone z0), {@code --mode scratch} (every pass
 * {@link Scheduler#schedule} from nothing), {@code --max-changes-per-node 4 --max-changes-in-cluster 1000},
 * {@code --latency 2} (passes a change takes), {@code --full-runs 3}, {@code --max-passes 20000}, {@code --elect none} (or a seed: before the drain, every
 * partition's leader is the member an election picked, drawn with that seed, as after a cluster's first start or a restart of
 * every worker, and the passes that balance those leaderships are driven and measured as the drain's are).
 */
public final class SchedulerScale {

    /** A pass is 100 ms of simulated time, as the controller passes while a drain is under way. */
    static final Duration PASS_INTERVAL = Duration.ofMillis(100);
    /** A drain that has not converged after this many passes ({@code --max-passes}) is reported as not converged. */
    static final int MAX_PASSES = 20_000;

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private SchedulerScale() {}

    /** What one measured operation cost the benchmark thread. */
    record Cost(long cpuNanos, long allocatedBytes, long wallNanos) {}

    static <T> T measure(Supplier<T> work, List<Cost> costs) {
        long thread = Thread.currentThread().threadId();
        long allocated = THREADS.getThreadAllocatedBytes(thread);
        long cpu = THREADS.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        T result = work.get();
        costs.add(new Cost(THREADS.getCurrentThreadCpuTime() - cpu, THREADS.getThreadAllocatedBytes(thread) - allocated, System.nanoTime() - wall));
        return result;
    }

    /** How passes are computed: from nothing every time, or from an index kept across passes. */
    interface Planner {
        /**
         * One pass over {@code placements}, of which {@code changed} changed since the last call; adds what the pass cost to
         * {@code costs} (what the scheduler does, not the benchmark's bookkeeping).
         */
        Plan pass(BenchCluster cluster, NodesConfiguration nodes, Liveness liveness, Map<PartitionId, Placement> placements,
                Set<PartitionId> changed, SchedulerLimits limits, Instant now, List<Cost> costs);

        /** What the planner keeps between passes, for the heap figure (nothing for scratch). */
        Object retained();

        /** Drops what it keeps: the next pass starts from nothing, as on a new controller leader. */
        default void forget() {}
    }

    /** Every pass from nothing: {@link Scheduler#schedule}. The input's copy of the placements is made outside the timing. */
    static final class Scratch implements Planner {
        @Override
        public Plan pass(BenchCluster cluster, NodesConfiguration nodes, Liveness liveness, Map<PartitionId, Placement> placements,
                Set<PartitionId> changed, SchedulerLimits limits, Instant now, List<Cost> costs) {
            SchedulerInput input = new SchedulerInput(nodes, liveness, cluster.table(), placements, limits, now);
            return measure(() -> Scheduler.schedule(input), costs);
        }

        @Override
        public Object retained() {
            return null;
        }
    }

    /**
     * An {@link IncrementalScheduler} kept across passes, told only which placements changed, as the controller would tell
     * it: the work of putting them is timed with the pass.
     */
    static final class Incremental implements Planner {
        private IncrementalScheduler scheduler;

        @Override
        public Plan pass(BenchCluster cluster, NodesConfiguration nodes, Liveness liveness, Map<PartitionId, Placement> placements,
                Set<PartitionId> changed, SchedulerLimits limits, Instant now, List<Cost> costs) {
            if (scheduler == null || placements.isEmpty()) {
                // A full placement from nothing: a new scheduler, as a new controller leader starts with.
                scheduler = new IncrementalScheduler(cluster.table());
            }
            IncrementalScheduler current = scheduler;
            return measure(() -> {
                for (PartitionId partition : changed) {
                    current.put(placements.get(partition));
                }
                return current.schedule(nodes, liveness, limits, now);
            }, costs);
        }

        @Override
        public Object retained() {
            return scheduler;
        }

        @Override
        public void forget() {
            scheduler = null;
        }
    }

    public static void main(String[] args) {
        Map<String, String> options = new HashMap<>(Map.of("--shape", "10000x1000000", "--drain", "100", "--mode", "scratch",
                "--max-changes-per-node", "4", "--max-changes-in-cluster", "1000", "--latency", "2", "--full-runs", "3", "--elect", "none",
                "--max-passes", String.valueOf(MAX_PASSES)));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!options.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + options.keySet());
            }
            options.put(args[i], args[i + 1]);
        }
        BenchCluster cluster = BenchCluster.parse(options.get("--shape"));
        Planner planner = planner(options.get("--mode"));
        SchedulerLimits limits = SchedulerLimits.DEFAULTS.withMaxChangesPerNode(Integer.parseInt(options.get("--max-changes-per-node")))
                .withMaxChangesInCluster(Integer.parseInt(options.get("--max-changes-in-cluster")));
        int latency = Integer.parseInt(options.get("--latency"));
        int maxPasses = Integer.parseInt(options.get("--max-passes"));
        System.out.printf(Locale.ROOT, "SchedulerScale %s on %s, mode %s, drain %s, limits %s, latency %d passes, JDK %s, %d cores, -Xmx %d MiB%n",
                options.get("--mode"), options.get("--shape"), options.get("--mode"), options.get("--drain"), limits, latency,
                Runtime.version(), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

        // Full placement from nothing, a few times: the first runs carry the JIT's warm-up.
        SchedulerInput fresh = cluster.freshInput();
        List<Cost> full = new ArrayList<>();
        Plan first = null;
        for (int run = 0; run < Integer.parseInt(options.get("--full-runs")); run++) {
            first = planner.pass(cluster, fresh.nodes(), fresh.liveness(), Map.of(), Set.of(), fresh.limits(), fresh.now(), full);
            print("full placement run " + (run + 1), full.getLast());
        }
        Map<PartitionId, Placement> placements = new HashMap<>(BenchCluster.apply(Map.of(), first));
        planner.forget();
        long heapPlacements = usedHeapAfterGc();
        NodesConfiguration active = cluster.nodes(Set.of());
        Liveness liveness = fresh.liveness();
        // The planner sees the converged placement once (its index is built then), as a controller does on its first pass.
        Set<PartitionId> all = new HashSet<>(placements.keySet());
        List<Cost> settle = new ArrayList<>();
        Plan quiet = planner.pass(cluster, active, liveness, placements, all, limits, BenchCluster.NOW, settle);
        print("first pass over the converged placement (" + quiet.replicaSetChanges().size() + " changes)", settle.getLast());
        long heapWithIndex = usedHeapAfterGc();
        List<Cost> steady = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            planner.pass(cluster, active, liveness, placements, Set.of(), limits, BenchCluster.NOW, steady);
        }
        print("steady pass, nothing changed (median of 5)", median(steady));
        if (!options.get("--elect").equals("none")) {
            long seed = Long.parseLong(options.get("--elect"));
            System.out.printf(Locale.ROOT, "elections: seed %d%n", seed);
            Set<PartitionId> elected = elect(placements, new java.util.Random(seed));
            Drive balancing = drive(cluster, planner, active, liveness, placements, limits, latency, elected, maxPasses);
            report("balancing elected leaders (" + elected.size() + " leaderships not where the placement had them)", balancing, 0);
        }

        Set<Integer> drained = drainedWorkers(cluster, options.get("--drain"));
        NodesConfiguration nodes = cluster.nodes(drained);
        long minimum = 0;
        for (Placement placement : placements.values()) {
            for (NodeId member : placement.current()) {
                if (drained.contains(member.value())) {
                    minimum++;
                }
            }
        }
        Drive drive = drive(cluster, planner, nodes, liveness, placements, limits, latency, Set.of(), maxPasses);
        report("drain of " + drained.size() + " workers", drive, minimum);
        System.out.printf(Locale.ROOT, "heap after GC: placements %d MiB; with the planner's retained structures %d MiB (+%d MiB)%n", heapPlacements >> 20,
                heapWithIndex >> 20, (heapWithIndex - heapPlacements) >> 20);
        if (planner.retained() == null) {
            System.out.println("(scratch keeps nothing between passes)");
        }
    }

    private static void report(String what, Drive drive, long minimum) {
        long[] cpu = drive.costs.stream().mapToLong(Cost::cpuNanos).sorted().toArray();
        long[] allocated = drive.costs.stream().mapToLong(Cost::allocatedBytes).sorted().toArray();
        long[] wall = drive.costs.stream().mapToLong(Cost::wallNanos).sorted().toArray();
        System.out.printf(Locale.ROOT, "%s: %d passes (%s simulated), converged %s; replicas moved %d (minimum %d), leadership changes %d;"
                        + " other changes %d%n",
                what, drive.passes, PASS_INTERVAL.multipliedBy(drive.passes), drive.converged, drive.moved, minimum, drive.leaderships, drive.other);
        System.out.printf(Locale.ROOT, "  passes: CPU ms p50 %.2f p99 %.2f max %.2f, total %.1f s; allocated MiB p50 %.2f p99 %.2f; wall ms p50 %.2f p99 %.2f max %.2f%n",
                percentile(cpu, 50) / 1e6, percentile(cpu, 99) / 1e6, cpu[cpu.length - 1] / 1e6, java.util.Arrays.stream(cpu).sum() / 1e9,
                percentile(allocated, 50) / 1048576.0, percentile(allocated, 99) / 1048576.0, percentile(wall, 50) / 1e6, percentile(wall, 99) / 1e6,
                wall[wall.length - 1] / 1e6);
    }

    /**
     * Leaders as elections leave them: each partition's leader one of its members drawn at random (Ratis's election timeouts
     * are randomized). The partitions whose leader changed.
     */
    static Set<PartitionId> elect(Map<PartitionId, Placement> placements, java.util.Random random) {
        Set<PartitionId> changed = new HashSet<>();
        for (PartitionId partition : new java.util.TreeSet<>(placements.keySet())) {
            Placement placement = placements.get(partition);
            List<NodeId> members = placement.current();
            NodeId winner = members.get(random.nextInt(members.size()));
            if (!winner.equals(placement.leader())) {
                placements.put(placement.partition(), placement.withLeader(winner));
                changed.add(placement.partition());
            }
        }
        return changed;
    }

    static Planner planner(String mode) {
        return switch (mode) {
            case "scratch" -> new Scratch();
            case "incremental" -> new Incremental();
            default -> throw new IllegalArgumentException("unknown --mode " + mode + " (scratch, incremental)");
        };
    }

    static Set<Integer> drainedWorkers(BenchCluster cluster, String drain) {
        Set<Integer> drained = new LinkedHashSet<>();
        if (drain.equals("zone")) {
            for (int i = 1; i <= cluster.workers(); i++) {
                if (cluster.zoneOf(i).equals("z0")) {
                    drained.add(i);
                }
            }
        } else {
            for (int i = 1; i <= Integer.parseInt(drain); i++) {
                drained.add(i);
            }
        }
        return drained;
    }

    /** The outcome of driving a drain to its end. */
    record Drive(int passes, boolean converged, long moved, long leaderships, long other, List<Cost> costs) {}

    /**
     * Passes until one plans nothing and no change is under way. A change planned in pass t is written as under way and
     * completes at the start of pass t + latency; leaderships and initial sets take effect at once.
     */
    static Drive drive(BenchCluster cluster, Planner planner, NodesConfiguration nodes, Liveness liveness, Map<PartitionId, Placement> placements,
            SchedulerLimits limits, int latency, Set<PartitionId> changedBefore, int maxPasses) {
        Map<PartitionId, Integer> startedAt = new HashMap<>();
        List<Cost> costs = new ArrayList<>();
        Set<PartitionId> changed = new HashSet<>(changedBefore);
        long moved = 0;
        long leaderships = 0;
        long other = 0;
        for (int pass = 0; pass < maxPasses; pass++) {
            Instant now = BenchCluster.NOW.plus(PASS_INTERVAL.multipliedBy(pass));
            for (var it = startedAt.entrySet().iterator(); it.hasNext(); ) {
                var entry = it.next();
                if (entry.getValue() + latency <= pass) {
                    placements.put(entry.getKey(), placements.get(entry.getKey()).completed());
                    changed.add(entry.getKey());
                    it.remove();
                }
            }
            Set<PartitionId> seen = Set.copyOf(changed);
            changed.clear();
            Plan plan = planner.pass(cluster, nodes, liveness, placements, seen, limits, now, costs);
            if (plan.hasNoChanges() && startedAt.isEmpty()) {
                return new Drive(pass + 1, true, moved, leaderships, other, costs);
            }
            for (LeadershipChange change : plan.leadershipChanges()) {
                placements.put(change.partition(), placements.get(change.partition()).withLeader(change.to()));
                changed.add(change.partition());
                leaderships++;
            }
            for (ReplicaSetChange change : plan.replicaSetChanges()) {
                Placement before = placements.get(change.partition());
                if (change.kind() != ChangeKind.DRAIN && change.kind() != ChangeKind.REVISE) {
                    other++;
                }
                if (change.kind() != ChangeKind.REVISE) {
                    moved += change.joining().size();
                    startedAt.put(change.partition(), pass);
                }
                Placement next = before.withNext(change.next(), Version.MIN, now);
                placements.put(change.partition(), change.preferredLeader() == null ? next : next.withLeader(change.preferredLeader()));
                changed.add(change.partition());
            }
        }
        return new Drive(maxPasses, false, moved, leaderships, other, costs);
    }

    static void print(String what, Cost cost) {
        System.out.printf(Locale.ROOT, "%s: CPU %.1f ms, allocated %.1f MiB, wall %.1f ms%n", what, cost.cpuNanos() / 1e6,
                cost.allocatedBytes() / 1048576.0, cost.wallNanos() / 1e6);
    }

    static Cost median(List<Cost> costs) {
        long[] cpu = costs.stream().mapToLong(Cost::cpuNanos).sorted().toArray();
        long[] allocated = costs.stream().mapToLong(Cost::allocatedBytes).sorted().toArray();
        long[] wall = costs.stream().mapToLong(Cost::wallNanos).sorted().toArray();
        return new Cost(percentile(cpu, 50), percentile(allocated, 50), percentile(wall, 50));
    }

    static long percentile(long[] sorted, int percent) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percent / 100.0 * sorted.length) - 1)];
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

}
