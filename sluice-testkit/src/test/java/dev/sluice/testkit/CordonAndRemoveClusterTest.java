package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.client.Workload;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Cordon and removal on real nodes (embedded ZooKeeper, Ratis over gRPC, HTTP) with the controller deciding, under
 * client writes: a cordoned worker keeps serving and keeps exactly its replicas while another worker drains and the
 * controller re-places that worker's replicas; the drained worker, once stopped, is removed (refused while it runs),
 * and started again under the same name it joins as a new node with a new id.
 */
class CordonAndRemoveClusterTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> send(URI base, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Set<PartitionId> partitionsNaming(LocalTestCluster cluster, NodeId node) {
        Set<PartitionId> named = new TreeSet<>();
        for (VersionedPlacement versioned : cluster.metadata().placements().readAll().values()) {
            if (versioned.placement().names(node)) {
                named.add(versioned.placement().partition());
            }
        }
        return named;
    }

    @Test
    void aCordonedWorkerKeepsItsReplicasThroughADrainAndARemovedWorkersNameComesBackAsANewNode() throws Exception {
        try (LocalTestCluster cluster = ControllerDrainTest.start(5, 24)) {
            TestNode drained = cluster.node(0);
            TestNode cordoned = cluster.node(1);
            NodeId drainedId = drained.nodeId();
            NodeId cordonedId = cordoned.nodeId();
            URI api = cluster.node(2).url();
            Set<PartitionId> heldBefore = partitionsNaming(cluster, cordonedId);
            assertThat(heldBefore).isNotEmpty();

            HttpResponse<String> cordon = send(api, "POST", "/api/v1/nodes/" + cordoned.name() + "/cordon", "{\"reason\":\"disk filling up\"}");
            assertThat(cordon.statusCode()).as(cordon.body()).isEqualTo(200);
            assertThat(send(api, "GET", "/api/v1/nodes/" + cordonedId, null).body()).contains("\"cordon\":{\"reason\":\"disk filling up\"");

            // Every placement the controller writes while the drain runs is watched: none may add the cordoned worker.
            Map<PartitionId, Placement> addedCordoned = new ConcurrentHashMap<>();
            ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
            Workload workload = ControllerDrainTest.load(cluster);
            try {
                watcher.scheduleWithFixedDelay(() -> cluster.metadata().placements().readAll().values().forEach(v -> {
                    Placement placement = v.placement();
                    if (placement.names(cordonedId) && !heldBefore.contains(placement.partition())) {
                        addedCordoned.put(placement.partition(), placement);
                    }
                }), 0, 50, TimeUnit.MILLISECONDS);
                await().atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 200);

                HttpResponse<String> drain = send(api, "POST", "/api/v1/nodes/" + drained.name() + "/state", "{\"state\":\"draining\",\"reason\":\"retire\"}");
                assertThat(drain.statusCode()).as(drain.body()).isEqualTo(200);
                ControllerDrainTest.explainingTimeout(cluster, () -> await("drained and disabled").atMost(ControllerDrainTest.DRAIN_TIMEOUT)
                        .until(() -> ControllerDrainTest.state(cluster, drainedId) == WorkerState.DISABLED));
                await("the cordoned worker is ready: it keeps serving").atMost(Duration.ofSeconds(30))
                        .until(() -> send(cordoned.url(), "GET", "/health/ready", null).statusCode() == 200);
                ControllerDrainTest.assertNothingLost(cluster, workload);
            } finally {
                workload.stop();
                watcher.shutdownNow();
            }
            assertThat(addedCordoned).as("placements that added the cordoned worker").isEmpty();
            assertThat(partitionsNaming(cluster, cordonedId)).as("the cordoned worker's replicas").isEqualTo(heldBefore);
            assertThat(partitionsNaming(cluster, drainedId)).isEmpty();
            assertThat(cluster.metadata().events().latest(EventLog.MAX_READ)).anySatisfy(e -> {
                assertThat(e.event().kind()).isEqualTo(EventKind.NODE_CORDONED);
                assertThat(e.event().message()).contains(cordoned.name() + ") cordoned by operator: disk filling up");
            });
            await("the controller counts the cordoned worker").atMost(Duration.ofSeconds(30)).until(() -> {
                for (TestNode node : cluster.nodes()) {
                    if (node.isRunning() && send(node.url(), "GET", "/metrics", null).body().contains("sluice_workers_cordoned 1.0")) {
                        return true;
                    }
                }
                return false;
            });

            // Removal: refused while the disabled worker still runs, and nothing changes; once stopped, it goes.
            HttpResponse<String> running = send(api, "DELETE", "/api/v1/nodes/" + drained.name(), null);
            assertThat(running.statusCode()).as(running.body()).isEqualTo(409);
            assertThat(running.body()).contains("is still registered alive; stop its process first");
            assertThat(cluster.metadata().nodes().current().find(drainedId)).isPresent();
            cluster.stop(0);
            await("its liveness entry is gone").atMost(Duration.ofSeconds(30)).until(() -> cluster.metadata().liveness().read(drainedId).isEmpty());
            HttpResponse<String> removed = send(api, "DELETE", "/api/v1/nodes/" + drained.name() + "?reason=retired", null);
            assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
            assertThat(cluster.metadata().nodes().current().isRemoved(drainedId)).isTrue();
            assertThat(cluster.metadata().nodes().current().findByName(drained.name())).isEmpty();

            // The name starts again as a new node: a new id, warmed up and activated as a new machine would be.
            cluster.restart(0);
            NodeId reborn = drained.nodeId();
            assertThat(reborn).isNotEqualTo(drainedId);
            assertThat(reborn.value()).isGreaterThan(cluster.nodes().stream().skip(1).mapToInt(n -> n.nodeId().value()).max().orElseThrow());
            await("the new node becomes active").atMost(Duration.ofMinutes(1)).until(() -> cluster.metadata().nodes().current().find(reborn)
                    .map(NodeConfig::workerState).orElse(null) == WorkerState.ACTIVE);
            assertThat(cluster.metadata().nodes().current().isRemoved(drainedId)).isTrue();
            // The new node is a candidate, the cordoned one still is not: balancing fills the one and leaves the other alone.
            ControllerDrainTest.explainingTimeout(cluster, () -> await("the new node receives replicas").atMost(Duration.ofMinutes(2))
                    .until(() -> !partitionsNaming(cluster, reborn).isEmpty()));
            assertThat(partitionsNaming(cluster, cordonedId)).isSubsetOf(heldBefore);
        }
    }
}
