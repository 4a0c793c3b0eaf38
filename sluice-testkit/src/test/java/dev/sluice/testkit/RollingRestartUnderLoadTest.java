package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.Lifecycle;
import dev.sluice.controller.Rollout;
import dev.sluice.controller.RolloutRequests;
import dev.sluice.metadata.EventLog;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart while a client keeps writing: no request fails, every acknowledged write is read back
 * afterwards, and no replica moves. Real nodes (ZooKeeper, Ratis, the controller on the workers), with the test
 * cluster standing for each worker's supervisor. Two of the four workers, worker-1 among them (it is the first
 * to start, so usually the controller's host, which then fails over): restarting all four took 230 s of a
 * 20-minute build on two cores, and the other two add nothing the first two do not show.
 */
class RollingRestartUnderLoadTest {

    private static final long SEED = 14;

    @Test
    void workersRestartUnderClientLoadWithoutAFailedRequestALostWriteOrAReplicaMove() throws Exception {
        System.out.println("seed " + SEED);
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(12).replication(3)
                .controlPlane(ControllerConfig.DEFAULTS, Optional.empty())
                .restartAfterGracefulShutdown(Duration.ofSeconds(1))
                .start()) {
            await("every partition placed").atMost(Duration.ofMinutes(2)).until(() -> {
                var placements = cluster.metadata().placements().readAll();
                return placements.size() == 12 && placements.values().stream().noneMatch(v -> v.placement().hasNext());
            });
            cluster.awaitLeaders(Duration.ofMinutes(1));
            Map<PartitionId, List<NodeId>> before = replicaSets(cluster);
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(SEED)).callTimeout(Duration.ofSeconds(60)));
            Workload workload = new Workload(client, new Workload.Options(2, 1_000, 50, 100));
            workload.start();
            long mark = cluster.metadata().events().latest(1).getLast().sequence();
            RolloutRequests requests = new RolloutRequests(cluster.metadata(),
                    new Lifecycle(cluster.metadata(), ControllerConfig.DEFAULTS.limits(), InstantSource.system()), InstantSource.system());

            assertThat(requests.start(new RolloutRequests.Selection(List.of("worker-1", "worker-3"), null), Duration.ofMinutes(2), "test", false))
                    .isInstanceOf(RolloutRequests.Outcome.Done.class);
            await("the rolling restart ends").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                    .until(() -> requests.current().map(r -> r.state().ended()).orElse(false));
            workload.stop();
            Workload.Verification verification = workload.verify(client);

            Rollout rollout = requests.current().orElseThrow();
            assertThat(rollout.state()).as(rollout.stoppedBecause()).isEqualTo(Rollout.State.COMPLETED);
            assertThat(workload.errors()).as("failed client requests: %s", workload.allStats()).isZero();
            assertThat(verification.ok()).as("acknowledged writes read back: %s", verification.mismatches()).isTrue();
            assertThat(replicaSets(cluster)).isEqualTo(before);
            assertThat(cluster.metadata().events().read(mark, EventLog.MAX_READ)).extracting(e -> e.event().kind())
                    .doesNotContain(EventKind.PARTITION_MOVE_STARTED);
        }
    }

    private static Map<PartitionId, List<NodeId>> replicaSets(LocalTestCluster cluster) {
        Map<PartitionId, List<NodeId>> sets = new TreeMap<>();
        cluster.metadata().placements().readAll().forEach((partition, versioned) -> sets.put(partition,
                versioned.placement().current().stream().sorted().toList()));
        return sets;
    }
}
