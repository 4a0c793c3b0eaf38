package dev.sluice.bench;

import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Time per operation of Sluice's scheduler and of Apache Helix's CrushEd and Auto rebalance strategies
 * on the same cluster (replication 3 over 3 zones), single-threaded: a full placement from scratch, and
 * the incremental drain of one worker from the converged placement. Sluice's drain is one pass with
 * throttles lifted, which plans every move of the drain; Helix's is one assignment with the worker out
 * of the live nodes (CrushEd) or evacuated (Auto, which otherwise drops the worker's replicas without
 * replacing them). Quality figures (balance, moves) come from {@link ScheduleQuality}.
 *
 * <p>Besides JMH's wall-clock score, each trial prints a {@code cpu-time} line: the benchmark thread's
 * CPU time per operation over the measurement iterations. On a machine shared with other work (the
 * build machine runs other builds) wall-clock time includes waiting for a core; CPU time does not.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-XX:ActiveProcessorCount=1"})
@Threads(1)
public class SchedulerVsHelixBenchmark {

    @Param({"100x10000", "1000x100000"})
    public String shape;

    private SchedulerInput fresh;
    private SchedulerInput drain;
    private HelixSide helix;
    private Map<String, List<String>> crushEdBefore;
    private Map<String, List<String>> autoBefore;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private boolean measuring;
    private long cpuNanos;
    private long operations;

    @Setup(Level.Trial)
    public void setUp() {
        BenchCluster cluster = BenchCluster.parse(shape);
        fresh = cluster.freshInput();
        drain = cluster.drainInput(cluster.convergedInput());
        helix = new HelixSide(cluster);
        crushEdBefore = helix.fullPlacement(HelixSide.Strategy.CRUSHED);
        autoBefore = helix.fullPlacement(HelixSide.Strategy.AUTO);
    }

    @Setup(Level.Iteration)
    public void startIteration(IterationParams iteration) {
        measuring = iteration.getType() == IterationType.MEASUREMENT;
    }

    @TearDown(Level.Trial)
    public void reportCpuTime(BenchmarkParams benchmark) {
        String name = benchmark.getBenchmark().substring(benchmark.getBenchmark().lastIndexOf('.') + 1);
        System.out.printf(Locale.ROOT, "%ncpu-time %s %s %.1f ms/op over %d ops%n", name, shape,
                operations == 0 ? Double.NaN : cpuNanos / 1e6 / operations, operations);
    }

    private <T> T cpuTimed(Supplier<T> work) {
        long start = THREADS.getCurrentThreadCpuTime();
        T result = work.get();
        if (measuring) {
            cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
            operations++;
        }
        return result;
    }

    @Benchmark
    public Plan sluiceFullPlacement() {
        return cpuTimed(() -> Scheduler.schedule(fresh));
    }

    @Benchmark
    public Plan sluiceDrainOneWorker() {
        return cpuTimed(() -> Scheduler.schedule(drain));
    }

    @Benchmark
    public Map<String, List<String>> helixCrushEdFullPlacement() {
        return cpuTimed(() -> helix.fullPlacement(HelixSide.Strategy.CRUSHED));
    }

    @Benchmark
    public Map<String, List<String>> helixCrushEdDrainOneWorker() {
        return cpuTimed(() -> helix.drain(HelixSide.Strategy.CRUSHED, HelixSide.Drain.NOT_LIVE, crushEdBefore));
    }

    @Benchmark
    public Map<String, List<String>> helixAutoFullPlacement() {
        return cpuTimed(() -> helix.fullPlacement(HelixSide.Strategy.AUTO));
    }

    @Benchmark
    public Map<String, List<String>> helixAutoDrainOneWorker() {
        return cpuTimed(() -> helix.drain(HelixSide.Strategy.AUTO, HelixSide.Drain.EVACUATE, autoBefore));
    }
}
