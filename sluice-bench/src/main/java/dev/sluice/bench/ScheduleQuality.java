package dev.sluice.bench;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.scheduler.DryRunReport;
import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.WhatIf;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Prints, for each cluster shape, what a placement looks like and what a single-worker drain costs, for
 * Sluice and for Helix's CrushEd and Auto strategies on the same cluster: replicas and leaders per
 * worker (min/max, against the mean), partitions that violate the zone spread, replicas moved and
 * leaderships changed by the drain against the minimum (what the drained worker held), and the
 * single-threaded CPU time of the fastest of a few runs (thread CPU time: it does not count waiting for
 * a core on a busy machine, nor garbage collection, which runs on other threads). The JMH benchmark
 * gives wall-clock time per operation.
 *
 * <p>Usage: {@code java -cp sluice-bench/target/benchmarks.jar dev.sluice.bench.ScheduleQuality [shape…]}
 * with shapes like {@code 100x10000} (default: {@code 100x10000 1000x100000}).
 */
public final class ScheduleQuality {

    /** Runs of each Sluice operation; the fastest CPU time is reported (the first ones include JIT warm-up). */
    private static final int SLUICE_RUNS = 10;
    /** Runs of each Helix operation (seconds each on the large cluster). */
    private static final int HELIX_RUNS = 3;

    private ScheduleQuality() {}

    public static void main(String[] args) {
        List<String> shapes = args.length == 0 ? List.of("100x10000", "1000x100000") : List.of(args);
        System.out.println("| cluster | placer | full placement CPU ms | replicas/worker min–max (mean) | leaders/worker min–max (mean)"
                + " | zone-spread violations | drain CPU ms | replicas moved (min) | leader changes (min) | after drain: replicas/worker"
                + " | after drain: leaders/worker | after drain: under-replicated or spread violations |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (String shape : shapes) {
            BenchCluster cluster = BenchCluster.parse(shape);
            sluice(cluster, shape);
            for (HelixSide.Drain how : HelixSide.Drain.values()) {
                helix(cluster, shape, HelixSide.Strategy.CRUSHED, how, "Helix CrushEd, drain " + how.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            for (HelixSide.Drain how : HelixSide.Drain.values()) {
                helix(cluster, shape, HelixSide.Strategy.AUTO, how, "Helix Auto, drain " + how.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
        }
    }

    private static void sluice(BenchCluster cluster, String shape) {
        SchedulerInput fresh = cluster.freshInput();
        Timed<Plan> full = time(SLUICE_RUNS, () -> Scheduler.schedule(fresh));
        Map<PartitionId, Placement> placed = BenchCluster.apply(Map.of(), full.value);
        SchedulerInput converged = fresh.withPlacements(placed);
        Map<String, List<String>> lists = new HashMap<>();
        for (Placement placement : placed.values()) {
            List<String> names = new ArrayList<>();
            names.add("w" + placement.leader().value());
            placement.current().stream().filter(id -> !id.equals(placement.leader())).forEach(id -> names.add("w" + id.value()));
            lists.put(placement.partition().toString(), names);
        }
        SchedulerInput drain = cluster.drainInput(converged);
        Timed<Plan> pass = time(SLUICE_RUNS, () -> Scheduler.schedule(drain));
        DryRunReport report = Scheduler.dryRun(converged, WhatIf.draining(NodeId.of(BenchCluster.DRAINED)));
        Map<String, List<String>> after = new HashMap<>();
        for (Map.Entry<String, List<String>> entry : lists.entrySet()) {
            after.put(entry.getKey(), new ArrayList<>(entry.getValue()));
        }
        Map<String, String> leaderAfter = new HashMap<>();
        for (var move : report.moves()) {
            List<String> list = after.get(move.partition().toString());
            list.set(list.indexOf("w" + move.from().value()), "w" + move.to().value());
        }
        for (var change : report.leadershipChanges()) {
            leaderAfter.put(change.partition().toString(), "w" + change.to().value());
        }
        leaderAfter.forEach((partition, leader) -> {
            List<String> list = after.get(partition);
            list.remove(leader);
            list.addFirst(leader);
        });
        row(cluster, shape, "Sluice", full.cpuMillis, lists, pass.cpuMillis, report.moves().size(), report.leadershipChanges().size(), after);
    }

    private static void helix(BenchCluster cluster, String shape, HelixSide.Strategy strategy, HelixSide.Drain how, String name) {
        HelixSide helix = new HelixSide(cluster);
        Timed<Map<String, List<String>>> full = time(HELIX_RUNS, () -> helix.fullPlacement(strategy));
        Timed<Map<String, List<String>>> drained = time(HELIX_RUNS, () -> helix.drain(strategy, how, full.value));
        int moved = 0;
        int leaders = 0;
        for (Map.Entry<String, List<String>> entry : full.value.entrySet()) {
            List<String> before = entry.getValue();
            List<String> after = drained.value.getOrDefault(entry.getKey(), List.of());
            Set<String> added = new HashSet<>(after);
            before.forEach(added::remove);
            moved += added.size();
            String leaderBefore = before.isEmpty() ? null : before.getFirst();
            String leaderAfter = after.isEmpty() ? null : after.getFirst();
            if (leaderBefore != null && !leaderBefore.equals(leaderAfter)) {
                leaders++;
            }
        }
        row(cluster, shape, name, full.cpuMillis, full.value, drained.cpuMillis, moved, leaders, drained.value);
    }

    private static void row(BenchCluster cluster, String shape, String placer, double fullMillis, Map<String, List<String>> lists,
            double drainMillis, int moved, int leaderChanges, Map<String, List<String>> after) {
        Counts before = counts(cluster, lists, null);
        Counts drained = counts(cluster, after, "w" + BenchCluster.DRAINED);
        String drainedName = "w" + BenchCluster.DRAINED;
        double meanReplicas = (double) cluster.partitions() * cluster.replicas() / cluster.workers();
        double meanLeaders = (double) cluster.partitions() / cluster.workers();
        System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %d–%d (%.1f) | %d–%d (%.1f) | %d | %.1f | %d (%d) | %d (%d) | %d–%d | %d–%d | %d |%n", shape, placer,
                fullMillis, min(before.replicas), max(before.replicas), meanReplicas, min(before.leaders), max(before.leaders), meanLeaders,
                before.violations, drainMillis, moved, before.replicas.get(drainedName), leaderChanges, before.leaders.get(drainedName),
                min(drained.replicas), max(drained.replicas), min(drained.leaders), max(drained.leaders), drained.violations);
    }

    private record Counts(Map<String, Integer> replicas, Map<String, Integer> leaders, int violations) {}

    /** Replicas and leaders per worker (without {@code excluded}), and partitions short of replicas or zones. */
    private static Counts counts(BenchCluster cluster, Map<String, List<String>> lists, String excluded) {
        Map<String, Integer> replicas = new HashMap<>();
        Map<String, Integer> leaders = new HashMap<>();
        for (String node : cluster.helixNodes()) {
            if (!node.equals(excluded)) {
                replicas.put(node, 0);
                leaders.put(node, 0);
            }
        }
        int violations = 0;
        for (List<String> list : lists.values()) {
            Set<String> zones = new HashSet<>();
            for (String node : list) {
                replicas.merge(node, 1, Integer::sum);
                zones.add(cluster.zoneOf(Integer.parseInt(node.substring(1))));
            }
            if (!list.isEmpty()) {
                leaders.merge(list.getFirst(), 1, Integer::sum);
            }
            if (list.size() < cluster.replicas() || zones.size() < cluster.zones()) {
                violations++;
            }
        }
        return new Counts(replicas, leaders, violations);
    }

    private static int min(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
    }

    private static int max(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    private record Timed<T>(T value, double cpuMillis) {}

    private static <T> Timed<T> time(int runs, Supplier<T> work) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        T value = null;
        long best = Long.MAX_VALUE;
        for (int run = 0; run < runs; run++) {
            long start = threads.getCurrentThreadCpuTime();
            value = work.get();
            best = Math.min(best, threads.getCurrentThreadCpuTime() - start);
        }
        return new Timed<>(value, best / 1e6);
    }
}
