package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.util.List;

/**
 * One partition replica on one worker, as its Raft division sees itself.
 *
 * @param leader the leader this replica knows of, or {@code null}
 * @param lag how many committed entries this replica has not applied yet, measured against the highest
 *     commit index it knows of in the group (the leader's, on a follower); {@code 0} when caught up
 * @param snapshotIndex the log index of the newest snapshot, or {@code -1}
 * @param firstLogIndex the first index still in the log (above 0 once a snapshot let the log be purged,
 *     or when the replica was caught up by installing a snapshot)
 * @param stateBytes the bytes of application state the replica holds
 * @param configuration the voting members of the group's configuration as this replica knows it
 * @param configurationChanging whether that configuration is the joint one of a membership change in
 *     progress (Raft's transitional configuration: old and new members both vote)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplicaStatus(
        PartitionId partition,
        ReplicaRole role,
        NodeId leader,
        long term,
        long commitIndex,
        long appliedIndex,
        long lag,
        long snapshotIndex,
        long firstLogIndex,
        long stateBytes,
        List<NodeId> configuration,
        boolean configurationChanging) {

    public ReplicaStatus {
        configuration = Lists.copyOrEmpty(configuration);
    }
}
