package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Many seeds of the {@link ControllerSimulation}, each a few thousand steps. A failing seed is printed;
 * {@code -Dsluice.sim.seed=N} replays exactly that one, and {@code -Dsluice.sim.seeds} /
 * {@code -Dsluice.sim.steps} make a long run:
 *
 * <pre>
 * ./mvnw -pl sluice-controller -am test -Dtest=ControllerSimulationTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dsluice.sim.seeds=500 -Dsluice.sim.steps=20000
 * </pre>
 *
 * {@code -Dsluice.sim.workers=N -Dsluice.sim.partitions=M} run every seed on a cluster of that size instead
 * of the small one each seed draws (each seed still draws its throttles, latency and faults); such runs, and
 * {@code -Dsluice.sim.timing=true}, also print where the time went. See docs/reliability.md.
 */
class ControllerSimulationTest {

    static final int SEEDS_IN_THE_BUILD = 12;
    static final int SEEDS = Integer.getInteger("sluice.sim.seeds", SEEDS_IN_THE_BUILD);
    static final int FAULT_STEPS = Integer.getInteger("sluice.sim.steps", 1_500);
    /** Enough for every drain the faults left behind to finish: a few hundred moves at 100 ms a step. */
    static final int HEAL_STEPS = Integer.getInteger("sluice.sim.heal", 2_500);

    /** Where the build's seeds come from. */
    static final long BUILD_FIRST_SEED = 20_261_128L;

    @Test
    void everySeedKeepsTheInvariantsAndEndsSettled() {
        String replay = System.getProperty("sluice.sim.seed");
        // The build runs fixed seeds, so a red build is a regression, not a roll of the dice; explore new ones
        // with -Dsluice.sim.first=<any number>.
        long first = Long.getLong("sluice.sim.first", BUILD_FIRST_SEED);
        List<Long> seeds = new ArrayList<>();
        if (replay != null) {
            seeds.add(Long.parseLong(replay));
        } else {
            SplittableRandom seedSource = new SplittableRandom(first);
            for (int i = 0; i < SEEDS; i++) {
                seeds.add(seedSource.nextLong());
            }
            System.out.println("ControllerSimulationTest: " + SEEDS + " seeds from -Dsluice.sim.first=" + first);
        }
        ControllerSimulation.Size size = ControllerSimulation.Size.fromProperties(System::getProperty).orElse(null);
        if (size != null) {
            System.out.println("ControllerSimulationTest: " + size.workers() + " workers × " + size.partitions() + " partitions (-Dsluice.sim.workers, "
                    + "-Dsluice.sim.partitions) instead of the sizes the seeds draw");
        }
        boolean timing = size != null || Boolean.getBoolean("sluice.sim.timing");
        List<String> failed = new ArrayList<>();
        long stepsRun = 0;
        java.util.Map<String, Integer> faults = new java.util.TreeMap<>();
        java.util.Map<String, Integer> drains = new java.util.TreeMap<>();
        long runStarted = System.nanoTime();
        for (long seed : seeds) {
            long started = System.nanoTime();
            ControllerSimulation.Outcome outcome = ControllerSimulation.run(seed, size, FAULT_STEPS, HEAL_STEPS);
            System.out.printf("%s (%d ms)%n", outcome.summary(), (System.nanoTime() - started) / 1_000_000);
            if (timing) {
                System.out.println("    " + outcome.timings().describe() + ", heap " + HeapUse.describe());
            }
            stepsRun += outcome.steps();
            outcome.faults().forEach((kind, count) -> faults.merge(kind, count, Integer::sum));
            outcome.drains().forEach((kind, count) -> drains.merge(kind, count, Integer::sum));
            if (!outcome.ok()) {
                failed.add("replay with -Dsluice.sim.seed=" + seed + (size == null ? "" : " -Dsluice.sim.workers=" + size.workers()
                        + " -Dsluice.sim.partitions=" + size.partitions()) + ": " + outcome.violations().getFirst());
            }
        }
        if (timing || seeds.size() > SEEDS_IN_THE_BUILD) {
            System.out.printf("ControllerSimulationTest: %d seeds, %d steps in %d s, %d with violations; faults %s, drains %s; heap %s%n", seeds.size(),
                    stepsRun, (System.nanoTime() - runStarted) / 1_000_000_000, failed.size(), faults, drains, HeapUse.describe());
        }
        assertThat(failed).as("seeds with violations").isEmpty();
    }

    /** The JVM's heap: the most it has held since it started (summed over its pools), and its limit. */
    static final class HeapUse {
        static String describe() {
            long peak = 0;
            for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            return "peak " + peak / (1 << 20) + " MiB of " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB";
        }
    }
}
