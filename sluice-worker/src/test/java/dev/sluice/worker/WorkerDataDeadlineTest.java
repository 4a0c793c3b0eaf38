package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.wire.DataApi;
import dev.sluice.client.wire.RequestId;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ReplicaRole;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data API's deadlines and idempotency keys on a real Ratis server (one worker, single-replica groups,
 * metadata in memory) behind the worker's HTTP routes: a write the leader cannot answer in time is a
 * {@code 504} within the caller's stated deadline, not a wait of the node's whole data timeout, and a retry
 * with the same request id joins the write instead of applying it again.
 */
class WorkerDataDeadlineTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** What a caller tells the node it waits; the node must answer within {@link DataApi#SERVER_SHARE_PERCENT}% of it. */
    static final Duration CALLER_WAITS = Duration.ofMillis(500);
    /**
     * How long the test's own HTTP client waits: ten times the caller's deadline, so a slow machine cannot fail
     * the test, and half the node's data timeout (10 s), so a node that ignored the deadline fails it.
     */
    static final Duration PATIENCE = Duration.ofSeconds(5);

    @TempDir
    Path directory;

    private final HookedLogic.Hooks hooks = new HookedLogic.Hooks();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private PartitionTable table;
    private Worker worker;
    private Javalin server;
    private URI url;

    @BeforeEach
    void start() throws Exception {
        ClusterMetadata metadata = new ClusterMetadata(new InMemoryMetadataStore(), InstantSource.system());
        table = new PartitionTable(2, ReplicationProperty.of(1));
        metadata.partitionTable().initialize(table);
        worker = new Worker(WorkerConfig.builder("alpha", "unit", directory.resolve("alpha")).logic(hooks).build(), metadata);
        server = Javalin.create(config -> {
            config.jetty.host = "127.0.0.1";
            config.jetty.port = 0;
            config.startup.showJavalinBanner = false;
            config.concurrency.useVirtualThreads = true;
            WorkerHttp.install(config, worker);
        }).start();
        url = URI.create("http://127.0.0.1:" + server.port());
        worker.start(url);
        NodeId me = worker.self().orElseThrow().nodeId();
        for (PartitionId partition : table.partitions()) {
            metadata.placements().write(Placement.stable(partition, List.of(me), null, Version.INVALID), 0, null, List.of());
        }
        Awaitility.await("every group leads").atMost(TIMEOUT).until(() -> worker.status().replicas().stream()
                .filter(replica -> replica.role() == ReplicaRole.LEADER).count() == table.partitionCount());
        // A leader takes writes once it applied the first entry of its term; a test that then blocks applies
        // must not catch it before that (a verify run got 503 "leader not ready" instead of the 504 tested).
        for (PartitionId partition : table.partitions()) {
            Awaitility.await(partition + " takes writes").atMost(TIMEOUT)
                    .until(() -> put(keyIn(partition, "warm-up-"), "ok", null, null).statusCode() == 204);
        }
        // The tests count the commands they apply, not the warm-up's.
        hooks.applied.clear();
    }

    @AfterEach
    void stop() {
        hooks.blockedApplies.values().forEach(CountDownLatch::countDown);
        if (server != null) {
            server.stop();
        }
        if (worker != null) {
            worker.close();
        }
        http.close();
    }

    private HttpResponse<String> put(String key, String value, RequestId requestId, String timeoutMillis) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve(DataApi.KV_PATH + key)).timeout(PATIENCE)
                .PUT(HttpRequest.BodyPublishers.ofString(value));
        if (requestId != null) {
            request.header(DataApi.REQUEST_ID_HEADER, requestId.toString());
        }
        if (timeoutMillis != null) {
            request.header(DataApi.TIMEOUT_HEADER, timeoutMillis);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String get(String key) throws Exception {
        return http.send(HttpRequest.newBuilder(url.resolve(DataApi.KV_PATH + key)).timeout(PATIENCE).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private String keyIn(PartitionId partition) {
        return keyIn(partition, "key-");
    }

    private String keyIn(PartitionId partition, String prefix) {
        for (int i = 0; ; i++) {
            if (table.partitionOf(prefix + i).equals(partition)) {
                return prefix + i;
            }
        }
    }

    @Test
    void aWriteTheLeaderCannotAnswerInTimeIs504WithinTheCallersDeadlineAndItsRetryIsAppliedOnce() throws Exception {
        PartitionId slow = PartitionId.of(0);
        String key = keyIn(slow);
        RequestId first = new RequestId(UUID.randomUUID(), 1);
        RequestId second = new RequestId(first.client(), 2);
        CountDownLatch release = hooks.blockApply(slow);

        HttpResponse<String> timedOut = put(key, "first", first, Long.toString(CALLER_WAITS.toMillis()));

        assertThat(timedOut.statusCode()).isEqualTo(504);
        JsonNode body = Json.mapper().readTree(timedOut.body());
        assertThat(body.path("error").asText()).isEqualTo("timeout");
        assertThat(body.path("message").asText()).isEqualTo("not committed within 400 ms; the write may still be applied, and retrying it with the same "
                + "X-Sluice-Request-Id is safe");
        // The other partition is not held up by the slow one.
        assertThat(put(keyIn(PartitionId.of(1)), "elsewhere", new RequestId(first.client(), 3), "500").statusCode()).isEqualTo(204);

        release.countDown();
        assertThat(put(key, "first", first, "500").statusCode()).as("the retry joins the write").isEqualTo(204);
        assertThat(put(key, "second", second, "500").statusCode()).isEqualTo(204);
        assertThat(hooks.applied(slow)).as("commands applied: the first write once, the second once").isEqualTo(2);

        // A late retry of the first write (its answer was lost, say) is answered from Raft's retry cache, not applied again.
        assertThat(put(key, "first", first, "500").statusCode()).isEqualTo(204);
        assertThat(get(key)).isEqualTo("second");
        assertThat(hooks.applied(slow)).isEqualTo(2);
    }

    @Test
    void withoutADeadlineTheNodeWaitsItsDataTimeoutAndWithoutARequestIdEveryWriteIsNew() throws Exception {
        String key = keyIn(PartitionId.of(1));
        assertThat(put(key, "a", null, null).statusCode()).isEqualTo(204);
        assertThat(put(key, "a", null, null).statusCode()).isEqualTo(204);
        assertThat(hooks.applied(PartitionId.of(1))).isEqualTo(2);
        assertThat(WorkerHttp.answerWithin(Duration.ofSeconds(10), Duration.ofMillis(750))).isEqualTo(Duration.ofMillis(600));
        assertThat(WorkerHttp.answerWithin(Duration.ofSeconds(10), Duration.ofMinutes(1))).isEqualTo(Duration.ofSeconds(10));
        assertThat(WorkerHttp.answerWithin(Duration.ofSeconds(10), Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
    }

    /** The data routes count every answer, refusals and timeouts included, for the meters and the status report. */
    @Test
    void everyAnswerOfTheDataRoutesIsCountedWithItsOperationAndOutcome() throws Exception {
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        worker.clientRequests().listen((operation, outcome, latency) -> heard.add(operation + " " + outcome));
        String key = keyIn(PartitionId.of(0));

        assertThat(put(key, "v", null, null).statusCode()).isEqualTo(204);
        assertThat(get(key)).isEqualTo("v");
        assertThat(get(keyIn(PartitionId.of(1)))).contains("not-found");
        assertThat(put(key, "v", null, "soon").statusCode()).isEqualTo(400);
        CountDownLatch release = hooks.blockApply(PartitionId.of(0));
        assertThat(put(key, "w", null, Long.toString(CALLER_WAITS.toMillis())).statusCode()).isEqualTo(504);
        release.countDown();

        assertThat(heard).containsExactly("write ok", "read ok", "read ok", "write rejected", "write unavailable");
        // The window also holds the set-up's warm-up writes (some may have been refused while a leader got ready);
        // ClientRequestsTest checks its arithmetic exactly with a clock of its own.
        ClientWindow window = worker.status().clients();
        assertThat(window.requests()).isGreaterThanOrEqualTo(5);
        assertThat(window.failed()).isGreaterThanOrEqualTo(1);
        assertThat(window.p99Millis().orElseThrow()).as("the slowest answer: the write that waited 400 ms for its commit").isGreaterThanOrEqualTo(400.0);
    }

    @Test
    void malformedDeadlinesAndRequestIdsAreRefusedWithTheReason() throws Exception {
        String key = keyIn(PartitionId.of(1));
        HttpResponse<String> badTimeout = put(key, "v", null, "soon");
        assertThat(badTimeout.statusCode()).isEqualTo(400);
        assertThat(Json.mapper().readTree(badTimeout.body()).path("error").asText()).isEqualTo("malformed-header");
        assertThat(Json.mapper().readTree(badTimeout.body()).path("message").asText())
                .isEqualTo("X-Sluice-Timeout-Millis must be a whole number of milliseconds from 1 to 3600000, got 'soon'");
        assertThat(put(key, "v", null, "0").statusCode()).isEqualTo(400);

        HttpResponse<String> badId = http.send(HttpRequest.newBuilder(url.resolve(DataApi.KV_PATH + key)).timeout(PATIENCE)
                .header(DataApi.REQUEST_ID_HEADER, "12").PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(Json.mapper().readTree(badId.body()).path("message").asText()).isEqualTo("X-Sluice-Request-Id must be <uuid>/<call number>, got '12'");
    }
}
