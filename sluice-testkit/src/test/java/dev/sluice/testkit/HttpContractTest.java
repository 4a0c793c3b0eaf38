package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.api.AdminApi;
import dev.sluice.api.AdminHttp;
import dev.sluice.api.Credential;
import dev.sluice.api.CredentialSource;
import dev.sluice.api.Credentials;
import dev.sluice.api.HttpAccess;
import dev.sluice.api.TokenHash;
import dev.sluice.api.OfflineCluster;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.metadata.Json;
import dev.sluice.model.CredentialName;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Scope;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import io.javalin.Javalin;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The HTTP contract of a node: every route it serves is in the OpenAPI document it serves and the other way
 * round, and every answer of every route, success and error, is one the document declares, with a body valid
 * against the declared schema. Runs against a real cluster (four nodes with the control plane, scoped credentials) so the
 * routes are the ones a node composes: admin API, data API, health, metrics and dashboard.
 */
class HttpContractTest {

    /** The one token with every scope (as a --token-file's is), which the nodes also show each other. */
    private static final String TOKEN = "contract-token";
    /** A credential with read only, and one with data only: each lacks what the other routes need. */
    private static final String READER = "contract-reader-token";
    private static final String APP = "contract-app-token";
    private static final Duration WAIT = Duration.ofMinutes(1);
    /** A header no node reads, which tells {@link #send} to send no token. */
    private static final String ANONYMOUS = "X-Contract-Anonymous";
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Declared answers this test does not provoke, with the reason; every other declared answer must be seen,
     * so a status the document promises but no request reaches fails here.
     */
    private static final Map<String, String> NOT_PROVOKED = Map.of(
            "PUT /data/v1/kv/{key} 504", "a commit slower than the caller's timeout: tried with a 1 ms timeout, which a fast commit can beat",
            "PUT /data/v1/kv/{key} 507", "a data directory below its free-space floor: DiskFullTest",
            "GET /data/v1/routing 503", "only before the node has read the partition table for the first time",
            "DELETE /api/v1/nodes/{node}/replace 200", "needs a replace under way, which this cluster (every pair of workers shares a partition)"
                    + " refuses; the cancel's rules: ReplaceControlLoopTest, ReplaceRulesTest",
            "PUT /api/v1/settings 409", "concurrent changes winning every one of a request's attempts");

    private static LocalTestCluster cluster;
    private static OpenApiContract contract;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void startCluster() throws Exception {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 16, Duration.ofSeconds(10), 16));
        cluster = LocalTestCluster.builder().workers(4).partitions(4).replication(3)
                .sessionTimeout(Duration.ofSeconds(6))
                .controlPlane(config, CredentialSource.fixed(Credentials.of(List.of(Credentials.legacyToken(TOKEN, RANDOM),
                        new Credential(CredentialName.of("reader"), EnumSet.of(Scope.READ), TokenHash.of(READER, RANDOM)),
                        new Credential(CredentialName.of("app"), EnumSet.of(Scope.DATA), TokenHash.of(APP, RANDOM))))), TOKEN, TOKEN)
                .start();
        cluster.awaitLeaders(WAIT);
        HttpResponse<String> document = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(cluster.node(0).url().resolve("/api/v1/openapi.json")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(document.statusCode()).isEqualTo(200);
        contract = new OpenApiContract(document.body());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theServedRoutesAreTheDocumentedRoutes() {
        Set<String> served = new TreeSet<>();
        for (String route : cluster.node(0).process().httpRoutes()) {
            // Javalin writes a parameter that may hold '/' as <key>; the document writes every parameter as {key}.
            served.add(route.replace('<', '{').replace('>', '}'));
        }
        assertThat(served).as("served routes").isNotEmpty();
        assertThat(served).as("served but not in the document").isSubsetOf(contract.documentedRoutes());
        assertThat(contract.documentedRoutes()).as("in the document but not served").isSubsetOf(served);
    }

    @Test
    void everyAnswerOfEveryRouteIsDeclaredByTheServedDocument() throws Exception {
        TestNode n1 = cluster.node(0);
        URI base = n1.url();
        NodeId draining = cluster.node(3).nodeId();

        // Every route with a scope: refused without a known token (401), and to a credential without the scope (403).
        for (Map.Entry<String, HttpAccess.Rule> rule : HttpAccess.ROUTES.entrySet()) {
            if (rule.getValue() instanceof HttpAccess.Rule.Open) {
                continue;
            }
            String method = rule.getKey().substring(0, rule.getKey().indexOf(' '));
            String route = rule.getKey().substring(method.length() + 1).replace("<key>", "{key}");
            String path = route.replace("{node}", "N1").replace("{partition}", "P0").replace("{key}", "contract-key").replace("{drain}", "d-00000000");
            String body = method.equals("GET") || method.equals("DELETE") ? null : "{}";
            exchange(base, method, route, path, body, anonymous(), 401);
            exchange(base, method, route, path, body, Map.of("Authorization", "Bearer wrong"), 401);
            if (rule.getValue() instanceof HttpAccess.Rule.Needs needs) {
                exchange(base, method, route, path, body, Map.of("Authorization", "Bearer " + (needs.scope() == Scope.DATA ? READER : APP)), 403);
            } else {
                exchange(base, method, route, path, body, Map.of("Authorization", "Bearer " + READER), 200);
            }
        }

        // Reads of the admin API.
        exchange(base, "GET", "/api/v1/cluster", "/api/v1/cluster", 200);
        exchange(base, "GET", "/api/v1/nodes", "/api/v1/nodes", 200);
        exchange(base, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/N1", 200);
        exchange(base, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/nobody", 404);
        exchange(base, "GET", "/api/v1/nodes/{node}/drain", "/api/v1/nodes/nobody/drain", 404);
        exchange(base, "GET", "/api/v1/nodes/{node}/drain", "/api/v1/nodes/N1/drain", 404);
        // A bare number is ambiguous; an incarnation the node does not have is not current.
        exchange(base, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/1", 400);
        exchange(base, "GET", "/api/v1/nodes/{node}/drain", "/api/v1/nodes/1/drain", 400);
        exchange(base, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/N1:999", 409);
        exchange(base, "GET", "/api/v1/nodes/{node}/drain", "/api/v1/nodes/N1:999/drain", 409);
        exchange(base, "GET", "/api/v1/partitions", "/api/v1/partitions", 200);
        exchange(base, "GET", "/api/v1/partitions", "/api/v1/partitions?limit=2", 200);
        exchange(base, "GET", "/api/v1/partitions", "/api/v1/partitions?limit=0", 400);
        exchange(base, "GET", "/api/v1/partitions/{partition}", "/api/v1/partitions/P0", 200);
        exchange(base, "GET", "/api/v1/partitions/{partition}", "/api/v1/partitions/banana", 400);
        exchange(base, "GET", "/api/v1/partitions/{partition}", "/api/v1/partitions/P99", 404);
        exchange(base, "GET", "/api/v1/events", "/api/v1/events", 200);
        exchange(base, "GET", "/api/v1/events", "/api/v1/events?since=-1&limit=1000", 200);
        exchange(base, "GET", "/api/v1/events", "/api/v1/events?since=x", 400);
        exchange(base, "GET", "/api/v1/openapi.json", "/api/v1/openapi.json", 200);

        // The data API. Leadership can move under a loaded machine, so answers that depend on who leads are
        // asked again (each answer still checked) until the node asked is still the leader, or still not.
        String key = "contract-key";
        String kv = "/data/v1/kv/{key}";
        onLeader(key, true, "PUT", "value", 204);
        onLeader(key, true, "GET", null, 200);
        onLeader("contract-missing", true, "GET", null, 404);
        onLeader(key, false, "PUT", "value", 421);
        onLeader(key, false, "GET", null, 421);
        TestNode leader = cluster.leaderOf(cluster.table().partitionOf(key.getBytes(StandardCharsets.UTF_8))).orElseThrow();
        exchange(leader.url(), "PUT", kv, "/data/v1/kv/" + key, "value", Map.of("X-Sluice-Partition", "P99"), 400);
        exchange(leader.url(), "GET", kv, "/data/v1/kv/" + key, null, Map.of("X-Sluice-Timeout-Millis", "never"), 400);
        exchange(leader.url(), "PUT", kv, "/data/v1/kv/" + key, "value", Map.of("X-Sluice-Timeout-Millis", "1"), null);
        exchange(leader.url(), "PUT", kv, "/data/v1/kv/" + key, "v".repeat(600 * 1024), Map.of(), 400);
        exchange(leader.url(), "PUT", kv, "/data/v1/kv/" + key, "v".repeat(3 * 1024 * 1024), Map.of(), 413);
        // A body that ends before its Content-Length is the client's mistake: a 400, on the data API as on the admin API.
        Logger httpLog = (Logger) LoggerFactory.getLogger(AdminHttp.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        httpLog.addAppender(logged);
        try {
            contract.check("PUT", kv, expect(truncated(leader.url(), "PUT /data/v1/kv/" + key, "Authorization: Bearer " + TOKEN + "\r\n"), 400));
        } finally {
            httpLog.detachAppender(logged);
        }
        assertThat(logged.list).as("logged for a truncated body").noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.WARN));
        exchange(base, "PUT", "/data/v1/kv", "/data/v1/kv", "value", Map.of(), 400);
        exchange(base, "GET", "/data/v1/kv", "/data/v1/kv", 400);
        exchange(base, "PUT", "/data/v1/kv/", "/data/v1/kv/", "value", Map.of(), 400);
        exchange(base, "GET", "/data/v1/kv/", "/data/v1/kv/", 400);
        exchange(base, "GET", "/data/v1/routing", "/data/v1/routing", 200);

        // Maintenance: refused before anything is read, a dry-run, begun, shown, refused for a draining worker (below), ended.
        String maintenance = "/api/v1/nodes/{node}/maintenance";
        NodeId away = cluster.node(1).nodeId();
        String begin = "{\"durationSeconds\":600,\"reason\":\"contract\"}";
        exchange(base, "POST", maintenance, "/api/v1/nodes/" + away + "/maintenance", begin, anonymous(), 401);
        exchange(base, "POST", maintenance, "/api/v1/nodes/" + away + "/maintenance", "{\"durationSeconds\":0}", bearer(), 400);
        exchange(base, "POST", maintenance, "/api/v1/nodes/nobody/maintenance", begin, bearer(), 404);
        exchange(base, "POST", maintenance, "/api/v1/nodes/" + away + ":999/maintenance", begin, bearer(), 409);
        exchange(base, "POST", maintenance, "/api/v1/nodes/" + away + "/maintenance", "{\"dryRun\":true}", bearer(), 200);
        exchange(base, "POST", maintenance, "/api/v1/nodes/" + away + "/maintenance", begin, bearer(), 200);
        exchange(base, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/" + away, 200);
        // A worker in maintenance is about to go away: it tells a load balancer so, and why.
        await("a worker in maintenance is not ready").atMost(WAIT)
                .until(() -> new String(send(cluster.node(1).url(), "GET", "/health/ready", null, Map.of()).body(), StandardCharsets.UTF_8).contains("in maintenance until"));
        exchange(cluster.node(1).url(), "GET", "/health/ready", "/health/ready", 503);
        exchange(base, "DELETE", maintenance, "/api/v1/nodes/" + away + "/maintenance", null, anonymous(), 401);
        exchange(base, "DELETE", maintenance, "/api/v1/nodes/nobody/maintenance", null, bearer(), 404);
        exchange(base, "DELETE", maintenance, "/api/v1/nodes/1/maintenance", null, bearer(), 400);
        exchange(base, "DELETE", maintenance, "/api/v1/nodes/" + away + ":999/maintenance", null, bearer(), 409);
        exchange(base, "POST", maintenance, "/api/v1/nodes/" + away + "/maintenance", "{\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}",
                bearer(), 413);
        exchange(base, "DELETE", maintenance, "/api/v1/nodes/" + away + "/maintenance", null, bearer(), 200);
        exchange(base, "DELETE", maintenance, "/api/v1/nodes/" + away + "/maintenance", null, bearer(), 200);
        await("a worker out of maintenance is ready again").atMost(WAIT)
                .until(() -> send(cluster.node(1).url(), "GET", "/health/ready", null, Map.of()).statusCode() == 200);
        for (String accepted : List.of(begin, "{}", "{\"force\":true,\"dryRun\":true}")) {
            assertThat(contract.requestValid("POST", maintenance, accepted)).as(accepted).isTrue();
        }
        for (String refused : List.of("{\"durationSeconds\":0}", "{\"durationSeconds\":604801}", "{\"durationSeconds\":1.5}",
                "{\"minutes\":5}", "{\"reason\":\"a\\u001b[2Jb\"}", "{\"force\":\"yes\"}", "[]")) {
            assertThat(contract.requestValid("POST", maintenance, refused)).as(refused).isFalse();
            exchange(base, "POST", maintenance, "/api/v1/nodes/" + away + "/maintenance", refused, bearer(), 400);
        }

        // Cordon: refused before anything is read, cordoned, again (no change), shown, lifted, lifted again (no change).
        String cordon = "/api/v1/nodes/{node}/cordon";
        String cordonBody = "{\"reason\":\"contract\"}";
        exchange(base, "POST", cordon, "/api/v1/nodes/" + away + "/cordon", "{\"why\":\"contract\"}", bearer(), 400);
        exchange(base, "POST", cordon, "/api/v1/nodes/1/cordon", cordonBody, bearer(), 400);
        exchange(base, "POST", cordon, "/api/v1/nodes/nobody/cordon", cordonBody, bearer(), 404);
        exchange(base, "POST", cordon, "/api/v1/nodes/" + away + ":999/cordon", cordonBody, bearer(), 409);
        exchange(base, "POST", cordon, "/api/v1/nodes/" + away + "/cordon", "{\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}", bearer(), 413);
        exchange(base, "POST", cordon, "/api/v1/nodes/" + away + "/cordon", cordonBody, bearer(), 200);
        exchange(base, "POST", cordon, "/api/v1/nodes/" + away + "/cordon", null, bearer(), 200);
        exchange(base, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/" + away, 200);
        exchange(base, "DELETE", cordon, "/api/v1/nodes/nobody/cordon", null, bearer(), 404);
        exchange(base, "DELETE", cordon, "/api/v1/nodes/1/cordon", null, bearer(), 400);
        exchange(base, "DELETE", cordon, "/api/v1/nodes/" + away + ":999/cordon", null, bearer(), 409);
        exchange(base, "DELETE", cordon, "/api/v1/nodes/" + away + "/cordon", null, bearer(), 200);
        exchange(base, "DELETE", cordon, "/api/v1/nodes/" + away + "/cordon", null, bearer(), 200);
        for (String accepted : List.of(cordonBody, "{}")) {
            assertThat(contract.requestValid("POST", cordon, accepted)).as(accepted).isTrue();
        }
        for (String refused : List.of("{\"why\":\"x\"}", "{\"reason\":\"a\\u001b[2Jb\"}", "{\"reason\":5}", "[]")) {
            assertThat(contract.requestValid("POST", cordon, refused)).as(refused).isFalse();
            exchange(base, "POST", cordon, "/api/v1/nodes/" + away + "/cordon", refused, bearer(), 400);
        }

        // Replace: refused before anything is read; a dry-run answers its plan even where the replace would be refused; here
        // every pair of workers shares a partition (4 partitions of 3 on 4 workers), so the replace itself is refused.
        String replace = "/api/v1/nodes/{node}/replace";
        String receiver = cluster.node(2).name();
        String replaceBody = "{\"replacement\":\"" + receiver + "\",\"reason\":\"contract\"}";
        exchange(base, "POST", replace, "/api/v1/nodes/" + away + "/replace", "{\"why\":1}", bearer(), 400);
        exchange(base, "POST", replace, "/api/v1/nodes/" + away + "/replace", "{\"replacement\":\"nobody\"}", bearer(), 400);
        exchange(base, "POST", replace, "/api/v1/nodes/1/replace", replaceBody, bearer(), 400);
        exchange(base, "POST", replace, "/api/v1/nodes/nobody/replace", replaceBody, bearer(), 404);
        exchange(base, "POST", replace, "/api/v1/nodes/" + away + ":999/replace", replaceBody, bearer(), 409);
        exchange(base, "POST", replace, "/api/v1/nodes/" + away + "/replace", "{\"replacement\":\"" + receiver + "\",\"reason\":\""
                + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}", bearer(), 413);
        exchange(base, "POST", replace, "/api/v1/nodes/" + away + "/replace", "{\"replacement\":\"" + receiver + "\",\"dryRun\":true}", bearer(), 200);
        exchange(base, "POST", replace, "/api/v1/nodes/" + away + "/replace", replaceBody, bearer(), 409);
        exchange(base, "DELETE", replace, "/api/v1/nodes/" + away + "/replace", null, bearer(), 409);
        exchange(base, "DELETE", replace, "/api/v1/nodes/nobody/replace", null, bearer(), 404);
        exchange(base, "DELETE", replace, "/api/v1/nodes/1/replace", null, bearer(), 400);
        for (String accepted : List.of(replaceBody, "{\"replacement\":\"N3\",\"dryRun\":true}")) {
            assertThat(contract.requestValid("POST", replace, accepted)).as(accepted).isTrue();
        }
        for (String refused : List.of("{}", "{\"replacement\":\"\"}", "{\"replacement\":3}", "{\"replacement\":\"N3\",\"force\":true}")) {
            assertThat(contract.requestValid("POST", replace, refused)).as(refused).isFalse();
            exchange(base, "POST", replace, "/api/v1/nodes/" + away + "/replace", refused, bearer(), 400);
        }

        // Settings: read, refused before anything is written, changed to what they were (no change), changed and back.
        String settings = "/api/v1/settings";
        exchange(base, "GET", settings, settings, 200);
        exchange(base, "PUT", settings, settings, "{\"maxChangesPerNode\":" + ("9".repeat(AdminApi.MAX_BODY_BYTES)) + "}", bearer(), 413);
        exchange(base, "PUT", settings, settings, "{\"maxChangesPerNode\":5}", bearer(), 200);
        exchange(base, "PUT", settings, settings, "{\"maxChangesPerNode\":4,\"maxChangesInCluster\":16}", bearer(), 200);
        exchange(base, "PUT", settings, settings, "{\"maxChangesPerNode\":4}", bearer(), 200);
        exchange(base, "PUT", settings, settings, "{\"maxTransferBytesPerSecond\":1024}", bearer(), 400);
        exchange(base, "PUT", settings, settings, "{\"maxTransferBytesPerSecond\":0}", bearer(), 200);
        for (String accepted : List.of("{\"maxChangesPerNode\":2}", "{\"maxChangesInCluster\":8}", "{\"maxChangesPerNode\":2,\"maxChangesInCluster\":8}",
                "{\"maxTransferBytesPerSecond\":33554432}")) {
            assertThat(contract.requestValid("PUT", settings, accepted)).as(accepted).isTrue();
        }
        for (String refused : List.of("{}", "{\"maxChangesPerNode\":0}", "{\"maxChangesPerNode\":1001}", "{\"maxChangesInCluster\":1.5}",
                "{\"maxChangesPerNode\":\"4\"}", "{\"transferRate\":1}", "{\"maxTransferBytesPerSecond\":-1}", "[]")) {
            assertThat(contract.requestValid("PUT", settings, refused)).as(refused).isFalse();
            exchange(base, "PUT", settings, settings, refused, bearer(), 400);
        }
        exchange(base, "GET", settings, settings, 200);

        // Partition policy: refused before anything is read, frozen, pinned to a member, refused for a non-member, lifted.
        String freeze = "/api/v1/partitions/{partition}/freeze";
        String pinLeader = "/api/v1/partitions/{partition}/pin-leader";
        dev.sluice.model.Placement p0 = cluster.metadata().placements().read(PartitionId.of(0)).orElseThrow().placement();
        NodeId member = p0.current().getFirst();
        NodeId outsider = cluster.nodes().stream().map(TestNode::nodeId).filter(n -> !p0.current().contains(n)).findFirst().orElseThrow();
        exchange(base, "POST", freeze, "/api/v1/partitions/banana/freeze", cordonBody, bearer(), 400);
        exchange(base, "POST", freeze, "/api/v1/partitions/P0/freeze", "{\"why\":1}", bearer(), 400);
        exchange(base, "POST", freeze, "/api/v1/partitions/P99/freeze", cordonBody, bearer(), 404);
        exchange(base, "POST", freeze, "/api/v1/partitions/P0/freeze", "{\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}", bearer(), 413);
        exchange(base, "POST", freeze, "/api/v1/partitions/P0/freeze", cordonBody, bearer(), 200);
        exchange(base, "POST", freeze, "/api/v1/partitions/P0/freeze", null, bearer(), 200);
        exchange(base, "GET", "/api/v1/partitions/{partition}", "/api/v1/partitions/P0", 200);
        exchange(base, "DELETE", freeze, "/api/v1/partitions/banana/freeze", null, bearer(), 400);
        exchange(base, "DELETE", freeze, "/api/v1/partitions/P99/freeze", null, bearer(), 404);
        exchange(base, "DELETE", freeze, "/api/v1/partitions/P0/freeze", null, bearer(), 200);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"reason\":\"no node\"}", bearer(), 400);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/banana/pin-leader", "{\"node\":\"" + member + "\"}", bearer(), 400);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"node\":\"1\"}", bearer(), 400);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P99/pin-leader", "{\"node\":\"" + member + "\"}", bearer(), 404);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"node\":\"nobody\"}", bearer(), 404);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"node\":\"" + outsider + "\"}", bearer(), 409);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"node\":\"" + member + ":999\"}", bearer(), 409);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"node\":\"" + member + "\",\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES)
                + "\"}", bearer(), 413);
        exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"node\":\"" + member + "\",\"reason\":\"contract\"}", bearer(), 200);
        exchange(base, "DELETE", pinLeader, "/api/v1/partitions/banana/pin-leader", null, bearer(), 400);
        exchange(base, "DELETE", pinLeader, "/api/v1/partitions/P99/pin-leader", null, bearer(), 404);
        exchange(base, "DELETE", pinLeader, "/api/v1/partitions/P0/pin-leader", null, bearer(), 200);
        for (String accepted : List.of("{\"node\":\"worker-1\"}", "{\"node\":\"N1\",\"reason\":\"contract\"}")) {
            assertThat(contract.requestValid("POST", pinLeader, accepted)).as(accepted).isTrue();
        }
        for (String refused : List.of("{}", "{\"node\":\"\"}", "{\"node\":1}", "{\"node\":\"N1\",\"leader\":\"N2\"}")) {
            assertThat(contract.requestValid("POST", pinLeader, refused)).as(refused).isFalse();
            exchange(base, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", refused, bearer(), 400);
        }

        // State changes: refused before anything is read, then dry-run, no-op, applied, refused by the guard.
        String state = "/api/v1/nodes/{node}/state";
        String drain = "{\"state\":\"draining\",\"reason\":\"contract\"}";
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", drain, anonymous(), 401);
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", drain, Map.of("Authorization", "Bearer wrong"), 401);
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", "{\"state\":\"draining\",\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}",
                bearer(), 413);
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", "{\"state\":\"draining\\u0000\"}", bearer(), 400);
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", "{\"state\":\"active\",\"state\":\"draining\"}", bearer(), 400);
        exchange(base, "POST", state, "/api/v1/nodes/nobody/state", drain, bearer(), 404);
        contract.check("POST", state, expect(truncated(base, "POST /api/v1/nodes/N1/state", "Authorization: Bearer " + TOKEN + "\r\n"), 400));
        exchange(base, "POST", state, "/api/v1/nodes/" + draining + "/state", "{\"state\":\"draining\",\"dryRun\":true}", bearer(), 200);
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", "{\"state\":\"active\"}", bearer(), 200);
        exchange(base, "POST", state, "/api/v1/nodes/" + draining + "/state", drain, bearer(), 200);
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", "{\"state\":\"draining\",\"dryRun\":true}", bearer(), 200);
        exchange(base, "POST", state, "/api/v1/nodes/N1/state", drain, bearer(), 409);
        exchange(base, "POST", maintenance, "/api/v1/nodes/" + draining + "/maintenance", begin, bearer(), 409);
        // The request schema accepts what the server takes and refuses what it answers 400 to (a repeated field
        // excepted: JSON Schema sees only the last one, so the document says it in words).
        for (String accepted : List.of(drain, "{\"state\":\"active\"}", "{\"state\":\"draining\",\"force\":false,\"dryRun\":true}")) {
            assertThat(contract.requestValid("POST", state, accepted)).as(accepted).isTrue();
        }
        for (String refused : List.of("{\"state\":\"draining\\u0000\"}", "{\"state\":\"draining\",\"reason\":\"a\\u001b[2Jb\"}", "{}",
                "{\"state\":\"sleeping\"}", "{\"state\":\"draining\",\"dry_run\":true}", "{\"state\":\"draining\",\"force\":\"yes\"}",
                "{\"state\":\"draining\",\"reason\":\"" + "y".repeat(AdminApi.MAX_REASON_CHARS + 1) + "\"}")) {
            assertThat(contract.requestValid("POST", state, refused)).as(refused).isFalse();
            exchange(base, "POST", state, "/api/v1/nodes/N2/state", refused, bearer(), 400);
        }
        await("the controller reports the drain of " + draining).atMost(WAIT)
                .until(() -> send(base, "GET", "/api/v1/nodes/" + draining + "/drain", null, Map.of()).statusCode() == 200);
        exchange(base, "GET", "/api/v1/nodes/{node}/drain", "/api/v1/nodes/" + draining + "/drain", 200);
        exchange(base, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/" + draining, 200);
        exchange(base, "GET", "/api/v1/cluster", "/api/v1/cluster", 200);

        // Health, metrics, the worker status and the dashboard.
        exchange(base, "GET", "/health/live", "/health/live", 200);
        exchange(base, "GET", "/health/ready", "/health/ready", 200);
        await("a draining worker is not ready").atMost(WAIT)
                .until(() -> send(cluster.node(3).url(), "GET", "/health/ready", null, Map.of()).statusCode() == 503);
        exchange(cluster.node(3).url(), "GET", "/health/ready", "/health/ready", 503);
        exchange(base, "GET", "/metrics", "/metrics", 200);
        exchange(base, "GET", "/internal/v1/status", "/internal/v1/status", 200);
        exchange(base, "GET", "/", "/", 200);
        for (String asset : List.of("index.html", "app.js", "style.css", "favicon.svg")) {
            exchange(base, "GET", "/dashboard/{asset}", "/dashboard/" + asset, 200);
        }
        exchange(base, "GET", "/dashboard/{asset}", "/dashboard/nothing.js", 404);

        // A graceful shutdown: refused before anything is read, then forwarded to the draining node, which goes;
        // asked again, it is not running.
        String shutdown = "/api/v1/nodes/{node}/shutdown";
        exchange(base, "POST", shutdown, "/api/v1/nodes/N1/shutdown", null, anonymous(), 401);
        exchange(base, "POST", shutdown, "/api/v1/nodes/N1/shutdown", null, Map.of("Authorization", "Bearer wrong"), 401);
        exchange(base, "POST", shutdown, "/api/v1/nodes/1/shutdown", null, bearer(), 400);
        exchange(base, "POST", shutdown, "/api/v1/nodes/nobody/shutdown", null, bearer(), 404);
        exchange(base, "POST", shutdown, "/api/v1/nodes/N1:999/shutdown", null, bearer(), 409);
        TestNode stopping = cluster.node(3);
        var stoppingProcess = stopping.process();
        exchange(base, "POST", shutdown, "/api/v1/nodes/" + draining + "/shutdown", null, bearer(), 202);
        await(draining + " shut down").atMost(WAIT).until(() -> stoppingProcess.shutDown().isDone()
                && cluster.metadata().liveness().read(draining).isEmpty());
        exchange(base, "POST", shutdown, "/api/v1/nodes/" + draining + "/shutdown", null, bearer(), 409);

        // Removal: refused for an active worker and before anything is read; the drained, stopped worker is removed, then unknown.
        String node = "/api/v1/nodes/{node}";
        exchange(base, "DELETE", node, "/api/v1/nodes/N1", null, bearer(), 409);
        exchange(base, "DELETE", node, "/api/v1/nodes/1", null, bearer(), 400);
        exchange(base, "DELETE", node, "/api/v1/nodes/N1?reason=a%1B%5B2Jb", null, bearer(), 400);
        exchange(base, "DELETE", node, "/api/v1/nodes/nobody", null, bearer(), 404);
        exchange(base, "DELETE", node, "/api/v1/nodes/N1:999", null, bearer(), 409);
        await(draining + " disabled by the controller").atMost(WAIT).until(() -> cluster.metadata().nodes().current().find(draining)
                .map(n -> n.workerState() == WorkerState.DISABLED).orElse(false));
        exchange(base, "DELETE", node, "/api/v1/nodes/" + draining + "?reason=contract", null, bearer(), 200);
        exchange(base, "DELETE", node, "/api/v1/nodes/" + draining, null, bearer(), 404);

        // What no route takes.
        for (String path : List.of("/api/v1/nope", "/api/v2/nodes", "/data/v1/kvs/x", "/favicon.ico")) {
            contract.checkComponent("NoSuchRoute", expect(send(base, "GET", path, null, Map.of()), 404));
        }
        contract.checkComponent("MethodNotAllowed", expect(send(base, "DELETE", "/data/v1/kv/" + key, null, Map.of()), 405));
        contract.checkComponent("MethodNotAllowed", expect(send(base, "POST", "/api/v1/nodes", "{}", bearer()), 405));
        contract.checkComponent("MethodNotAllowed", expect(send(base, "GET", "/api/v1/nodes/N1/state", null, Map.of()), 405));

        // Rolling restarts, against the API over a cluster of its own that no controller steps on (so a started
        // rollout stays where it is and restarts nothing here): none yet, refused before anything is read, a
        // dry-run, started, refused while it runs, shown, cancelled.
        String rollouts = "/api/v1/rollouts";
        String rollout = "/api/v1/rollouts/current";
        try (OfflineCluster offline = new OfflineCluster(Optional.of(TOKEN), 8)) {
            URI offlineBase = offline.url();
            exchange(offlineBase, "GET", rollout, rollout, 404);
            exchange(offlineBase, "DELETE", rollout, rollout, null, bearer(), 404);
            exchange(offlineBase, "POST", rollouts, rollouts, "{}", anonymous(), 401);
            exchange(offlineBase, "DELETE", rollout, rollout, null, anonymous(), 401);
            exchange(offlineBase, "POST", rollouts, rollouts, "{\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}", bearer(), 413);
            exchange(offlineBase, "POST", rollouts, rollouts, "{\"nodes\":[\"nobody\"]}", bearer(), 400);
            exchange(offlineBase, "POST", rollouts, rollouts, "{\"dryRun\":true}", bearer(), 200);
            exchange(offlineBase, "POST", rollouts, rollouts, "{\"nodes\":[\"worker-1\"],\"reason\":\"contract\"}", bearer(), 201);
            exchange(offlineBase, "POST", rollouts, rollouts, "{\"nodes\":[\"worker-2\"]}", bearer(), 409);
            exchange(offlineBase, "GET", rollout, rollout, 200);
            exchange(offlineBase, "DELETE", rollout, rollout, null, bearer(), 200);
            exchange(offlineBase, "DELETE", rollout, rollout, null, bearer(), 409);
            for (String accepted : List.of("{}", "{\"nodes\":[\"worker-1\",\"N2\"],\"nodeTimeoutSeconds\":60}", "{\"zone\":\"local.zone-1\",\"dryRun\":true}")) {
                assertThat(contract.requestValid("POST", rollouts, accepted)).as(accepted).isTrue();
            }
            for (String refused : List.of("{\"nodes\":\"worker-1\"}", "{\"nodes\":[1]}", "{\"zone\":\"\"}", "{\"nodeTimeoutSeconds\":5}",
                    "{\"nodeTimeoutSeconds\":3601}", "{\"worker\":\"worker-1\"}", "{\"dryRun\":\"yes\"}")) {
                assertThat(contract.requestValid("POST", rollouts, refused)).as(refused).isFalse();
                exchange(offlineBase, "POST", rollouts, rollouts, refused, bearer(), 400);
            }
        }

        // Group drains, against a cluster of their own that no controller steps on (so a started group stays running):
        // none yet, refused before anything is read, bad input, a dry-run, the set's pre-check, started, shown, cancelled.
        String drains = "/api/v1/drains";
        String drainRoute = "/api/v1/drains/{drain}";
        try (OfflineCluster offline = new OfflineCluster(Optional.of(TOKEN), 8)) {
            URI offlineBase = offline.url();
            exchange(offlineBase, "GET", drains, drains, 200);
            exchange(offlineBase, "GET", drainRoute, "/api/v1/drains/d-00000000", 404);
            exchange(offlineBase, "DELETE", drainRoute, "/api/v1/drains/d-00000000", null, bearer(), 404);
            exchange(offlineBase, "POST", drains, drains, "{\"nodes\":[\"worker-1\"]}", anonymous(), 401);
            exchange(offlineBase, "POST", drains, drains, "{\"reason\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}", bearer(), 413);
            exchange(offlineBase, "POST", drains, drains, "{\"nodes\":[\"nobody\"]}", bearer(), 404);
            exchange(offlineBase, "POST", drains, drains, "{\"nodes\":[\"worker-1\",\"worker-2\"],\"dryRun\":true}", bearer(), 200);
            // Each alone may go; the two together leave two workers for three replicas.
            exchange(offlineBase, "POST", drains, drains, "{\"nodes\":[\"worker-1\",\"worker-2\"]}", bearer(), 409);
            HttpResponse<byte[]> started = send(offlineBase, "POST", drains, "{\"nodes\":[\"worker-3\"],\"deadlineSeconds\":600}", bearer());
            contract.check("POST", drains, expect(started, 201));
            String id = Json.mapper().readTree(started.body()).path("id").asText();
            exchange(offlineBase, "POST", drains, drains, "{\"nodes\":[\"worker-3\"]}", bearer(), 409);
            exchange(offlineBase, "GET", drains, drains, 200);
            exchange(offlineBase, "GET", drainRoute, "/api/v1/drains/" + id, 200);
            exchange(offlineBase, "DELETE", drainRoute, "/api/v1/drains/" + id + "?reason=a%1B%5B2Jb", null, bearer(), 400);
            exchange(offlineBase, "DELETE", drainRoute, "/api/v1/drains/" + id + "?reason=contract", null, bearer(), 200);
            exchange(offlineBase, "DELETE", drainRoute, "/api/v1/drains/" + id, null, bearer(), 409);
            for (String accepted : List.of("{\"nodes\":[\"worker-1\",\"N2\"]}", "{\"zone\":\"local.zone-1\",\"dryRun\":true,\"deadlineSeconds\":1800}",
                    "{\"nodes\":[\"worker-1\"],\"force\":false,\"reason\":\"rack retired\"}")) {
                assertThat(contract.requestValid("POST", drains, accepted)).as(accepted).isTrue();
            }
            for (String refused : List.of("{}", "{\"nodes\":\"worker-1\"}", "{\"nodes\":[1]}", "{\"zone\":\"\"}", "{\"nodes\":[\"worker-1\"],\"deadlineSeconds\":5}",
                    "{\"nodes\":[\"worker-1\"],\"deadlineSeconds\":604801}", "{\"worker\":\"worker-1\"}", "{\"nodes\":[\"worker-1\"],\"dryRun\":\"yes\"}")) {
                if (!refused.equals("{}")) {
                    assertThat(contract.requestValid("POST", drains, refused)).as(refused).isFalse();
                }
                exchange(offlineBase, "POST", drains, drains, refused, bearer(), 400);
            }
        }

        // A node whose admin API has not started yet answers every admin route 503.
        Javalin starting = Javalin.create(config -> AdminHttp.install(config, () -> null, Optional.of(TOKEN))).start("127.0.0.1", 0);
        try {
            URI startingBase = URI.create("http://127.0.0.1:" + starting.port());
            for (String route : List.of("/api/v1/cluster", "/api/v1/nodes", "/api/v1/partitions", "/api/v1/events")) {
                exchange(startingBase, "GET", route, route, 503);
            }
            exchange(startingBase, "GET", "/api/v1/nodes/{node}", "/api/v1/nodes/N1", 503);
            exchange(startingBase, "GET", "/api/v1/nodes/{node}/drain", "/api/v1/nodes/N1/drain", 503);
            exchange(startingBase, "GET", "/api/v1/partitions/{partition}", "/api/v1/partitions/P0", 503);
            exchange(startingBase, "POST", state, "/api/v1/nodes/N1/state", drain, bearer(), 503);
            exchange(startingBase, "POST", maintenance, "/api/v1/nodes/N1/maintenance", begin, bearer(), 503);
            exchange(startingBase, "DELETE", maintenance, "/api/v1/nodes/N1/maintenance", null, bearer(), 503);
            exchange(startingBase, "POST", rollouts, rollouts, "{}", bearer(), 503);
            exchange(startingBase, "POST", drains, drains, "{\"nodes\":[\"worker-1\"]}", bearer(), 503);
            exchange(startingBase, "GET", drains, drains, 503);
            exchange(startingBase, "GET", drainRoute, "/api/v1/drains/d-00000000", 503);
            exchange(startingBase, "DELETE", drainRoute, "/api/v1/drains/d-00000000", null, bearer(), 503);
            exchange(startingBase, "GET", rollout, rollout, 503);
            exchange(startingBase, "DELETE", rollout, rollout, null, bearer(), 503);
            exchange(startingBase, "POST", shutdown, "/api/v1/nodes/N1/shutdown", null, bearer(), 503);
            exchange(startingBase, "POST", cordon, "/api/v1/nodes/N1/cordon", cordonBody, bearer(), 503);
            exchange(startingBase, "DELETE", cordon, "/api/v1/nodes/N1/cordon", null, bearer(), 503);
            exchange(startingBase, "DELETE", "/api/v1/nodes/{node}", "/api/v1/nodes/N1", null, bearer(), 503);
            exchange(startingBase, "POST", freeze, "/api/v1/partitions/P0/freeze", null, bearer(), 503);
            exchange(startingBase, "DELETE", freeze, "/api/v1/partitions/P0/freeze", null, bearer(), 503);
            exchange(startingBase, "POST", pinLeader, "/api/v1/partitions/P0/pin-leader", "{\"node\":\"N1\"}", bearer(), 503);
            exchange(startingBase, "DELETE", pinLeader, "/api/v1/partitions/P0/pin-leader", null, bearer(), 503);
            exchange(startingBase, "POST", replace, "/api/v1/nodes/N1/replace", replaceBody, bearer(), 503);
            exchange(startingBase, "DELETE", replace, "/api/v1/nodes/N1/replace", null, bearer(), 503);
            exchange(startingBase, "GET", settings, settings, 503);
            exchange(startingBase, "PUT", settings, settings, "{\"maxChangesPerNode\":4}", bearer(), 503);
        } finally {
            starting.stop();
        }

        // A node cut off from ZooKeeper answers the admin API 503 (the first request waits out the connection timeout).
        cluster.isolateFromMetadata(1);
        URI cutOff = cluster.node(1).url();
        exchange(cutOff, "GET", "/api/v1/nodes", "/api/v1/nodes", 503);
        exchange(cutOff, "GET", "/api/v1/cluster", "/api/v1/cluster", 503);
        exchange(cutOff, "POST", state, "/api/v1/nodes/N1/state", drain, bearer(), 503);
        exchange(cutOff, "POST", shutdown, "/api/v1/nodes/N1/shutdown", null, bearer(), 503);

        // A node whose worker has stopped answers data requests 503 (and is not ready).
        TestNode stopped = cluster.node(2);
        stopped.worker().close();
        exchange(stopped.url(), "PUT", kv, "/data/v1/kv/" + key, "value", Map.of(), 503);
        exchange(stopped.url(), "GET", kv, "/data/v1/kv/" + key, 503);

        assertThat(contract.violations()).as("answers that disagree with the served document").isEmpty();
        Set<String> unseen = new TreeSet<>(contract.documentedAnswers());
        unseen.removeAll(contract.seen());
        unseen.removeAll(NOT_PROVOKED.keySet());
        assertThat(unseen).as("answers the document declares but no request here provoked").isEmpty();
        assertThat(contract.documentedAnswers()).as("exemptions that name no declared answer").containsAll(NOT_PROVOKED.keySet());
    }

    /**
     * Sends {@code method} for {@code key} to its partition's leader ({@code toLeader}) or to another node, and
     * asks again while the answer shows that leadership moved in between (a 421 or 503 from the node taken for
     * the leader, a success from the node taken for a follower).
     */
    private void onLeader(String key, boolean toLeader, String method, String body, int expected) {
        PartitionId partition = cluster.table().partitionOf(key.getBytes(StandardCharsets.UTF_8));
        Set<Integer> leadershipMoved = toLeader ? Set.of(421, 503) : Set.of(200, 204, 404);
        await(method + " " + key + " on " + (toLeader ? "the leader" : "a follower") + " of " + partition).atMost(WAIT).until(() -> {
            Optional<TestNode> leader = cluster.leaderOf(partition);
            if (leader.isEmpty()) {
                return false;
            }
            TestNode target = toLeader ? leader.get() : cluster.nodes().stream().filter(node -> node != leader.get()).findFirst().orElseThrow();
            HttpResponse<byte[]> response = send(target.url(), method, "/data/v1/kv/" + key, body, Map.of());
            contract.check(method, "/data/v1/kv/{key}", response);
            if (response.statusCode() != expected && !leadershipMoved.contains(response.statusCode())) {
                expect(response, expected);
            }
            return response.statusCode() == expected;
        });
    }

    private static Map<String, String> bearer() {
        return Map.of("Authorization", "Bearer " + TOKEN);
    }

    /** Headers that make {@link #send} send no token; any other request without one gets {@link #bearer()}. */
    private static Map<String, String> anonymous() {
        return Map.of(ANONYMOUS, "yes");
    }

    private void exchange(URI base, String method, String route, String path, int expected) throws Exception {
        exchange(base, method, route, path, null, Map.of(), expected);
    }

    /** Sends the request, checks the status when {@code expected} is given, and checks the answer against the document. */
    private void exchange(URI base, String method, String route, String path, String body, Map<String, String> headers, Integer expected)
            throws Exception {
        HttpResponse<byte[]> response = send(base, method, path, body, headers);
        if (expected != null) {
            expect(response, expected);
        }
        contract.check(method, route, response);
    }

    /** Sends {@code requestLine} with a body that stops after 7 of the 200 bytes its Content-Length announces. */
    private static OpenApiContract.Answer truncated(URI base, String requestLine, String extraHeaders) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            String request = requestLine + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n" + extraHeaders
                    + "Content-Type: application/json\r\nContent-Length: 200\r\nConnection: close\r\n\r\n{\"stat";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            return OpenApiContract.Answer.parse(socket.getInputStream().readAllBytes());
        }
    }

    private static OpenApiContract.Answer expect(OpenApiContract.Answer answer, int status) {
        assertThat(answer.statusCode()).as(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        return answer;
    }

    private static HttpResponse<byte[]> expect(HttpResponse<byte[]> response, int status) {
        assertThat(response.statusCode()).as("%s %s: %s", response.request().method(), response.uri(),
                new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        return response;
    }

    private HttpResponse<byte[]> send(URI base, String method, String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", method.equals("PUT") ? "application/octet-stream" : "application/json");
        }
        headers.forEach(request::header);
        if (!headers.containsKey("Authorization") && !headers.containsKey(ANONYMOUS)) {
            // The nodes check credentials on reads and on the data API too.
            bearer().forEach(request::header);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
