package dev.sluice.controller;

import dev.sluice.model.ReplicationProperty;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A zone's group drain asked of the API's side ({@link DrainGroupRequests}) at fleet size, on the deterministic simulation:
 * places every partition, then times the dry-run and the start of draining zone z0, says what came back, and steps the
 * controller until it has made every member draining. Not a test:
 * run it as a program on the test classpath (docs/benchmarks.md, "A zone's group drain at fleet size", has the command).
 * Options: {@code --workers 10000 --partitions 1000000 --zones 4} (3 replicas in 3 zones; worker i in zone
 * {@code z((i-1) mod zones)}).
 */
final class GroupDrainScale {

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private GroupDrainScale() {}

    public static void main(String[] args) {
        Map<String, String> options = ControllerScale.options(args);
        int workers = Integer.parseInt(options.getOrDefault("workers", "1000"));
        int partitions = Integer.parseInt(options.getOrDefault("partitions", "100000"));
        int zoneCount = Integer.parseInt(options.getOrDefault("zones", "4"));
        String[] zones = new String[zoneCount];
        for (int z = 0; z < zoneCount; z++) {
            zones[z] = "z" + z;
        }
        System.out.printf(Locale.ROOT, "GroupDrainScale: %d workers × %d partitions × 3 in %d zones; heap limit %d MiB%n", workers, partitions, zoneCount,
                Runtime.getRuntime().maxMemory() >> 20);
        try (ControllerHarness cluster = ControllerHarness.atScale(workers, partitions, new ReplicationProperty(3, 3), ControllerConfig.DEFAULTS, 2, zones)) {
            cluster.runUntil(cluster::settled, 200, "initial placement");
            DrainGroupRequests requests = new DrainGroupRequests(cluster.metadata, new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock),
                    cluster.clock);
            String zone = cluster.metadata.nodes().current().workers().getFirst().location().toString();
            DrainGroupRequests.Selection selection = new DrainGroupRequests.Selection(List.of(), zone);
            for (boolean dryRun : new boolean[] {true, false}) {
                long cpu = THREADS.getCurrentThreadCpuTime();
                long allocated = THREADS.getCurrentThreadAllocatedBytes();
                long wall = System.nanoTime();
                DrainGroupRequests.Outcome outcome = requests.start(selection, null, "zone retired", false, dryRun, Optional.empty());
                System.out.printf(Locale.ROOT, "%s of zone %s: %.1f ms CPU, %.1f s wall, %d MiB allocated: %s%n", dryRun ? "dry-run" : "start", zone,
                        (THREADS.getCurrentThreadCpuTime() - cpu) / 1e6, (System.nanoTime() - wall) / 1e9,
                        (THREADS.getCurrentThreadAllocatedBytes() - allocated) >> 20, describe(outcome));
                if (outcome instanceof DrainGroupRequests.Outcome.Started started) {
                    // The controller makes the members beyond the first write draining, a write a pass.
                    String id = started.group().id();
                    int passes = 0;
                    while (passes < 100 && !requests.find(id).orElseThrow().pending().isEmpty()) {
                        cluster.step();
                        passes++;
                    }
                    long draining = started.group().nodes().stream().filter(node -> cluster.state(node) == dev.sluice.model.WorkerState.DRAINING).count();
                    System.out.printf(Locale.ROOT, "after %d controller passes: %d of %d members draining, %d pending%n", passes, draining,
                            started.group().nodes().size(), requests.find(id).orElseThrow().pending().size());
                }
            }
        }
    }

    private static String describe(DrainGroupRequests.Outcome outcome) {
        return switch (outcome) {
            case DrainGroupRequests.Outcome.Planned planned -> "planned " + planned.plan().members().size() + " members, " + planned.plan().blocking().size()
                    + " blocking, " + planned.plan().dryRun().moves().size() + " moves in " + planned.plan().waves().count() + " waves ("
                    + planned.plan().waves().listed().size() + " listed)";
            case DrainGroupRequests.Outcome.Started started -> "started " + started.group().id() + " with " + started.group().nodes().size() + " members";
            default -> outcome.toString().substring(0, Math.min(400, outcome.toString().length()));
        };
    }
}
