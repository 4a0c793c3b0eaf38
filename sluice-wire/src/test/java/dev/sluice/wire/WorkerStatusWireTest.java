package dev.sluice.wire;

import static dev.sluice.wire.WireRoundTrip.assertRoundTrips;
import static dev.sluice.wire.WireRoundTrip.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.sluice.metadata.Json;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker's status report: the worker writes these records, the controller and the chaos harness read them back. */
class WorkerStatusWireTest {

    private static final Instant AT = Instant.parse("2026-11-28T10:00:14.250Z");

    static final ReplicaStatus LEADER = new ReplicaStatus(PartitionId.of(3), ReplicaRole.LEADER, NodeId.of(2), 4, 17, 16, 1, -1, 0, 120,
            List.of(NodeId.of(1), NodeId.of(2), NodeId.of(4)), true);
    static final ReplicaStatus STAGING = new ReplicaStatus(PartitionId.of(5), ReplicaRole.STAGING, null, 0, 0, 0, 0, -1, 0, 0, List.of(), false);
    static final RemovalStatus REMOVAL = new RemovalStatus(PartitionId.of(7), AT.minusSeconds(14), 2, true,
            "Ratis group remove running for 12 s (deadline 10 s)");
    static final DiskStatus DISK = new DiskStatus(DiskState.LOW, "/var/lib/sluice", 900, 10_000, 1_000, 250, 1_500, AT.minusSeconds(60), AT,
            "N2 (worker-2) has 900 bytes free in /var/lib/sluice, below its floor of 1000");
    static final WarmUpResult WARM_UP = new WarmUpResult("data-directory-writable", true, "wrote and read back a probe", AT);
    static final ClientWindow CLIENTS = new ClientWindow(AT.minusMillis(9_250), AT, 370, 4,
            List.of(new ClientWindow.LatencyBucket(1.0, 300), new ClientWindow.LatencyBucket(2.0, 67), new ClientWindow.LatencyBucket(750.0, 3)));
    static final WorkerStatus STATUS = new WorkerStatus("worker-2", new GenerationalNodeId(NodeId.of(2), 3), WorkerState.ACTIVE, true,
            List.of(WARM_UP), "active", 41, List.of(LEADER, STAGING), List.of(REMOVAL), AT, DISK, CLIENTS);
    static final ShutdownStatus SHUTDOWN = new ShutdownStatus("SIGTERM", AT.minusSeconds(2), AT.plusSeconds(18));
    static final WorkerStatus SHUTTING_DOWN = new WorkerStatus("worker-2", new GenerationalNodeId(NodeId.of(2), 3), WorkerState.ACTIVE, false,
            List.of(), "active", 41, List.of(LEADER), List.of(), AT, null, null, SHUTDOWN);

    static final PlacementLoad LOADING = new PlacementLoad(PlacementLoad.SOURCE_INDEX, false, 0, AT.minusSeconds(40),
            "the first load of placements-by-node/N2; last attempt failed: ConnectionLossException");
    static final WorkerStatus LOADING_PLACEMENTS = new WorkerStatus("worker-2", new GenerationalNodeId(NodeId.of(2), 3), WorkerState.ACTIVE, false,
            List.of(), "active", 41, List.of(), List.of(), AT, null, null, null, LOADING);
    static final PlacementLoad ROUTING_LOADING = new PlacementLoad(PlacementLoad.SOURCE_EVERY_PLACEMENT, false, 120, AT.minusSeconds(12),
            "the first load of every placement (placements) for routing; the last attempt failed, trying again: ConnectionLossException (2 attempts "
                    + "failed, the last at 2026-03-01T09:59:58Z)");
    static final WorkerStatus LOADING_ROUTING = new WorkerStatus("worker-2", new GenerationalNodeId(NodeId.of(2), 3), WorkerState.ACTIVE, true,
            List.of(), "active", 41, List.of(), List.of(), AT, null, null, null, new PlacementLoad(PlacementLoad.SOURCE_INDEX, true, 3, AT, null),
            ROUTING_LOADING);

    @Test
    void everyRecordOfTheReportRoundTrips() throws Exception {
        assertRoundTrips(LOADING);
        assertRoundTrips(LOADING_PLACEMENTS);
        assertRoundTrips(LOADING_ROUTING);
        assertRoundTrips(STATUS);
        assertRoundTrips(LEADER);
        assertRoundTrips(STAGING);
        assertRoundTrips(REMOVAL);
        assertRoundTrips(DISK);
        assertRoundTrips(WARM_UP);
        assertRoundTrips(CLIENTS);
        assertRoundTrips(SHUTDOWN);
        assertRoundTrips(SHUTTING_DOWN);
        assertRoundTrips(new WorkerStatus("worker-9", null, null, false, List.of(), "not registered yet", -1, List.of(), AT));
    }

    /** The document as the worker writes it today; a field renamed on either side fails here. */
    @Test
    void theDocumentAWorkerWritesReadsAsTheStatusRecord() throws Exception {
        String written = """
                {"name":"worker-2","node":"N2:3","state":"active","ready":true,
                 "warmUp":[{"check":"data-directory-writable","passed":true,"detail":"wrote and read back a probe","at":"2026-11-28T10:00:14.250Z"}],
                 "activation":"active","nodesVersion":41,
                 "replicas":[
                   {"partition":"P3","role":"leader","leader":"N2","term":4,"commitIndex":17,"appliedIndex":16,"lag":1,"snapshotIndex":-1,
                    "firstLogIndex":0,"stateBytes":120,"configuration":["N1","N2","N4"],"configurationChanging":true},
                   {"partition":"P5","role":"staging","term":0,"commitIndex":0,"appliedIndex":0,"lag":0,"snapshotIndex":-1,"firstLogIndex":0,
                    "stateBytes":0,"configuration":[],"configurationChanging":false}],
                 "removals":[{"partition":"P7","since":"2026-11-28T10:00:00.250Z","attempts":2,"overdue":true,
                   "detail":"Ratis group remove running for 12 s (deadline 10 s)"}],
                 "at":"2026-11-28T10:00:14.250Z",
                 "disk":{"state":"low","directory":"/var/lib/sluice","freeBytes":900,"totalBytes":10000,"floorBytes":1000,"criticalBytes":250,
                   "resumeBytes":1500,"since":"2026-11-28T09:59:14.250Z","checkedAt":"2026-11-28T10:00:14.250Z",
                   "detail":"N2 (worker-2) has 900 bytes free in /var/lib/sluice, below its floor of 1000"},
                 "clients":{"from":"2026-11-28T10:00:05Z","to":"2026-11-28T10:00:14.250Z","requests":370,"failed":4,
                   "latency":[{"upToMillis":1.0,"count":300},{"upToMillis":2.0,"count":67},{"upToMillis":750.0,"count":3}]}}
                """;

        assertThat(read(written, WorkerStatus.class)).isEqualTo(STATUS);
        assertThat(Json.mapper().readTree(Json.mapper().writeValueAsString(STATUS))).isEqualTo(Json.mapper().readTree(written));
    }

    /** A worker shutting down says so in its status: the controller reads {@code shutdown} and sends it nothing. */
    @Test
    void aShutdownAsTheWorkerWritesItReadsAsTheShutdownRecord() throws Exception {
        String written = """
                {"name":"worker-2","node":"N2:3","state":"active","ready":false,"warmUp":[],"activation":"active","nodesVersion":41,
                 "replicas":[{"partition":"P3","role":"leader","leader":"N2","term":4,"commitIndex":17,"appliedIndex":16,"lag":1,"snapshotIndex":-1,
                    "firstLogIndex":0,"stateBytes":120,"configuration":["N1","N2","N4"],"configurationChanging":true}],
                 "removals":[],"at":"2026-11-28T10:00:14.250Z",
                 "shutdown":{"cause":"SIGTERM","since":"2026-11-28T10:00:12.250Z","deadline":"2026-11-28T10:00:32.250Z"}}
                """;

        assertThat(read(written, WorkerStatus.class)).isEqualTo(SHUTTING_DOWN);
        assertThat(Json.mapper().readTree(Json.mapper().writeValueAsString(SHUTTING_DOWN))).isEqualTo(Json.mapper().readTree(written));
        assertThat(Json.mapper().writeValueAsString(STATUS)).as("a serving worker writes no shutdown").doesNotContain("shutdown");
    }

    @Test
    void aShutdownWhoseDeadlineIsBeforeItsStartIsRefused() {
        assertThatThrownBy(() -> new ShutdownStatus("SIGTERM", AT, AT.minusMillis(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a shutdown's deadline 2026-11-28T10:00:14.249Z is before its start 2026-11-28T10:00:14.250Z");
    }

    @Test
    void fieldsAReaderDoesNotKnowAreIgnoredAtEveryLevel() throws Exception {
        String newer = """
                {"name":"worker-2","shard":"blue","ready":true,"nodesVersion":41,"at":"2026-11-28T10:00:14.250Z",
                 "replicas":[{"partition":"P3","role":"leader","term":4,"configuration":[],"witness":true}],
                 "removals":[{"partition":"P7","since":"2026-11-28T10:00:00Z","attempts":1,"overdue":false,"detail":"queued","priority":3}],
                 "warmUp":[{"check":"c","passed":false,"detail":"d","at":"2026-11-28T10:00:00Z","retries":2}],
                 "disk":{"state":"ok","directory":"/d","freeBytes":1,"totalBytes":2,"floorBytes":0,"criticalBytes":0,"resumeBytes":0,
                   "since":"2026-11-28T10:00:00Z","checkedAt":"2026-11-28T10:00:00Z","detail":"fine","inodes":7},
                 "clients":{"from":"2026-11-28T10:00:00Z","to":"2026-11-28T10:00:10Z","requests":2,"failed":0,"reads":1,
                   "latency":[{"upToMillis":4.0,"count":2,"sumMillis":5.5}]}}
                """;

        WorkerStatus status = WireRoundTrip.STRICT_MAPPER.readValue(newer, WorkerStatus.class);

        assertThat(status.replicas()).singleElement().satisfies(replica -> assertThat(replica.role()).isEqualTo(ReplicaRole.LEADER));
        assertThat(status.removals()).singleElement().satisfies(removal -> assertThat(removal.detail()).isEqualTo("queued"));
        assertThat(status.disk().state()).isEqualTo(DiskState.OK);
        assertThat(status.clients().latency()).containsExactly(new ClientWindow.LatencyBucket(4.0, 2));
    }

    /** A worker from before removals, the disk rule and client windows, or a newer one that leaves a list out, still reads. */
    @Test
    void absentListsReadAsEmptyAndAbsentDiskAndClientsAsNull() throws Exception {
        WorkerStatus older = read("{\"name\":\"worker-2\",\"ready\":false,\"nodesVersion\":3}", WorkerStatus.class);

        assertThat(older.replicas()).isEmpty();
        assertThat(older.removals()).isEmpty();
        assertThat(older.warmUp()).isEmpty();
        assertThat(older.disk()).isNull();
        assertThat(older.clients()).isNull();
        assertThat(older.shutdown()).isNull();
    }

    /** 370 answers over 9.25 s; the 99th percentile is the 367th fastest, the last in the 2 ms bucket. */
    @Test
    void aWindowGivesItsRatesOverItsLengthAndItsP99AsABucketBound() {
        assertThat(CLIENTS.requestsPerSecond()).isCloseTo(40.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(CLIENTS.failedPerSecond()).isCloseTo(4 / 9.25, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(CLIENTS.p99Millis()).hasValue(2.0);
        assertThat(new ClientWindow(AT, AT, 0, 0, List.of()).p99Millis()).isEmpty();
        assertThat(new ClientWindow(AT.minusMillis(200), AT, 3, 0, List.of(new ClientWindow.LatencyBucket(1.0, 3))).requestsPerSecond())
                .as("a window shorter than a second is taken as a second").isEqualTo(3.0);
        assertThat(ClientWindow.p99Millis(List.of(new ClientWindow.LatencyBucket(1.0, 98), new ClientWindow.LatencyBucket(8.0, 2))))
                .as("with 100 answers the 99th is the second slowest").hasValue(8.0);
    }

    @Test
    void aWindowThatEndsBeforeItStartsOrFailsMoreThanItAnsweredIsRefused() {
        assertThatThrownBy(() -> new ClientWindow(AT, AT.minusSeconds(1), 0, 0, List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ends (2026-11-28T10:00:13.250Z) before it starts");
        assertThatThrownBy(() -> new ClientWindow(AT, AT, 1, 2, List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a client window counts 2 failed of 1 requests");
    }

    @Test
    void aRoleANewerWorkerReportsReadsAsUnknown() throws Exception {
        ReplicaStatus replica = read(Json.mapper().writeValueAsString(LEADER).replace("\"leader\",", "\"witness\","), ReplicaStatus.class);

        assertThat(replica.role()).isEqualTo(ReplicaRole.UNKNOWN);
        assertThat(ReplicaRole.parse("LISTENER")).isEqualTo(ReplicaRole.LISTENER);
    }

    @Test
    void rolesAndDiskStatesKeepTheirKebabCaseNames() throws Exception {
        assertThat(Json.mapper().writeValueAsString(List.of(ReplicaRole.values())))
                .isEqualTo("[\"leader\",\"follower\",\"candidate\",\"listener\",\"staging\",\"unknown\"]");
        assertThat(Json.mapper().writeValueAsString(List.of(DiskState.values()))).isEqualTo("[\"ok\",\"low\",\"critical\"]");
    }

    /**
     * Unlike a role, a disk state is not guessed: a controller that cannot read a worker's status treats the worker
     * as not reporting, which, as a disk that is not ok does, gives it no replica and no leadership.
     */
    @Test
    void anUnknownDiskStateIsRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> read("{\"state\":\"full\"}", DiskStatus.class))
                .isInstanceOf(ValueInstantiationException.class)
                .hasMessageContaining("unknown disk state 'full' (expected one of: ok, low, critical)");
    }
}
