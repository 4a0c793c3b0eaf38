package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.Json;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.WorkerStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker's status document, as the controller reads it: replicas, and the removals still under way. */
class RatisDataPlaneTest {

    /** A status document as a worker writes it, with {@code %s} for its disk. */
    private static final String STATUS = """
            {"name": "worker-2", "node": "N2:3", "state": "active", "ready": true, "warmUp": [], "activation": "active",
             "nodesVersion": 41,
             "replicas": [
               {"partition": "P3", "role": "leader", "leader": "N2", "term": 4, "commitIndex": 17, "appliedIndex": 17, "lag": 0,
                "snapshotIndex": -1, "firstLogIndex": 0, "stateBytes": 120, "configuration": ["N1", "N2", "N4"], "configurationChanging": true},
               {"partition": "P5", "role": "staging", "term": 0, "commitIndex": 0, "appliedIndex": 0, "lag": 0, "snapshotIndex": -1,
                "firstLogIndex": 0, "stateBytes": 0, "configuration": [], "configurationChanging": false}],
             "removals": [{"partition": "P7", "since": "2026-11-28T10:00:00Z", "attempts": 2, "overdue": true,
               "detail": "Ratis group remove running for 12 s (deadline 10 s)"}],
             "at": "2026-11-28T10:00:14Z"%s}
            """;

    private static NodeReplicas read(String document) throws Exception {
        return RatisDataPlane.replicas(NodeId.of(2), Json.mapper().readValue(document, WorkerStatus.class), Instant.parse("2026-11-28T10:00:15Z"));
    }

    private static String disk(String state) {
        return ", \"disk\": {\"state\": \"" + state + "\", \"directory\": \"/var/lib/sluice\", \"freeBytes\": 1, \"totalBytes\": 2, "
                + "\"floorBytes\": 3, \"criticalBytes\": 1, \"resumeBytes\": 4, \"since\": \"2026-11-28T09:00:00Z\", "
                + "\"checkedAt\": \"2026-11-28T10:00:14Z\", \"detail\": \"N2 has 1 byte free\"}";
    }

    @Test
    void aStatusDocumentBecomesReplicasAndRemovals() throws Exception {
        NodeReplicas replicas = read(STATUS.formatted(""));

        assertThat(replicas.replicas()).containsOnlyKeys(PartitionId.of(3), PartitionId.of(5));
        ReplicaView leader = replicas.replicas().get(PartitionId.of(3));
        assertThat(leader.role()).isEqualTo(ReplicaRole.LEADER);
        assertThat(leader.leader()).isEqualTo(NodeId.of(2));
        assertThat(leader.term()).isEqualTo(4);
        assertThat(leader.appliedIndex()).isEqualTo(17);
        assertThat(leader.configuration()).containsExactly(NodeId.of(1), NodeId.of(2), NodeId.of(4));
        assertThat(leader.configurationChanging()).isTrue();
        assertThat(replicas.replicas().get(PartitionId.of(5)).role()).isEqualTo(ReplicaRole.STAGING);
        assertThat(replicas.removals()).containsExactly(new NodeReplicas.Removal(PartitionId.of(7), Instant.parse("2026-11-28T10:00:00Z"), 2, true,
                "Ratis group remove running for 12 s (deadline 10 s)"));
        assertThat(replicas.holdsNothing()).isFalse();
        assertThat(read("{\"name\": \"worker-2\", \"ready\": true, \"nodesVersion\": 41, \"replicas\": [], \"removals\": []}").holdsNothing()).isTrue();
        assertThat(replicas.ledCount()).isEqualTo(1);
    }

    @Test
    void aRoleFromANewerWorkerIsUnknownAndTheRestOfItsStatusStillCounts() throws Exception {
        NodeReplicas replicas = read(STATUS.formatted("").replace("\"role\": \"staging\"", "\"role\": \"witness\""));

        assertThat(replicas.replicas().get(PartitionId.of(5)).role()).isEqualTo(ReplicaRole.UNKNOWN);
        assertThat(replicas.replicas().get(PartitionId.of(3)).role()).isEqualTo(ReplicaRole.LEADER);
    }

    @Test
    void aWorkerBelowItsDiskFloorIsNoTargetForWork() throws Exception {
        Instant at = Instant.parse("2026-11-28T10:00:15Z");
        NodeReplicas low = read(STATUS.formatted(disk("low")));
        NodeReplicas critical = read(STATUS.formatted(disk("critical")));
        NodeReplicas ok = read(STATUS.formatted(disk("ok")));
        NodeReplicas silent = read(STATUS.formatted(""));
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

    @Test
    void theWorkersClientWindowIsKeptAndAnOlderWorkerHasNone() throws Exception {
        NodeReplicas counting = read(STATUS.formatted(", \"clients\": {\"from\": \"2026-11-28T10:00:04Z\", \"to\": \"2026-11-28T10:00:14Z\", "
                + "\"requests\": 20, \"failed\": 2, \"latency\": [{\"upToMillis\": 2.0, \"count\": 20}]}"));

        assertThat(counting.clients()).isEqualTo(new dev.sluice.wire.ClientWindow(Instant.parse("2026-11-28T10:00:04Z"),
                Instant.parse("2026-11-28T10:00:14Z"), 20, 2, List.of(new dev.sluice.wire.ClientWindow.LatencyBucket(2.0, 20))));
        assertThat(read(STATUS.formatted("")).clients()).isNull();
    }

    /** A worker in a graceful shutdown reports not ready and says why; the controller sends it no replica and no leadership. */
    @Test
    void aWorkerShuttingDownIsNoTargetForWork() throws Exception {
        Instant at = Instant.parse("2026-11-28T10:00:15Z");
        NodeReplicas stopping = read(STATUS.formatted(", \"shutdown\": {\"cause\": \"SIGTERM\", \"since\": \"2026-11-28T10:00:13Z\", "
                + "\"deadline\": \"2026-11-28T10:00:33Z\"}").replace("\"ready\": true", "\"ready\": false"));
        assertThat(stopping.shuttingDown()).isTrue();
        assertThat(stopping.diskOk()).isTrue();
        assertThat(read(STATUS.formatted("")).shuttingDown()).as("a status without a shutdown, also an older worker's").isFalse();

        Observer observer = new Observer(null, ControllerConfig.DEFAULTS, new ControllerEvent.Inbox(() -> { }));
        observer.answered(stopping);
        observer.answered(new NodeReplicas(NodeId.of(3), at, java.util.Map.of()));
        observer.begin(dev.sluice.model.NodesConfiguration.empty(), java.util.Set.of(NodeId.of(2), NodeId.of(3)), java.util.Set.of(), at);
        assertThat(observer.healthy(NodeId.of(2))).as("shutting down").isFalse();
        assertThat(observer.healthy(NodeId.of(3))).isTrue();
        assertThat(observer.leader(PartitionId.of(3))).as("what it still leads is still seen").hasValue(NodeId.of(2));
    }
}
