package dev.sluice.chaos;

import dev.sluice.metadata.Json;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.wire.WorkerStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;

/**
 * Which nodes led which partitions at one moment, as the replicas themselves said ({@code GET
 * /internal/v1/status} on every node, role {@code leader}). The nemesis reads it just before each fault, so the
 * report can tell the partitions a fault hit from the others. A node that did not answer within
 * {@link #TIMEOUT} contributed nothing; two nodes may both have claimed a partition (a stale leader), and both
 * are kept.
 *
 * @param leadersByPartition partition id ({@code P3}) to the names of the nodes that said they led it
 */
record Leadership(Map<String, Set<String>> leadersByPartition) {

    /** Short: the reading delays the fault's start, and a node slow to answer now is not the fault's doing. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    Leadership {
        Map<String, Set<String>> copy = new TreeMap<>();
        leadersByPartition.forEach((partition, nodes) -> copy.put(partition, Set.copyOf(nodes)));
        leadersByPartition = Map.copyOf(copy);
    }

    /** Asks every node in {@code nodeUrls} (name to HTTP URL) which partitions it leads, with the cluster's {@code token}, trusting its CA through {@code tls}. */
    static Leadership observe(Map<String, URI> nodeUrls, String token, SSLContext tls) {
        Map<String, Set<String>> leaders = new TreeMap<>();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).sslContext(tls).build()) {
            nodeUrls.forEach((name, url) -> {
                try {
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(url.resolve(WorkerStatus.PATH)).timeout(TIMEOUT)
                                    .header("Authorization", "Bearer " + token).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() != 200) {
                        return;
                    }
                    for (ReplicaStatus replica : Json.mapper().readValue(answer.body(), WorkerStatus.class).replicas()) {
                        if (replica.role() == ReplicaRole.LEADER) {
                            leaders.computeIfAbsent(replica.partition().toString(), p -> new TreeSet<>()).add(name);
                        }
                    }
                } catch (IOException unanswered) {
                    // This node's partitions count as led by nobody known; the report leaves such partitions out.
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        return new Leadership(leaders);
    }

    /** Whether some node said it led {@code partition}. */
    boolean known(String partition) {
        return leadersByPartition.containsKey(partition);
    }

    /** Whether one of {@code nodes} said it led {@code partition}. */
    boolean ledByAnyOf(String partition, Collection<String> nodes) {
        return leadersByPartition.getOrDefault(partition, Set.of()).stream().anyMatch(nodes::contains);
    }
}
