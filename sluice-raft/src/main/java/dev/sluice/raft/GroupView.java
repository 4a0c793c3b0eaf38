package dev.sluice.raft;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import java.util.List;
import java.util.Map;

/**
 * One member's view of a partition's Raft group, as {@link ReplicaSetAdmin#groupView} reads it over Raft.
 *
 * @param leader the leader the member knows of, or {@code null}
 * @param term the member's current term (the leader's term when asked of the leader; otherwise the term
 *     of its last log entry)
 * @param configuration the voting members of the member's current configuration
 * @param previousConfiguration the old members while a joint configuration is in progress; empty when stable
 * @param memberCommitIndex each member's commit index as this member knows it: when asked of the leader,
 *     how far each follower has got (its match index as of the follower's last reply)
 */
public record GroupView(
        NodeId member,
        PartitionId partition,
        ReplicaRole role,
        NodeId leader,
        long term,
        List<NodeId> configuration,
        List<NodeId> previousConfiguration,
        long commitIndex,
        long appliedIndex,
        long snapshotIndex,
        Map<NodeId, Long> memberCommitIndex) {

    public GroupView {
        configuration = List.copyOf(configuration);
        previousConfiguration = List.copyOf(previousConfiguration);
        memberCommitIndex = Map.copyOf(memberCommitIndex);
    }

    public boolean isLeader() {
        return role == ReplicaRole.LEADER;
    }

    /** No configuration change is in progress. */
    public boolean configurationStable() {
        return previousConfiguration.isEmpty();
    }
}
