package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.Json;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.CredentialName;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Scope;
import dev.sluice.model.WorkerState;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The admin API of a node that checks scoped credentials, over HTTP: who may read, change and force, what a refusal
 * says, that a refused request changes nothing, that the audit names the credential, that tokens appear nowhere, and
 * that a rotated credentials file is taken without a restart.
 */
class ScopedCredentialsHttpTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ADMIN = TokenHash.newToken(RANDOM);
    private static final String ONCALL = TokenHash.newToken(RANDOM);
    private static final String GRAFANA = TokenHash.newToken(RANDOM);
    private static final String APP = TokenHash.newToken(RANDOM);
    private static final List<String> TOKENS = List.of(ADMIN, ONCALL, GRAFANA, APP);

    @TempDir Path directory;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger sluiceLog = (Logger) LoggerFactory.getLogger("dev.sluice");
    private Level sluiceLevel;
    private Path credentialsFile;
    private OfflineCluster cluster;

    @BeforeEach
    void start() throws Exception {
        // Everything Sluice logs, DEBUG included, is checked for tokens.
        sluiceLevel = sluiceLog.getLevel();
        sluiceLog.setLevel(Level.DEBUG);
        logged.start();
        sluiceLog.addAppender(logged);
        credentialsFile = directory.resolve("credentials");
        Files.writeString(credentialsFile, fileOf(line("alice", ADMIN, Scope.ADMIN), line("oncall", ONCALL, Scope.OPERATE),
                line("grafana", GRAFANA, Scope.READ), line("billing-app", APP, Scope.DATA)));
        cluster = new OfflineCluster(CredentialSource.watching(credentialsFile, Optional.empty(), InstantSource.system()), 8);
    }

    @AfterEach
    void stop() {
        cluster.close();
        sluiceLog.detachAppender(logged);
        sluiceLog.setLevel(sluiceLevel);
        List<String> lines = logLines();
        for (String token : TOKENS) {
            assertThat(lines).as("log lines").noneMatch(line -> line.contains(token));
        }
    }

    @Test
    void aCallerWithoutAKnownTokenReadsAndChangesNothing() throws Exception {
        NodesConfiguration before = cluster.metadata().nodes().current();
        for (String token : new String[] {null, "not-a-token-of-this-cluster-at-all"}) {
            assertRefused(send("GET", "/api/v1/nodes", null, token), 401, "unauthorized", token);
            assertRefused(send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"draining\"}", token), 401, "unauthorized", token);
            assertRefused(send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"disabled\",\"force\":true}", token), 401, "unauthorized", token);
            assertRefused(send("DELETE", "/api/v1/rollouts/current", null, token), 401, "unauthorized", token);
        }
        HttpResponse<String> noToken = send("GET", "/api/v1/cluster", null, null);
        assertThat(noToken.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"sluice\"");
        assertThat(cluster.metadata().nodes().current()).isEqualTo(before);
        // What is open stays open: the API's own description.
        assertThat(send("GET", "/api/v1/openapi.json", null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void aReadCredentialReadsButCannotDrain() throws Exception {
        assertThat(send("GET", "/api/v1/nodes", null, GRAFANA).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/events", null, GRAFANA).statusCode()).isEqualTo(200);
        NodesConfiguration before = cluster.metadata().nodes().current();

        HttpResponse<String> drain = send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"draining\",\"reason\":\"try\"}", GRAFANA);

        assertRefused(drain, 403, "forbidden", GRAFANA);
        assertThat(message(drain)).isEqualTo("credential grafana (scopes: read) may not do POST /api/v1/nodes/{node}/state: that needs the"
                + " operate scope or one that includes it");
        assertThat(drain.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\"operate\"");
        assertRefused(send("POST", "/api/v1/rollouts", "{\"dryRun\":true}", GRAFANA), 403, "forbidden", GRAFANA);
        assertRefused(send("DELETE", "/api/v1/nodes/worker-2/maintenance", null, GRAFANA), 403, "forbidden", GRAFANA);
        assertThat(cluster.metadata().nodes().current()).isEqualTo(before);
    }

    @Test
    void anOperateCredentialDrainsButCannotForceADisable() throws Exception {
        HttpResponse<String> drain = send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"draining\",\"reason\":\"kernel\"}", ONCALL);
        assertThat(drain.statusCode()).as(drain.body()).isEqualTo(200);
        NodesConfiguration draining = cluster.metadata().nodes().current();
        assertThat(draining.findByName("worker-2").orElseThrow().workerState()).isEqualTo(WorkerState.DRAINING);

        // A forced dry-run changes nothing, so it is the on-call's to look at; the forced change itself is not.
        assertThat(send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"disabled\",\"force\":true,\"dryRun\":true}", ONCALL).statusCode())
                .isEqualTo(200);
        HttpResponse<String> forced = send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"disabled\",\"force\":true}", ONCALL);
        assertRefused(forced, 403, "forbidden", ONCALL);
        assertThat(message(forced)).isEqualTo("credential oncall (scopes: operate) may not force a change of worker state: that needs the admin scope");
        HttpResponse<String> forcedMaintenance = send("POST", "/api/v1/nodes/worker-3/maintenance", "{\"force\":true}", ONCALL);
        assertRefused(forcedMaintenance, 403, "forbidden", ONCALL);
        assertThat(cluster.metadata().nodes().current()).isEqualTo(draining);

        HttpResponse<String> byAdmin = send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"disabled\",\"force\":true,\"reason\":\"now\"}", ADMIN);
        assertThat(byAdmin.statusCode()).as(byAdmin.body()).isEqualTo(200);
        assertThat(cluster.metadata().nodes().current().findByName("worker-2").orElseThrow().workerState()).isEqualTo(WorkerState.DISABLED);
    }

    @Test
    void aDataCredentialCannotTouchTheAdminApi() throws Exception {
        NodesConfiguration before = cluster.metadata().nodes().current();
        assertRefused(send("GET", "/api/v1/nodes", null, APP), 403, "forbidden", APP);
        assertRefused(send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"draining\"}", APP), 403, "forbidden", APP);
        assertThat(cluster.metadata().nodes().current()).isEqualTo(before);
    }

    @Test
    void theAuditLogAndTheNodeNameTheCredentialThatChangedIt() throws Exception {
        assertThat(send("POST", "/api/v1/nodes/worker-2/state", "{\"state\":\"draining\",\"reason\":\"kernel\"}", ONCALL).statusCode()).isEqualTo(200);

        AuditRecord audit = cluster.metadata().events().latest(EventLog.MAX_READ).stream().map(e -> e.event().transition())
                .filter(t -> t != null && t.to() == WorkerState.DRAINING).reduce((a, b) -> b).orElseThrow();
        assertThat(audit.credential()).isEqualTo(CredentialName.of("oncall"));
        NodeConfig node = cluster.metadata().nodes().current().findByName("worker-2").orElseThrow();
        assertThat(node.lastStateChange().credential()).isEqualTo(CredentialName.of("oncall"));

        JsonNode events = Json.mapper().readTree(send("GET", "/api/v1/events", null, GRAFANA).body()).get("events");
        JsonNode transition = null;
        for (JsonNode event : events) {
            if (event.has("transition") && event.get("transition").get("to").asText().equals("draining")) {
                transition = event;
            }
        }
        assertThat(transition).as("the drain's event").isNotNull();
        assertThat(transition.get("transition").get("credential").asText()).isEqualTo("oncall");
        assertThat(transition.get("message").asText()).contains("active → draining by operator with credential oncall: kernel");
        JsonNode shown = Json.mapper().readTree(send("GET", "/api/v1/nodes/worker-2", null, GRAFANA).body());
        assertThat(shown.get("lastChange").get("credential").asText()).isEqualTo("oncall");
        // Nothing a reader sees holds a token or a hash.
        String everything = send("GET", "/api/v1/events?limit=1000", null, GRAFANA).body() + send("GET", "/api/v1/nodes", null, GRAFANA).body();
        for (String token : TOKENS) {
            assertThat(everything).doesNotContain(token);
        }
        assertThat(everything).doesNotContain(TokenHash.ALGORITHM_PREFIX);
    }

    @Test
    void aMaintenanceNamesTheCredentialThatBeganIt() throws Exception {
        HttpResponse<String> maintenance = send("POST", "/api/v1/nodes/worker-3/maintenance", "{\"durationSeconds\":600,\"reason\":\"patch\"}", ADMIN);
        assertThat(maintenance.statusCode()).as(maintenance.body()).isEqualTo(200);
        assertThat(cluster.metadata().nodes().current().findByName("worker-3").orElseThrow().maintenance().credential())
                .isEqualTo(CredentialName.of("alice"));
        JsonNode away = Json.mapper().readTree(send("GET", "/api/v1/nodes/worker-3", null, GRAFANA).body());
        assertThat(away.get("maintenance").get("credential").asText()).isEqualTo("alice");
        assertThat(send("GET", "/api/v1/events", null, GRAFANA).body()).contains("by operator with credential alice: patch");
    }

    @Test
    void anOperateCredentialCordonsButOnlyAnAdminRemoves() throws Exception {
        assertRefused(send("POST", "/api/v1/nodes/worker-2/cordon", "{}", GRAFANA), 403, "forbidden", GRAFANA);
        HttpResponse<String> cordon = send("POST", "/api/v1/nodes/worker-2/cordon", "{\"reason\":\"disk\"}", ONCALL);
        assertThat(cordon.statusCode()).as(cordon.body()).isEqualTo(200);
        assertThat(cluster.metadata().nodes().current().findByName("worker-2").orElseThrow().cordon().credential()).isEqualTo(CredentialName.of("oncall"));
        assertThat(Json.mapper().readTree(send("GET", "/api/v1/nodes/worker-2", null, GRAFANA).body()).get("cordon").get("credential").asText())
                .isEqualTo("oncall");

        // worker-5 registers and stops without ever holding anything, then is disabled: what removal is for.
        var session = cluster.metadata();
        var registered = session.nodes().register("worker-5", dev.sluice.model.NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"),
                Set.of(dev.sluice.model.Role.WORKER), dev.sluice.model.Location.parse("local.zone-1"));
        assertThat(send("POST", "/api/v1/nodes/worker-5/state", "{\"state\":\"disabled\"}", ONCALL).statusCode()).isEqualTo(200);
        NodesConfiguration before = cluster.metadata().nodes().current();

        HttpResponse<String> byOncall = send("DELETE", "/api/v1/nodes/worker-5", null, ONCALL);

        assertRefused(byOncall, 403, "forbidden", ONCALL);
        assertThat(message(byOncall)).isEqualTo("credential oncall (scopes: operate) may not do DELETE /api/v1/nodes/{node}: that needs the"
                + " admin scope");
        assertThat(cluster.metadata().nodes().current()).isEqualTo(before);
        HttpResponse<String> byAdmin = send("DELETE", "/api/v1/nodes/worker-5?reason=retired", null, ADMIN);
        assertThat(byAdmin.statusCode()).as(byAdmin.body()).isEqualTo(200);
        assertThat(cluster.metadata().nodes().current().isRemoved(registered.result() instanceof dev.sluice.model.ChangeResult.Changed c
                ? c.node().nodeId() : null)).isTrue();
        assertThat(send("GET", "/api/v1/events", null, GRAFANA).body()).contains("(worker-5) removed by operator with credential alice: retired");
    }

    @Test
    void eachCredentialIsToldWhatItMayDo() throws Exception {
        JsonNode oncall = Json.mapper().readTree(send("GET", "/api/v1/credential", null, ONCALL).body());
        assertThat(oncall.get("checked").asBoolean()).isTrue();
        assertThat(oncall.get("name").asText()).isEqualTo("oncall");
        assertThat(oncall.get("scopes").toString()).isEqualTo("[\"operate\"]");
        assertThat(oncall.get("grants").toString()).isEqualTo("[\"read\",\"operate\"]");
        JsonNode app = Json.mapper().readTree(send("GET", "/api/v1/credential", null, APP).body());
        assertThat(app.get("grants").toString()).isEqualTo("[\"data\"]");
        assertThat(send("GET", "/api/v1/credential", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void aNodeWithoutCredentialsChecksNothing() throws Exception {
        try (OfflineCluster open = new OfflineCluster(CredentialSource.NONE, 4)) {
            HttpResponse<String> drain = http.send(HttpRequest.newBuilder(open.url().resolve("/api/v1/nodes/worker-2/state"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"state\":\"draining\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(drain.statusCode()).as(drain.body()).isEqualTo(200);
            HttpResponse<String> whoami = http.send(HttpRequest.newBuilder(open.url().resolve("/api/v1/credential")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(Json.mapper().readTree(whoami.body()).get("checked").asBoolean()).isFalse();
            // Without credentials nothing asks for one, so the audit names none.
            assertThat(open.metadata().nodes().current().findByName("worker-2").orElseThrow().lastStateChange().credential()).isNull();
        }
    }

    @Test
    void aRotatedFileIsTakenWithoutARestartAndABrokenOneIsNot() throws Exception {
        String oncallNext = TokenHash.newToken(RANDOM);
        replaceFile(fileOf(line("alice", ADMIN, Scope.ADMIN), line("oncall", oncallNext, Scope.OPERATE), line("grafana", GRAFANA, Scope.READ)));

        await("the new token is taken and the old one refused").atMost(Duration.ofSeconds(10))
                .until(() -> send("GET", "/api/v1/nodes", null, oncallNext).statusCode() == 200);
        assertThat(send("GET", "/api/v1/nodes", null, ONCALL).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/api/v1/nodes", null, APP).statusCode()).as("a credential removed").isEqualTo(401);

        synchronized (logged) {
            logged.list.clear();
        }
        replaceFile(fileOf(line("alice", ADMIN, Scope.ADMIN)) + "oncall operate " + oncallNext + "\n");
        // The node looks at the file when a request comes, at most once a second: each attempt is a request.
        await("the broken file is noticed").atMost(Duration.ofSeconds(10))
                .until(() -> send("GET", "/api/v1/nodes", null, oncallNext).statusCode() == 200
                        && logLines().stream().anyMatch(line -> line.startsWith("WARN ") && line.contains("changed but is not taken")));
        assertThat(logLines()).filteredOn(line -> line.startsWith("WARN ")).first()
                .satisfies(line -> assertThat(line).contains(credentialsFile + " line 3 (oncall): a token hash starts with"
                        + " 'sha256:'").contains("keeping the 3 credentials read before"));
        assertThat(send("GET", "/api/v1/nodes", null, oncallNext).statusCode()).as("the credentials before the broken file").isEqualTo(200);
        assertThat(logLines()).as("log lines").noneMatch(line -> line.contains(oncallNext));
    }

    /** Every line logged so far as "LEVEL message", copied under the appender's lock (nodes' threads log meanwhile). */
    private List<String> logLines() {
        synchronized (logged) {
            return logged.list.stream().map(event -> event.getLevel() + " " + event.getFormattedMessage()).toList();
        }
    }

    private void replaceFile(String text) throws Exception {
        // As a rotation script should: write beside it, then move it into place in one step.
        Path next = directory.resolve("credentials.next");
        Files.writeString(next, text);
        Files.move(next, credentialsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String line(String name, String token, Scope... scopes) {
        Set<Scope> set = EnumSet.noneOf(Scope.class);
        set.addAll(List.of(scopes));
        return new Credential(CredentialName.of(name), set, TokenHash.of(token, RANDOM)).line();
    }

    private static String fileOf(String... lines) {
        List<String> all = new ArrayList<>(List.of("# test credentials"));
        all.addAll(List.of(lines));
        return String.join("\n", all) + "\n";
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(cluster.url().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String message(HttpResponse<String> response) throws Exception {
        return Json.mapper().readTree(response.body()).get("message").asText();
    }

    private static void assertRefused(HttpResponse<String> response, int status, String error, String token) throws Exception {
        assertThat(response.statusCode()).as(response.request().method() + " " + response.uri() + ": " + response.body()).isEqualTo(status);
        assertThat(Json.mapper().readTree(response.body()).get("error").asText()).isEqualTo(error);
        if (token != null && !token.isEmpty()) {
            assertThat(response.body()).doesNotContain(token);
        }
        for (String known : TOKENS) {
            assertThat(response.body()).doesNotContain(known);
        }
    }
}
