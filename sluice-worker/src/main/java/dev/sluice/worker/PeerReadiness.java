package dev.sluice.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Whether the other members of this node's groups may take a leadership now. A shutting-down node asks each one
 * it would hand a leadership to, once, before it hands any over: a target must be Active in the nodes
 * configuration and say itself that it is ready ({@code GET /health/ready}), which a node that is itself shutting
 * down, draining, short of disk, superseded or not running does not. Handing a leadership to such a node would
 * only move it again, or leave it to an election when that node stops too (every node of a stopping
 * {@code sluice local} is told to stop at once).
 */
interface PeerReadiness {

    /** The answer about one member: it may lead, or why it may not. */
    sealed interface Candidacy {
        /** Active and ready by its own account. */
        record Ready() implements Candidacy {}

        /** @param why in words, starting with a verb ({@code is draining}, {@code is not ready: shutting down (SIGTERM) …}) */
        record Unfit(String why) implements Candidacy {
            public Unfit {
                Objects.requireNonNull(why, "why");
            }
        }
    }

    Candidacy READY = new Candidacy.Ready();

    /**
     * Asks about every one of {@code peers} at once and waits at most {@code within}; a peer that has not answered
     * by then is unfit. Never throws.
     */
    Map<NodeId, Candidacy> ask(Set<NodeId> peers, Duration within);

    /**
     * Asks each peer's HTTP server, at the address the nodes configuration records for it.
     *
     * @param tls the node's TLS context, which checks an {@code https://} peer against the cluster's CA and presents
     *     this node's certificate; empty for a cluster without TLS
     */
    static PeerReadiness overHttp(Supplier<NodesConfiguration> nodes, Optional<SSLContext> tls) {
        return new OverHttp(nodes, tls);
    }

    final class OverHttp implements PeerReadiness {

        /** A connection to a live peer on the same network takes milliseconds; one that takes longer does not count on this one. */
        static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);
        /**
         * The JDK counts a TLS handshake against the connect timeout; on the loaded 2-core build machine handshakes took
         * 0.1-0.7 s (SluiceClient#DEFAULT_TLS_CONNECT_TIMEOUT), so a peer over HTTPS gets more. The caller's own deadline
         * still bounds every question.
         */
        static final Duration TLS_CONNECT_TIMEOUT = Duration.ofSeconds(2);

        private final Supplier<NodesConfiguration> nodes;
        private final HttpClient http;

        private OverHttp(Supplier<NodesConfiguration> nodes, Optional<SSLContext> tls) {
            this.nodes = nodes;
            HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(tls.isPresent() ? TLS_CONNECT_TIMEOUT : CONNECT_TIMEOUT);
            tls.ifPresent(builder::sslContext);
            this.http = builder.build();
        }

        @Override
        public Map<NodeId, Candidacy> ask(Set<NodeId> peers, Duration within) {
            NodesConfiguration configuration = nodes.get();
            Map<NodeId, CompletableFuture<Candidacy>> asked = new HashMap<>();
            for (NodeId peer : peers) {
                asked.put(peer, ask(configuration, peer, within));
            }
            long deadlineNanos = System.nanoTime() + within.toNanos();
            Map<NodeId, Candidacy> answers = new HashMap<>();
            for (Map.Entry<NodeId, CompletableFuture<Candidacy>> entry : asked.entrySet()) {
                answers.put(entry.getKey(), await(entry.getValue(), deadlineNanos, within));
            }
            return answers;
        }

        private CompletableFuture<Candidacy> ask(NodesConfiguration configuration, NodeId peer, Duration within) {
            NodeConfig node = configuration.find(peer).orElse(null);
            if (node == null) {
                return CompletableFuture.completedFuture(new Candidacy.Unfit("is not in the nodes configuration"));
            }
            if (!node.workerState().servesTraffic()) {
                return CompletableFuture.completedFuture(new Candidacy.Unfit("is " + node.workerState().wireName()));
            }
            HttpRequest request = HttpRequest.newBuilder(node.addresses().http().resolve("/health/ready")).timeout(within).GET().build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .thenApply(OverHttp::candidacy)
                    .exceptionally(failure -> new Candidacy.Unfit(unanswered(failure, within)));
        }

        private static Candidacy candidacy(HttpResponse<byte[]> response) {
            if (response.statusCode() == 200) {
                return READY;
            }
            String reason = null;
            try {
                JsonNode body = Json.mapper().readTree(response.body());
                reason = body == null ? null : body.path("reason").asText(null);
            } catch (IOException notJson) {
                // Said in the status code only.
            }
            return new Candidacy.Unfit("is not ready" + (reason == null ? " (HTTP " + response.statusCode() + ")" : ": " + reason));
        }

        private static Candidacy await(CompletableFuture<Candidacy> answer, long deadlineNanos, Duration within) {
            try {
                return answer.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException slow) {
                answer.cancel(true);
                return new Candidacy.Unfit("did not answer its readiness check within " + within.toMillis() + " ms");
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return new Candidacy.Unfit("was not asked: interrupted");
            } catch (ExecutionException bug) {
                return new Candidacy.Unfit(unanswered(bug.getCause(), within));
            }
        }

        private static String unanswered(Throwable failure, Duration within) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof HttpTimeoutException) {
                return "did not answer its readiness check within " + within.toMillis() + " ms";
            }
            return "did not answer its readiness check: " + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage());
        }
    }
}
