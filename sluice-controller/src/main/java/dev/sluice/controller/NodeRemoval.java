package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.Actor;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.CredentialName;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Placement;
import dev.sluice.model.Refusal;
import dev.sluice.model.Tombstone;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Operator-requested removal of a node from the nodes configuration, for good: the node leaves a tombstone (its id is
 * never reused) and its name is free for a new node. {@link NodesConfiguration#apply} decides on facts gathered here
 * for each attempt of the write — whether the node's process holds a liveness entry and which placements still name
 * it — so a node that restarted, or was placed again, between the request and the write is not removed.
 */
public final class NodeRemoval {

    private final ClusterMetadata metadata;
    private final InstantSource clock;

    public NodeRemoval(ClusterMetadata metadata, InstantSource clock) {
        this.metadata = metadata;
        this.clock = clock;
    }

    /** What a request led to. */
    public sealed interface Outcome {
        /** The reference names no current node ({@link NodeResolution} says why). Nothing was written. */
        record Unresolved(NodeResolution resolution) implements Outcome {}

        /** Removed: {@code node} as it was, and the tombstone it left. */
        record Removed(NodeConfig node, Tombstone tombstone) implements Outcome {}

        /** Refused; nothing was written. */
        record Refused(Refusal refusal) implements Outcome {}
    }

    /** Removes the node {@code nodeReference} names, on behalf of {@code credential}, if it is disabled, stopped and named by no placement. */
    public Outcome remove(String nodeReference, String reason, Optional<CredentialName> credential) {
        NodeResolution resolution = metadata.nodes().current().resolve(nodeReference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return new Outcome.Unresolved(resolution);
        }
        NodeConfig node = found.node();
        NodesConfigurationStore.Update update = metadata.nodes().remove(node.id(), Actor.OPERATOR, reason, current -> factsFor(node.nodeId()),
                credential.orElse(null));
        return switch (update.result()) {
            case ChangeResult.Changed changed -> new Outcome.Removed(node, changed.next().tombstones().stream()
                    .filter(t -> t.id().equals(node.nodeId())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("BUG: " + node.nodeId() + " was removed without a tombstone")));
            case ChangeResult.Unchanged unchanged -> throw new IllegalStateException("BUG: a removal is never a no-op: " + unchanged);
            case ChangeResult.Refused refused -> new Outcome.Refused(refused.refusal());
        };
    }

    private NodesChange.RemovalFacts factsFor(NodeId node) {
        boolean alive = metadata.liveness().read(node).isPresent();
        List<Placement> placements = metadata.placements().readAll().values().stream().map(VersionedPlacement::placement).toList();
        Emptiness emptiness = Emptiness.of(node, placements, Map.of(), new Emptiness.Holding.NotRunning());
        return new NodesChange.RemovalFacts(alive, emptiness.named().size(), emptiness.led().size());
    }
}
