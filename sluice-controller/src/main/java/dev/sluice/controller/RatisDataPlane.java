package dev.sluice.controller;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.ReplicaSetAdmin;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The data plane of a real cluster: what a worker hosts comes from its status endpoint
 * ({@code GET /internal/v1/status}, one request per worker), and leadership transfers and configuration
 * changes go to the partition's Raft group through {@link ReplicaSetAdmin}, one attempt each. Those calls
 * block until done, so they run on a pool sized to the cluster's concurrency limit, and each future
 * fails with a timeout at its deadline even if the Raft call under it has not returned yet.
 */
public final class RatisDataPlane implements DataPlane {

    static final Duration STATUS_TIMEOUT = Duration.ofSeconds(3);

    /**
     * What a call may take beyond its own timeout before its future fails anyway: finding the leader and
     * checking the joiners first costs a few short status reads of their own.
     */
    static final Duration ADMIN_SLACK = Duration.ofSeconds(2);

    private final ReplicaSetAdmin admin;
    private final InstantSource clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(STATUS_TIMEOUT).build();
    private final ExecutorService operations;

    /**
     * @param concurrentOperations how many Raft operations may run at once (at least the cluster's limit
     *     on concurrent changes, plus room for leadership transfers)
     */
    public RatisDataPlane(String clusterName, int concurrentOperations, InstantSource clock) {
        this.admin = new ReplicaSetAdmin(clusterName);
        this.clock = clock;
        this.operations = Executors.newFixedThreadPool(concurrentOperations, Thread.ofPlatform().name("sluice-raft-admin-", 0).daemon().factory());
    }

    @Override
    public CompletableFuture<NodeReplicas> replicas(NodeConfig node) {
        HttpRequest request = HttpRequest.newBuilder(node.addresses().http().resolve("/internal/v1/status")).timeout(STATUS_TIMEOUT).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new IllegalStateException(node.nodeId() + " answered its status with HTTP " + response.statusCode());
            }
            try {
                return parse(node.nodeId(), Json.mapper().readTree(response.body()), clock.instant());
            } catch (IOException e) {
                throw new IllegalStateException(node.nodeId() + " answered an unreadable status: " + e.getMessage(), e);
            }
        });
    }

    /** Reads the replicas out of a worker status document. */
    static NodeReplicas parse(NodeId node, JsonNode status, Instant at) {
        Map<PartitionId, ReplicaView> replicas = new HashMap<>();
        for (JsonNode replica : status.path("replicas")) {
            PartitionId partition = PartitionId.parse(replica.path("partition").asText());
            List<NodeId> configuration = new ArrayList<>();
            replica.path("configuration").forEach(member -> configuration.add(NodeId.parse(member.asText())));
            String leader = replica.path("leader").asText("");
            replicas.put(partition, new ReplicaView(partition, role(replica.path("role").asText()), leader.isEmpty() ? null : NodeId.parse(leader),
                    replica.path("term").asLong(), configuration, replica.path("configurationChanging").asBoolean(false),
                    replica.path("appliedIndex").asLong()));
        }
        List<NodeReplicas.Removal> removals = new ArrayList<>();
        for (JsonNode removal : status.path("removals")) {
            String since = removal.path("since").asText("");
            removals.add(new NodeReplicas.Removal(PartitionId.parse(removal.path("partition").asText()), since.isEmpty() ? at : Instant.parse(since),
                    removal.path("attempts").asInt(), removal.path("overdue").asBoolean(false), removal.path("detail").asText("")));
        }
        // A worker that predates the disk rule says nothing of its disk: it is taken as fine.
        boolean diskOk = "ok".equals(status.path("disk").path("state").asText("ok"));
        return new NodeReplicas(node, at, replicas, removals, diskOk);
    }

    private static ReplicaRole role(String wire) {
        return switch (wire) {
            case "leader" -> ReplicaRole.LEADER;
            case "follower" -> ReplicaRole.FOLLOWER;
            case "candidate" -> ReplicaRole.CANDIDATE;
            case "listener", "staging" -> ReplicaRole.LEARNER;
            default -> ReplicaRole.UNKNOWN;
        };
    }

    @Override
    public CompletableFuture<Void> transferLeadership(PartitionId partition, List<NodeConfig> members, NodeId leaderHint, NodeId target,
            Duration timeout) {
        return CompletableFuture.runAsync(() -> admin.transferLeadership(partition, members, leaderHint, target, timeout), operations)
                .orTimeout(timeout.plus(ADMIN_SLACK).toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<Void> setConfiguration(PartitionId partition, List<NodeConfig> members, NodeId leaderHint, List<NodeConfig> next,
            Duration timeout) {
        return CompletableFuture.runAsync(() -> admin.setConfiguration(partition, members, leaderHint, next, timeout), operations)
                .orTimeout(timeout.plus(ADMIN_SLACK).toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<Void> stepDown(PartitionId partition, List<NodeConfig> members, NodeId leader, Duration timeout) {
        return CompletableFuture.runAsync(() -> admin.stepDown(partition, members, leader, timeout), operations)
                .orTimeout(timeout.plus(ADMIN_SLACK).toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        operations.shutdownNow();
        admin.close();
    }
}
