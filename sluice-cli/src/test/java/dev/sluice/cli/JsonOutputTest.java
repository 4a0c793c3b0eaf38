package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.wire.DataApi;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/**
 * {@code -o json} prints exactly one JSON document, of the shape the command's help states, for the commands
 * that printed text or a stream of objects instead. {@link Json#mapper()} refuses trailing tokens, so a second
 * object or a line of text after the document fails the parse. Nodes are {@link FakeNode}s.
 */
@ExtendWith(TemporarySluiceHome.class)
class JsonOutputTest {

    static final String EVENTS_PAGE = """
            {"events": [
              {"sequence": 7, "at": "2026-11-28T10:00:00Z", "kind": "drain-started", "node": "N2", "message": "draining N2 (worker-2)"},
              {"sequence": 8, "at": "2026-11-28T10:00:01Z", "kind": "move-started", "partition": "P3", "message": "drain: moving P3"}],
             "last": 8}""";

    /** Far longer than the first page and one poll take; only a broken follow loop gets near it. */
    static final Duration FOLLOW_AT_MOST = Duration.ofSeconds(10);

    /** A one-partition cluster whose only member, the fake node itself, leads it: every key is in P0 and goes there. */
    static String routingTo(URI node) throws Exception {
        RoutingInfo routing = new RoutingInfo(new PartitionTable(1, ReplicationProperty.of(1)),
                List.of(new RoutingInfo.PartitionRoute(PartitionId.of(0), List.of(new RoutingInfo.Member(NodeId.of(1), node, WorkerState.ACTIVE)),
                        NodeId.of(1))),
                1);
        return Json.mapper().writeValueAsString(routing);
    }

    static FakeNode keyValueNode() throws Exception {
        FakeNode node = new FakeNode();
        return node.answer("GET", DataApi.ROUTING_PATH, 200, routingTo(node.url()));
    }

    @Test
    void kvPutPrintsTheKeyItsPartitionAndTheValueAsOneDocument() throws Exception {
        try (FakeNode node = keyValueNode().answer("PUT", DataApi.KV_PATH + "user-42", 204, "")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("kv", "put", "user-42", "{\"name\": \"Ada\"}", "-o", "json", "--url", node.url().toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            JsonNode entry = Json.mapper().readTree(run.out());
            assertThat(entry).isEqualTo(Json.mapper().readTree("{\"key\": \"user-42\", \"partition\": \"P0\", \"value\": \"{\\\"name\\\": \\\"Ada\\\"}\"}"));
        }
    }

    @Test
    void kvGetPrintsTheValueAsAStringInsideTheSameShape() throws Exception {
        // The stored value is itself JSON here: the old output passed a parser, but was not the documented shape.
        try (FakeNode node = keyValueNode().answer("GET", DataApi.KV_PATH + "user-42", 200, "{\"name\": \"Ada\"}")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("kv", "get", "user-42", "-o", "json", "--url", node.url().toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            JsonNode entry = Json.mapper().readTree(run.out());
            assertThat(entry).isEqualTo(Json.mapper().readTree("{\"key\": \"user-42\", \"partition\": \"P0\", \"value\": \"{\\\"name\\\": \\\"Ada\\\"}\"}"));
        }
    }

    @Test
    void kvGetOfAMissingKeyPrintsNothingOnStdoutAndFails() throws Exception {
        try (FakeNode node = keyValueNode().answer("GET", DataApi.KV_PATH + "nobody", 404, "{\"error\": \"not-found\", \"message\": \"no value\"}")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("kv", "get", "nobody", "-o", "json", "--url", node.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.out()).isEmpty();
            assertThat(run.err().trim()).isEqualTo("no value under 'nobody'");
        }
    }

    @Test
    void eventsPrintsThePageAsOneDocumentWithTheCursor() throws Exception {
        try (FakeNode node = new FakeNode().answer("GET", "/api/v1/events", 200, EVENTS_PAGE)) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("events", "-o", "json", "--url", node.url().toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            JsonNode page = Json.mapper().readTree(run.out());
            assertThat(page).isEqualTo(Json.mapper().readTree(EVENTS_PAGE));
        }
    }

    @Test
    void loadPrintsOnlyItsReportWhenTheRunIsOver() throws Exception {
        try (FakeNode node = keyValueNode().otherwise(204, "")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("load", "--duration", "1s", "--rate", "20", "--writers", "1", "--keys", "5",
                    "-o", "json", "--url", node.url().toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            JsonNode report = Json.mapper().readTree(run.out());
            assertThat(report.path("run").asText()).isNotEmpty();
            assertThat(report.path("stats").path("writes").asLong()).isPositive();
            assertThat(report.path("stats").path("errors").asLong()).isZero();
            assertThat(report.path("errorSamples").isArray()).isTrue();
            assertThat(report.has("verification")).as("no --verify: %s", report).isFalse();
        }
    }

    @Test
    void eventsFollowStreamsOneCompactEventPerLine() throws Exception {
        try (FakeNode node = new FakeNode().answer("GET", "/api/v1/events", 200, EVENTS_PAGE)) {
            StringWriter out = new StringWriter();
            CommandLine sluice = SluiceCommand.newCommandLine();
            sluice.setOut(new PrintWriter(out, true));
            sluice.setErr(new PrintWriter(new StringWriter(), true));
            Thread follower = Thread.ofVirtual().start(() -> {
                try {
                    sluice.execute("events", "--follow", "-o", "json", "--url", node.url().toString());
                } catch (RuntimeException interruptedWhileFollowing) {
                    // --follow ends only by interruption; what it printed before is what is checked.
                }
            });
            // The second request is the first poll for newer events, made after the first page was printed.
            await().atMost(FOLLOW_AT_MOST).until(() -> node.requests().size() >= 2);
            follower.interrupt();
            assertThat(follower.join(FOLLOW_AT_MOST)).as("--follow stops when interrupted").isTrue();

            List<String> lines = out.toString().lines().toList();
            List<JsonNode> expected = Json.mapper().readTree(EVENTS_PAGE).path("events").valueStream().toList();
            assertThat(lines.size()).isGreaterThanOrEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                assertThat(Json.mapper().readTree(lines.get(i))).as("line %d", i + 1).isEqualTo(expected.get(i));
            }
        }
    }

    @Test
    void eventsHelpSaysWhereTheOutputIsNdjson() {
        CliEndToEndIT.Run help = CliEndToEndIT.sluice("events", "--help");

        assertThat(help.out()).contains("one document, {\"events\": [oldest first], \"last\":")
                .contains("with --follow -o json: one event object per line (NDJSON)");
    }
}
