package dev.sluice.testkit.bench;

import dev.sluice.testkit.LocalTestCluster;
import dev.sluice.raft.RatisSettings;
import dev.sluice.testkit.TestNode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures what an idle worker costs at a given number of replicas: threads, heap and CPU. Starts an
 * in-process cluster of {@value #WORKERS} workers with replication {@value #WORKERS}, so every worker holds
 * one replica of every partition (partitions = replicas per worker), lets it settle, then samples the
 * process over a quiet window. The JVM's own baseline (measured first, with an embedded ZooKeeper and no
 * worker) is subtracted and the rest divided by the worker count.
 *
 * <pre>
 * ./mvnw -q -pl sluice-testkit -am compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.WorkerFootprint 24 72 144
 * </pre>
 *
 * Not a test: it makes no assertion, and its numbers depend on what else the machine runs.
 */
public final class WorkerFootprint {

    static final int WORKERS = 3;
    static final Duration SETTLE = Duration.ofSeconds(20);
    static final Duration WINDOW = Duration.ofSeconds(30);

    private WorkerFootprint() {}

    record Sample(int threads, long heapBytes, double cpuCores) {}

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        boolean byThread = false;
        for (String arg : args) {
            if (arg.equals("--by-thread")) {
                byThread = true;
            } else {
                sizes.add(Integer.parseInt(arg));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(24, 72, 144);
        }
        Sample baseline = sample();
        System.out.printf(Locale.ROOT, "baseline JVM: %d threads, %.0f MiB heap, %.2f%% of a core%n",
                baseline.threads(), baseline.heapBytes() / 1048576.0, baseline.cpuCores() * 100);
        System.out.println("| replicas per worker | divisions in the JVM | threads per worker | heap per worker (MiB) | idle CPU per worker (% of one core) |");
        System.out.println("|---|---|---|---|---|");
        for (int replicas : sizes) {
            try (LocalTestCluster cluster = LocalTestCluster.builder().clusterName("footprint-" + replicas).workers(WORKERS).partitions(replicas)
                    .replication(WORKERS).ratis(settings()).startTimeout(Duration.ofMinutes(5)).start()) {
                int divisions = cluster.nodes().stream().mapToInt(node -> node.worker().hostedPartitions().size()).sum();
                pause(SETTLE);
                if (byThread) {
                    printCpuByThreadKind();
                }
                Sample loaded = sample();
                System.out.printf(Locale.ROOT, "| %d | %d | %.0f | %.1f | %.2f |%n", replicas, divisions,
                        (loaded.threads() - baseline.threads()) / (double) WORKERS,
                        (loaded.heapBytes() - baseline.heapBytes()) / 1048576.0 / WORKERS,
                        (loaded.cpuCores() - baseline.cpuCores()) * 100 / WORKERS);
                for (TestNode node : cluster.nodes()) {
                    if (node.worker().hostedPartitions().size() != replicas) {
                        System.out.println("  note: " + node.name() + " holds " + node.worker().hostedPartitions().size() + " replicas");
                    }
                }
            }
            System.gc();
            pause(Duration.ofSeconds(5));
        }
    }

    /** The defaults, or other election timeouts from {@code -Dsluice.bench.rpcMinMillis} and {@code -Dsluice.bench.rpcMaxMillis}. */
    static RatisSettings settings() {
        RatisSettings defaults = RatisSettings.defaults();
        long min = Long.getLong("sluice.bench.rpcMinMillis", defaults.rpcTimeoutMin().toMillis());
        long max = Long.getLong("sluice.bench.rpcMaxMillis", defaults.rpcTimeoutMax().toMillis());
        RatisSettings chosen = defaults.withRpcTimeouts(Duration.ofMillis(min), Duration.ofMillis(max));
        System.out.println("election timeouts " + chosen.rpcTimeoutMin() + " to " + chosen.rpcTimeoutMax());
        return chosen;
    }

    /** Which kinds of thread (names with numbers and group ids blanked) used the CPU over a window. */
    static void printCpuByThreadKind() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        java.util.Map<Long, Long> before = new java.util.HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            before.put(id, threads.getThreadCpuTime(id));
        }
        pause(WINDOW);
        java.util.Map<String, long[]> byKind = new java.util.TreeMap<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId()) - before.getOrDefault(info.getThreadId(), 0L);
            String kind = info.getThreadName().replaceAll("group-[0-9A-F]{12}", "group-*").replaceAll("[0-9]+", "#");
            long[] total = byKind.computeIfAbsent(kind, k -> new long[2]);
            total[0] += Math.max(0, cpu);
            total[1]++;
        }
        byKind.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(15)
                .forEach(e -> System.out.printf(Locale.ROOT, "    %6.2f%% of a core  %4d threads  %s%n",
                        e.getValue()[0] * 100.0 / WINDOW.toNanos(), e.getValue()[1], e.getKey()));
    }

    /** Threads now, heap after a full GC, and process CPU over {@link #WINDOW}, in cores. */
    static Sample sample() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        System.gc();
        long heap = memory.getHeapMemoryUsage().getUsed();
        long cpuBefore = os.getProcessCpuTime();
        long wallBefore = System.nanoTime();
        pause(WINDOW);
        long cpu = os.getProcessCpuTime() - cpuBefore;
        long wall = System.nanoTime() - wallBefore;
        return new Sample(threads.getThreadCount(), heap, cpu / (double) wall);
    }

    private static void pause(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < deadline) {
            LockSupport.parkNanos(deadline - System.nanoTime());
        }
    }
}
