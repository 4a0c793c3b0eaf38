package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The short form of {@code sluice hosts drain-rejoin}, for every build: a cluster whose three ZooKeeper servers and
 * three nodes are each a process on a host of its own (a network namespace with its own address), run with TLS,
 * scoped credentials and the ZooKeeper secret as across machines, serves the chaos clients' writes while one worker
 * is drained to disabled; no acknowledged write may be lost, and when the cluster is closed nothing of the run may
 * remain: no namespace, no link, no owner file, no process. Three workers with two replicas each keep the build
 * short (the long form and docs/benchmarks.md use more). {@code -Dsluice.hosts.seed=N} picks another worker to drain.
 * Skips, saying why, where hosts cannot be made, unless {@code SLUICE_CHAOS_REQUIRED} is set (CI sets it).
 */
class MultiHostClusterTest {

    static final long BUILD_SEED = 20261129L;
    static final int WORKERS = 3;
    static final int PARTITIONS = 6;
    static final int REPLICATION = 2;

    @Test
    void aClusterOfHostsDrainsAWorkerUnderLoadWithoutLosingAWriteAndLeavesNothingBehind() throws Exception {
        HostsRequirement.requireOrSkip("MultiHostClusterTest", HostNetwork.unsupported());

        long seed = Optional.ofNullable(System.getProperty("sluice.hosts.seed")).map(Long::parseLong).orElse(BUILD_SEED);
        String runId;
        List<Long> pids = new ArrayList<>();
        DrainRejoin.Result result;
        try (ChaosCluster cluster = ChaosCluster.start(Path.of("target", "hosts-test", Long.toString(System.currentTimeMillis())),
                HostsMain.layout(WORKERS, PARTITIONS, REPLICATION), System.out)) {
            runId = cluster.network().runId();
            for (HostProcess process : cluster.allProcesses()) {
                pids.add(process.pid().orElseThrow());
                // Each process runs inside its own host, not in this machine's namespace.
                assertThat(Shell.run("ip", "netns", "identify", Long.toString(process.pid().orElseThrow())).output())
                        .as("the namespace of %s", process).isEqualTo(process.host().namespace());
            }
            assertThat(cluster.allProcesses().stream().map(p -> p.host().address()).distinct()).hasSize(WORKERS + ChaosCluster.ZOOKEEPERS);

            result = DrainRejoin.run(cluster, seed, false, System.out);
            result.describe().forEach(System.out::println);
        }

        assertThat(result.problems()).as("seed %d (replay with -Dsluice.hosts.seed=%d)", seed, seed).isEmpty();
        assertThat(result.writesAcknowledged()).as("acknowledged writes").isPositive();
        assertThat(result.lostWrites()).as("lost writes").isZero();
        assertThat(result.drainSeconds()).as("the drain ended with the worker disabled").isNotNegative();
        // Minimal movement: a drain copies each replica the worker held once, and nothing else.
        assertThat(result.drainMoves()).as("replica moves of the drain").isEqualTo(result.replicasHeld());
        assertThat(HostNetwork.leftovers(runId)).as("what run %s left", runId).isEmpty();
        assertThat(pids).as("processes of the run still alive").noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }
}
