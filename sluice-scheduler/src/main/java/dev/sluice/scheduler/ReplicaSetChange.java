package dev.sluice.scheduler;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One partition's next replica set, as the controller should write it. Make-before-break holds for
 * {@code next}: it keeps every member of {@code current} whose replacement could not be found, so a
 * member only leaves in the change that brings its replacement in.
 *
 * <p>For a partition without a placement {@code current} is empty and {@code next} is its initial set,
 * which the controller writes as current directly (there is no data to move yet).
 *
 * @param current the replica set the decision was based on (for a revised change under way, the
 *     placement's current set)
 * @param next the set to move to, in a stable order: a replacement takes the position of the member it
 *     replaces
 * @param preferredLeader the member of {@code current ∩ next} that should lead while and after the
 *     change (any member of {@code next} for an initial set), or {@code null} if no member can
 */
public record ReplicaSetChange(PartitionId partition, List<NodeId> current, List<NodeId> next, NodeId preferredLeader,
        ChangeKind kind) {

    public ReplicaSetChange {
        Objects.requireNonNull(partition, "partition");
        current = List.copyOf(current);
        next = List.copyOf(next);
        Objects.requireNonNull(kind, "kind");
        if (next.isEmpty()) {
            throw new IllegalArgumentException(partition + ": a next replica set must not be empty");
        }
        if (preferredLeader != null && !next.contains(preferredLeader)) {
            throw new IllegalArgumentException(partition + ": preferred leader " + preferredLeader + " is not in " + next);
        }
    }

    /** Members of {@code next} that are not in {@code current}. */
    public List<NodeId> joining() {
        List<NodeId> result = new ArrayList<>(next);
        result.removeAll(current);
        return List.copyOf(result);
    }

    /** Members of {@code current} that are not in {@code next}. */
    public List<NodeId> leaving() {
        List<NodeId> result = new ArrayList<>(current);
        result.removeAll(next);
        return List.copyOf(result);
    }

    @Override
    public String toString() {
        return partition + " " + kind.wireName() + " " + current + " -> " + next + " leader " + preferredLeader;
    }
}
