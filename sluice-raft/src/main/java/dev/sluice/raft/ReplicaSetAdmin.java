package dev.sluice.raft;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;

/**
 * The Raft administration the controller drives a replica-set change with: read a member's view of a
 * group, move leadership, change the configuration, take a snapshot. One instance is shared by all
 * callers and is thread-safe; every call is <b>blocking with an explicit timeout</b>. The per-group
 * Ratis clients it builds are cheap wrappers over two shared RPC layers — one with a short timeout for
 * views, one that waits up to {@link #MAX_OPERATION_TIMEOUT} for operations — so a pass over many
 * groups reuses the same connections instead of opening new ones for every call.
 *
 * <p>Pitfalls handled here, so callers need not know them:
 * <ul>
 *   <li>{@link #setConfiguration} checks first that every new member hosts the group: Ratis hangs a
 *       configuration change whose new peer has no division for it. The worker creates it when the
 *       placement's next set names the node.
 *   <li>A leadership transfer is never re-sent while one for the same partition is pending (Ratis fails
 *       the second and may leave the first stuck): a second caller gets an error at once.
 *   <li>Both {@link #transferLeadership} and {@link #setConfiguration} are idempotent: asking for the
 *       leader or configuration the group already has succeeds without changing anything.
 * </ul>
 */
public final class ReplicaSetAdmin implements AutoCloseable {

    /** How long reading one member's view may take; an unreachable member answers empty after it. */
    public static final Duration DEFAULT_RPC_TIMEOUT = Duration.ofSeconds(3);
    /** Wait between attempts of a transfer or configuration change that met a transient refusal. */
    static final Duration RETRY_PAUSE = Duration.ofMillis(200);

    /**
     * The longest a leadership transfer or configuration change may be given: the RPC layer of such calls
     * waits this long for a reply, so it never gives up (and never re-sends) before the operation's own timeout.
     */
    public static final Duration MAX_OPERATION_TIMEOUT = Duration.ofMinutes(10);

    private final PartitionGroups groups;
    private final Duration rpcTimeout;
    /** For quick reads of a member's view: gives up after the rpc timeout. */
    private final RaftClientRpc shortRpc;
    /** For operations that take as long as they take, up to {@link #MAX_OPERATION_TIMEOUT}. */
    private final RaftClientRpc longRpc;
    private final Map<PartitionId, NodeId> pendingTransfers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public ReplicaSetAdmin(String clusterName) {
        this(clusterName, DEFAULT_RPC_TIMEOUT);
    }

    public ReplicaSetAdmin(String clusterName, Duration rpcTimeout) {
        this.groups = new PartitionGroups(clusterName);
        this.rpcTimeout = rpcTimeout;
        GrpcFactory factory = new GrpcFactory(new Parameters());
        this.shortRpc = factory.newRaftClientRpc(ClientId.randomId(), RatisSettings.clientProperties(rpcTimeout));
        this.longRpc = factory.newRaftClientRpc(ClientId.randomId(), RatisSettings.clientProperties(MAX_OPERATION_TIMEOUT));
    }

    /**
     * {@code member}'s view of {@code partition}'s group.
     *
     * @return empty if the member does not host the group or cannot be reached within the rpc timeout
     */
    public Optional<GroupView> groupView(NodeConfig member, PartitionId partition) {
        requireOpen();
        RaftPeer peer = PartitionGroups.peer(member);
        try {
            RaftClient client = client(partition, List.of(peer), (RaftPeerId) null, shortRpc);
            GroupInfoReply reply = client.getGroupManagementApi(peer.getId()).info(groups.groupId(partition));
            if (!reply.isSuccess()) {
                return Optional.empty();
            }
            return Optional.of(view(member.nodeId(), partition, reply));
        } catch (IOException | RuntimeException unreachableOrAbsent) {
            return Optional.empty();
        }
    }

    private static GroupView view(NodeId member, PartitionId partition, GroupInfoReply reply) {
        RoleInfoProto role = reply.getRoleInfoProto();
        List<NodeId> configuration = new ArrayList<>();
        List<NodeId> previous = new ArrayList<>();
        reply.getConf().ifPresent(conf -> {
            conf.getPeersList().forEach(p -> configuration.add(nodeId(p)));
            conf.getOldPeersList().forEach(p -> previous.add(nodeId(p)));
        });
        configuration.sort(null);
        previous.sort(null);
        NodeId leader = null;
        long term = reply.getLogInfoProto().getLastEntry().getTerm();
        switch (role.getRole()) {
            case LEADER -> {
                leader = member;
                term = role.getLeaderInfo().getTerm();
            }
            case FOLLOWER, LISTENER -> {
                if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo() && role.getFollowerInfo().getLeaderInfo().hasId()) {
                    String id = role.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8();
                    leader = id.isEmpty() ? null : NodeId.parse(id);
                }
            }
            case CANDIDATE, UNRECOGNIZED -> { }
        }
        Map<NodeId, Long> commits = new HashMap<>();
        for (CommitInfoProto info : reply.getCommitInfos()) {
            commits.put(nodeId(info.getServer()), info.getCommitIndex());
        }
        boolean inConfiguration = configuration.contains(member) || previous.contains(member);
        return new GroupView(member, partition, ReplicaRole.of(role.getRole(), inConfiguration), leader, term, configuration, previous,
                reply.getLogInfoProto().getCommitted().getIndex(), reply.getLogInfoProto().getApplied().getIndex(),
                reply.getLogInfoProto().hasLastSnapshot() ? reply.getLogInfoProto().getLastSnapshot().getIndex() : -1, commits);
    }

    /**
     * Makes {@code target} the leader of {@code partition}'s group and waits until it is.
     *
     * @param members the group's members (at least the current leader and the target)
     * @throws ReplicaSetAdminException if a transfer for the partition is already pending, the target is not
     *     a voting member, or it did not become leader within {@code timeout}
     */
    public void transferLeadership(PartitionId partition, List<NodeConfig> members, NodeId target, Duration timeout) {
        requireOpen();
        NodeId pending = pendingTransfers.putIfAbsent(partition, target);
        if (pending != null) {
            throw new ReplicaSetAdminException(partition, "a leadership transfer to " + pending + " is still pending; wait for it instead of re-sending", null);
        }
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            String lastProblem = "no attempt made";
            Throwable lastFailure = null;
            while (System.nanoTime() < deadline) {
                Optional<GroupView> leader = leaderView(partition, members);
                if (leader.isPresent() && leader.get().member().equals(target)) {
                    return;
                }
                if (leader.isEmpty()) {
                    lastProblem = "no member reports itself leader";
                    pause(RETRY_PAUSE);
                    continue;
                }
                if (!leader.get().configuration().contains(target)) {
                    throw new ReplicaSetAdminException(partition, target + " is not a voting member of the group (configuration "
                            + leader.get().configuration() + "); change the configuration first", null);
                }
                Duration remaining = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                // The client's own timeout outlives the transfer's, so it never re-sends a pending transfer.
                try {
                    RaftClient client = client(partition, peers(members), PartitionGroups.peerId(leader.get().member()), longRpc);
                    RaftClientReply reply = client.admin().transferLeadership(PartitionGroups.peerId(target), remaining.toMillis());
                    if (reply.isSuccess()) {
                        return;
                    }
                    lastProblem = String.valueOf(reply.getException());
                } catch (IOException | RuntimeException failed) {
                    lastFailure = failed;
                    lastProblem = failed.toString();
                }
                pause(RETRY_PAUSE);
            }
            throw new ReplicaSetAdminException(partition, "leadership did not move to " + target + " within " + timeout + "; last problem: " + lastProblem, lastFailure);
        } finally {
            pendingTransfers.remove(partition, target);
        }
    }

    /**
     * Changes {@code partition}'s group configuration to exactly {@code newMembers} and waits until the new
     * configuration is committed. Ratis stages members that are not in the configuration yet until they
     * have caught up (snapshot plus log), then commits the joint and the new configuration. Asking for the
     * configuration the group already has succeeds at once.
     *
     * @param currentMembers the members now (where to find the leader)
     * @throws ReplicaSetAdminException if a new member does not host the group yet, or the change is not
     *     committed within {@code timeout}
     */
    public void setConfiguration(PartitionId partition, List<NodeConfig> currentMembers, List<NodeConfig> newMembers, Duration timeout) {
        requireOpen();
        if (newMembers.isEmpty()) {
            throw new IllegalArgumentException(partition + ": a group cannot be configured without members");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<NodeId> wanted = new TreeSet<>(newMembers.stream().map(NodeConfig::nodeId).toList());
        List<NodeConfig> everyone = union(currentMembers, newMembers);
        // Only members the group does not have yet must host it (Ratis hangs a change whose new peer has no
        // division); a member it keeps may be down, as long as a majority runs.
        Set<NodeId> configured = leaderView(partition, everyone).map(view -> (Set<NodeId>) new TreeSet<>(view.configuration())).orElse(Set.of());
        for (NodeConfig member : newMembers) {
            if (!configured.contains(member.nodeId()) && groupView(member, partition).isEmpty()) {
                throw new ReplicaSetAdminException(partition, member.nodeId() + " does not host the group (or is unreachable); write the placement's"
                        + " next set and wait until the worker has created it, or Ratis would hang the change", null);
            }
        }
        String lastProblem = "no attempt made";
        Throwable lastFailure = null;
        while (System.nanoTime() < deadline) {
            Optional<GroupView> leader = leaderView(partition, everyone);
            if (leader.isEmpty()) {
                lastProblem = "no member reports itself leader";
                pause(RETRY_PAUSE);
                continue;
            }
            // Sent even when the leader already shows the wanted configuration: Ratis answers at once if it is
            // committed and stable, and refuses (reconfiguration in progress) while it is not yet.
            try {
                RaftClient client = client(partition, peers(everyone), PartitionGroups.peerId(leader.get().member()), longRpc);
                RaftClientReply reply = client.admin().setConfiguration(peers(newMembers));
                if (reply.isSuccess()) {
                    return;
                }
                lastProblem = String.valueOf(reply.getException());
            } catch (IOException | RuntimeException failed) {
                // ReconfigurationInProgress (our own earlier attempt finishing), NotLeader, stepping down: retry.
                lastFailure = failed;
                lastProblem = failed.toString();
            }
            pause(RETRY_PAUSE);
        }
        throw new ReplicaSetAdminException(partition, "configuration did not become " + wanted + " within " + timeout + "; last problem: " + lastProblem,
                lastFailure);
    }

    /**
     * Asks {@code member} to take a snapshot of its replica now (and purge its log below it).
     *
     * @return the snapshot's log index
     * @throws ReplicaSetAdminException if it fails or times out
     */
    public long takeSnapshot(PartitionId partition, NodeConfig member, Duration timeout) {
        requireOpen();
        RaftPeer peer = PartitionGroups.peer(member);
        try {
            RaftClient client = client(partition, List.of(peer), peer.getId(), longRpc);
            RaftClientReply reply = client.getSnapshotManagementApi(peer.getId()).create(timeout.toMillis());
            if (!reply.isSuccess()) {
                throw new ReplicaSetAdminException(partition, "snapshot on " + member.nodeId() + " failed: " + reply.getException(), reply.getException());
            }
            return reply.getLogIndex();
        } catch (IOException failed) {
            throw new ReplicaSetAdminException(partition, "snapshot on " + member.nodeId() + " failed: " + failed, failed);
        }
    }

    /** The view of the member that reports itself leader with the highest term, if any. */
    public Optional<GroupView> leaderView(PartitionId partition, List<NodeConfig> members) {
        return members.stream()
                .map(member -> groupView(member, partition))
                .flatMap(Optional::stream)
                .filter(GroupView::isLeader)
                .max(Comparator.comparingLong(GroupView::term));
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(shortRpc);
        closeQuietly(longRpc);
    }

    private static void closeQuietly(RaftClientRpc rpc) {
        try {
            rpc.close();
        } catch (IOException | RuntimeException e) {
            // Closing; nothing left to do with it.
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the replica-set admin is closed");
        }
    }

    /**
     * A client for one call. Clients share this admin's two RPC layers, so their gRPC connections to the
     * workers are made once instead of for every call (which cost hundreds of milliseconds per step of a
     * move). Such a client is not closed: closing would close the shared RPC layer, and it holds nothing
     * else.
     */
    private RaftClient client(PartitionId partition, List<RaftPeer> peers, RaftPeerId leader, RaftClientRpc rpc) {
        RaftClient.Builder builder = RaftClient.newBuilder()
                .setRaftGroup(RaftGroup.valueOf(groups.groupId(partition), peers))
                .setProperties(RatisSettings.clientProperties(rpc == shortRpc ? rpcTimeout : MAX_OPERATION_TIMEOUT))
                .setClientRpc(rpc)
                .setRetryPolicy(RetryPolicies.noRetry());
        if (leader != null) {
            builder.setLeaderId(leader);
        }
        return builder.build();
    }

    private static List<RaftPeer> peers(List<NodeConfig> members) {
        return members.stream().map(PartitionGroups::peer).toList();
    }

    private static List<NodeConfig> union(List<NodeConfig> first, List<NodeConfig> second) {
        Map<NodeId, NodeConfig> all = new LinkedHashMap<>();
        first.forEach(node -> all.put(node.nodeId(), node));
        second.forEach(node -> all.putIfAbsent(node.nodeId(), node));
        return List.copyOf(all.values());
    }

    private static NodeId nodeId(RaftPeerProto peer) {
        return NodeId.parse(peer.getId().toStringUtf8());
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", interrupted);
        }
    }
}
