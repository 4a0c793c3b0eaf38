package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.Actor;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.CredentialName;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.Refusal;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Operator-requested cordons: marking a worker so that it receives no new replica or leadership, and lifting the
 * mark. Nothing to check beyond the nodes configuration — a cordon moves nothing, so it cannot cost a partition
 * its majority — and any node can serve it; the scheduler acts on the stored mark on its next pass.
 */
public final class CordonRequests {

    private final ClusterMetadata metadata;
    private final InstantSource clock;

    public CordonRequests(ClusterMetadata metadata, InstantSource clock) {
        this.metadata = metadata;
        this.clock = clock;
    }

    /** What a request led to. */
    public sealed interface Outcome {
        /** The reference names no current node ({@link NodeResolution} says why). Nothing was written. */
        record Unresolved(NodeResolution resolution) implements Outcome {}

        /** Applied ({@code changed}), or already in place. */
        record Done(NodeConfig node, boolean changed) implements Outcome {}

        /** Refused; nothing was written. */
        record Refused(Refusal refusal) implements Outcome {}
    }

    /** Cordons the node {@code nodeReference} names, on behalf of {@code credential}; a cordoned node is a no-op success. */
    public Outcome cordon(String nodeReference, String reason, Optional<CredentialName> credential) {
        NodeResolution resolution = metadata.nodes().current().resolve(nodeReference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return new Outcome.Unresolved(resolution);
        }
        String requestId = UUID.randomUUID().toString();
        return outcome(metadata.nodes().update(current -> new NodesChange.CordonNode(found.node().id(), Actor.OPERATOR, reason, requestId,
                clock.instant(), credential.orElse(null)), List.of()));
    }

    /** Lifts the cordon of the node {@code nodeReference} names; a node without one is a no-op success. */
    public Outcome uncordon(String nodeReference, Optional<CredentialName> credential) {
        NodeResolution resolution = metadata.nodes().current().resolve(nodeReference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return new Outcome.Unresolved(resolution);
        }
        return outcome(metadata.nodes().update(current -> new NodesChange.UncordonNode(found.node().nodeId(), Actor.OPERATOR, clock.instant(),
                credential.orElse(null)), List.of()));
    }

    private static Outcome outcome(NodesConfigurationStore.Update update) {
        return switch (update.result()) {
            case ChangeResult.Changed changed -> new Outcome.Done(changed.node(), true);
            case ChangeResult.Unchanged unchanged -> new Outcome.Done(unchanged.node(), false);
            case ChangeResult.Refused refused -> new Outcome.Refused(refused.refusal());
        };
    }
}
