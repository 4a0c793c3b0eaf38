package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.client.Workload;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainGroupView;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A group drain on real nodes (embedded ZooKeeper, Ratis over gRPC, HTTP) with the controller deciding, under client
 * writes: two workers asked for in one request become draining in one write of the nodes configuration, move as one
 * operation with one progress object (its deadline on track), and both end disabled with exactly their replicas
 * moved, no client error and every acknowledged write read back.
 */
class GroupDrainClusterTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> send(URI base, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int replicasOn(LocalTestCluster cluster, NodeId node) {
        int count = 0;
        for (VersionedPlacement versioned : cluster.metadata().placements().readAll().values()) {
            if (versioned.placement().names(node)) {
                count++;
            }
        }
        return count;
    }

    @Test
    void twoWorkersDrainAsOneOperationUnderLoadAndBothEndDisabled() throws Exception {
        // 12 partitions: the two hold about 14 replicas, several waves at 4 changes per worker, in half the time of 24.
        try (LocalTestCluster cluster = ControllerDrainTest.start(5, 12)) {
            TestNode first = cluster.node(0);
            TestNode second = cluster.node(1);
            NodeId firstId = first.nodeId();
            NodeId secondId = second.nodeId();
            URI api = cluster.node(2).url();
            int held = replicasOn(cluster, firstId) + replicasOn(cluster, secondId);
            Version before = cluster.metadata().nodes().current().version();
            Workload workload = ControllerDrainTest.load(cluster);
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 200);

                HttpResponse<String> plan = send(api, "POST", "/api/v1/drains", "{\"nodes\":[\"" + first.name() + "\",\"" + second.name()
                        + "\"],\"dryRun\":true}");
                assertThat(plan.statusCode()).as(plan.body()).isEqualTo(200);
                assertThat(Json.mapper().readTree(plan.body()).path("allowed").asBoolean()).isTrue();
                assertThat(Json.mapper().readTree(plan.body()).path("moves").asInt()).isEqualTo(held);
                assertThat(cluster.metadata().nodes().current().version()).as("a dry-run writes nothing").isEqualTo(before);

                HttpResponse<String> start = send(api, "POST", "/api/v1/drains", "{\"nodes\":[\"" + first.name() + "\",\"" + second.name()
                        + "\"],\"deadlineSeconds\":600,\"reason\":\"rack retired\"}");
                assertThat(start.statusCode()).as(start.body()).isEqualTo(201);
                DrainGroupView started = Json.mapper().readValue(start.body(), DrainGroupView.class);
                // One compare-and-set: both draining in the one next version of the nodes configuration.
                assertThat(cluster.metadata().nodes().current().find(firstId).orElseThrow().lastStateChange().version()).isEqualTo(before.next());
                assertThat(cluster.metadata().nodes().current().find(secondId).orElseThrow().lastStateChange().version()).isEqualTo(before.next());

                AtomicReference<DrainGroupView> seen = new AtomicReference<>();
                await("one progress object for the group").atMost(Duration.ofSeconds(30)).until(() -> {
                    DrainGroupView view = Json.mapper().readValue(send(api, "GET", "/api/v1/drains/" + started.id(), null).body(), DrainGroupView.class);
                    seen.set(view);
                    return view.progressKnown() && view.replicasAtStart() == held;
                });
                assertThat(seen.get().members()).extracting(DrainGroupView.Member::node).containsExactly(firstId, secondId);
                assertThat(seen.get().deadlineStatus()).isIn("on-track", "met");

                ControllerDrainTest.explainingTimeout(cluster, () -> await("both drained and disabled").atMost(ControllerDrainTest.DRAIN_TIMEOUT)
                        .until(() -> ControllerDrainTest.state(cluster, firstId) == WorkerState.DISABLED
                                && ControllerDrainTest.state(cluster, secondId) == WorkerState.DISABLED));
                ControllerDrainTest.assertNothingLost(cluster, workload);
            } finally {
                workload.stop();
            }
            await("the group completes").atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(Json.mapper()
                    .readValue(send(api, "GET", "/api/v1/drains/" + seen(api), null).body(), DrainGroupView.class).state()));
            DrainGroupView done = Json.mapper().readValue(send(api, "GET", "/api/v1/drains/" + seen(api), null).body(), DrainGroupView.class);
            assertThat(done.movesDone()).as("replica moves: exactly what the two held").isEqualTo(held);
            assertThat(done.replicasRemaining()).isZero();
            assertThat(done.deadlineStatus()).isEqualTo("met");
            assertThat(done.members()).extracting(DrainGroupView.Member::state).containsOnly(WorkerState.DISABLED);
            assertThat(replicasOn(cluster, firstId) + replicasOn(cluster, secondId)).isZero();
            assertThat(cluster.metadata().events().latest(dev.sluice.metadata.EventLog.MAX_READ)).extracting(e -> e.event().kind())
                    .contains(EventKind.DRAIN_GROUP_STARTED, EventKind.DRAIN_GROUP_COMPLETED).doesNotContain(EventKind.DRAIN_GROUP_AT_RISK);

            // A second group naming a disabled worker is refused whole, naming it, and changes nothing.
            Version after = cluster.metadata().nodes().current().version();
            HttpResponse<String> again = send(api, "POST", "/api/v1/drains", "{\"nodes\":[\"" + cluster.node(3).name() + "\",\"" + first.name() + "\"]}");
            assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
            assertThat(again.body()).contains(first.name() + ") is disabled; a group drain takes active workers only");
            assertThat(cluster.metadata().nodes().current().version()).isEqualTo(after);
        }
    }

    /** The id of the only group drain the node at {@code api} lists. */
    private String seen(URI api) throws Exception {
        return Json.mapper().readTree(send(api, "GET", "/api/v1/drains", null).body()).get(0).path("id").asText();
    }
}
