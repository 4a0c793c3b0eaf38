package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.Json;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker's status document, as the controller reads it: replicas, and the removals still under way. */
class RatisDataPlaneTest {

    @Test
    void aStatusDocumentBecomesReplicasAndRemovals() throws Exception {
        String status = """
                {"name": "worker-2", "replicas": [
                  {"partition": "P3", "role": "leader", "leader": "N2", "term": 4, "appliedIndex": 17, "configuration": ["N1", "N2", "N4"],
                   "configurationChanging": true},
                  {"partition": "P5", "role": "staging", "term": 0, "appliedIndex": 0, "configuration": []}],
                 "removals": [{"partition": "P7", "since": "2026-11-28T10:00:00Z", "attempts": 2, "overdue": true,
                   "detail": "Ratis group remove running for 12 s (deadline 10 s)"}]}
                """;
        Instant at = Instant.parse("2026-11-28T10:00:15Z");
        NodeReplicas replicas = RatisDataPlane.parse(NodeId.of(2), Json.mapper().readTree(status), at);

        assertThat(replicas.replicas()).containsOnlyKeys(PartitionId.of(3), PartitionId.of(5));
        ReplicaView leader = replicas.replicas().get(PartitionId.of(3));
        assertThat(leader.role()).isEqualTo(ReplicaRole.LEADER);
        assertThat(leader.configuration()).containsExactly(NodeId.of(1), NodeId.of(2), NodeId.of(4));
        assertThat(leader.configurationChanging()).isTrue();
        assertThat(replicas.replicas().get(PartitionId.of(5)).role()).isEqualTo(ReplicaRole.LEARNER);
        assertThat(replicas.removals()).containsExactly(new NodeReplicas.Removal(PartitionId.of(7), Instant.parse("2026-11-28T10:00:00Z"), 2, true,
                "Ratis group remove running for 12 s (deadline 10 s)"));
        assertThat(replicas.holdsNothing()).isFalse();
        assertThat(RatisDataPlane.parse(NodeId.of(2), Json.mapper().readTree("{\"replicas\": [], \"removals\": []}"), at).holdsNothing()).isTrue();
        assertThat(List.of(replicas.leaderships())).containsExactly(1L);
    }

    @Test
    void aWorkerBelowItsDiskFloorIsNoTargetForWork() throws Exception {
        Instant at = Instant.parse("2026-11-28T10:00:15Z");
        NodeReplicas low = RatisDataPlane.parse(NodeId.of(2), Json.mapper().readTree("{\"replicas\": [], \"disk\": {\"state\": \"low\"}}"), at);
        NodeReplicas critical = RatisDataPlane.parse(NodeId.of(2), Json.mapper().readTree("{\"replicas\": [], \"disk\": {\"state\": \"critical\"}}"), at);
        NodeReplicas ok = RatisDataPlane.parse(NodeId.of(2), Json.mapper().readTree("{\"replicas\": [], \"disk\": {\"state\": \"ok\"}}"), at);
        NodeReplicas silent = RatisDataPlane.parse(NodeId.of(2), Json.mapper().readTree("{\"replicas\": []}"), at);
        assertThat(List.of(low.diskOk(), critical.diskOk(), ok.diskOk(), silent.diskOk())).containsExactly(false, false, true, true);

        ControllerConfig config = ControllerConfig.DEFAULTS;
        Observer observer = new Observer(null, config, new ControllerEvent.Inbox(() -> { }));
        observer.answered(low);
        observer.answered(new NodeReplicas(NodeId.of(3), at, java.util.Map.of()));
        // Nothing is due for a poll right after the answers, so no data plane is asked.
        observer.begin(dev.sluice.model.NodesConfiguration.empty(), java.util.Set.of(NodeId.of(2), NodeId.of(3)), java.util.Set.of(), at);
        assertThat(observer.healthy(NodeId.of(2))).as("low disk").isFalse();
        assertThat(observer.healthy(NodeId.of(3))).isTrue();
    }
}
