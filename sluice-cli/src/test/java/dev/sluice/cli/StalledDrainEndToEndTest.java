package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.testkit.BlockingClearLogic;
import dev.sluice.testkit.LocalTestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The shape of the drain that once hung for good with every surface saying it was healthy: the drained
 * worker's removal of one group blocks inside Ratis (here: the partition logic's {@code clear()}, which
 * closing the group's state machine calls, blocks until the test lets it go). The drain must be reported
 * stalled with {@code removal-pending}, naming the partition and the worker, on the API, the CLI's
 * {@code --wait} and the metric, within the stated bound; and it must finish by itself once the removal
 * returns.
 */
class StuckRemovalEndToEndTest {

    private static final String TOKEN = "stuck-removal-test-token";
    /**
     * The bound docs/controller.md states: the worker's removal deadline plus one status poll and a pass,
     * or the stall period after the worker left its last replica set, whichever is larger; plus slack for
     * the API's copy of the status (published at least every second) on a busy machine.
     */
    private static final Duration BOUND = Duration.ofSeconds(10 + 1 + 1 + 5);

    @Test
    void aRemovalThatHangsOnTheDrainedWorkerIsNamedEverywhereAndTheDrainEndsWhenItReturns() throws Exception {
        BlockingClearLogic drainedLogic = new BlockingClearLogic();
        AtomicReference<CountDownLatch> release = new AtomicReference<>(new CountDownLatch(0));
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(12).replication(3)
                .controlPlane(ControllerConfig.DEFAULTS, Optional.of(TOKEN))
                .workerCustomizer((index, builder) -> index == 0 ? builder.logic(drainedLogic) : builder)
                .start()) {
            try {
                cluster.awaitLeaders(Duration.ofMinutes(1));
                await("every partition placed").atMost(Duration.ofMinutes(1)).until(() -> cluster.metadata().placements().readAll().size() == 12
                        && cluster.metadata().placements().readAll().values().stream().noneMatch(v -> v.placement().hasNext()));
                NodeId drained = cluster.node(0).nodeId();
                PartitionId stuck = cluster.metadata().placements().readAll().values().stream().filter(v -> v.placement().current().contains(drained))
                        .findFirst().orElseThrow().placement().partition();
                release.set(drainedLogic.blockClear(stuck));
                String url = cluster.node(1).url().toString();

                CompletableFuture<CliEndToEndIT.Run> waiting = CompletableFuture.supplyAsync(() -> CliEndToEndIT.sluice("nodes", "drain", drained.toString(),
                        "--reason", "stuck removal", "--wait", "--timeout", "4m", "--url", url, "--token", TOKEN));

                await("no placement names the drained worker").atMost(Duration.ofMinutes(2))
                        .until(() -> cluster.metadata().placements().readAll().values().stream().noneMatch(v -> v.placement().names(drained)));
                long emptiedAt = System.nanoTime();
                JsonNode stalled = await("removal-pending on the API").atMost(BOUND).pollInterval(Duration.ofMillis(250))
                        .until(() -> removalPending(url, drained, stuck), Optional::isPresent).orElseThrow();
                System.out.printf("StuckRemovalEndToEndTest: removal-pending reported %.1f s after no placement named %s%n",
                        (System.nanoTime() - emptiedAt) / 1e9, drained);
                assertThat(stalled.path("worker").asText()).isEqualTo(drained.toString());
                assertThat(stalled.path("message").asText()).contains(stuck + "'s files");
                // Only the controller leader's meters say anything; the others stay at zero.
                String stalledMetric = "sluice_partitions_stalled\\{[^}]*partition=\"" + stuck + "\"[^}]*reason=\"removal-pending\"[^}]*\\} 1\\.0";
                assertThat(cluster.nodes().stream().map(node -> getQuietly(node.url().toString(), "/metrics")))
                        .as("some node's /metrics has the stalled partition").anySatisfy(metrics -> assertThat(metrics).containsPattern(stalledMetric));
                assertThat(cluster.metadata().nodes().current().find(drained).orElseThrow().workerState()).isEqualTo(WorkerState.DRAINING);

                release.get().countDown();
                CliEndToEndIT.Run run = waiting.get(2, TimeUnit.MINUTES);
                System.out.println(run.out());
                assertThat(run.exitCode()).as("the CLI's --wait: %s %s", run.out(), run.err()).isZero();
                assertThat(run.out()).contains("STALLED").contains(stuck.toString()).contains("removal-pending").contains("is disabled");
            } finally {
                // Closing the cluster closes the state machines, and a blocked clear() would hold it up.
                release.get().countDown();
            }
        }
    }

    @Test
    void aRemovalThatNeverReturnsEndsWhenTheDrainedWorkerRestarts() throws Exception {
        BlockingClearLogic drainedLogic = new BlockingClearLogic();
        AtomicReference<CountDownLatch> release = new AtomicReference<>(new CountDownLatch(0));
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(12).replication(3)
                .controlPlane(ControllerConfig.DEFAULTS, Optional.of(TOKEN))
                .workerCustomizer((index, builder) -> index == 3 ? builder.logic(drainedLogic) : builder)
                .start()) {
            try {
                cluster.awaitLeaders(Duration.ofMinutes(1));
                await("every partition placed").atMost(Duration.ofMinutes(1)).until(() -> cluster.metadata().placements().readAll().size() == 12
                        && cluster.metadata().placements().readAll().values().stream().noneMatch(v -> v.placement().hasNext()));
                NodeId drained = cluster.node(3).nodeId();
                PartitionId stuck = cluster.metadata().placements().readAll().values().stream().filter(v -> v.placement().current().contains(drained))
                        .findFirst().orElseThrow().placement().partition();
                release.set(drainedLogic.blockClear(stuck));
                String url = cluster.node(0).url().toString();
                assertThat(CliEndToEndIT.sluice("nodes", "drain", drained.toString(), "--url", url, "--token", TOKEN).exitCode()).isZero();
                await("removal-pending on the API").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
                        .until(() -> removalPending(url, drained, stuck), Optional::isPresent);

                // The operator's remedy, which the removal-pending message leads to: restart the worker. It drops
                // what no placement names when it starts, and the controller disables it.
                long killing = System.nanoTime();
                cluster.kill(3);
                cluster.restart(3);
                System.out.printf("StuckRemovalEndToEndTest: the worker with the stuck removal stopped and started again in %.1f s%n",
                        (System.nanoTime() - killing) / 1e9);
                await("disabled after the restart").atMost(Duration.ofMinutes(1))
                        .until(() -> cluster.metadata().nodes().current().find(drained).orElseThrow().workerState() == WorkerState.DISABLED);
                assertThat(cluster.node(3).worker().hostedPartitions()).isEmpty();
            } finally {
                release.get().countDown();
            }
        }
    }

    /** The API's stalled entry for {@code partition} with reason removal-pending, if the drain shows one. */
    private static Optional<JsonNode> removalPending(String url, NodeId node, PartitionId partition) throws Exception {
        JsonNode drain = Json.mapper().readTree(get(url, "/api/v1/nodes/" + node + "/drain"));
        for (JsonNode stalled : drain.path("stalledPartitions")) {
            if (partition.toString().equals(stalled.path("partition").asText()) && "removal-pending".equals(stalled.path("reason").asText())) {
                return Optional.of(stalled);
            }
        }
        return Optional.empty();
    }

    private static String getQuietly(String url, String path) {
        try {
            return get(url, path);
        } catch (Exception unreachable) {
            return "";
        }
    }

    private static String get(String url, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        return response.body();
    }
}
