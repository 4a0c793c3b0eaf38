package dev.sluice.controller;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.Actor;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.StateChange;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The whole control loop at fleet size, on the deterministic simulation ({@link ControllerHarness#atScale}: the real
 * controller and scheduler, the in-memory store, the {@link SimulatedDataPlane}, 100 ms of simulated time a pass):
 * places every partition from nothing, lets it settle, then drains workers and steps until every drained worker is
 * disabled and nothing moves. It reports each phase's passes as CPU time of the controller's thread (p50 / p99 / max,
 * and where the time went by part of the pass), the replicas moved against the minimum (what the drained workers
 * held), the leadership transfers, the simulated time to converge, and the heap after GC with and without the
 * controller's soft state.
 *
 * <p>Not a test: run it as a program on the test classpath (docs/benchmarks.md, "The controller at a million
 * partitions", has the command). Options: {@code --workers 10000 --partitions 1000000} (3 replicas over 3 zones,
 * worker i in zone {@code z((i-1) mod 3)}), {@code --drain 100} (workers 1…100, a third in each zone) or
 * {@code --drain zone} (every worker of zone z0), {@code --max-changes-per-node 4 --max-changes-in-cluster 1000
 * --fill 16}, {@code --latency 2} (data-plane steps a call takes), {@code --max-steps 5000}, {@code --steady 10} (passes measured once settled;
 * the workers answer their first poll after about ten, and the leaders they report are recorded then: give at least 15 so
 * a drain starts after that), {@code --answers between-passes} (the simulated workers build their status answers after
 * the pass that asked, as a real worker's answer is made and decoded off the pass's thread) or {@code in-pass} (inside
 * the pass, their CPU time measured and taken out, as before 2026-11-30).
 */
final class ControllerScale {

    /** A pass over this much CPU is printed with where its time went. */
    private static final long LONG_PASS_NANOS = Long.getLong("sluice.scale.longPassMillis", 2_000) * 1_000_000;
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ControllerScale() {}

    /** {@code --name value} pairs, by name without the dashes; shared with {@link GroupDrainScale}. */
    static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return options;
    }

    public static void main(String[] args) {
        Map<String, String> options = options(args);
        int workers = Integer.parseInt(options.getOrDefault("workers", "1000"));
        int partitions = Integer.parseInt(options.getOrDefault("partitions", "100000"));
        String drain = options.getOrDefault("drain", "100");
        int perNode = Integer.parseInt(options.getOrDefault("max-changes-per-node", "4"));
        int inCluster = Integer.parseInt(options.getOrDefault("max-changes-in-cluster", "1000"));
        int fill = Integer.parseInt(options.getOrDefault("fill", "16"));
        int latency = Integer.parseInt(options.getOrDefault("latency", "2"));
        int maxSteps = Integer.parseInt(options.getOrDefault("max-steps", "5000"));
        String answers = options.getOrDefault("answers", "between-passes");
        if (!answers.equals("between-passes") && !answers.equals("in-pass")) {
            throw new IllegalArgumentException("--answers is between-passes or in-pass, got " + answers);
        }
        boolean answersBetweenPasses = answers.equals("between-passes");
        System.out.printf(Locale.ROOT, "ControllerScale: %d workers × %d partitions × 3, drain %s, throttles %d per worker / %d in the cluster, "
                + "fill %d, latency %d steps, status answers built %s; heap limit %d MiB%n", workers, partitions, drain, perNode, inCluster, fill, latency,
                answersBetweenPasses ? "between passes" : "inside the pass", Runtime.getRuntime().maxMemory() >> 20);
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(perNode, inCluster, Duration.ofSeconds(60), fill));
        long setupStarted = System.nanoTime();
        try (ControllerHarness cluster = ControllerHarness.atScale(workers, partitions, new ReplicationProperty(3, 3), config, latency, "z0", "z1", "z2")) {
            cluster.dataPlane.deferAnswers = answersBetweenPasses;
            System.out.printf(Locale.ROOT, "registered %d workers in %.1f s%n", workers, (System.nanoTime() - setupStarted) / 1e9);
            Settling settling = new Settling(cluster, partitions);

            Phase placement = new Phase("full placement from nothing, to settled");
            int steps = placement.run(cluster, settling::settled, maxSteps);
            placement.print(steps);
            int steadyPasses = Integer.parseInt(options.getOrDefault("steady", "10"));
            Phase steady = new Phase("steady, nothing changes (" + steadyPasses + " passes)");
            steady.run(cluster, () -> false, steadyPasses);
            steady.print(steadyPasses);
            System.out.printf(Locale.ROOT, "heap after GC, settled: %d MiB%n", usedHeapAfterGc() >> 20);

            Set<NodeId> drained = drained(cluster, drain, workers);
            Map<PartitionId, Placement> before = new HashMap<>();
            cluster.storedPlacements.readAll().forEach((partition, versioned) -> before.put(partition, versioned.placement()));
            long minimum = before.values().stream().mapToLong(p -> p.current().stream().filter(drained::contains).count()).sum();
            long leaderships = before.values().stream().filter(p -> p.leader() != null && drained.contains(p.leader())).count();
            int transfersBefore = cluster.dataPlane.transfers;
            markDraining(cluster, drained);
            Phase draining = new Phase("drain of " + drained.size() + " workers, to every one disabled and nothing moving");
            steps = draining.run(cluster, () -> settling.settled() && drained.stream().allMatch(n -> cluster.state(n) == WorkerState.DISABLED), maxSteps);
            draining.print(steps);
            printPublished(cluster);
            long moved = 0;
            long otherMoves = 0;
            for (VersionedPlacement versioned : cluster.storedPlacements.readAll().values()) {
                Placement after = versioned.placement();
                for (NodeId member : after.current()) {
                    if (!before.get(after.partition()).current().contains(member)) {
                        moved++;
                    }
                }
                for (NodeId member : before.get(after.partition()).current()) {
                    if (!drained.contains(member) && !after.current().contains(member)) {
                        otherMoves++;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "replicas moved %d (minimum %d: what the drained workers held); replicas taken off workers not drained %d; "
                    + "leadership transfers %d (the drained workers led %d)%n", moved, minimum, otherMoves, cluster.dataPlane.transfers - transfersBefore,
                    leaderships);
            System.out.printf(Locale.ROOT, "converged in %d steps = %.1f s of simulated time%n", steps, steps * ControllerHarness.STEP.toMillis() / 1000.0);
            long heapAfter = usedHeapAfterGc();
            // The loop is all the controller keeps (its scheduler index, move book, observations, views); the rest is the
            // simulated store, workers and data plane. A new loop would take a new fencing epoch, so it is dropped instead.
            cluster.loop = null;
            long heapWithoutLoop = usedHeapAfterGc();
            System.out.printf(Locale.ROOT, "heap after GC, drained: %d MiB, of it the controller's soft state (its loop) %d MiB%n", heapAfter >> 20,
                    (heapAfter - heapWithoutLoop) >> 20);
        }
    }

    /**
     * What the controller published at the end: whether the stored status is the last pass's (a status the store refused
     * leaves an older one), its size and the drains it lists, and the drains' own documents.
     */
    private static void printPublished(ControllerHarness cluster) {
        ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
        java.util.Optional<dev.sluice.metadata.Versioned> stored = cluster.metadata.store().get(ControllerDocuments.STATUS);
        ControllerStatus published = documents.status().orElseThrow();
        java.util.SortedMap<String, dev.sluice.metadata.Versioned> drains = cluster.metadata.store().readChildren(ControllerDocuments.DRAIN_PROGRESS);
        long drainBytes = drains.values().stream().mapToLong(versioned -> versioned.value().length).sum();
        long largest = drains.values().stream().mapToLong(versioned -> versioned.value().length).max().orElse(0);
        System.out.printf(Locale.ROOT, "published status: pass %d of the loop's %d, %d bytes, listing %d drains of %d; drain documents %d, %d bytes in all"
                + " (largest %d)%n", published.passes(), cluster.loop.lastStatus().passes(), stored.orElseThrow().value().length, published.drains().size(),
                published.drainCount(), drains.size(), drainBytes, largest);
    }

    /** Workers 1…n (a third in each zone), or every worker of zone z0. */
    private static Set<NodeId> drained(ControllerHarness cluster, String drain, int workers) {
        Set<NodeId> drained = new HashSet<>();
        if (drain.equals("zone")) {
            for (NodeConfig node : cluster.metadata.nodes().current().workers()) {
                if (node.location().zone().equals("z0")) {
                    drained.add(node.nodeId());
                }
            }
        } else {
            for (int i = 1; i <= Integer.parseInt(drain) && i <= workers; i++) {
                drained.add(NodeId.of(i));
            }
        }
        return drained;
    }

    /**
     * Writes the workers as Draining in one version of the nodes configuration, as an operator's group drain does (a
     * group drain names at most 256 workers, and a zone has thousands here, so the version is written in batches).
     */
    private static void markDraining(ControllerHarness cluster, Set<NodeId> drained) {
        NodesConfiguration configuration = cluster.metadata.nodes().current();
        StateChange change = new StateChange(cluster.clock.instant(), Actor.OPERATOR, "bench drain", configuration.version().next(), "");
        List<NodeConfig> nodes = new ArrayList<>();
        for (NodeConfig node : configuration.nodes()) {
            nodes.add(drained.contains(node.nodeId()) ? node.withWorkerState(WorkerState.DRAINING, change) : node);
        }
        cluster.metadata.nodes().writeInBatches(new NodesConfiguration(configuration.version().next(), nodes, configuration.tombstones()));
    }

    /** Which partitions are not yet placed with a leader and no change under way, kept from the store's change list. */
    private static final class Settling {
        private final ControllerHarness cluster;
        private final int partitions;
        private final Set<PartitionId> unsettled = new HashSet<>();
        private int placed;
        private int bookmark;

        Settling(ControllerHarness cluster, int partitions) {
            this.cluster = cluster;
            this.partitions = partitions;
        }

        boolean settled() {
            Map<PartitionId, VersionedPlacement> all = cluster.storedPlacements.readAll();
            for (PartitionId partition : cluster.storedPlacements.changesSince(bookmark)) {
                VersionedPlacement versioned = all.get(partition);
                if (versioned != null && (versioned.placement().hasNext() || versioned.placement().leader() == null)) {
                    unsettled.add(partition);
                } else {
                    unsettled.remove(partition);
                }
            }
            bookmark = cluster.storedPlacements.changeCount();
            placed = all.size();
            return placed == partitions && unsettled.isEmpty();
        }
    }

    /** The passes of one phase: CPU time each, and the sum by part of the pass. */
    private static final class Phase {
        private final String name;
        /** The pass's CPU time less the simulated workers' building of their status answers (see SimulatedDataPlane). */
        private final List<Long> cpuNanos = new ArrayList<>();
        private final List<Long> answerNanos = new ArrayList<>();
        private final List<Long> statusPolls = new ArrayList<>();
        /** Of each pass's CPU, the in-memory store's calls (ZooKeeper's servers' work in a real cluster). */
        private final List<Long> storeNanos = new ArrayList<>();
        private final List<Long> feedNanos = new ArrayList<>();
        private final List<Long> statusWriterNanos = new ArrayList<>();
        private final List<Long> allocated = new ArrayList<>();
        private final Map<String, Long> parts = new LinkedHashMap<>();
        private long wallNanos;

        Phase(String name) {
            this.name = name;
        }

        /** Steps until {@code done} holds (checked before each step) or {@code maxSteps} ran; returns the steps run. */
        int run(ControllerHarness cluster, java.util.function.BooleanSupplier done, int maxSteps) {
            long thread = Thread.currentThread().threadId();
            long started = System.nanoTime();
            int steps = 0;
            while (steps < maxSteps && !done.getAsBoolean()) {
                long passStart = cluster.passNanos;
                long allocatedBefore = THREADS.getThreadAllocatedBytes(thread);
                long dataPlaneBefore = cluster.dataPlaneNanos;
                cluster.step();
                cpuNanos.add(cluster.lastPassCpuNanos - cluster.lastPassAnswerCpuNanos);
                answerNanos.add(cluster.lastPassAnswerCpuNanos);
                statusPolls.add(cluster.lastPassStatusPolls);
                storeNanos.add(cluster.lastPassStoreCpuNanos);
                feedNanos.add(cluster.lastPassFeedCpuNanos);
                statusWriterNanos.add(cluster.lastPassStatusWriterCpuNanos);
                // The step's allocation less the simulated workers' is not separable per thread; the pass's share is
                // estimated by its share of the step's wall time.
                long stepAllocated = THREADS.getThreadAllocatedBytes(thread) - allocatedBefore;
                long pass = cluster.passNanos - passStart;
                long total = pass + (cluster.dataPlaneNanos - dataPlaneBefore);
                allocated.add(total == 0 ? 0 : (long) (stepAllocated * (pass / (double) total)));
                PassTimings timings = cluster.loop.lastTimings();
                if (timings != null) {
                    timings.forEach((part, nanos) -> parts.merge(part, nanos, Long::sum));
                }
                long passCpu = cluster.lastPassCpuNanos - cluster.lastPassAnswerCpuNanos;
                if (passCpu > LONG_PASS_NANOS && timings != null) {
                    // A long pass says where its time went, so an outlier among the percentiles can be told apart.
                    StringBuilder where = new StringBuilder();
                    timings.forEach((part, nanos) -> where.append(String.format(Locale.ROOT, " %s %.0f ms,", part, nanos / 1e6)));
                    System.out.printf(Locale.ROOT, "  long pass at step %d: %.1f ms CPU (of it the store %.1f ms, the feed %.1f ms, the status writer %.1f ms; answers besides %.1f ms);"
                            + " wall by part:%s%n", steps, passCpu / 1e6, cluster.lastPassStoreCpuNanos / 1e6, cluster.lastPassFeedCpuNanos / 1e6,
                            cluster.lastPassStatusWriterCpuNanos / 1e6, cluster.lastPassAnswerCpuNanos / 1e6, where);
                }
                steps++;
                if (steps % 50 == 0) {
                    ControllerStatus status = cluster.loop.lastStatus();
                    System.out.printf(Locale.ROOT, "  … %d steps, last pass %.1f ms CPU; moves in flight %d, drains %s%n", steps, cluster.lastPassCpuNanos / 1e6,
                            status == null ? 0 : status.movesInFlight(), status == null ? "" : status.drains().stream()
                                    .map(d -> d.node() + " " + d.replicasRemaining() + (" " + d.state())).limit(3).toList());
                }
            }
            wallNanos = System.nanoTime() - started;
            return steps;
        }

        void print(int steps) {
            List<Long> sorted = new ArrayList<>(cpuNanos);
            sorted.sort(null);
            if (sorted.isEmpty()) {
                System.out.println(name + ": no pass");
                return;
            }
            long sum = sorted.stream().mapToLong(Long::longValue).sum();
            System.out.printf(Locale.ROOT, "%s: %d passes (%.1f s wall); pass CPU p50 %.1f / p99 %.1f / max %.1f ms, first %.1f ms, total %.1f s%n", name,
                    steps, wallNanos / 1e9, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6, sorted.getLast() / 1e6, cpuNanos.getFirst() / 1e6,
                    sum / 1e9);
            List<Long> answers = new ArrayList<>(answerNanos);
            answers.sort(null);
            List<Long> polls = new ArrayList<>(statusPolls);
            polls.sort(null);
            System.out.printf(Locale.ROOT, "  (not in the above: the simulated workers building their status answers inside the pass, p50 %.1f / max %.1f ms;"
                    + " status polls a pass p50 %d / max %d)%n", percentile(answers, 0.5) / 1e6, answers.getLast() / 1e6, percentile(polls, 0.5), polls.getLast());
            List<Long> withoutStore = new ArrayList<>();
            List<Long> store = new ArrayList<>(storeNanos);
            List<Long> feed = new ArrayList<>(feedNanos);
            List<Long> statusWriter = new ArrayList<>(statusWriterNanos);
            for (int i = 0; i < cpuNanos.size(); i++) {
                withoutStore.add(cpuNanos.get(i) - storeNanos.get(i) - feedNanos.get(i) - statusWriterNanos.get(i));
            }
            withoutStore.sort(null);
            store.sort(null);
            feed.sort(null);
            statusWriter.sort(null);
            System.out.printf(Locale.ROOT, "  of it the in-memory store's calls (ZooKeeper's servers' work in a real cluster) p50 %.1f / max %.1f ms, the harness's"
                    + " placement feed (the watch thread's in a real cluster) p50 %.1f / max %.1f ms, the status writer (its own thread in a running"
                    + " controller) p50 %.1f / max %.1f ms;%n  the pass without them p50 %.1f / p99 %.1f / max %.1f ms%n",
                    percentile(store, 0.5) / 1e6, store.getLast() / 1e6, percentile(feed, 0.5) / 1e6, feed.getLast() / 1e6,
                    percentile(statusWriter, 0.5) / 1e6, statusWriter.getLast() / 1e6,
                    percentile(withoutStore, 0.5) / 1e6, percentile(withoutStore, 0.99) / 1e6, withoutStore.getLast() / 1e6);
            List<Long> allocatedSorted = new ArrayList<>(allocated);
            allocatedSorted.sort(null);
            System.out.printf(Locale.ROOT, "  allocation a pass (estimated) p50 %.1f MiB / p99 %.1f MiB%n", percentile(allocatedSorted, 0.5) / 1048576.0,
                    percentile(allocatedSorted, 0.99) / 1048576.0);
            StringBuilder where = new StringBuilder("  wall time by part, summed:");
            parts.forEach((part, nanos) -> where.append(String.format(Locale.ROOT, " %s %.0f ms,", part, nanos / 1e6)));
            System.out.println(where);
        }
    }

    static long percentile(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1 < 0 ? 0 : (int) Math.ceil(q * sorted.size()) - 1));
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
