package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.metadata.Json;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainView;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import org.junit.jupiter.api.Test;

/**
 * Partition freeze and leader pinning on real nodes with the controller deciding: a drain that a frozen partition
 * blocks reports {@code frozen} as that partition's stall reason and finishes once it is unfrozen; a pinned leader
 * takes the leadership and keeps it.
 */
class PartitionPolicyClusterTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> send(URI base, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Placement placement(LocalTestCluster cluster, PartitionId partition) {
        return cluster.metadata().placements().read(partition).map(VersionedPlacement::placement).orElseThrow();
    }

    @Test
    void aDrainAFrozenPartitionBlocksSaysSoAndFinishesOnceItIsUnfrozen() throws Exception {
        try (LocalTestCluster cluster = ControllerDrainTest.start(4, 8)) {
            TestNode drained = cluster.node(0);
            NodeId id = drained.nodeId();
            URI api = cluster.node(1).url();
            PartitionId frozen = cluster.metadata().placements().readAll().values().stream().map(VersionedPlacement::placement)
                    .filter(p -> p.names(id)).map(Placement::partition).min(Comparator.naturalOrder()).orElseThrow();

            HttpResponse<String> freeze = send(api, "POST", "/api/v1/partitions/" + frozen + "/freeze", "{\"reason\":\"investigating\"}");
            assertThat(freeze.statusCode()).as(freeze.body()).isEqualTo(200);
            assertThat(placement(cluster, frozen).policy().frozen()).isTrue();
            HttpResponse<String> drain = send(api, "POST", "/api/v1/nodes/" + drained.name() + "/state", "{\"state\":\"draining\"}");
            assertThat(drain.statusCode()).as(drain.body()).isEqualTo(200);

            ControllerDrainTest.explainingTimeout(cluster, () -> await("the drain stalls on the frozen partition, saying so").atMost(Duration.ofMinutes(2))
                    .until(() -> {
                        HttpResponse<String> progress = send(api, "GET", "/api/v1/nodes/" + id + "/drain", null);
                        if (progress.statusCode() != 200) {
                            return false;
                        }
                        DrainView view = Json.mapper().readValue(progress.body(), DrainView.class);
                        return view.replicasRemaining() == 1 && view.stalledPartitions().stream()
                                .anyMatch(s -> s.partition().equals(frozen) && s.reason().equals("frozen") && s.message().contains("placement is frozen"));
                    }));
            assertThat(placement(cluster, frozen).names(id)).as("the frozen partition keeps its replica on the draining worker").isTrue();
            assertThat(ControllerDrainTest.state(cluster, id)).isEqualTo(WorkerState.DRAINING);

            HttpResponse<String> unfreeze = send(api, "DELETE", "/api/v1/partitions/" + frozen + "/freeze", null);
            assertThat(unfreeze.statusCode()).as(unfreeze.body()).isEqualTo(200);
            ControllerDrainTest.explainingTimeout(cluster, () -> await("drained once unfrozen").atMost(ControllerDrainTest.DRAIN_TIMEOUT)
                    .until(() -> ControllerDrainTest.state(cluster, id) == WorkerState.DISABLED));
            assertThat(placement(cluster, frozen).names(id)).isFalse();
        }
    }

    @Test
    void aPinnedLeaderTakesTheLeadershipAndKeepsItUntilUnpinned() throws Exception {
        try (LocalTestCluster cluster = ControllerDrainTest.start(4, 8)) {
            URI api = cluster.node(0).url();
            PartitionId partition = PartitionId.of(0);
            Placement before = placement(cluster, partition);
            NodeId target = before.current().stream().filter(n -> !n.equals(before.leader())).findFirst().orElseThrow();

            HttpResponse<String> pin = send(api, "POST", "/api/v1/partitions/P0/pin-leader", "{\"node\":\"" + target + "\",\"reason\":\"test\"}");
            assertThat(pin.statusCode()).as(pin.body()).isEqualTo(200);

            ControllerDrainTest.explainingTimeout(cluster, () -> await("the pinned member leads").atMost(Duration.ofMinutes(1))
                    .until(() -> target.equals(placement(cluster, partition).leader())
                            && cluster.leaderOf(partition).map(TestNode::nodeId).filter(target::equals).isPresent()));
            assertThat(placement(cluster, partition).policy().pinnedLeader()).isEqualTo(target);
            assertThat(send(api, "DELETE", "/api/v1/partitions/P0/pin-leader", null).statusCode()).isEqualTo(200);
            assertThat(placement(cluster, partition).policy().pinnedLeader()).isNull();
        }
    }
}
