package dev.sluice.wire;

import static dev.sluice.wire.WireRoundTrip.assertRoundTrips;
import static dev.sluice.wire.WireRoundTrip.read;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.metadata.Json;
import dev.sluice.model.Actor;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.EventKind;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Refusal;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.Role;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The admin API's answers: the API writes these records, the CLI and the chaos harness read them back. */
class AdminApiWireTest {

    private static final Instant AT = Instant.parse("2025-03-04T09:30:00Z");

    static final DrainView.StalledPartition STALL = new DrainView.StalledPartition(PartitionId.of(17), NodeId.of(4), "removal-pending",
            "N4 (worker-4) still holds P17's files: removal pending for 40 s", AT.minusSeconds(40));
    static final DrainView DRAIN = new DrainView(NodeId.of(3), new GenerationalNodeId(NodeId.of(3), 2), "worker-3", WorkerState.DRAINING,
            AT.minusSeconds(90), null, 18, 9, 3, 2, 9, 6.2, 87L, true, List.of(STALL), null, AT);
    static final StateChangeView LAST_CHANGE = new StateChangeView(AT.minusSeconds(90), "operator", "kernel upgrade", 12);
    static final NodeView NODE = new NodeView("N3", "N3:2", "worker-3", WorkerState.DRAINING, "leaving: leaderships shed first",
            List.of(Role.ADMIN, Role.WORKER), "eu-west.zone-c", "127.0.0.1:9003", "http://127.0.0.1:8003/", true, 9, 3, LAST_CHANGE, DRAIN,
            new MaintenanceView("kernel patch", dev.sluice.model.Actor.OPERATOR, AT.minusSeconds(600), AT.plusSeconds(3000), 2, false, AT.minusSeconds(120),
                    dev.sluice.model.Maintenance.EndCause.REPLACED_BY_DRAIN));
    static final RefusalView REFUSAL = RefusalView.of(new Refusal(RefusalKind.GUARD_FAILED, "N3 (worker-3) cannot drain: 1 partition blocks it",
            NodeId.of(3), WorkerState.ACTIVE, WorkerState.DRAINING, List.of(WorkerState.DISABLED), List.of(WorkerState.DRAINING),
            List.of(new BlockingPartition(PartitionId.of(2), "not-enough-candidates", "P2 needs 3 replicas and has 2 candidates"))));
    static final MoveView MOVE = new MoveView(PartitionId.of(2), NodeId.of(3), NodeId.of(5));
    static final MoveView ADDED = new MoveView(PartitionId.of(4), null, NodeId.of(5));
    static final LeadershipChangeView LEADERSHIP = new LeadershipChangeView(PartitionId.of(2), NodeId.of(3), NodeId.of(1), "leader-draining");
    static final ExplanationView EXPLANATION = new ExplanationView(PartitionId.of(9), "zone-spread-unsatisfiable",
            "P9 needs 2 zones and finds candidates in 1", new TreeMap<>(Map.of("minZones", 2L, "zonesWithCandidates", 1L)));
    static final DryRunView DRY_RUN = new DryRunView(true, NODE, WorkerState.DRAINING, false, REFUSAL, List.of(MOVE, ADDED), List.of(LEADERSHIP),
            List.of(EXPLANATION), new TreeMap<>(Map.of("N1", 10, "N5", 12)), List.of("N5 is dead"));
    static final PartitionView PARTITION = new PartitionView("P2", List.of("N1", "N2", "N3"), List.of("N1", "N2", "N5"), "N1", List.of("N5"),
            List.of("N3"), true, "catch-up", "waiting for N5 to catch up", "N5 did not answer", AT.minusSeconds(5),
            new PartitionPolicy(false, NodeId.of(1)), null, null);
    static final TransitionView TRANSITION = new TransitionView("N3:2", "worker-3", WorkerState.ACTIVE, WorkerState.DRAINING, Actor.OPERATOR,
            false, "kernel upgrade", 12, "r-7f3a");
    static final EventView EVENT = new EventView(41, AT, EventKind.NODE_TRANSITION, "N3", null, "N3 (worker-3) active → draining by operator",
            Map.of(), TRANSITION);
    static final EventsPage PAGE = new EventsPage(List.of(EVENT,
            new EventView(42, AT.plusSeconds(1), EventKind.PARTITION_MOVED, null, "P2", "P2 moved [N3] → [N5]", Map.of("ms", 840L))), 42);
    static final PartitionView PARTITION_SHOWN = PARTITION.withDetail(List.of(new MemberView("N1", ReplicaRole.LEADER, 120L, 0L, null),
            new MemberView("N5", null, null, null, "did not answer within 2 s")), List.of(PAGE.events().get(1)));
    static final ControllerView CONTROLLER = new ControllerView("worker-2", 3, AT, 112, 12);
    static final ClientImpactView CLIENTS = new ClientImpactView(AT, 9.8,
            new ClientImpactView.Rates(120.5, 2.5, 1200, 25, 0.0208, 16.0),
            List.of(new ClientImpactView.NodeRates("N1", "worker-1", new ClientImpactView.Rates(120.5, 2.5, 1200, 25, 0.0208, 16.0)),
                    new ClientImpactView.NodeRates("N3", "worker-3", new ClientImpactView.Rates(0, 0, 0, 0, null, null))),
            List.of("N6"));
    static final ShutdownView SHUTDOWN = new ShutdownView("N3:2", "N3 (worker-3)", true,
            new ShutdownStatus("asked through the admin API at N1 (worker-1)", AT, AT.plusSeconds(20)), 6,
            "N3 (worker-3) is shutting down: it reports not ready, hands its 6 leaderships to other members within 20 s, then exits with status 0");
    static final ClusterView CLUSTER = new ClusterView("prod", 32, 3, 2, CONTROLLER, CLIENTS, everyState(), 7, 6, 2, List.of(DRAIN));

    private static Map<WorkerState, Integer> everyState() {
        Map<WorkerState, Integer> byState = new EnumMap<>(WorkerState.class);
        byState.put(WorkerState.PROVISIONING, 1);
        byState.put(WorkerState.ACTIVE, 4);
        byState.put(WorkerState.DRAINING, 1);
        byState.put(WorkerState.DISABLED, 1);
        return byState;
    }

    @Test
    void everyRecordOfTheApiRoundTrips() throws Exception {
        for (Object view : List.of(STALL, DRAIN, LAST_CHANGE, NODE, new StateChanged(NODE, true, List.of("N5 is dead")), REFUSAL, MOVE, ADDED,
                LEADERSHIP, EXPLANATION, DRY_RUN, new MaintenanceDryRunView(true, NODE, false, REFUSAL, List.of(LEADERSHIP), List.of("P2: would-leave-one-zone")),
                PARTITION, PARTITION_SHOWN, TRANSITION, EVENT, PAGE, CONTROLLER, CLIENTS, CLUSTER,
                SHUTDOWN, new ApiError("not-found", "no node N9"))) {
            assertRoundTrips(view);
        }
    }

    /** A node as the API answers {@code GET /api/v1/nodes/worker-3}; a field renamed on either side fails here. */
    @Test
    void aNodeDocumentAsTheApiWritesItReadsAsTheNodeRecord() throws Exception {
        String written = """
                {"id":"N3","incarnation":"N3:2","name":"worker-3","state":"draining","stateDescription":"leaving: leaderships shed first",
                 "roles":["admin","worker"],"location":"eu-west.zone-c","raftAddress":"127.0.0.1:9003","httpAddress":"http://127.0.0.1:8003/",
                 "alive":true,"replicas":9,"leaderships":3,
                 "lastChange":{"at":"2025-03-04T09:28:30Z","actor":"operator","reason":"kernel upgrade","version":12},
                 "drain":{"node":"N3","incarnation":"N3:2","name":"worker-3","state":"draining","startedAt":"2025-03-04T09:28:30Z",
                   "replicasAtStart":18,"replicasRemaining":9,"leadershipsRemaining":3,"movesInFlight":2,"movesDone":9,"ratePerMinute":6.2,
                   "etaSeconds":87,"stalled":true,
                   "stalledPartitions":[{"partition":"P17","worker":"N4","reason":"removal-pending",
                     "message":"N4 (worker-4) still holds P17's files: removal pending for 40 s","since":"2025-03-04T09:29:20Z"}],
                   "updatedAt":"2025-03-04T09:30:00Z","stalledLeftOut":0},
                 "maintenance":{"reason":"kernel patch","requestedBy":"operator","since":"2025-03-04T09:20:00Z","until":"2025-03-04T10:20:00Z",
                   "generation":2,"active":false,"endedAt":"2025-03-04T09:28:00Z","endCause":"replaced-by-drain"}}
                """;

        assertThat(read(written, NodeView.class)).isEqualTo(NODE);
        assertThat(NODE.label()).isEqualTo("N3 (worker-3)");
        assertThat(Json.mapper().readTree(Json.mapper().writeValueAsString(NODE))).isEqualTo(Json.mapper().readTree(written));
    }

    /** The dry-run answer of {@code POST /api/v1/nodes/N3/state}, with the refusal it would get. */
    @Test
    void aDryRunDocumentAsTheApiWritesItReadsAsTheDryRunRecord() throws Exception {
        String node = Json.mapper().writeValueAsString(NODE);
        String written = """
                {"dryRun":true,"node":%s,"target":"draining","allowed":false,
                 "refusal":{"error":"refused","kind":"guard-failed","message":"N3 (worker-3) cannot drain: 1 partition blocks it","node":"N3",
                   "current":"active","requested":"draining","allowed":["disabled"],"allowedWithForce":["draining"],
                   "blocking":[{"partition":"P2","reason":"not-enough-candidates","message":"P2 needs 3 replicas and has 2 candidates"}]},
                 "moves":[{"partition":"P2","from":"N3","to":"N5"},{"partition":"P4","to":"N5"}],
                 "leadershipChanges":[{"partition":"P2","from":"N3","to":"N1","cause":"leader-draining"}],
                 "violations":[{"partition":"P9","reason":"zone-spread-unsatisfiable","message":"P9 needs 2 zones and finds candidates in 1",
                   "numbers":{"minZones":2,"zonesWithCandidates":1}}],
                 "replicasPerWorker":{"N1":10,"N5":12},"warnings":["N5 is dead"]}
                """.formatted(node);

        assertThat(read(written, DryRunView.class)).isEqualTo(DRY_RUN);
        assertThat(Json.mapper().readTree(Json.mapper().writeValueAsString(DRY_RUN))).isEqualTo(Json.mapper().readTree(written));
    }

    @Test
    void partitionEventAndClusterDocumentsAsTheApiWritesThemRead() throws Exception {
        String partition = """
                {"id":"P2","current":["N1","N2","N3"],"next":["N1","N2","N5"],"leader":"N1","joining":["N5"],"leaving":["N3"],"moving":true,
                 "stepKind":"catch-up","step":"waiting for N5 to catch up","lastError":"N5 did not answer","changeStartedAt":"2025-03-04T09:29:55Z",
                 "policy":{"frozen":false,"pinnedLeader":"N1"}}
                """;
        String page = """
                {"events":[
                  {"sequence":41,"at":"2025-03-04T09:30:00Z","kind":"node-transition","node":"N3","message":"N3 (worker-3) active → draining by operator",
                   "numbers":{},"transition":{"node":"N3:2","nodeName":"worker-3","from":"active","to":"draining","actor":"operator","forced":false,
                     "reason":"kernel upgrade","version":12,"requestId":"r-7f3a"}},
                  {"sequence":42,"at":"2025-03-04T09:30:01Z","kind":"partition-moved","partition":"P2","message":"P2 moved [N3] → [N5]",
                   "numbers":{"ms":840}}],
                 "last":42}
                """;
        String cluster = """
                {"cluster":"prod","partitions":32,"replicas":3,"minZones":2,
                 "controller":{"leader":"worker-2","epoch":3,"updatedAt":"2025-03-04T09:30:00Z","passes":112,"lastPassMillis":12},
                 "clients":{"at":"2025-03-04T09:30:00Z","windowSeconds":9.8,
                   "total":{"requestsPerSecond":120.5,"failedPerSecond":2.5,"requests":1200,"failed":25,"failedRatio":0.0208,"p99Millis":16.0},
                   "nodes":[
                     {"node":"N1","name":"worker-1",
                      "rates":{"requestsPerSecond":120.5,"failedPerSecond":2.5,"requests":1200,"failed":25,"failedRatio":0.0208,"p99Millis":16.0}},
                     {"node":"N3","name":"worker-3","rates":{"requestsPerSecond":0.0,"failedPerSecond":0.0,"requests":0,"failed":0}}],
                   "notReporting":["N6"]},
                 "workersByState":{"provisioning":1,"active":4,"draining":1,"disabled":1},"nodes":7,"alive":6,"movesInFlight":2,
                 "drains":[%s],"drainsLeftOut":0}
                """.formatted(Json.mapper().writeValueAsString(DRAIN));

        assertThat(read(partition, PartitionView.class)).isEqualTo(PARTITION);
        String shown = partition.strip().replaceFirst("}$", """
                ,"members":[{"node":"N1","role":"leader","appliedIndex":120,"lag":0},{"node":"N5","unknownBecause":"did not answer within 2 s"}],
                 "history":[{"sequence":42,"at":"2025-03-04T09:30:01Z","kind":"partition-moved","partition":"P2","message":"P2 moved [N3] → [N5]",
                   "numbers":{"ms":840}}]}""");
        assertThat(read(shown, PartitionView.class)).isEqualTo(PARTITION_SHOWN);
        assertThat(read(page, EventsPage.class)).isEqualTo(PAGE);
        assertThat(read(cluster, ClusterView.class)).isEqualTo(CLUSTER);
        assertThat(Json.mapper().readTree(Json.mapper().writeValueAsString(CLUSTER))).isEqualTo(Json.mapper().readTree(cluster));
    }

    /** An API from before issue 13 sends no client impact: a reader sees {@code null}, not zeros. */
    @Test
    void aClusterDocumentWithoutClientsReadsWithNone() throws Exception {
        String older = Json.mapper().writeValueAsString(CLUSTER).replaceFirst("\"clients\":\\{.*?\"notReporting\":\\[\"N6\"]},", "");

        assertThat(older).doesNotContain("clients");
        assertThat(read(older, ClusterView.class)).isEqualTo(new ClusterView("prod", 32, 3, 2, CONTROLLER, everyState(), 7, 6, 2, List.of(DRAIN)));
        assertThat(read(older, ClusterView.class).clients()).isNull();
    }

    @Test
    void aNodeListReadsAsAListOfNodeRecords() throws Exception {
        String list = Json.mapper().writeValueAsString(List.of(NODE, NODE));

        assertThat(Json.mapper().readValue(list, new TypeReference<List<NodeView>>() {})).containsExactly(NODE, NODE);
    }

    /** The answer to a shutdown request as the API writes it; a field renamed on either side fails here. */
    @Test
    void aShutdownAnswerAsTheApiWritesItReadsAsTheShutdownRecord() throws Exception {
        String written = """
                {"node":"N3:2","label":"N3 (worker-3)","started":true,
                 "shutdown":{"cause":"asked through the admin API at N1 (worker-1)","since":"2025-03-04T09:30:00Z","deadline":"2025-03-04T09:30:20Z"},
                 "leaderships":6,
                 "message":"N3 (worker-3) is shutting down: it reports not ready, hands its 6 leaderships to other members within 20 s, then exits with status 0"}
                """;

        assertThat(read(written, ShutdownView.class)).isEqualTo(SHUTDOWN);
        assertThat(Json.mapper().readTree(Json.mapper().writeValueAsString(SHUTDOWN))).isEqualTo(Json.mapper().readTree(written));
    }

    /** A newer API may add fields anywhere; a reader of this version ignores them, and an event kind it does not know is {@code other}. */
    @Test
    void fieldsAReaderDoesNotKnowAreIgnoredAtEveryLevel() throws Exception {
        String newer = Json.mapper().writeValueAsString(PAGE)
                .replace("\"sequence\":41,", "\"sequence\":41,\"tenant\":\"blue\",")
                .replace("\"forced\":false,", "\"forced\":false,\"ticket\":\"OPS-1\",")
                .replace("\"kind\":\"partition-moved\"", "\"kind\":\"partition-split\"")
                .replace("\"last\":42", "\"last\":42,\"hasMore\":false");

        EventsPage page = WireRoundTrip.STRICT_MAPPER.readValue(newer, EventsPage.class);

        assertThat(page.events().getFirst()).isEqualTo(EVENT);
        assertThat(page.events().getLast().kind()).isEqualTo(EventKind.OTHER);
        assertThat(WireRoundTrip.STRICT_MAPPER.readValue(Json.mapper().writeValueAsString(DRY_RUN)
                .replace("\"dryRun\":true,", "\"dryRun\":true,\"planId\":7,")
                .replace("\"cause\":\"leader-draining\"", "\"cause\":\"leader-draining\",\"weight\":1")
                .replace("\"stalled\":true,", "\"stalled\":true,\"stalledSince\":\"2025-03-04T09:29:20Z\","), DryRunView.class)).isEqualTo(DRY_RUN);
        assertThat(WireRoundTrip.STRICT_MAPPER.readValue("{\"error\":\"not-found\",\"message\":\"no node N9\",\"hint\":\"N8?\"}", ApiError.class))
                .isEqualTo(new ApiError("not-found", "no node N9"));
    }
}
