package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.model.Actor;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.javalin.Javalin;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The admin API over real HTTP against an in-memory cluster of four workers holding 24 partitions × 3.
 * Every rejected request must leave the nodes configuration exactly as it was.
 */
class AdminHttpTest {

    private static final String TOKEN = "s3cret-token";

    /** Reads of placement documents, counted so a test can tell which routes read them. */
    private final java.util.concurrent.atomic.AtomicInteger placementReads = new java.util.concurrent.atomic.AtomicInteger();
    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    /** The store as the API sees it: every call passed on, those naming placements counted. */
    private final dev.sluice.metadata.MetadataStore storeAsTheApiSeesIt = (dev.sluice.metadata.MetadataStore) java.lang.reflect.Proxy.newProxyInstance(
            dev.sluice.metadata.MetadataStore.class.getClassLoader(), new Class<?>[] {dev.sluice.metadata.MetadataStore.class}, (proxy, method, args) -> {
                Object first = args == null || args.length == 0 ? null : args[0];
                // A call naming placements (a key or several, as a batched read does) is one read.
                if (first instanceof java.util.Collection<?> keys ? keys.stream().anyMatch(AdminHttpTest::placementKey) : placementKey(first)) {
                    placementReads.incrementAndGet();
                }
                try {
                    return method.invoke(store, args);
                } catch (java.lang.reflect.InvocationTargetException thrown) {
                    throw thrown.getCause();
                }
            });
    private final List<InMemoryMetadataStore> sessions = new ArrayList<>();
    private final ClusterMetadata metadata = new ClusterMetadata(store, Clock.systemUTC());
    private final HttpClient http = HttpClient.newHttpClient();
    private Javalin server;
    private String base;

    private static boolean placementKey(Object key) {
        return key instanceof String text
                && (text.equals(dev.sluice.metadata.MetadataKeys.PLACEMENTS) || text.startsWith(dev.sluice.metadata.MetadataKeys.PLACEMENTS + "/"));
    }

    @BeforeEach
    void start() {
        metadata.partitionTable().initialize(new PartitionTable(24, ReplicationProperty.of(3)));
        for (int i = 1; i <= 4; i++) {
            InMemoryMetadataStore session = store.newSession();
            sessions.add(session);
            var registered = new NodeRegistration(new ClusterMetadata(session, Clock.systemUTC()), Clock.systemUTC())
                    .register("worker-" + i, NodeAddresses.of("127.0.0.1:700" + i, "http://127.0.0.1:800" + i), Set.of(Role.WORKER, Role.ADMIN),
                            Location.DEFAULT);
            metadata.nodes().transition(registered.node().id(), WorkerState.ACTIVE, Actor.NODE, "warm", false, c -> GuardFacts.NONE, List.of());
        }
        for (int p = 0; p < 24; p++) {
            List<NodeId> members = List.of(NodeId.of(1 + p % 4), NodeId.of(1 + (p + 1) % 4), NodeId.of(1 + (p + 2) % 4));
            metadata.placements().write(Placement.stable(PartitionId.of(p), members, members.getFirst(), Version.of(8)), 0, null, List.of());
        }
        ClusterMetadata apiMetadata = new ClusterMetadata(storeAsTheApiSeesIt, Clock.systemUTC());
        AdminApi api = new AdminApi("test", apiMetadata, new Lifecycle(apiMetadata, SchedulerLimits.DEFAULTS, Clock.systemUTC()));
        server = Javalin.create(config -> AdminHttp.install(config, api, Optional.of(TOKEN))).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.stop();
        sessions.forEach(InMemoryMetadataStore::close);
        store.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        // Reads need the token too: the node checks credentials.
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.mapper().readTree(response.body());
    }

    @Test
    void listsNodesWithStateLivenessAndWhatTheyHold() throws Exception {
        HttpResponse<String> response = get("/api/v1/nodes");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode nodes = json(response);
        assertThat(nodes).hasSize(4);
        JsonNode first = nodes.get(0);
        assertThat(first.get("id").asText()).isEqualTo("N1");
        assertThat(first.get("state").asText()).isEqualTo("active");
        assertThat(first.get("alive").asBoolean()).isTrue();
        assertThat(first.get("replicas").asInt()).isEqualTo(18);
        assertThat(first.get("leaderships").asInt()).isEqualTo(6);
        assertThat(json(get("/api/v1/nodes/worker-2")).get("id").asText()).isEqualTo("N2");
        assertThat(json(get("/api/v1/nodes/N2")).get("name").asText()).isEqualTo("worker-2");
        JsonNode cluster = json(get("/api/v1/cluster"));
        assertThat(cluster.get("partitions").asInt()).isEqualTo(24);
        assertThat(cluster.get("workersByState").get("active").asInt()).isEqualTo(4);
    }

    @Test
    void aDrainIsAppliedWithTheTokenAndItsDryRunPlansEveryMove() throws Exception {
        HttpResponse<String> dryRun = post("/api/v1/nodes/N1/state", "{\"state\":\"draining\",\"dryRun\":true}", TOKEN);
        assertThat(dryRun.statusCode()).isEqualTo(200);
        JsonNode plan = json(dryRun);
        assertThat(plan.get("allowed").asBoolean()).isTrue();
        assertThat(plan.get("moves")).hasSize(18);
        assertThat(metadata.nodes().current().find(NodeId.of(1)).orElseThrow().workerState()).isEqualTo(WorkerState.ACTIVE);

        HttpResponse<String> applied = post("/api/v1/nodes/worker-1/state", "{\"state\":\"draining\",\"reason\":\"kernel upgrade\"}", TOKEN);
        assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
        assertThat(json(applied).get("node").get("state").asText()).isEqualTo("draining");
        assertThat(json(applied).get("node").get("lastChange").get("reason").asText()).isEqualTo("kernel upgrade");
        assertThat(metadata.audit().read(-1, 10)).last().satisfies(r -> assertThat(r.actor()).isEqualTo(Actor.OPERATOR));
    }

    @Test
    void aRefusedDrainAnswers409WithTheBlockingPartitionsAndChangesNothing() throws Exception {
        assertThat(post("/api/v1/nodes/N1/state", "{\"state\":\"draining\"}", TOKEN).statusCode()).isEqualTo(200);
        NodesConfiguration before = metadata.nodes().current();
        HttpResponse<String> refused = post("/api/v1/nodes/N2/state", "{\"state\":\"draining\"}", TOKEN);
        assertThat(refused.statusCode()).isEqualTo(409);
        JsonNode body = json(refused);
        assertThat(body.get("kind").asText()).isEqualTo("guard-failed");
        assertThat(body.get("current").asText()).isEqualTo("active");
        assertThat(body.get("blocking").size()).isPositive();
        assertThat(body.get("blocking").get(0).get("reason").asText()).isEqualTo("not-enough-candidates");
        assertThat(body.get("message").asText()).startsWith("N2 (worker-2) cannot go from active to draining now: ");
        assertThat(body.get("allowed").toString()).doesNotContain("draining");
        assertThat(body.get("allowedWithForce").toString()).contains("disabled").contains("draining");
        assertThat(metadata.nodes().current()).isEqualTo(before);

        HttpResponse<String> illegal = post("/api/v1/nodes/N1/state", "{\"state\":\"provisioning\"}", TOKEN);
        assertThat(illegal.statusCode()).isEqualTo(409);
        assertThat(json(illegal).get("kind").asText()).isEqualTo("illegal-transition");
        assertThat(json(illegal).get("message").asText()).contains("draining").contains("provisioning");
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void badInputNeverAnswers500AndNeverChangesState() throws Exception {
        NodesConfiguration before = metadata.nodes().current();
        record Case(String path, String body, String token, int status, String contains) {}
        String huge = "{\"state\":\"draining\",\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}";
        List<Case> cases = List.of(
                new Case("/api/v1/nodes/N1/state", "{not json", TOKEN, 400, "not valid JSON"),
                new Case("/api/v1/nodes/N1/state", "[\"draining\"]", TOKEN, 400, "JSON object"),
                new Case("/api/v1/nodes/N1/state", "{}", TOKEN, 400, "'state' is required"),
                new Case("/api/v1/nodes/N1/state", "{\"state\":\"sleeping\"}", TOKEN, 400, "provisioning, active, draining, disabled"),
                new Case("/api/v1/nodes/N1/state", "{\"state\":3}", TOKEN, 400, "must be a string"),
                new Case("/api/v1/nodes/N1/state", "{\"state\":\"draining\",\"force\":\"yes\"}", TOKEN, 400, "true or false"),
                new Case("/api/v1/nodes/N1/state", "{\"state\":\"draining\",\"dry_run\":true}", TOKEN, 400, "unknown field 'dry_run'"),
                new Case("/api/v1/nodes/N1/state", "{\"state\":\"draining\",\"reason\":\"" + "y".repeat(600) + "\"}", TOKEN, 400, "limit is 500"),
                new Case("/api/v1/nodes/N1/state", huge, TOKEN, 413, "limit"),
                new Case("/api/v1/nodes/N9/state", "{\"state\":\"draining\"}", TOKEN, 404, "unknown node 'N9'"),
                new Case("/api/v1/nodes/1/state", "{\"state\":\"draining\"}", TOKEN, 400, "did you mean N1 (worker-1)?"),
                new Case("/api/v1/nodes/nobody/state", "{\"state\":\"draining\"}", TOKEN, 404, "unknown node"),
                new Case("/api/v1/nodes/N1/state", "{\"state\":\"draining\"}", null, 401, "requires a token"),
                new Case("/api/v1/nodes/N1/state", "{\"state\":\"draining\"}", "wrong", 401, "token is wrong"));
        for (Case c : cases) {
            HttpResponse<String> response = post(c.path(), c.body(), c.token());
            assertThat(response.statusCode()).as(c.body().length() > 80 ? c.body().substring(0, 80) : c.body()).isEqualTo(c.status());
            assertThat(response.body()).as(c.path()).contains(c.contains()).doesNotContain(TOKEN);
            assertThat(metadata.nodes().current()).isEqualTo(before);
        }
        assertThat(get("/api/v1/partitions/P99").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/partitions/banana").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/events?since=x").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/events?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/nodes/N1/drain").statusCode()).isEqualTo(404);
    }

    /**
     * Every node route takes a reference through one rule: names in any case, N2, the current N2:2; a bare
     * number is refused (400) naming what it could mean, a misspelling is answered with the closest name
     * (404), and an incarnation the node has left behind is a stale-generation refusal (409). None of them
     * changes anything.
     */
    @Test
    void nodeReferencesAreResolvedTheSameWayOnEveryRoute() throws Exception {
        sessions.get(1).close();
        InMemoryMetadataStore restarted = store.newSession();
        sessions.add(restarted);
        new NodeRegistration(new ClusterMetadata(restarted, Clock.systemUTC()), Clock.systemUTC())
                .register("worker-2", NodeAddresses.of("127.0.0.1:7002", "http://127.0.0.1:8002"), Set.of(Role.WORKER, Role.ADMIN), Location.DEFAULT);
        NodesConfiguration before = metadata.nodes().current();
        assertThat(before.find(NodeId.of(2)).orElseThrow().id().generation()).isEqualTo(2);

        assertThat(json(get("/api/v1/nodes/Worker-2")).get("id").asText()).isEqualTo("N2");
        assertThat(json(get("/api/v1/nodes/n2")).get("name").asText()).isEqualTo("worker-2");
        assertThat(json(get("/api/v1/nodes/N2:2")).get("incarnation").asText()).isEqualTo("N2:2");

        record Case(String method, String node, int status, String error, String message) {}
        List<Case> cases = List.of(
                new Case("GET", "2", 400, "bad-request", "'2' is refused: a bare number could mean an id or the number in a name"),
                new Case("POST", "2", 400, "bad-request", "did you mean N2 (worker-2)?"),
                new Case("GET", "worker-2x", 404, "not-found", "unknown node 'worker-2x'; did you mean worker-2 (N2)?"),
                new Case("POST", "wroker-3", 404, "not-found", "did you mean worker-3 (N3)?"),
                new Case("POST", "N9", 404, "not-found", "no node has the id N9; the nodes are N1 (worker-1), N2 (worker-2)"),
                new Case("GET", "N2:1", 409, "refused", "N2:1 is no longer current: the node registered again since; N2 (worker-2) is now N2:2"),
                new Case("POST", "N2:1", 409, "refused", "Look at its state again, then give N2:2 or N2"),
                new Case("GET", "N2:1/drain", 409, "refused", "N2:1 is no longer current"));
        for (Case c : cases) {
            HttpResponse<String> response = c.method().equals("GET") ? get("/api/v1/nodes/" + c.node())
                    : post("/api/v1/nodes/" + c.node() + "/state", "{\"state\":\"draining\"}", TOKEN);
            assertThat(response.statusCode()).as(c.method() + " " + c.node() + ": " + response.body()).isEqualTo(c.status());
            assertThat(json(response).get("error").asText()).as(c.node()).isEqualTo(c.error());
            assertThat(json(response).get("message").asText()).as(c.node()).contains(c.message());
            if (c.status() == 409) {
                assertThat(json(response).get("kind").asText()).isEqualTo("stale-generation");
                assertThat(json(response).get("node").asText()).isEqualTo("N2");
            }
            assertThat(metadata.nodes().current()).isEqualTo(before);
        }

        HttpResponse<String> current = post("/api/v1/nodes/N2:2/state", "{\"state\":\"draining\",\"dryRun\":true}", TOKEN);
        assertThat(current.statusCode()).as(current.body()).isEqualTo(200);
        assertThat(json(current).get("moves")).hasSize(18);
    }

    /** Event messages name nodes the way every other surface does, also where their writer knew only ids. */
    @Test
    void eventMessagesNameEveryNodeTheyMention() {
        NodesConfiguration nodes = metadata.nodes().current();
        assertThat(AdminApi.withNodeNames("P3 moved [N1] → [N4] in 900 ms", nodes)).isEqualTo("P3 moved [N1 (worker-1)] → [N4 (worker-4)] in 900 ms");
        assertThat(AdminApi.withNodeNames("N2:1 (worker-2) registered as a new node", nodes)).isEqualTo("N2:1 (worker-2) registered as a new node");
        assertThat(AdminApi.withNodeNames("N3 (worker-3) draining; N9 unknown, N0 and PN1 left alone", nodes))
                .isEqualTo("N3 (worker-3) draining; N9 unknown, N0 and PN1 left alone");
        assertThat(AdminApi.withNodeNames("P16 leadership N3 → N1 (leader-leaving) in 943 ms", nodes))
                .as("an id followed by a parenthesis that is not its name is still labelled")
                .isEqualTo("P16 leadership N3 (worker-3) → N1 (worker-1) (leader-leaving) in 943 ms");
    }

    /**
     * An oversized body is answered 413 with the reason, every time: answered unread, the connection closed under a
     * client still sending it, and a verify run's client met the reset instead ("header parser received no bytes").
     */
    @Test
    void anOversizedBodyIsAlwaysAnswered413NotReset() throws Exception {
        String oversized = "{\"state\":\"draining\",\"reason\":\"" + "x".repeat(200 * 1024) + "\"}";
        for (int attempt = 0; attempt < 20; attempt++) {
            HttpResponse<String> response = post("/api/v1/nodes/N1/state", oversized, TOKEN);
            assertThat(response.statusCode()).as("attempt %d", attempt).isEqualTo(413);
            assertThat(response.body()).contains("payload-too-large");
        }
        assertThat(post("/api/v1/nodes/N1/state", "{\"state\":\"draining\",\"dryRun\":true}", TOKEN).statusCode())
                .as("the connection still serves the next request").isEqualTo(200);
    }

    /** `drain --wait` printed "waiting: N3 still holds P16's files", the one bare id left in its output. */
    @Test
    void aDrainsSentencesNameTheNodesTheyMention() {
        NodesConfiguration nodes = metadata.nodes().current();
        dev.sluice.controller.DrainProgress progress = new dev.sluice.controller.DrainProgress(NodeId.of(3),
                new dev.sluice.model.GenerationalNodeId(NodeId.of(3), 1), "worker-3", WorkerState.DRAINING, java.time.Instant.EPOCH, null, 18, 0, 0, 0,
                18, 1.0, 0L, true, List.of(new dev.sluice.controller.DrainProgress.StalledPartition(PartitionId.of(7), NodeId.of(4),
                        dev.sluice.controller.StallReason.CATCH_UP_NOT_ADVANCING, "N4 has not caught up", java.time.Instant.EPOCH)),
                "N3 still holds P16's files", java.time.Instant.EPOCH);
        dev.sluice.wire.DrainView view = WireViews.drain(progress, text -> AdminApi.withNodeNames(text, nodes));
        assertThat(view.waitingFor()).isEqualTo("N3 (worker-3) still holds P16's files");
        assertThat(view.stalledPartitions().getFirst().message()).isEqualTo("N4 (worker-4) has not caught up");
    }

    private static dev.sluice.controller.DrainProgress drainOf(int node, int remaining, int stalls) {
        List<dev.sluice.controller.DrainProgress.StalledPartition> stalled = new ArrayList<>();
        for (int p = 0; p < stalls; p++) {
            stalled.add(new dev.sluice.controller.DrainProgress.StalledPartition(PartitionId.of(p), NodeId.of(node),
                    dev.sluice.controller.StallReason.FROZEN, "P" + p + " is frozen", java.time.Instant.EPOCH));
        }
        return new dev.sluice.controller.DrainProgress(NodeId.of(node), new dev.sluice.model.GenerationalNodeId(NodeId.of(node), 1), "worker-" + node,
                WorkerState.DRAINING, java.time.Instant.EPOCH, null, 18, remaining, 0, 0, 18 - remaining, 1.0, null, stalls > 0, stalled, null,
                java.time.Instant.EPOCH);
    }

    /**
     * A drain the controller's status leaves out (more drains run than it lists) is served from its own document: by the
     * node's drain and the node routes; the cluster view lists what the status lists and counts the rest.
     */
    @Test
    void aDrainTheStatusLeavesOutIsServedFromItsOwnDocument() throws Exception {
        dev.sluice.controller.DrainProgress listed = drainOf(1, 12, 0);
        dev.sluice.controller.DrainProgress leftOut = drainOf(2, 7, 25);
        dev.sluice.controller.ControllerStatus status = new dev.sluice.controller.ControllerStatus("controller-a", 1, java.time.Instant.EPOCH, 1, 5,
                List.of(), List.of(listed, leftOut), List.of()).listingAtMost(0, 0, 1);
        assertThat(status.drains()).as("the stalled drain is the one listed").containsExactly(leftOut);
        dev.sluice.metadata.DocumentCodec<dev.sluice.controller.ControllerStatus> statusCodec = new dev.sluice.metadata.DocumentCodec<>(
                dev.sluice.controller.ControllerStatus.class, "controller status", 1);
        dev.sluice.metadata.DocumentCodec<dev.sluice.controller.DrainProgress> drainCodec = new dev.sluice.metadata.DocumentCodec<>(
                dev.sluice.controller.DrainProgress.class, "drain progress", 1);
        store.put(dev.sluice.controller.ControllerDocuments.STATUS, statusCodec.encode(status), dev.sluice.metadata.Precondition.NONE);
        for (dev.sluice.controller.DrainProgress drain : List.of(listed, leftOut)) {
            store.put(dev.sluice.controller.ControllerDocuments.DRAIN_PROGRESS + "/" + drain.node(), drainCodec.encode(drain),
                    dev.sluice.metadata.Precondition.NONE);
        }

        JsonNode drain = json(get("/api/v1/nodes/worker-1/drain"));
        assertThat(drain.get("replicasRemaining").asInt()).isEqualTo(12);
        assertThat(json(get("/api/v1/nodes/N1")).get("drain").get("replicasRemaining").asInt()).isEqualTo(12);
        JsonNode nodes = json(get("/api/v1/nodes"));
        assertThat(nodes.get(0).get("drain").get("replicasRemaining").asInt()).isEqualTo(12);
        assertThat(nodes.get(1).get("drain").get("stalledLeftOut").asInt()).isEqualTo(25 - dev.sluice.controller.DrainProgress.MAX_STALLED_LISTED);
        assertThat(nodes.get(2).has("drain")).isFalse();
        JsonNode cluster = json(get("/api/v1/cluster"));
        assertThat(cluster.get("drains")).hasSize(1);
        assertThat(cluster.get("drains").get(0).get("node").asText()).isEqualTo("N2");
        assertThat(cluster.get("drainsLeftOut").asInt()).isEqualTo(1);
    }

    /**
     * The node and cluster views count from the controller's status: with one published they read no placement (at a
     * million partitions each of the dashboard's polls read them all); without one they count from the placements.
     */
    @Test
    void theNodeAndClusterViewsReadNoPlacementWhenTheControllerPublishedItsCounts() throws Exception {
        assertThat(json(get("/api/v1/nodes")).get(0).get("replicas").asInt()).isEqualTo(18);
        assertThat(placementReads.get()).as("no status: counted from the placements").isPositive();

        List<dev.sluice.controller.ControllerStatus.WorkerCounts> counts = new ArrayList<>();
        for (int n = 1; n <= 4; n++) {
            counts.add(new dev.sluice.controller.ControllerStatus.WorkerCounts(NodeId.of(n), 18, 6));
        }
        dev.sluice.controller.ControllerStatus status = new dev.sluice.controller.ControllerStatus("controller-a", 1, java.time.Instant.EPOCH, 1, 5,
                List.of(), List.of(), List.of(), counts);
        store.put(dev.sluice.controller.ControllerDocuments.STATUS, new dev.sluice.metadata.DocumentCodec<>(dev.sluice.controller.ControllerStatus.class,
                "controller status", 1).encode(status), dev.sluice.metadata.Precondition.NONE);
        placementReads.set(0);

        assertThat(json(get("/api/v1/nodes")).get(0).get("replicas").asInt()).isEqualTo(18);
        assertThat(json(get("/api/v1/nodes/N2")).get("leaderships").asInt()).isEqualTo(6);
        assertThat(json(get("/api/v1/cluster")).get("movesInFlight").asInt()).isZero();
        assertThat(placementReads.get()).isZero();
        assertThat(json(get("/api/v1/partitions"))).hasSize(24);
        assertThat(placementReads.get()).as("the partitions' list reads them").isPositive();
    }

    /** The dashboard's map asks for the first partitions only, and only those are read. */
    @Test
    void theFirstPartitionsAreReadAloneAndABadLimitIsRefused() throws Exception {
        placementReads.set(0);
        JsonNode first = json(get("/api/v1/partitions?limit=5"));
        assertThat(first).extracting(p -> p.get("id").asText()).containsExactly("P0", "P1", "P2", "P3", "P4");
        assertThat(placementReads.get()).as("one batched read of five keys, not a listing of every placement").isEqualTo(1);
        assertThat(json(get("/api/v1/partitions?limit=1000"))).hasSize(24);
        for (String bad : List.of("0", "-3", "many", "")) {
            HttpResponse<String> refused = get("/api/v1/partitions?limit=" + bad);
            if (bad.isEmpty()) {
                assertThat(refused.statusCode()).as("no limit: every partition").isEqualTo(200);
                continue;
            }
            assertThat(refused.statusCode()).as("limit=%s", bad).isEqualTo(400);
            assertThat(json(refused).get("message").asText()).contains("'limit' must be a count of partitions");
        }
    }

    /** Each of these was accepted (and acted on) or answered 500 before; each must be a 400 that changes nothing. */
    @Test
    void controlCharactersAndDuplicateFieldsAreRefused() throws Exception {
        NodesConfiguration before = metadata.nodes().current();
        record Case(String body, String contains) {}
        List<Case> cases = List.of(
                new Case("{\"state\":\"draining\\u0000\"}", "worker state 'draining\\u0000' contains a control character"),
                new Case("{\"state\":\"\\u001bdraining\"}", "contains a control character"),
                new Case("{\"state\":\"draining\",\"reason\":\"ok\\u001b[2Jcleared\"}", "field 'reason' contains a control character"),
                new Case("{\"state\":\"active\",\"state\":\"draining\"}", "names field 'state' more than once"),
                new Case("{\"state\":\"draining\",\"force\":false,\"force\":true}", "names field 'force' more than once"),
                new Case("{\"state\":\"draining\"", "not valid JSON"),
                new Case("{\"state\":\"draining\"} {}", "not valid JSON"));
        for (Case c : cases) {
            HttpResponse<String> response = post("/api/v1/nodes/N1/state", c.body(), TOKEN);
            assertThat(response.statusCode()).as(c.body()).isEqualTo(400);
            assertThat(json(response).get("error").asText()).isEqualTo("bad-request");
            assertThat(json(response).get("message").asText()).as(c.body()).contains(c.contains());
            assertThat(metadata.nodes().current()).isEqualTo(before);
        }
    }

    /** A body shorter than its Content-Length is the client's fault: a 400, and nothing in the log above DEBUG. */
    @Test
    void aTruncatedBodyIsABadRequestWithoutAStackTrace() throws Exception {
        NodesConfiguration before = metadata.nodes().current();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        String status;
        String body;
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            String partial = "{\"state\":\"draining\",";
            String request = "POST /api/v1/nodes/N1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nContent-Type: application/json\r\nContent-Length: 200\r\nConnection: close\r\n\r\n" + partial;
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            status = answer.lines().findFirst().orElse("");
            body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        } finally {
            root.detachAppender(logged);
        }
        assertThat(status).isEqualTo("HTTP/1.1 400 Bad Request");
        assertThat(body).contains("\"error\":\"bad-request\"").contains("200 bytes its Content-Length announced; nothing changed");
        assertThat(logged.list).filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void unknownRoutesAndWrongMethodsAnswerJson() throws Exception {
        HttpResponse<String> unknown = get("/api/v1/nope");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(json(unknown).get("error").asText()).isEqualTo("not-found");
        assertThat(json(unknown).get("message").asText()).isEqualTo("no route for GET /api/v1/nope; the API is described at /api/v1/openapi.json");

        HttpResponse<String> wrongMethod = post("/api/v1/nodes", "{}", TOKEN);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET");
        assertThat(json(wrongMethod).get("error").asText()).isEqualTo("method-not-allowed");
        assertThat(json(wrongMethod).get("message").asText()).isEqualTo("/api/v1/nodes does not take POST; it takes GET");

        HttpResponse<String> getState = get("/api/v1/nodes/N1/state");
        assertThat(getState.statusCode()).isEqualTo(405);
        assertThat(getState.headers().firstValue("Allow")).hasValue("POST");
    }

    @Test
    void concurrentConflictingTransitionsLeaveOneConsistentOutcome() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(() -> post("/api/v1/nodes/N1/state", "{\"state\":\"draining\"}", TOKEN));
                calls.add(() -> post("/api/v1/nodes/N2/state", "{\"state\":\"draining\"}", TOKEN));
            }
            List<Integer> n1 = new ArrayList<>();
            List<Integer> n2 = new ArrayList<>();
            List<Future<HttpResponse<String>>> futures = pool.invokeAll(calls);
            for (int i = 0; i < futures.size(); i++) {
                (i % 2 == 0 ? n1 : n2).add(futures.get(i).get().statusCode());
            }
            List<Integer> all = new ArrayList<>(n1);
            all.addAll(n2);
            assertThat(all).containsOnly(200, 409);
            NodesConfiguration after = metadata.nodes().current();
            long draining = after.workers().stream().filter(n -> n.workerState() == WorkerState.DRAINING).count();
            // Only one of the two drains can be safe: the second would leave partitions with two workers for three replicas.
            assertThat(draining).isEqualTo(1);
            NodeId drained = after.workers().stream().filter(n -> n.workerState() == WorkerState.DRAINING).findFirst().orElseThrow().nodeId();
            assertThat(drained.equals(NodeId.of(1)) ? n2 : n1).containsOnly(409);
            assertThat(metadata.audit().read(-1, 100)).filteredOn(r -> r.to() == WorkerState.DRAINING).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void eventsArePagedBySequence() throws Exception {
        JsonNode page = json(get("/api/v1/events?limit=3"));
        assertThat(page.get("events")).hasSize(3);
        long last = page.get("last").asLong();
        post("/api/v1/nodes/N3/state", "{\"state\":\"draining\",\"reason\":\"paging\"}", TOKEN);
        JsonNode newer = json(get("/api/v1/events?since=" + last));
        assertThat(newer.get("events")).hasSize(1);
        assertThat(newer.get("events").get(0).get("kind").asText()).isEqualTo("node-transition");
        assertThat(newer.get("events").get(0).get("message").asText()).contains("paging");
        JsonNode transition = newer.get("events").get(0).get("transition");
        assertThat(transition.get("node").asText()).isEqualTo("N3:1");
        assertThat(transition.get("nodeName").asText()).isEqualTo("worker-3");
        assertThat(transition.get("from").asText()).isEqualTo("active");
        assertThat(transition.get("to").asText()).isEqualTo("draining");
        assertThat(transition.get("actor").asText()).isEqualTo("operator");
        assertThat(transition.get("forced").asBoolean()).isFalse();
        assertThat(transition.get("version").asLong()).isEqualTo(metadata.nodes().current().version().value());
    }

    @Test
    void replayingTheTransitionEventsGivesEveryNodesState() throws Exception {
        post("/api/v1/nodes/N2/state", "{\"state\":\"draining\",\"reason\":\"replay\"}", TOKEN);
        post("/api/v1/nodes/N2/state", "{\"state\":\"active\",\"reason\":\"replay\"}", TOKEN);
        post("/api/v1/nodes/N4/state", "{\"state\":\"draining\",\"reason\":\"replay\"}", TOKEN);

        Map<String, String> replayed = new TreeMap<>();
        for (JsonNode event : json(get("/api/v1/events?since=-1&limit=1000")).get("events")) {
            if (event.has("transition")) {
                JsonNode transition = event.get("transition");
                String before = replayed.getOrDefault(transition.get("nodeName").asText(), "provisioning");
                assertThat(transition.get("from").asText()).as("event %s", event).isEqualTo(before);
                replayed.put(transition.get("nodeName").asText(), transition.get("to").asText());
            } else {
                assertThat(event.get("kind").asText()).isNotEqualTo("node-transition");
            }
        }
        Map<String, String> reported = new TreeMap<>();
        json(get("/api/v1/nodes")).forEach(node -> reported.put(node.get("name").asText(), node.get("state").asText()));

        assertThat(replayed).isEqualTo(reported).containsEntry("worker-2", "active").containsEntry("worker-4", "draining");
    }

    /**
     * The routes this module installs are the document's {@code /api/} routes. The whole node's routes (data,
     * health, metrics, dashboard) and every answer's body are checked against the document by the testkit's
     * HttpContractTest.
     */
    @Test
    void theOpenApiDocumentDescribesEveryAdminRoute() throws Exception {
        HttpResponse<String> response = get("/api/v1/openapi.json");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode paths = json(response).get("paths");
        Set<String> documented = new TreeSet<>();
        paths.properties().forEach(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (path.getKey().startsWith("/api/") && !method.equals("parameters")) {
                documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        Set<String> served = new TreeSet<>();
        // The credential check runs before every route; it is a handler of the server, not a route.
        server.unsafe.internalRouter.allHttpHandlers().stream().filter(route -> route.endpoint.method.isHttpMethod())
                .forEach(route -> served.add(route.endpoint.method + " " + route.endpoint.path));
        assertThat(served).isEqualTo(documented).contains("POST /api/v1/nodes/{node}/state");
    }

    /** The document's enum of move steps is the controller's: a step it leaves out fails clients that validate the status. */
    @Test
    void theOpenApiDocumentListsEveryMoveStepKind() throws Exception {
        JsonNode stepKind = json(get("/api/v1/openapi.json")).findValue("stepKind");
        List<String> documented = new ArrayList<>();
        stepKind.get("enum").forEach(kind -> documented.add(kind.asText()));
        assertThat(documented).containsExactlyInAnyOrderElementsOf(
                java.util.Arrays.stream(dev.sluice.controller.MoveStep.Kind.values()).map(dev.sluice.controller.MoveStep.Kind::wireName).toList());
    }
}
