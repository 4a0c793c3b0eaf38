package dev.sluice.controller;

import dev.sluice.metadata.Json;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.RaftTls;
import dev.sluice.raft.ReplicaSetAdmin;
import dev.sluice.security.TlsMaterial;
import dev.sluice.wire.DiskState;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.wire.WorkerStatus;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private final HttpClient http;
    private final HostedSets hostedSets = new HostedSets();
    private final ExecutorService operations;
    private final Optional<String> nodeToken;

    /**
     * @param concurrentOperations how many Raft operations may run at once (at least the cluster's limit
     *     on concurrent changes, plus room for leadership transfers)
     */
    public RatisDataPlane(String clusterName, int concurrentOperations, InstantSource clock) {
        this(clusterName, concurrentOperations, clock, Optional.empty());
    }

    /**
     * @param nodeToken the token this node presents to other nodes: reading a worker's status needs the {@code read}
     *     scope and asking it to shut down the {@code operate} scope, when the cluster checks credentials
     */
    public RatisDataPlane(String clusterName, int concurrentOperations, InstantSource clock, Optional<String> nodeToken) {
        this(clusterName, concurrentOperations, clock, nodeToken, Optional.empty());
    }

    /**
     * @param tls the node's TLS material: the workers' HTTP routes (status polls, shutdowns) are called over
     *     {@code https://}, checked against the cluster's CA, and the workers' Raft ports with mutual TLS; both present
     *     this node's certificate. Empty for a cluster without TLS
     */
    public RatisDataPlane(String clusterName, int concurrentOperations, InstantSource clock, Optional<String> nodeToken,
            Optional<TlsMaterial> tls) {
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(STATUS_TIMEOUT);
        tls.ifPresent(material -> http.sslContext(material.sslContext()));
        this.http = http.build();
        this.admin = new ReplicaSetAdmin(clusterName, ReplicaSetAdmin.DEFAULT_RPC_TIMEOUT, tls.map(RaftTls::mutual).orElse(RaftTls.PLAINTEXT));
        this.clock = clock;
        this.nodeToken = nodeToken;
        this.operations = Executors.newFixedThreadPool(concurrentOperations, Thread.ofPlatform().name("sluice-raft-admin-", 0).daemon().factory());
    }

    @Override
    public CompletableFuture<NodeReplicas> replicas(NodeConfig node) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(node.addresses().http().resolve(WorkerStatus.PATH)).timeout(STATUS_TIMEOUT).GET();
        nodeToken.ifPresent(token -> builder.header("Authorization", "Bearer " + token));
        HttpRequest request = builder.build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new IllegalStateException(node.nodeId() + " answered its status with HTTP " + response.statusCode());
            }
            try {
                return hostedSets.shared(replicas(node.nodeId(), Json.mapper().readValue(response.body(), WorkerStatus.class), clock.instant()));
            } catch (IOException e) {
                throw new IllegalStateException(node.nodeId() + " answered an unreadable status: " + e.getMessage(), e);
            }
        });
    }

    /**
     * What the controller keeps of a worker's status report: its replicas, its removals, whether its disk takes work,
     * its clients' window, and whether it is shutting down.
     */
    static NodeReplicas replicas(NodeId node, WorkerStatus status, Instant at) {
        Map<PartitionId, ReplicaView> replicas = new HashMap<>();
        for (ReplicaStatus replica : status.replicas()) {
            replicas.put(replica.partition(), new ReplicaView(replica.partition(), replica.role(), replica.leader(), replica.term(),
                    replica.configuration(), replica.configurationChanging(), replica.appliedIndex()));
        }
        List<NodeReplicas.Removal> removals = status.removals().stream()
                .map(removal -> new NodeReplicas.Removal(removal.partition(), removal.since(), removal.attempts(), removal.overdue(), removal.detail()))
                .toList();
        // A worker that predates the disk rule says nothing of its disk: it is taken as fine.
        boolean diskOk = status.disk() == null || status.disk().state() == DiskState.OK;
        return new NodeReplicas(node, at, replicas, removals, diskOk, status.clients(), status.shutdown() != null);
    }

    /** Through the node's own admin route, as an operator's {@code sluice nodes shutdown} would. */
    @Override
    public CompletableFuture<Void> shutDown(NodeConfig node) {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.addresses().http().resolve("/api/v1/nodes/" + node.nodeId() + "/shutdown"))
                .timeout(STATUS_TIMEOUT).POST(HttpRequest.BodyPublishers.noBody());
        nodeToken.ifPresent(token -> request.header("Authorization", "Bearer " + token));
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()).thenAccept(response -> {
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(node.nodeId() + " refused to shut down: HTTP " + response.statusCode() + " " + response.body());
            }
        });
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
