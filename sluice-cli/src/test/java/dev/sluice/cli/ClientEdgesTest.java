package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.metadata.Json;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The CLI at the edges of what it talks to: something that is not a Sluice node, a closed port, and a drain
 * asked for again after it finished. Nodes are {@link FakeNode}s answering as a Sluice node does (the real
 * answers are checked in {@link CliEndToEndIT}).
 */
@ExtendWith(TemporarySluiceHome.class)
class ClientEdgesTest {

    /** Far below the 30 s {@code kv get} took against a closed port, far above the one attempt it should make. */
    static final Duration FAST = Duration.ofSeconds(10);
    /**
     * A deadline for a fake cluster's answers to be asked for, not a speed claim: at a load average of 30 two polls of
     * {@code --wait} took longer than {@link #FAST} (the CLI runs in this JVM, beside another fork's clusters).
     */
    static final Duration ANSWERED = Duration.ofSeconds(60);

    static final String REFUSED_DISABLED = """
            {"error": "refused", "kind": "transition-not-allowed", "message": "N2 is disabled; it can go to provisioning",
             "node": "N2", "current": "disabled", "requested": "draining", "allowed": ["provisioning"], "allowedWithForce": [], "blocking": []}""";

    static String disabledNode(String disabledBy, String lastChangeAt) {
        return """
                {"id": "N2", "incarnation": "N2:1", "name": "worker-2", "state": "disabled", "alive": true, "replicas": 0, "leaderships": 0,
                 "lastChange": {"at": "%s", "actor": "%s", "reason": "drained", "version": 9},
                 "drain": {"node": "N2", "name": "worker-2", "state": "disabled", "startedAt": "2026-11-28T10:00:00Z",
                           "completedAt": "2026-11-28T10:00:12Z", "replicasAtStart": 18, "replicasRemaining": 0, "leadershipsRemaining": 0,
                           "movesInFlight": 0, "movesDone": 18, "ratePerMinute": 98.0, "stalled": false, "stalledPartitions": []}}"""
                .formatted(lastChangeAt, disabledBy);
    }

    @Test
    void aServerThatIsNotSluiceAnsweringAnEmpty404IsNamedWithExitCode3() throws Exception {
        try (FakeNode other = new FakeNode().otherwise(404, "")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "list", "--url", other.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.UNREACHABLE);
            assertThat(run.err().trim()).isEqualTo(other.url() + "/api/v1/nodes answered HTTP 404 with an empty body: not a Sluice node?"
                    + " Check the address; pass --url or set SLUICE_URL");
        }
    }

    @Test
    void aJsonAnswerWithoutSluicesErrorShapeIsNotTakenForSluices() throws Exception {
        try (FakeNode other = new FakeNode().otherwise(404, "{\"detail\": \"Not Found\"}")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "show", "N1", "--url", other.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.UNREACHABLE);
            assertThat(run.err()).contains("answered HTTP 404 with a body that is not Sluice's API: not a Sluice node?");
        }
    }

    @Test
    void aServerErrorWithoutSluicesShapeIsAFailureOfTheNodeNotAWrongAddress() throws Exception {
        try (FakeNode broken = new FakeNode().otherwise(500, "Server Error\n<stack trace>")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "list", "--url", broken.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err().trim()).isEqualTo(broken.url() + "/api/v1/nodes answered HTTP 500 with a body that is not Sluice's API: Server Error");
        }
    }

    @Test
    void sluicesOwn404StillReadsAsTheRefusalItIs() throws Exception {
        try (FakeNode node = new FakeNode().answer("GET", "/api/v1/nodes/nobody", 404,
                "{\"error\": \"not-found\", \"message\": \"unknown node 'nobody'\"}")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "show", "nobody", "--url", node.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err().trim()).isEqualTo("unknown node 'nobody'");
        }
    }

    @Test
    void kvGetAgainstAClosedPortFailsAsFastAsTheAdminCommands() throws Exception {
        URI closed;
        try (FakeNode node = new FakeNode()) {
            closed = node.url();
        }
        long started = System.nanoTime();
        CliEndToEndIT.Run run = CliEndToEndIT.sluice("kv", "get", "user-42", "--url", closed.toString());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(run.exitCode()).as(run.err()).isEqualTo(CliException.UNREACHABLE);
        assertThat(run.err()).startsWith("cannot reach the cluster at " + closed);
        assertThat(took).as("kv get against a closed port").isLessThan(FAST);
    }

    /** A connection that times out is a busy or cut-off node, not a stopped one; only a refused connection is "nothing answers there". */
    @Test
    void aConnectTimeoutIsNotReportedAsNothingAnswering() {
        String where = "https://127.0.0.1:8080 (address from ~/.sluice/current)";
        CliException slow = AdminClient.unreachable(where, "https", "check the CA", new java.net.http.HttpConnectTimeoutException("HTTP connect timed out"));
        assertThat(slow.exitCode()).isEqualTo(CliException.UNREACHABLE);
        assertThat(slow.getMessage()).isEqualTo("cannot reach the cluster at " + where + ": no connection within 10 s (the node is overloaded,"
                + " or something between drops the packets); try again, or another node with --url");

        CliException refused = AdminClient.unreachable(where, "https", "check the CA", new java.net.ConnectException("Connection refused"));
        assertThat(refused.getMessage()).contains("nothing answers there. Is it running?");

        CliException noAnswer = AdminClient.unreachable(where, "https", "check the CA", new java.net.http.HttpTimeoutException("request timed out"));
        assertThat(noAnswer.getMessage()).isEqualTo("the cluster at " + where + " did not answer within 30 s");

        CliException tls = AdminClient.unreachable(where, "https", "check the CA", new javax.net.ssl.SSLHandshakeException("PKIX path building failed"));
        assertThat(tls.getMessage()).isEqualTo("cannot reach the cluster at " + where + " over TLS: PKIX path building failed. check the CA");
    }

    @Test
    void drainingAWorkerWhoseDrainAlreadyFinishedReportsItDone() throws Exception {
        // On a real cluster the disabling's time can be later than the drain's recorded completion (CliEndToEndIT met it):
        // who disabled the worker decides, not the order of the two times.
        try (FakeNode node = new FakeNode()
                .answer("POST", "/api/v1/nodes/worker-2/state", 409, REFUSED_DISABLED)
                .answer("GET", "/api/v1/nodes/worker-2", 200, disabledNode("controller", "2026-11-28T10:00:12.3Z"))) {
            CliEndToEndIT.Run rerun = CliEndToEndIT.sluice("nodes", "drain", "worker-2", "--wait", "--url", node.url().toString(), "--token", "t");

            assertThat(rerun.exitCode()).as(rerun.err()).isZero();
            assertThat(rerun.out().trim()).isEqualTo("N2 (worker-2) was already drained: disabled since 2026-11-28T10:00:12Z, drained in 12s, 18 replicas moved");
            assertThat(rerun.err()).isEmpty();

            CliEndToEndIT.Run json = CliEndToEndIT.sluice("nodes", "drain", "worker-2", "--wait", "-o", "json", "--url", node.url().toString(), "--token", "t");
            assertThat(json.exitCode()).isZero();
            JsonNode drain = Json.mapper().readTree(json.out());
            assertThat(drain.path("state").asText()).isEqualTo("disabled");
            assertThat(drain.path("movesDone").asInt()).isEqualTo(18);
        }
    }

    @Test
    void aWorkerDisabledAfterAnOlderDrainIsStillRefused() throws Exception {
        // Drained, activated again, then disabled with --force: the old drain's record shows, but it did not disable the worker.
        try (FakeNode node = new FakeNode()
                .answer("POST", "/api/v1/nodes/worker-2/state", 409, REFUSED_DISABLED)
                .answer("GET", "/api/v1/nodes/worker-2", 200, disabledNode("operator", "2026-11-28T11:30:00Z"))) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "drain", "worker-2", "--wait", "--url", node.url().toString(), "--token", "t");

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err()).startsWith("refused: N2 is disabled");
        }
    }

    /** A worker drained a second time: its first drain's record, 12/12 moved, showed as the new drain's first bar. */
    @Test
    void aSecondDrainOfAWorkerShowsNoBarOfItsFirst() throws Exception {
        String firstDrain = """
                {"node": "N2", "name": "worker-2", "state": "disabled", "startedAt": "2026-11-28T10:00:00Z", "completedAt": "2026-11-28T10:00:09Z",
                 "replicasAtStart": 12, "replicasRemaining": 0, "leadershipsRemaining": 0, "movesInFlight": 0, "movesDone": 12,
                 "ratePerMinute": 80.0, "stalled": false, "stalledPartitions": []}""";
        String secondDrain = """
                {"node": "N2", "name": "worker-2", "state": "disabled", "startedAt": "2026-11-28T11:00:00Z", "completedAt": "2026-11-28T11:00:12Z",
                 "replicasAtStart": 18, "replicasRemaining": 0, "leadershipsRemaining": 0, "movesInFlight": 0, "movesDone": 18,
                 "ratePerMinute": 90.0, "stalled": false, "stalledPartitions": []}""";
        String draining = """
                {"id": "N2", "incarnation": "N2:1", "name": "worker-2", "state": "draining", "alive": true, "replicas": 18, "leaderships": 0,
                 "lastChange": {"at": "2026-11-28T11:00:00Z", "actor": "operator", "reason": "", "version": 12}, "drain": %s}""".formatted(firstDrain);
        String disabled = """
                {"id": "N2", "incarnation": "N2:1", "name": "worker-2", "state": "disabled", "alive": true, "replicas": 0, "leaderships": 0,
                 "lastChange": {"at": "2026-11-28T11:00:12Z", "actor": "controller", "reason": "drained", "version": 13}, "drain": %s}""".formatted(secondDrain);
        try (FakeNode node = new FakeNode()
                .answer("POST", "/api/v1/nodes/worker-2/state", 200, "{\"node\": %s, \"changed\": true, \"warnings\": []}".formatted(draining))
                .answer("GET", "/api/v1/nodes/N2", 200, draining)) {
            java.util.concurrent.CompletableFuture<CliEndToEndIT.Run> run = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                    CliEndToEndIT.sluice("nodes", "drain", "worker-2", "--wait", "--url", node.url().toString(), "--token", "t"));
            org.awaitility.Awaitility.await("two polls of the draining worker").atMost(ANSWERED)
                    .until(() -> node.requests().stream().filter(r -> r.path().equals("/api/v1/nodes/N2")).count() >= 2);
            node.answer("GET", "/api/v1/nodes/N2", 200, disabled);
            CliEndToEndIT.Run done = run.get(ANSWERED.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);

            assertThat(done.exitCode()).as(done.err()).isZero();
            assertThat(done.out()).contains("waiting for the controller to pick the drain up").doesNotContain("12/12")
                    .contains("18/18 moved").endsWith("N2 (worker-2) is disabled: drained in 12s, 18 replicas moved\n");
        }
    }
}
