package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.wire.ShutdownStatus;
import dev.sluice.wire.ShutdownView;
import io.javalin.Javalin;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/nodes/{node}/shutdown} between two admin APIs over real HTTP, each standing for a node process
 * (its shutdown recorded, not carried out): a node asked about itself begins its shutdown; asked about the other,
 * it forwards the request with the caller's token and relays the answer; every refusal changes nothing anywhere.
 * N3 is registered and alive at an address nothing answers on; N4 registered and then stopped.
 */
class ShutdownRouteTest {

    private static final String TOKEN = "shutdown-token";
    private static final Instant SINCE = Instant.parse("2026-03-04T09:30:00Z");

    /** A node process as far as the API sees it: it records each shutdown asked of it and answers as a worker would. */
    static final class RecordingNode implements LocalNode {
        final List<String> causes = new CopyOnWriteArrayList<>();
        final AtomicReference<ShutdownStatus> shutdown = new AtomicReference<>();
        volatile GenerationalNodeId self;

        @Override
        public Optional<GenerationalNodeId> self() {
            return Optional.ofNullable(self);
        }

        @Override
        public ShutdownBegun shutDown(String cause) {
            causes.add(cause);
            boolean started = shutdown.compareAndSet(null, new ShutdownStatus(cause, SINCE, SINCE.plusSeconds(20)));
            return new ShutdownBegun(started, shutdown.get(), 6);
        }
    }

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final List<InMemoryMetadataStore> sessions = new ArrayList<>();
    private final ClusterMetadata metadata = new ClusterMetadata(store, Clock.systemUTC());
    private final HttpClient http = HttpClient.newHttpClient();
    private final RecordingNode n1 = new RecordingNode();
    private final RecordingNode n2 = new RecordingNode();
    private final List<Javalin> servers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        metadata.partitionTable().initialize(new PartitionTable(8, ReplicationProperty.of(3)));
        AtomicReference<AdminApi> api1 = new AtomicReference<>();
        AtomicReference<AdminApi> api2 = new AtomicReference<>();
        Javalin server1 = server(api1);
        Javalin server2 = server(api2);
        n1.self = register("worker-1", server1.port()).id();
        n2.self = register("worker-2", server2.port()).id();
        register("worker-3", unusedPort());
        register("worker-4", unusedPort());
        sessions.get(3).close();
        api1.set(new AdminApi("test", metadata, lifecycle(), n1));
        api2.set(new AdminApi("test", metadata, lifecycle(), n2));
    }

    @AfterEach
    void stop() {
        servers.forEach(Javalin::stop);
        sessions.forEach(InMemoryMetadataStore::close);
        store.close();
    }

    private Lifecycle lifecycle() {
        return new Lifecycle(metadata, SchedulerLimits.DEFAULTS, Clock.systemUTC());
    }

    private Javalin server(AtomicReference<AdminApi> api) {
        Javalin server = Javalin.create(config -> AdminHttp.install(config, api::get, Optional.of(TOKEN))).start("127.0.0.1", 0);
        servers.add(server);
        return server;
    }

    private dev.sluice.model.NodeConfig register(String name, int httpPort) {
        InMemoryMetadataStore session = store.newSession();
        sessions.add(session);
        return new NodeRegistration(new ClusterMetadata(session, Clock.systemUTC()), Clock.systemUTC())
                .register(name, NodeAddresses.of("127.0.0.1:1", "http://127.0.0.1:" + httpPort), Set.of(Role.WORKER, Role.ADMIN), Location.DEFAULT)
                .node();
    }

    /** A port nothing listens on: bound once to learn it, then closed. */
    private static int unusedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private HttpResponse<String> shutdown(Javalin server, String node, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/nodes/" + node + "/shutdown"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody());
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> bearer() {
        return Map.of("Authorization", "Bearer " + TOKEN);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.mapper().readTree(response.body());
    }

    @Test
    void aNodeAskedAboutItselfBeginsItsShutdownAndSaysWhatHappens() throws Exception {
        HttpResponse<String> answer = shutdown(servers.get(0), "worker-1", bearer());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        ShutdownView view = Json.mapper().readValue(answer.body(), ShutdownView.class);
        assertThat(view.node()).isEqualTo(n1.self.toString());
        assertThat(view.label()).isEqualTo("N1 (worker-1)");
        assertThat(view.started()).isTrue();
        assertThat(view.leaderships()).isEqualTo(6);
        assertThat(view.shutdown().deadline()).isEqualTo(SINCE.plusSeconds(20));
        assertThat(view.message()).isEqualTo("N1 (worker-1) is shutting down: it reports not ready from now on, it hands its 6 leaderships to other "
                + "members within 20 s (until 2026-03-04T09:30:20Z), then closes its groups and exits with status 0, for its supervisor (systemd, "
                + "Kubernetes, sluice local) to start it again");
        assertThat(n1.causes).containsExactly("asked through the admin API");
        assertThat(n2.causes).isEmpty();

        HttpResponse<String> again = shutdown(servers.get(0), "N1", bearer());
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(json(again).get("started").asBoolean()).isFalse();
        assertThat(json(again).get("message").asText()).startsWith("N1 (worker-1) was already shutting down (asked through the admin API, since ");
    }

    @Test
    void aRequestForAnotherNodeIsForwardedWithTheCallersTokenAndItsAnswerRelayed() throws Exception {
        HttpResponse<String> answer = shutdown(servers.get(0), "worker-2", bearer());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        assertThat(json(answer).get("label").asText()).isEqualTo("N2 (worker-2)");
        assertThat(json(answer).get("node").asText()).isEqualTo(n2.self.toString());
        assertThat(n2.causes).containsExactly("asked through the admin API at N1 (worker-1)");
        assertThat(n1.causes).as("the node that forwarded it").isEmpty();
    }

    @Test
    void refusalsSayWhyAndChangeNothing() throws Exception {
        NodesConfiguration before = metadata.nodes().current();
        record Case(String node, Map<String, String> headers, int status, String error, String contains) {}
        List<Case> cases = List.of(
                new Case("worker-1", Map.of(), 401, "unauthorized", "requires a token"),
                new Case("worker-2", Map.of("Authorization", "Bearer wrong"), 401, "unauthorized", "the token is wrong"),
                new Case("nobody", bearer(), 404, "not-found", "unknown node"),
                new Case("2", bearer(), 400, "bad-request", "N2 (worker-2)"),
                new Case("N2:9", bearer(), 409, "refused", "N2:9"),
                new Case("worker-4", bearer(), 409, "not-running", "N4 (worker-4) is not running (it has no liveness entry): there is nothing to shut down"),
                new Case("worker-3", bearer(), 503, "unavailable", "N3 (worker-3) does not answer at http://127.0.0.1:"),
                new Case("worker-3", Map.of("Authorization", "Bearer " + TOKEN, AdminApi.FORWARDED_BY_HEADER, "N2 (worker-2)"), 503, "unavailable",
                        "N2 (worker-2) forwarded the shutdown of N3 (worker-3) to N1 (worker-1), which is another node"));
        for (Case c : cases) {
            HttpResponse<String> answer = shutdown(servers.get(0), c.node(), c.headers());
            assertThat(answer.statusCode()).as(c + ": " + answer.body()).isEqualTo(c.status());
            assertThat(json(answer).get("error").asText()).as(c.toString()).isEqualTo(c.error());
            assertThat(json(answer).get("message").asText()).as(c.toString()).contains(c.contains());
            assertThat(answer.body()).doesNotContain(TOKEN);
        }
        assertThat(n1.causes).isEmpty();
        assertThat(n2.causes).isEmpty();
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void aForwardedRequestWithoutTheTokenIsRefusedByTheNodeItNames() throws Exception {
        // The receiver checks the token itself: a forwarding node cannot lend its own authority to a caller.
        servers.add(Javalin.create(config -> AdminHttp.install(config, new AdminApi("test", metadata, lifecycle()), Optional.empty()))
                .start("127.0.0.1", 0));

        HttpResponse<String> answer = shutdown(servers.getLast(), "worker-2", Map.of());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(401);
        assertThat(json(answer).get("message").asText()).contains("requires a token");
        assertThat(n2.causes).isEmpty();
    }
}
