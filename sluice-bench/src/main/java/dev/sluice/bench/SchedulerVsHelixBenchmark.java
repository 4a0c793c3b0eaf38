package dev.sluice.bench;

import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time per operation of Sluice's scheduler and of Apache Helix's CrushEd and Auto rebalance strategies
 * on the same cluster (replication 3 over 3 zones), single-threaded: a full placement from scratch, and
 * the incremental drain of one worker from the converged placement. Sluice's drain is one pass with
 * throttles lifted, which plans every move of the drain; Helix's is one assignment with the worker out
 * of the live nodes (CrushEd) or evacuated (Auto, which otherwise drops the worker's replicas without
 * replacing them). Quality figures (balance, moves) come from {@link ScheduleQuality}.
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

    @Setup(Level.Trial)
    public void setUp() {
        BenchCluster cluster = BenchCluster.parse(shape);
        fresh = cluster.freshInput();
        drain = cluster.drainInput(cluster.convergedInput());
        helix = new HelixSide(cluster);
        crushEdBefore = helix.fullPlacement(HelixSide.Strategy.CRUSHED);
        autoBefore = helix.fullPlacement(HelixSide.Strategy.AUTO);
    }

    @Benchmark
    public Plan sluiceFullPlacement() {
        return Scheduler.schedule(fresh);
    }

    @Benchmark
    public Plan sluiceDrainOneWorker() {
        return Scheduler.schedule(drain);
    }

    @Benchmark
    public Map<String, List<String>> helixCrushEdFullPlacement() {
        return helix.fullPlacement(HelixSide.Strategy.CRUSHED);
    }

    @Benchmark
    public Map<String, List<String>> helixCrushEdDrainOneWorker() {
        return helix.drain(HelixSide.Strategy.CRUSHED, HelixSide.Drain.NOT_LIVE, crushEdBefore);
    }

    @Benchmark
    public Map<String, List<String>> helixAutoFullPlacement() {
        return helix.fullPlacement(HelixSide.Strategy.AUTO);
    }

    @Benchmark
    public Map<String, List<String>> helixAutoDrainOneWorker() {
        return helix.drain(HelixSide.Strategy.AUTO, HelixSide.Drain.EVACUATE, autoBefore);
    }
}
