package dev.sluice.model;

import java.util.Objects;

/** What {@link NodesConfiguration#apply} decided. Exactly one of: changed, unchanged, refused. */
public sealed interface ChangeResult {

    /**
     * The change applies: {@code next} is the new configuration (version + 1) and {@code event} is what
     * must be logged with it, in the same write.
     *
     * @param node the node after the change, or {@code null} if it was removed; for a change of several
     *     workers, the first of them
     * @param moreEvents further events written in the same commit, in order: the other workers' transitions of a
     *     change of several workers (each with its audit record, all of the one version {@code next} has), and
     *     what the change as a whole says
     */
    record Changed(NodesConfiguration next, NodeConfig node, ClusterEvent event, java.util.List<ClusterEvent> moreEvents) implements ChangeResult {
        public Changed {
            Objects.requireNonNull(next, "next");
            Objects.requireNonNull(event, "event");
            moreEvents = moreEvents == null ? java.util.List.of() : java.util.List.copyOf(moreEvents);
        }

        /** A change with one event. */
        public Changed(NodesConfiguration next, NodeConfig node, ClusterEvent event) {
            this(next, node, event, java.util.List.of());
        }

        /** Every event of the change, in the order they are written. */
        public java.util.List<ClusterEvent> events() {
            java.util.List<ClusterEvent> all = new java.util.ArrayList<>();
            all.add(event);
            all.addAll(moreEvents);
            return all;
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
