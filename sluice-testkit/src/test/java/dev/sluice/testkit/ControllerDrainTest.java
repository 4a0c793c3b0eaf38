package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ClusterController;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.server.ControlPlane;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The controller issue's done-when, on real nodes (embedded ZooKeeper, Ratis over gRPC, HTTP) with the
 * controller deciding everything, where only real nodes can show it: a drain under continuous client writes
 * loses nothing, the client sees no error and the drained worker keeps no group files; a killed controller
 * leader or a killed receiving worker does not stop a drain. What a drain does to placements, Raft groups,
 * events and the drain's status is checked on both planes by the shared scenarios
 * ({@code LifecycleScenarios}, run here by {@link LocalClusterLifecycleScenariosTest}).
 */
class ControllerDrainTest {

    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);
    static final Duration GRACE = Duration.ofSeconds(10);

    /**
     * The clusters of this class and of the four that share {@link #start} (WorkerComebackTest,
     * PartitionPolicyClusterTest, CordonAndRemoveClusterTest, GroupDrainClusterTest) pass every second when
     * idle, as the lifecycle scenarios do: what only a pass notices (a leader elected, a removal finished, a
     * drained worker holding nothing) otherwise waited up to the default 5 s each time a test went quiet.
     * Deadlines are unchanged.
     */
    static LocalTestCluster start(int workers, int partitions) throws IOException {
        ControllerConfig config = LocalClusterLifecycleScenariosTest.withIdlePassInterval(
                ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 16, GRACE, 16)), LocalClusterLifecycleScenariosTest.IDLE_PASS_INTERVAL);
        LocalTestCluster cluster = LocalTestCluster.builder().workers(workers).partitions(partitions).replication(3)
                .sessionTimeout(Duration.ofSeconds(6))
                .controlPlane(config, Optional.empty())
                .start();
        cluster.awaitLeaders(Duration.ofMinutes(1));
        await("the controller placed every partition").atMost(Duration.ofMinutes(1)).until(() -> settled(cluster)
                && cluster.metadata().placements().readAll().size() == partitions);
        return cluster;
    }

    static boolean settled(LocalTestCluster cluster) {
        return cluster.metadata().placements().readAll().values().stream().noneMatch(v -> v.placement().hasNext());
    }

    static Lifecycle lifecycle(LocalTestCluster cluster) {
        return new Lifecycle(cluster.metadata(), SchedulerLimits.DEFAULTS, InstantSource.system());
    }

    static WorkerState state(LocalTestCluster cluster, NodeId node) {
        return cluster.metadata().nodes().current().find(node).orElseThrow().workerState();
    }

    static Workload load(LocalTestCluster cluster) {
        SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(7)).callTimeout(Duration.ofSeconds(60)));
        Workload workload = new Workload(client, new Workload.Options(4, 2_000, 0, 64));
        workload.start();
        return workload;
    }

    static void assertNothingLost(LocalTestCluster cluster, Workload workload) {
        workload.stop();
        assertThat(workload.errors()).as("client errors: %s", workload.errorSamples()).isZero();
        assertThat(workload.writes()).isPositive();
        Workload.Verification verification = workload.verify(cluster.client());
        assertThat(verification.mismatches()).isEmpty();
        assertThat(verification.keysChecked()).isPositive();
    }

    static Optional<Integer> controllerLeader(LocalTestCluster cluster) {
        for (TestNode node : cluster.nodes()) {
            if (node.isRunning()) {
                Optional<ClusterController> controller = node.process().components().stream()
                        .filter(ControlPlane.class::isInstance).map(ControlPlane.class::cast).findFirst().flatMap(ControlPlane::controller);
                if (controller.isPresent() && controller.get().isLeader()) {
                    return Optional.of(node.index());
                }
            }
        }
        return Optional.empty();
    }

    @Test
    void aDrainUnderClientWritesLosesNothingAndLeavesNoGroupFilesOnTheDrainedWorker() throws Exception {
        try (LocalTestCluster cluster = start(4, 24)) {
            Workload workload = load(cluster);
            TestNode drained = cluster.node(0);
            NodeId id = drained.nodeId();
            await().atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 200);

            Lifecycle.Outcome outcome = lifecycle(cluster).request(drained.name(), WorkerState.DRAINING, "test drain", false, false);
            assertThat(outcome).isInstanceOf(Lifecycle.Outcome.Done.class);
            explainingTimeout(cluster, () -> await("drained and disabled").atMost(DRAIN_TIMEOUT).until(() -> state(cluster, id) == WorkerState.DISABLED));

            assertNothingLost(cluster, workload);
            Path raft = drained.dataDirectory().resolve("raft");
            try (Stream<Path> left = Files.exists(raft) ? Files.list(raft) : Stream.empty()) {
                assertThat(left.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().equals("removed"))).isEmpty();
            }
        }
    }

    @Test
    void theNextControllerLeaderFinishesADrainWhenTheLeaderIsKilled() throws Exception {
        try (LocalTestCluster cluster = start(4, 24)) {
            Workload workload = load(cluster);
            int leader = await().atMost(Duration.ofSeconds(30)).until(() -> controllerLeader(cluster), Optional::isPresent).orElseThrow();
            TestNode drained = cluster.node((leader + 1) % 4);
            NodeId id = drained.nodeId();
            lifecycle(cluster).request(id.toString(), WorkerState.DRAINING, "", false, false);
            await().atMost(Duration.ofMinutes(1)).until(() -> cluster.metadata().placements().readAll().values().stream()
                    .filter(v -> !v.placement().names(id)).count() >= 2);
            cluster.kill(leader);
            cluster.restart(leader);
            await("drained by the next leader").atMost(DRAIN_TIMEOUT).until(() -> state(cluster, id) == WorkerState.DISABLED);
            assertThat(controllerLeader(cluster)).isPresent();
            assertNothingLost(cluster, workload);
        }
    }

    @Test
    void aDrainFinishesOnTheOtherWorkersWhenAReceivingWorkerDies() throws Exception {
        try (LocalTestCluster cluster = start(5, 20)) {
            Workload workload = load(cluster);
            NodeId id = cluster.node(0).nodeId();
            lifecycle(cluster).request(id.toString(), WorkerState.DRAINING, "", false, false);
            VersionedPlacement moving = await().atMost(Duration.ofMinutes(1)).until(() -> cluster.metadata().placements().readAll().values().stream()
                    .filter(v -> v.placement().hasNext() && !v.placement().joining().isEmpty()).findFirst(), Optional::isPresent).orElseThrow();
            NodeId receiving = moving.placement().joining().getFirst();
            TestNode victim = cluster.nodes().stream().filter(n -> n.isRunning() && n.nodeId().equals(receiving)).findFirst().orElseThrow();
            cluster.kill(victim.index());
            // Disabled, or — seen about one run in three — stalled because Ratis's removal of a group from the
            // drained worker never returns (docs/worker.md, "Removals"): then the drain must say so, naming the
            // partition and the worker, and a restart of the worker, which drops what no placement names, ends it.
            explainingTimeout(cluster, () -> await("drained despite the dead receiver, or a stuck removal reported").atMost(DRAIN_TIMEOUT)
                    .until(() -> state(cluster, id) == WorkerState.DISABLED || removalPending(cluster, id)));
            if (state(cluster, id) != WorkerState.DISABLED) {
                System.out.println("ControllerDrainTest: a removal on " + id + " stuck in Ratis, reported as removal-pending; restarting " + id);
                int drained = cluster.nodes().stream().filter(n -> n.nodeId().equals(id)).findFirst().orElseThrow().index();
                cluster.kill(drained);
                cluster.restart(drained);
                explainingTimeout(cluster, () -> await("drained once the worker restarted").atMost(DRAIN_TIMEOUT)
                        .until(() -> state(cluster, id) == WorkerState.DISABLED));
            }
            explainingTimeout(cluster, () -> await("the dead worker's replicas replaced").atMost(DRAIN_TIMEOUT)
                    .until(() -> settled(cluster) && cluster.metadata().placements().readAll().values().stream().noneMatch(v -> v.placement().names(receiving))));
            assertNothingLost(cluster, workload);
        }
    }

    /** Whether the controller's published drain of {@code node} names a removal pending on it. */
    static boolean removalPending(LocalTestCluster cluster, NodeId node) {
        return new dev.sluice.controller.ControllerDocuments(cluster.metadata()).status().flatMap(status -> status.drain(node))
                .map(drain -> drain.stalledPartitions().stream().anyMatch(s -> s.reason() == dev.sluice.controller.StallReason.REMOVAL_PENDING
                        && node.equals(s.worker())))
                .orElse(false);
    }

    /** Runs an await; if it times out, fails with what the cluster looked like: liveness, placements, the controller's status. */
    static void explainingTimeout(LocalTestCluster cluster, Runnable await) {
        try {
            await.run();
        } catch (org.awaitility.core.ConditionTimeoutException timeout) {
            throw new AssertionError(timeout.getMessage() + "\nalive: " + cluster.metadata().liveness().readAll().keySet()
                    + "\nplacements: " + cluster.metadata().placements().readAll().values().stream().map(v -> v.placement().partition() + "="
                    + v.placement().current() + "->" + v.placement().next()).toList()
                    + "\ncontroller: " + new dev.sluice.controller.ControllerDocuments(cluster.metadata()).status().orElse(null), timeout);
        }
    }
}
