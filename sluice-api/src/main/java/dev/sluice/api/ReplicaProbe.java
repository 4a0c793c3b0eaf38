package dev.sluice.api;

import dev.sluice.metadata.Json;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.MemberView;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.wire.WorkerStatus;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLContext;

/**
 * Asks the members of one partition how their replica of it is doing, from their status reports: what
 * {@code partitions show} prints as each member's role, applied index and lag. The controller keeps no such
 * numbers per replica, and any admin node answers, so the members are asked directly, all at once, each with
 * a short deadline.
 */
final class ReplicaProbe {

    static final Duration DEADLINE = Duration.ofSeconds(2);

    private final HttpClient http;

    /** @param tls the node's TLS context, for members that serve {@code https://}; empty without TLS */
    ReplicaProbe(Optional<SSLContext> tls) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(DEADLINE);
        tls.ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    /** @param authorization the caller's {@code Authorization} header, passed on to each member's status route */
    List<MemberView> members(PartitionId partition, List<NodeId> members, NodesConfiguration nodes, java.util.Optional<String> authorization) {
        List<CompletableFuture<MemberView>> asked = members.stream().map(member -> ask(partition, member, nodes, authorization)).toList();
        return asked.stream().map(CompletableFuture::join).toList();
    }

    private CompletableFuture<MemberView> ask(PartitionId partition, NodeId member, NodesConfiguration nodes, java.util.Optional<String> authorization) {
        NodeConfig node = nodes.find(member).orElse(null);
        if (node == null) {
            return CompletableFuture.completedFuture(unknown(member, "is no longer in the cluster"));
        }
        return http.sendAsync(statusRequest(node, authorization), HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                return unknown(member, "answered its status with HTTP " + response.statusCode());
            }
            try {
                WorkerStatus status = Json.mapper().readValue(response.body(), WorkerStatus.class);
                return status.replicas().stream().filter(replica -> partition.equals(replica.partition())).findFirst()
                        .map(replica -> known(member, replica))
                        .orElseGet(() -> unknown(member, "does not host " + partition + " (yet, or any more)"));
            } catch (java.io.IOException unreadable) {
                return unknown(member, "answered an unreadable status: " + unreadable.getMessage());
            }
        }).exceptionally(failure -> unknown(member, unanswered(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure)));
    }

    /**
     * The bytes of state each partition hosted on {@code nodes} holds, from their status reports, for the ETA of a plan
     * that moves them away. A node that does not answer in time contributes nothing; its partitions count as of unknown size.
     */
    Map<PartitionId, Long> stateBytes(Collection<NodeConfig> nodes, java.util.Optional<String> authorization) {
        List<CompletableFuture<List<ReplicaStatus>>> asked = nodes.stream().map(node -> {
            return http.sendAsync(statusRequest(node, authorization), HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
                if (response.statusCode() != 200) {
                    return List.<ReplicaStatus>of();
                }
                try {
                    return Json.mapper().readValue(response.body(), WorkerStatus.class).replicas();
                } catch (java.io.IOException unreadable) {
                    return List.<ReplicaStatus>of();
                }
            }).exceptionally(failure -> List.of());
        }).toList();
        Map<PartitionId, Long> sizes = new HashMap<>();
        for (CompletableFuture<List<ReplicaStatus>> answer : asked) {
            for (ReplicaStatus replica : answer.join()) {
                sizes.merge(replica.partition(), replica.stateBytes(), Math::max);
            }
        }
        return sizes;
    }

    private static HttpRequest statusRequest(NodeConfig node, java.util.Optional<String> authorization) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(node.addresses().http().resolve(WorkerStatus.PATH)).timeout(DEADLINE).GET();
        authorization.ifPresent(value -> builder.header("Authorization", value));
        return builder.build();
    }

    private static String unanswered(Throwable failure) {
        if (failure instanceof java.net.http.HttpTimeoutException) {
            return "did not answer within " + DEADLINE.toSeconds() + " s";
        }
        return "could not be asked: " + failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    }

    private static MemberView known(NodeId member, ReplicaStatus replica) {
        return new MemberView(member.toString(), replica.role(), replica.appliedIndex(), replica.lag(), null);
    }

    private static MemberView unknown(NodeId member, String why) {
        return new MemberView(member.toString(), null, null, null, why);
    }
}
