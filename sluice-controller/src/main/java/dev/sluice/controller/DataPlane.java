package dev.sluice.controller;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The replicated data plane as the controller sees it: what each node hosts, and the Raft operations a
 * replica-set change needs. The production implementation talks to the workers' Ratis servers; tests
 * and simulations provide their own. Every operation is idempotent, so the controller may repeat it after
 * a crash or a timeout, and makes <b>one attempt</b>: a future that fails carries a
 * {@link dev.sluice.raft.ReplicaSetAdminException} whose {@link dev.sluice.raft.MoveFailure} says why, and
 * the controller decides whether to retry. No future outlives its timeout by much; the controller also
 * gives up on its own a little after it.
 */
public interface DataPlane extends AutoCloseable {

    /** What {@code node} hosts now; fails if the node cannot be reached. */
    CompletableFuture<NodeReplicas> replicas(NodeConfig node);

    /**
     * Makes {@code target}, a voting member, the leader of the partition's group.
     *
     * @param leaderHint the member the controller believes leads, asked first, or {@code null}
     */
    CompletableFuture<Void> transferLeadership(PartitionId partition, List<NodeConfig> members, NodeId leaderHint, NodeId target, Duration timeout);

    /**
     * Changes the group's voting members to {@code next}; new members are caught up before they vote.
     * Asking for the configuration the group already has succeeds at once.
     *
     * @param members every node that may host the group now (current ∪ next), to find its leader
     * @param leaderHint the member the controller believes leads, asked first, or {@code null}
     */
    CompletableFuture<Void> setConfiguration(PartitionId partition, List<NodeConfig> members, NodeId leaderHint, List<NodeConfig> next,
            Duration timeout);

    /**
     * Makes the group's leader step down, so the members elect a leader again (possibly the same one). A
     * leader forgets a configuration change it is staging when it stops leading: the only way to end a
     * change whose new member died, which Ratis keeps in progress for as long as the group takes writes.
     *
     * @param leader the member believed to lead; the call fails with {@code not-leader} if it does not
     */
    CompletableFuture<Void> stepDown(PartitionId partition, List<NodeConfig> members, NodeId leader, Duration timeout);

    /**
     * Asks {@code node} to shut down gracefully (its leaderships handed over, then its process exits for its
     * supervisor to start again). Completes when the node accepted; fails with why it did not.
     */
    CompletableFuture<Void> shutDown(NodeConfig node);

    @Override
    default void close() {}
}
