package dev.sluice.model;

import java.util.Objects;

/** What {@link NodesConfiguration#apply} decided. Exactly one of: changed, unchanged, refused. */
public sealed interface ChangeResult {

    /**
     * The change applies: {@code next} is the new configuration (version + 1) and {@code event} is what
     * must be logged with it, in the same write.
     *
     * @param node the node after the change, or {@code null} if it was removed
     */
    record Changed(NodesConfiguration next, NodeConfig node, ClusterEvent event) implements ChangeResult {
        public Changed {
            Objects.requireNonNull(next, "next");
            Objects.requireNonNull(event, "event");
        }
    }

    /**
     * Nothing to write, and that is a success: the node is already in the requested state, or the
     * request's own earlier write is already applied.
     */
    record Unchanged(NodeConfig node, boolean ownEarlierWrite) implements ChangeResult {
        public Unchanged {
            Objects.requireNonNull(node, "node");
        }
    }

    /** The change is refused; nothing may be written. */
    record Refused(Refusal refusal) implements ChangeResult {
        public Refused {
            Objects.requireNonNull(refusal, "refusal");
        }
    }
}
