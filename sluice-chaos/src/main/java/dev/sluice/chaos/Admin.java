package dev.sluice.chaos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.metadata.Json;
import dev.sluice.wire.ClusterView;
import dev.sluice.wire.ControllerView;
import dev.sluice.wire.NodeView;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * The harness's side of the admin API. Every answer is recorded, so the run can show that the API answered
 * no 5xx but the documented 503s ("unavailable": the metadata store is not reachable, or the node is still
 * starting); an unreachable node is not an answer and is counted apart. Thread-safe.
 */
final class Admin {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** Longer than a metadata-store operation takes while ZooKeeper elects a leader. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Server errors kept for the report; the count stays exact beyond it. */
    static final int MAX_RECORDED_ERRORS = 50;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One answer of the admin API. The body stays a tree: what a fault makes a node or something in front of it
     * answer need not be Sluice's, and the harness records such answers as they came. A caller that asked for
     * a 2xx answer reads it as its wire record with {@link #as}.
     */
    record Answer(URI node, String method, String path, int status, JsonNode body) {
        boolean ok() {
            return status / 100 == 2;
        }

        /** What an error answer says, in words; the whole body if it says nothing (it may not be Sluice's). */
        String message() {
            return body.path("message").asText(body.toString());
        }

        /** The body as the wire record {@code type}. */
        <T> T as(Class<T> type) {
            try {
                return Json.mapper().treeToValue(body, type);
            } catch (JsonProcessingException | IllegalArgumentException unreadable) {
                throw new IllegalStateException(method + " " + node + path + " answered " + status + " with a body that is not a "
                        + type.getSimpleName() + ": " + unreadable.getMessage(), unreadable);
            }
        }

        /** The body, a JSON array, as a list of the wire record {@code element}. */
        <T> List<T> asList(Class<T> element) {
            try {
                return Json.mapper().readerForListOf(element).readValue(body);
            } catch (IOException | IllegalArgumentException unreadable) {
                throw new IllegalStateException(method + " " + node + path + " answered " + status + " with a body that is not a list of "
                        + element.getSimpleName() + ": " + unreadable.getMessage(), unreadable);
            }
        }
    }

    private final List<URI> nodes;
    private final String token;
    private final long startNanos;
    private final HttpClient http;
    private final AtomicLong answers = new AtomicLong();
    private final AtomicLong unavailable = new AtomicLong();
    private final AtomicLong unreachable = new AtomicLong();
    private final AtomicLong serverErrorCount = new AtomicLong();
    private final List<String> serverErrors = new CopyOnWriteArrayList<>();

    /** @param tls trusts the cluster's CA, which the nodes' HTTPS certificates must chain to */
    Admin(List<URI> nodes, String token, long startNanos, SSLContext tls) {
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1).sslContext(tls).build();
        this.nodes = List.copyOf(nodes);
        this.token = token;
        this.startNanos = startNanos;
    }

    List<URI> nodes() {
        return nodes;
    }

    Optional<Answer> get(URI node, String path) {
        // Reads need the token too: the cluster's nodes check credentials on every admin route.
        return send(node, "GET", path, HttpRequest.newBuilder(node.resolve(path)).header("Authorization", "Bearer " + token).GET());
    }

    Optional<Answer> post(URI node, String path, String json) {
        return send(node, "POST", path, HttpRequest.newBuilder(node.resolve(path))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** The first 200 answer to {@code GET path}, asking the nodes in turn from {@code start}; empty if none gives one. */
    Optional<Answer> getFromAny(String path, int start) {
        for (int i = 0; i < nodes.size(); i++) {
            Optional<Answer> answer = get(nodes.get(Math.floorMod(start + i, nodes.size())), path);
            if (answer.isPresent() && answer.get().status() == 200) {
                return answer;
            }
        }
        return Optional.empty();
    }

    private Optional<Answer> send(URI node, String method, String path, HttpRequest.Builder request) {
        HttpResponse<String> response;
        long sentNanos = System.nanoTime();
        try {
            response = http.send(request.timeout(REQUEST_TIMEOUT).header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.http.HttpTimeoutException noAnswerInTime) {
            // Connected (or still connecting) but no answer: a node that hangs, not one that is down.
            unreachable.incrementAndGet();
            exchange(sentNanos, method, path, Exchange.Outcome.TIMED_OUT);
            return Optional.empty();
        } catch (IOException down) {
            unreachable.incrementAndGet();
            exchange(sentNanos, method, path, Exchange.Outcome.UNREACHABLE);
            return Optional.empty();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        answers.incrementAndGet();
        JsonNode body;
        try {
            body = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException notJson) {
            body = JSON.createObjectNode().put("message", response.body());
        }
        Answer answer = new Answer(node, method, path, response.statusCode(), body);
        exchange(sentNanos, method, path, Exchange.Outcome.of(answer));
        if (answer.status() == 503 && "unavailable".equals(body.path("error").asText())) {
            unavailable.incrementAndGet();
        } else if (answer.status() >= 500) {
            serverErrorCount.incrementAndGet();
            if (serverErrors.size() < MAX_RECORDED_ERRORS) {
                serverErrors.add(String.format(java.util.Locale.ROOT, "%.3f s %s %s%s -> %d %s", (System.nanoTime() - startNanos) / 1e9,
                        method, node, path, answer.status(), answer.message()));
            }
        }
        return Optional.of(answer);
    }

    /** The controller leader's node name, as some node reports it. */
    Optional<String> controllerLeader(int start) {
        return getFromAny("/api/v1/cluster", start).map(a -> a.as(ClusterView.class).controller()).map(ControllerView::leader);
    }

    /** Each node's name and state ({@code active}, {@code draining}, …), as some node reports it. */
    Optional<List<NodeState>> nodeStates(int start) {
        return getFromAny("/api/v1/nodes", start).map(answer -> answer.asList(NodeView.class).stream()
                .map(node -> new NodeState(node.name(), node.id(), node.state().wireName(), node.alive())).toList());
    }

    record NodeState(String name, String id, String state, boolean alive) {}

    /**
     * One request of the harness and what came of it, kept so a report can say how the API answered while a
     * given fault was in force.
     *
     * @param sentNanos when it was sent, in nanoseconds into the run
     */
    record Exchange(long sentNanos, long tookNanos, String method, String path, Outcome outcome) {

        enum Outcome {
            /** A 2xx answer. */
            OK,
            /** A 4xx answer: a refusal the API documents (a conflict, an unknown node). */
            REFUSED,
            /** The documented {@code 503 unavailable}: the metadata store is unreachable or the node is starting. */
            UNAVAILABLE,
            /** Any other 5xx: an anomaly. */
            SERVER_ERROR,
            /** No answer within {@link #REQUEST_TIMEOUT}. */
            TIMED_OUT,
            /** No connection: the node is down or cut off. */
            UNREACHABLE;

            static Outcome of(Answer answer) {
                if (answer.status() == 503 && "unavailable".equals(answer.body().path("error").asText())) {
                    return UNAVAILABLE;
                }
                if (answer.status() >= 500) {
                    return SERVER_ERROR;
                }
                return answer.ok() ? OK : REFUSED;
            }

            String wireName() {
                return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            }
        }
    }

    /** Exchanges kept for the report: a 30-minute run makes about two thousand. */
    static final int MAX_RECORDED_EXCHANGES = 200_000;

    private final List<Exchange> exchanges = new ArrayList<>();

    private void exchange(long sentNanos, String method, String path, Exchange.Outcome outcome) {
        long now = System.nanoTime();
        synchronized (exchanges) {
            if (exchanges.size() < MAX_RECORDED_EXCHANGES) {
                exchanges.add(new Exchange(sentNanos - startNanos, now - sentNanos, method, path, outcome));
            }
        }
    }

    /** Every request so far (up to {@link #MAX_RECORDED_EXCHANGES}), in the order they ended. */
    List<Exchange> exchanges() {
        synchronized (exchanges) {
            return List.copyOf(exchanges);
        }
    }

    long answers() {
        return answers.get();
    }

    long unavailableAnswers() {
        return unavailable.get();
    }

    long unreachableAttempts() {
        return unreachable.get();
    }

    long serverErrorCount() {
        return serverErrorCount.get();
    }

    /** 5xx answers other than the documented 503s, as report lines. */
    List<String> serverErrors() {
        return List.copyOf(serverErrors);
    }
}
