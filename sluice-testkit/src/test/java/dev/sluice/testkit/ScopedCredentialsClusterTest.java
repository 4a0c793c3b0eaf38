package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.Credential;
import dev.sluice.api.CredentialSource;
import dev.sluice.api.Credentials;
import dev.sluice.api.HttpAccess;
import dev.sluice.api.TokenHash;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.metadata.Json;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A real cluster whose nodes check scoped credentials: the controller runs on its node token, the data API takes the
 * data credential only, every route the nodes serve has its scope in one table (which the OpenAPI document and
 * docs/security.md agree with), and no token shows in a log, a metric or an answer.
 */
class ScopedCredentialsClusterTest {

    private static final Duration WAIT = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String NODE = TokenHash.newToken(RANDOM);
    private static final String APP = TokenHash.newToken(RANDOM);
    private static final String GRAFANA = TokenHash.newToken(RANDOM);
    private static final String ADMIN = TokenHash.newToken(RANDOM);
    private static final List<String> TOKENS = List.of(NODE, APP, GRAFANA, ADMIN);

    private static final ListAppender<ILoggingEvent> LOGGED = new ListAppender<>();
    private static LocalTestCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startCluster() throws Exception {
        LOGGED.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(LOGGED);
        Credentials credentials = Credentials.of(List.of(credential("node", NODE, Scope.OPERATE), credential("billing-app", APP, Scope.DATA),
                credential("grafana", GRAFANA, Scope.READ), credential("alice", ADMIN, Scope.ADMIN)));
        cluster = LocalTestCluster.builder().workers(3).partitions(3).replication(3).sessionTimeout(Duration.ofSeconds(6))
                .controlPlane(ControllerConfig.DEFAULTS, CredentialSource.fixed(credentials), NODE, APP)
                .start();
        // The controller places every partition only if its status polls, made with the node token, are answered.
        cluster.awaitLeaders(WAIT);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOGGED);
    }

    @Test
    void aDataWriteWithoutTheDataScopeChangesNothing() throws Exception {
        URI node = cluster.node(0).url();
        assertThat(send(node, "PUT", "/data/v1/kv/stranger", "x", null).statusCode()).isEqualTo(401);
        assertThat(send(node, "PUT", "/data/v1/kv/stranger", "x", "not-a-token-of-this-cluster").statusCode()).isEqualTo(401);
        HttpResponse<String> reader = send(node, "PUT", "/data/v1/kv/reader", "x", GRAFANA);
        assertThat(reader.statusCode()).isEqualTo(403);
        assertThat(reader.body()).contains("credential grafana (scopes: read) may not do PUT /data/v1/kv/<key>: that needs the data scope");
        assertThat(send(node, "PUT", "/data/v1/kv/admin", "x", ADMIN).statusCode()).as("admin does not include data").isEqualTo(403);
        assertThat(send(node, "GET", "/data/v1/routing", null, GRAFANA).statusCode()).isEqualTo(403);

        SluiceClient client = cluster.client();
        client.put("written", "by the app");
        assertThat(client.getString("written")).contains("by the app");
        for (String refused : List.of("stranger", "reader", "admin")) {
            assertThat(client.getString(refused)).as(refused + " was never written").isEmpty();
        }
        try (SluiceClient anonymous = SluiceClient.builder().seed(node).callTimeout(Duration.ofSeconds(5)).build()) {
            assertThatThrownBy(() -> anonymous.put("anonymous", "x")).isInstanceOf(SluiceClientException.class)
                    .satisfies(e -> assertThat(((SluiceClientException) e).code()).isEqualTo(SluiceClientException.Code.UNAUTHORIZED))
                    .hasMessageContaining("refused the client's credential (HTTP 401)");
        }
    }

    @Test
    void probesAndMetricsStayOpenAndCarryNoSecret() throws Exception {
        URI node = cluster.node(1).url();
        assertThat(send(node, "GET", "/health/live", null, null).statusCode()).isEqualTo(200);
        assertThat(send(node, "GET", "/health/ready", null, null).statusCode()).isIn(200, 503);
        HttpResponse<String> metrics = send(node, "GET", "/metrics", null, null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(send(node, "GET", "/internal/v1/status", null, null).statusCode()).isEqualTo(401);
        assertThat(send(node, "GET", "/internal/v1/status", null, GRAFANA).statusCode()).isEqualTo(200);
        assertThat(send(node, "GET", "/api/v1/nodes", null, null).statusCode()).isEqualTo(401);
        for (String token : TOKENS) {
            assertThat(metrics.body()).doesNotContain(token);
        }
        // Everything every node logged since it started, DEBUG aside (the configuration's level).
        List<String> lines;
        synchronized (LOGGED) {
            // The appender adds under its own lock while the nodes' threads log.
            lines = LOGGED.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
        assertThat(lines).isNotEmpty();
        for (String token : TOKENS) {
            assertThat(lines).noneMatch(line -> line.contains(token));
        }
    }

    @Test
    void aPartitionsMembersAreAskedWithTheCallersCredential() throws Exception {
        JsonNode partition = Json.mapper().readTree(send(cluster.node(0).url(), "GET", "/api/v1/partitions/P0", null, GRAFANA).body());
        assertThat(partition.get("members")).hasSize(3);
        partition.get("members").forEach(member -> assertThat(member.path("role").isTextual()).as(member.toString()).isTrue());
    }

    /**
     * Every route a node serves has its scope in {@link HttpAccess#ROUTES}, and only those: a new route without one
     * fails here. The served OpenAPI document's x-sluice-scope and docs/security.md's table say the same.
     */
    @Test
    void everyServedRouteHasItsScopeInTheOneTable() throws Exception {
        Set<String> served = new TreeSet<>(cluster.node(0).process().httpRoutes());
        assertThat(served).as("served routes without a rule in HttpAccess.ROUTES").isSubsetOf(HttpAccess.ROUTES.keySet());
        assertThat(HttpAccess.ROUTES.keySet()).as("rules for routes no node serves").isSubsetOf(served);

        JsonNode document = Json.mapper().readTree(send(cluster.node(0).url(), "GET", "/api/v1/openapi.json", null, null).body());
        Map<String, String> documented = new TreeMap<>();
        for (Map.Entry<String, JsonNode> path : document.get("paths").properties()) {
            for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
                if (operation.getKey().equals("parameters")) {
                    continue;
                }
                documented.put(operation.getKey().toUpperCase() + " " + path.getKey().replace("{key}", "<key>"),
                        operation.getValue().path("x-sluice-scope").asText(""));
            }
        }
        assertThat(documented).isEqualTo(expectedScopes());

        assertThat(scopesInSecurityDoc()).as("docs/security.md's route table").isEqualTo(expectedScopes());
    }

    /** Each route with the scope it needs as a word: "" for an open route, "any" for any credential. */
    private static Map<String, String> expectedScopes() {
        Map<String, String> expected = new TreeMap<>();
        HttpAccess.ROUTES.forEach((route, rule) -> expected.put(route, switch (rule) {
            case HttpAccess.Rule.Open open -> "";
            case HttpAccess.Rule.AnyCredential any -> "any";
            case HttpAccess.Rule.Needs needs -> needs.scope().wireName();
        }));
        // The document marks an operation any credential may call by its security alone.
        expected.replaceAll((route, scope) -> scope.equals("any") ? "" : scope);
        return expected;
    }

    /** The rows {@code | `GET /api/v1/nodes` | read |} of docs/security.md, an open route's scope written as "open". */
    private static Map<String, String> scopesInSecurityDoc() throws IOException {
        Path doc = Path.of("..", "docs", "security.md");
        Pattern row = Pattern.compile("^\\| `([A-Z]+ [^`]+)` \\| (read|operate|admin|data|open|any credential) \\|", Pattern.MULTILINE);
        Matcher matcher = row.matcher(Files.readString(doc, StandardCharsets.UTF_8));
        Map<String, String> rows = new TreeMap<>();
        while (matcher.find()) {
            String scope = matcher.group(2);
            rows.put(matcher.group(1), scope.equals("open") || scope.equals("any credential") ? "" : scope);
        }
        return rows;
    }

    private static Credential credential(String name, String token, Scope scope) {
        return new Credential(CredentialName.of(name), EnumSet.of(scope), TokenHash.of(token, RANDOM));
    }

    private HttpResponse<String> send(URI node, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
