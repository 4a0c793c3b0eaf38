package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.Actor;
import dev.sluice.model.CredentialName;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.PlacementChange;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Operator overrides of one partition's placement ({@link PartitionPolicy}): freezing its replica set and pinning its
 * leader, and lifting either. The scheduler already obeys them (a frozen set is not changed, and a drain it blocks
 * stalls with {@code frozen}; a pinned leader leads where it may); this writes them. Any node can serve it: the write
 * is a compare-and-set on the placement, so a controller pass that read the placement before is refused its own write
 * and decides again on the new policy, and a request that loses to the controller reads again, a bounded number of
 * times.
 */
public final class PartitionPolicyRequests {

    /** Attempts before giving up on a placement the controller keeps rewriting; a drain writes each placement a few times. */
    static final int MAX_ATTEMPTS = 16;
    static final Duration FIRST_BACKOFF = Duration.ofMillis(5);
    static final Duration MAX_BACKOFF = Duration.ofMillis(200);

    private final ClusterMetadata metadata;
    private final InstantSource clock;

    public PartitionPolicyRequests(ClusterMetadata metadata, InstantSource clock) {
        this.metadata = metadata;
        this.clock = clock;
    }

    /** What a request led to. */
    public sealed interface Outcome {
        /** The reference is not a partition id ({@code P3}). Nothing was written. */
        record Malformed(String message) implements Outcome {}

        /** The cluster has no such partition, or has not placed it yet. Nothing was written. */
        record Unknown(String message) implements Outcome {}

        /** The node reference of a pin names no current node ({@link NodeResolution} says why). Nothing was written. */
        record Unresolved(NodeResolution resolution) implements Outcome {}

        /** Refused, with the reason (a pin on a node that is not a member). Nothing was written. */
        record Refused(String message) implements Outcome {}

        /** Applied ({@code changed}), or already in place. */
        record Done(Placement placement, boolean changed) implements Outcome {}
    }

    /** Freezes ({@code true}) or unfreezes the replica set of the partition {@code reference} names. */
    public Outcome freeze(String reference, boolean frozen, String reason, Optional<CredentialName> credential) {
        return change(reference, reason, credential, null, policy -> new PartitionPolicy(frozen, policy.pinnedLeader()));
    }

    /** Pins the leader of the partition {@code reference} names to the node {@code nodeReference} names, a member of its current set. */
    public Outcome pinLeader(String reference, String nodeReference, String reason, Optional<CredentialName> credential) {
        NodesConfiguration nodes = metadata.nodes().current();
        NodeResolution resolution = nodes.resolve(nodeReference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return new Outcome.Unresolved(resolution);
        }
        NodeConfig node = found.node();
        return change(reference, reason, credential, node, policy -> new PartitionPolicy(policy.frozen(), node.nodeId()));
    }

    /** Lifts the leader pin of the partition {@code reference} names. */
    public Outcome unpinLeader(String reference, String reason, Optional<CredentialName> credential) {
        return change(reference, reason, credential, null, policy -> new PartitionPolicy(policy.frozen(), null));
    }

    private Outcome change(String reference, String reason, Optional<CredentialName> credential, NodeConfig pinned, UnaryOperator<PartitionPolicy> next) {
        PartitionId partition;
        try {
            partition = PartitionId.parse(reference);
        } catch (IllegalArgumentException malformed) {
            return new Outcome.Malformed(malformed.getMessage());
        }
        Optional<PartitionTable> table = metadata.partitionTable().read();
        if (table.isEmpty() || !table.get().contains(partition)) {
            return new Outcome.Unknown("unknown partition " + partition
                    + table.map(t -> " (the cluster has P0 to P" + (t.partitionCount() - 1) + ")").orElse(" (the cluster has no partitions yet)"));
        }
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Optional<VersionedPlacement> read = metadata.placements().read(partition);
            if (read.isEmpty()) {
                return new Outcome.Unknown(partition + " has not been placed yet; its policy can be set once the controller placed it");
            }
            Placement placement = read.get().placement();
            PartitionPolicy policy = next.apply(placement.policy());
            if (policy.equals(placement.policy())) {
                return new Outcome.Done(placement, false);
            }
            if (pinned != null && !placement.current().contains(pinned.nodeId())) {
                return new Outcome.Refused("cannot pin the leader of " + partition + " to " + NodeResolution.label(pinned) + ": it is not in the current"
                        + " replica set " + labels(placement.current()) + "; a leader must be a member with the partition's data");
            }
            PlacementChange.Applied applied = new PlacementChange.SetPolicy(partition, policy, Actor.OPERATOR, reason, credential.orElse(null),
                    pinned == null ? null : NodeResolution.label(pinned)).apply(Optional.of(placement), clock.instant());
            try {
                metadata.placements().write(applied.placement(), read.get().version(), applied.event().orElse(null), List.of());
                return new Outcome.Done(applied.placement(), true);
            } catch (PreconditionFailedException raced) {
                backoff(attempt);
            }
        }
        throw new MetadataException("gave up setting the policy of " + partition + " after " + MAX_ATTEMPTS + " attempts: the placement kept changing");
    }

    private String labels(List<NodeId> members) {
        NodesConfiguration nodes = metadata.nodes().current();
        return members.stream().map(nodes::label).toList().toString();
    }

    private static void backoff(int attempt) {
        long millis = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt - 1, 16));
        try {
            Thread.sleep(millis);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new MetadataException("interrupted while setting a partition's policy", interrupted);
        }
    }
}
