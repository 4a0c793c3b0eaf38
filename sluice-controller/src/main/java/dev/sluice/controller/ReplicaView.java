package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import java.util.List;
import java.util.Objects;

/**
 * One partition replica as the node hosting it sees it.
 *
 * @param leader the leader this replica knows of, or {@code null}
 * @param configuration the group's committed voting members as this replica knows them
 * @param configurationChanging whether a membership change is under way in the group
 */
public record ReplicaView(
        PartitionId partition,
        ReplicaRole role,
        NodeId leader,
        long term,
        List<NodeId> configuration,
        boolean configurationChanging,
        long appliedIndex) {

    public ReplicaView {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(role, "role");
        configuration = configuration == null ? List.of() : List.copyOf(configuration);
    }
}
