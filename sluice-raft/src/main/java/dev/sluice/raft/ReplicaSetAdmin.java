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
 * callers and is thread-safe; every call is <b>blocking, makes one attempt, and has an explicit timeout</b>:
 * retrying, backing off and choosing another target are the caller's decisions, made on the typed
 * {@link MoveFailure} every failure carries. The per-group
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
 *   <li>{@link #setConfiguration} does not add back a member the leader still replicates to though its
 *       configuration no longer has it ({@link MoveFailure.StaleFollower}): Ratis 3.3.0 leaves such a leader
 *       (one elected on a joint configuration), and the change would wedge every later one until it steps down.
 *   <li>Both {@link #transferLeadership} and {@link #setConfiguration} are idempotent: asking for the
 *       leader or configuration the group already has succeeds without changing anything.
 * </ul>
 */
public final class ReplicaSetAdmin implements AutoCloseable {

    /** How long reading one member's view may take; an unreachable member answers empty after it. */
    public static final Duration DEFAULT_RPC_TIMEOUT = Duration.ofSeconds(3);
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
        this(clusterName, rpcTimeout, RaftTls.PLAINTEXT);
    }

    /** @param tls how the calls to the workers' Raft ports are secured: with TLS, this admin presents {@code tls}'s certificate */
    public ReplicaSetAdmin(String clusterName, Duration rpcTimeout, RaftTls tls) {
        this.groups = new PartitionGroups(clusterName);
        this.rpcTimeout = rpcTimeout;
        GrpcFactory factory = new GrpcFactory(tls.parameters());
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
        return new GroupView(member, partition, ReplicaRoles.of(role.getRole(), inConfiguration), leader, term, configuration, previous,
                reply.getLogInfoProto().getCommitted().getIndex(), reply.getLogInfoProto().getApplied().getIndex(),
                reply.getLogInfoProto().hasLastSnapshot() ? reply.getLogInfoProto().getLastSnapshot().getIndex() : -1, commits);
    }

    /**
     * Makes {@code target} the leader of {@code partition}'s group: one attempt, which returns once the
     * target leads or fails with the reason. The caller decides whether and where to try again — a transfer
     * that failed towards one target should not simply be repeated towards the same one.
     *
     * @param members the group's members (at least the current leader and the target)
     * @param leaderHint the member believed to lead, asked first (saves asking every member), or {@code null}
     * @param timeout how long the target may take to win its election: of the order of an election timeout,
     *     since a target that is down never does
     * @throws ReplicaSetAdminException with the {@link MoveFailure}: another transfer for the partition is
     *     pending, no member leads, the target is not a voting member, or the transfer failed or timed out
     */
    public void transferLeadership(PartitionId partition, List<NodeConfig> members, NodeId leaderHint, NodeId target, Duration timeout) {
        requireOpen();
        NodeId pending = pendingTransfers.putIfAbsent(partition, target);
        if (pending != null) {
            // Ratis fails a second transfer and may leave the first stuck, so it is never re-sent.
            throw new ReplicaSetAdminException(partition, new MoveFailure.ReconfigurationInProgress(pending), null);
        }
        try {
            GroupView leader = requireLeader(partition, members, leaderHint);
            if (leader.member().equals(target)) {
                return;
            }
            if (!leader.configuration().contains(target)) {
                throw new ReplicaSetAdminException(partition, new MoveFailure.TargetNotVoter(target, leader.configuration()), null);
            }
            String operation = "leadership transfer to " + target;
            try {
                RaftClient client = client(partition, peers(members), PartitionGroups.peerId(leader.member()), longRpc);
                RaftClientReply reply = client.admin().transferLeadership(PartitionGroups.peerId(target), timeout.toMillis());
                if (!reply.isSuccess()) {
                    throw failed(partition, reply.getException(), leader.member(), operation, timeout);
                }
            } catch (IOException | RuntimeException failure) {
                throw failed(partition, failure, leader.member(), operation, timeout);
            }
        } finally {
            pendingTransfers.remove(partition, target);
        }
    }

    /** Compatibility form without a leader hint: asks every member who leads. */
    public void transferLeadership(PartitionId partition, List<NodeConfig> members, NodeId target, Duration timeout) {
        transferLeadership(partition, members, null, target, timeout);
    }

    /**
     * Makes {@code leader} step down as the leader of {@code partition}'s group; the members then elect a
     * leader again. Ratis keeps a configuration change in progress while it stages a new member, and it
     * gives up on a member that stopped answering only when the group has been idle for a whole election
     * timeout — never while clients write. Every later change, and every transfer to a named member, is
     * refused meanwhile. A leader that steps down drops what it was staging (nothing of it is in the log),
     * and its pending change fails with not-leader: the one way out, at the cost of one election.
     *
     * @throws ReplicaSetAdminException with the {@link MoveFailure}: {@code leader} does not lead, or the
     *     step-down failed or timed out
     */
    public void stepDown(PartitionId partition, List<NodeConfig> members, NodeId leader, Duration timeout) {
        requireOpen();
        NodeConfig leaderConfig = members.stream().filter(member -> member.nodeId().equals(leader)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(partition + ": " + leader + " is not among the members " + members));
        GroupView view = groupView(leaderConfig, partition).orElseThrow(() -> new ReplicaSetAdminException(partition,
                new MoveFailure.NotLeader(leader, null), null));
        if (!view.isLeader()) {
            throw new ReplicaSetAdminException(partition, new MoveFailure.NotLeader(leader, view.leader()), null);
        }
        String operation = "step-down of " + leader;
        try {
            RaftClient client = client(partition, peers(members), PartitionGroups.peerId(leader), longRpc);
            RaftClientReply reply = client.admin().transferLeadership(null, timeout.toMillis());
            if (!reply.isSuccess()) {
                throw failed(partition, reply.getException(), leader, operation, timeout);
            }
        } catch (IOException | RuntimeException failure) {
            throw failed(partition, failure, leader, operation, timeout);
        }
    }

    /**
     * Changes {@code partition}'s group configuration to exactly {@code newMembers}: one attempt, which
     * returns once the new configuration is committed. Ratis stages members that are not in the
     * configuration yet until they have caught up (snapshot plus log), then commits the joint and the new
     * configuration. Asking for the configuration the group already has succeeds at once if it is
     * committed and stable, and fails with {@link MoveFailure.ReconfigurationInProgress} while it is not.
     *
     * @param currentMembers the members now (where to find the leader)
     * @param leaderHint the member believed to lead, asked first, or {@code null}
     * @throws ReplicaSetAdminException with the {@link MoveFailure}: a new member does not host the group,
     *     no member leads, the leader must step down before it can take the member back
     *     ({@link MoveFailure.StaleFollower}), or the change failed
     */
    public void setConfiguration(PartitionId partition, List<NodeConfig> currentMembers, NodeId leaderHint, List<NodeConfig> newMembers,
            Duration timeout) {
        requireOpen();
        if (newMembers.isEmpty()) {
            throw new IllegalArgumentException(partition + ": a group cannot be configured without members");
        }
        List<NodeConfig> everyone = union(currentMembers, newMembers);
        GroupView leader = requireLeader(partition, everyone, leaderHint);
        if (newMembers.stream().noneMatch(member -> member.nodeId().equals(leader.member()))) {
            throw new ReplicaSetAdminException(partition, new MoveFailure.LeaderLeaving(leader.member(),
                    newMembers.stream().map(NodeConfig::nodeId).sorted().toList()), null);
        }
        Optional<NodeId> stale = replicatedJoiner(leader, newMembers);
        if (stale.isPresent()) {
            // Either the leader stages that member for a change already under way (then this change is refused as in
            // progress), or Ratis left it an appender for a member that left (StaleFollower): a change adding that
            // member would fail after Ratis registered it, and every later change with it, until the leader steps down.
            requireNoChangeInProgress(partition, leader, everyone, timeout);
            throw new ReplicaSetAdminException(partition, new MoveFailure.StaleFollower(leader.member(), stale.get()), null);
        }
        // Only members the group does not have yet must host it (Ratis hangs a change whose new peer has no
        // division); a member it keeps may be down, as long as a majority runs.
        for (NodeConfig member : newMembers) {
            if (!leader.configuration().contains(member.nodeId()) && groupView(member, partition).isEmpty()) {
                throw new ReplicaSetAdminException(partition, new MoveFailure.MemberNotHosting(member.nodeId()), null);
            }
        }
        Set<NodeId> wanted = new TreeSet<>(newMembers.stream().map(NodeConfig::nodeId).toList());
        String operation = "configuration change to " + wanted;
        try {
            RaftClient client = client(partition, peers(everyone), PartitionGroups.peerId(leader.member()), longRpc);
            RaftClientReply reply = client.admin().setConfiguration(peers(newMembers));
            if (!reply.isSuccess()) {
                throw failed(partition, reply.getException(), leader.member(), operation, timeout);
            }
        } catch (IOException | RuntimeException failure) {
            throw failed(partition, failure, leader.member(), operation, timeout);
        }
    }

    /**
     * A member {@code newMembers} adds that the leader already replicates to: its commit infos list every member it
     * has a log appender for. Only a stable configuration is judged; during a joint one the old members are
     * replicated to by right (and Ratis refuses changes then anyway).
     */
    private static Optional<NodeId> replicatedJoiner(GroupView leader, List<NodeConfig> newMembers) {
        if (!leader.configurationStable()) {
            return Optional.empty();
        }
        return newMembers.stream().map(NodeConfig::nodeId)
                .filter(member -> !leader.configuration().contains(member))
                .filter(leader.memberCommitIndex()::containsKey)
                .sorted().findFirst();
    }

    /**
     * Asks the leader for the configuration it has, which changes nothing: Ratis refuses it while it stages a new
     * member (checked before it compares the configurations) and otherwise succeeds at once without registering a
     * change. Not asked if {@code known} lacks a member of the leader's configuration.
     *
     * @throws ReplicaSetAdminException with {@link MoveFailure.ReconfigurationInProgress} while a change is staged, or
     *     why the request failed
     */
    private void requireNoChangeInProgress(PartitionId partition, GroupView leader, List<NodeConfig> known, Duration timeout) {
        Map<NodeId, NodeConfig> byId = new HashMap<>();
        known.forEach(node -> byId.put(node.nodeId(), node));
        if (!byId.keySet().containsAll(leader.configuration())) {
            // Without every member's address the request cannot name the configuration. The caller then has the leader
            // step down, which is safe either way: a change it was staging is dropped and asked for again.
            return;
        }
        List<NodeConfig> current = leader.configuration().stream().map(byId::get).toList();
        String operation = "configuration check " + leader.configuration();
        try {
            RaftClient client = client(partition, peers(known), PartitionGroups.peerId(leader.member()), longRpc);
            RaftClientReply reply = client.admin().setConfiguration(peers(current));
            if (!reply.isSuccess()) {
                throw failed(partition, reply.getException(), leader.member(), operation, timeout);
            }
        } catch (IOException | RuntimeException failure) {
            throw failed(partition, failure, leader.member(), operation, timeout);
        }
    }

    /** Compatibility form without a leader hint: asks every member who leads. */
    public void setConfiguration(PartitionId partition, List<NodeConfig> currentMembers, List<NodeConfig> newMembers, Duration timeout) {
        setConfiguration(partition, currentMembers, null, newMembers, timeout);
    }

    /** The hinted member's view if it leads, else the view of whichever member leads in the highest term. */
    private GroupView requireLeader(PartitionId partition, List<NodeConfig> members, NodeId leaderHint) {
        if (leaderHint != null) {
            Optional<NodeConfig> hinted = members.stream().filter(m -> m.nodeId().equals(leaderHint)).findFirst();
            Optional<GroupView> view = hinted.flatMap(member -> groupView(member, partition)).filter(GroupView::isLeader);
            if (view.isPresent()) {
                return view.get();
            }
        }
        return leaderView(partition, members).orElseThrow(() -> new ReplicaSetAdminException(partition,
                new MoveFailure.NoLeader(members.stream().map(NodeConfig::nodeId).toList()), null));
    }

    private static ReplicaSetAdminException failed(PartitionId partition, Throwable failure, NodeId asked, String operation, Duration deadline) {
        if (failure instanceof ReplicaSetAdminException already) {
            return already;
        }
        return new ReplicaSetAdminException(partition, RatisFailures.classify(failure, asked, operation, deadline), failure);
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
                throw failed(partition, reply.getException(), member.nodeId(), "snapshot", timeout);
            }
            return reply.getLogIndex();
        } catch (IOException failure) {
            throw failed(partition, failure, member.nodeId(), "snapshot", timeout);
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
}
