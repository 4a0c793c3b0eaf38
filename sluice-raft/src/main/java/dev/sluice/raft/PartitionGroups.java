package dev.sluice.raft;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * The one mapping between Sluice's identities and Raft's. A Raft peer id is the plain node id
 * ({@code N3}): the generation is left out because a restarted node must rejoin its groups as the same
 * peer. A Raft group id is a name-based UUID of the cluster name and the partition, so every node derives
 * the same id without asking anyone, and a partition that comes back to a node after it left gets the same
 * group id with empty storage.
 */
public final class PartitionGroups {

    private final String clusterName;
    private final Map<RaftGroupId, PartitionId> partitionsByGroup = new HashMap<>();

    public PartitionGroups(String clusterName) {
        this.clusterName = Objects.requireNonNull(clusterName, "clusterName");
        if (clusterName.isBlank()) {
            throw new IllegalArgumentException("cluster name must not be blank");
        }
    }

    public String clusterName() {
        return clusterName;
    }

    public RaftGroupId groupId(PartitionId partition) {
        UUID uuid = UUID.nameUUIDFromBytes(("sluice/" + clusterName + "/" + partition).getBytes(StandardCharsets.UTF_8));
        return RaftGroupId.valueOf(uuid);
    }

    /**
     * The partition a group id belongs to, if it is one of the first {@code partitionCount} partitions of
     * this cluster; empty for a group this cluster did not create.
     */
    public synchronized Optional<PartitionId> partitionOf(RaftGroupId group, int partitionCount) {
        for (int p = partitionsByGroup.size(); p < partitionCount; p++) {
            PartitionId partition = PartitionId.of(p);
            partitionsByGroup.put(groupId(partition), partition);
        }
        PartitionId partition = partitionsByGroup.get(group);
        return partition != null && partition.value() < partitionCount ? Optional.of(partition) : Optional.empty();
    }

    public static RaftPeerId peerId(NodeId node) {
        return RaftPeerId.valueOf(node.toString());
    }

    /**
     * @throws IllegalArgumentException if the peer id is not a node id
     */
    public static NodeId nodeId(RaftPeerId peer) {
        return NodeId.parse(peer.toString());
    }

    public static RaftPeer peer(NodeConfig node) {
        return RaftPeer.newBuilder().setId(peerId(node.nodeId())).setAddress(node.addresses().raft()).build();
    }

    public RaftGroup group(PartitionId partition, List<NodeConfig> members) {
        return RaftGroup.valueOf(groupId(partition), members.stream().map(PartitionGroups::peer).toList());
    }
}
