package dev.sluice.worker;

import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.ReplicaRoles;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.DiskStatus;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.wire.ShutdownStatus;
import dev.sluice.wire.WorkerStatus;
import dev.sluice.worker.GroupHost.GroupState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.SnapshotInfo;

/**
 * What the worker reports: its {@link WorkerStatus}, each replica's Raft status, the partitions it holds
 * and the routing hints it serves. Owns nothing; it reads the other parts.
 *
 * <p>One rule for "a replica here": the server lists the group, its state is {@link GroupState#hosted()},
 * and no removal of it is under way. A group being removed is reported under {@code removals} instead,
 * and a broken one in neither list: it is being repaired. While the Raft server is suspended for a critical
 * disk, the groups on disk are the replicas, reported as placeholders ({@code staging}, no details), as
 * for a division still starting: their data is here and they come back when the server starts again.
 */
final class StatusReporter {

    private final WorkerConfig config;
    private final PartitionGroups groups;
    private final NodeIdentity identity;
    private final WarmUp warmUp;
    private final ReconcileLoop placements;
    private final GroupHost host;
    private final GroupReconciler reconciler;
    private final Supplier<RaftServer> server;
    private final BooleanSupplier ready;
    private final BooleanSupplier suspended;
    private final Supplier<DiskStatus> disk;
    private final Supplier<ClientWindow> clients;
    private final Supplier<ShutdownStatus> shutdown;

    StatusReporter(WorkerConfig config, PartitionGroups groups, NodeIdentity identity, WarmUp warmUp, ReconcileLoop placements, GroupHost host,
            GroupReconciler reconciler, Supplier<RaftServer> server, BooleanSupplier ready, BooleanSupplier suspended, Supplier<DiskStatus> disk,
            Supplier<ClientWindow> clients, Supplier<ShutdownStatus> shutdown) {
        this.config = config;
        this.groups = groups;
        this.identity = identity;
        this.warmUp = warmUp;
        this.placements = placements;
        this.host = host;
        this.reconciler = reconciler;
        this.server = server;
        this.ready = ready;
        this.suspended = suspended;
        this.disk = disk;
        this.clients = clients;
        this.shutdown = shutdown;
    }

    /** The partitions with a replica here: listed, hosted and not being removed. */
    Set<PartitionId> replicas() {
        Set<PartitionId> removing = reconciler.removing();
        Set<PartitionId> replicas = new TreeSet<>();
        if (suspended.getAsBoolean()) {
            host.groupsOnDisk().stream().filter(partition -> !removing.contains(partition)).forEach(replicas::add);
            return replicas;
        }
        host.groups().forEach((partition, state) -> {
            if (state.hosted() && !removing.contains(partition)) {
                replicas.add(partition);
            }
        });
        return replicas;
    }

    /** Replicas and removals: everything whose data is still on this node, as far as the worker knows. */
    Set<PartitionId> hostedPartitions() {
        Set<PartitionId> hosted = replicas();
        reconciler.removals().forEach(removal -> hosted.add(removal.partition()));
        return hosted;
    }

    WorkerStatus status() {
        NodeConfig mine = identity.self();
        List<ReplicaStatus> replicas = new ArrayList<>();
        RaftServer current = server.get();
        if (current != null) {
            for (PartitionId partition : replicas()) {
                replicas.add(replicaStatus(current, partition));
            }
        } else if (suspended.getAsBoolean()) {
            replicas().forEach(partition -> replicas.add(placeholder(partition)));
        }
        return new WorkerStatus(config.nodeName(), mine == null ? null : mine.id(), mine == null ? null : mine.workerState(), ready.getAsBoolean(),
                warmUp.results(), identity.superseded() ? "superseded by a newer process of this node" : warmUp.activation(),
                identity.nodes().version().value(), replicas, reconciler.removals(), config.clock().instant(), disk.get(), clients.get(),
                shutdown.get(), placements.load(), placements.routingLoad());
    }

    Optional<ReplicaStatus> replicaStatus(PartitionId partition) {
        RaftServer current = server.get();
        if (current == null) {
            return suspended.getAsBoolean() && replicas().contains(partition) ? Optional.of(placeholder(partition)) : Optional.empty();
        }
        return replicas().contains(partition) ? Optional.of(replicaStatus(current, partition)) : Optional.empty();
    }

    /** A replica hosted here whose division's details cannot be read: starting, or its server suspended. */
    private static ReplicaStatus placeholder(PartitionId partition) {
        return new ReplicaStatus(partition, ReplicaRole.STAGING, null, 0, 0, 0, 0, -1, 0, 0, List.of(), false);
    }

    private ReplicaStatus replicaStatus(RaftServer current, PartitionId partition) {
        try {
            return describe(current, partition, current.getDivision(groups.groupId(partition)));
        } catch (IOException | IllegalStateException | NullPointerException starting) {
            // Ratis initialises a new division's log, state machine updater and role asynchronously, and a
            // group can go between the listing and here. The controller waits for the replica to exist; its
            // details follow on the next report.
            return placeholder(partition);
        }
    }

    private static ReplicaStatus describe(RaftServer current, PartitionId partition, RaftServer.Division division) {
        DivisionInfo info = division.getInfo();
        RaftConfiguration conf = division.getRaftConf();
        List<NodeId> members = conf.getCurrentPeers().stream().map(peer -> PartitionGroups.nodeId(peer.getId())).sorted().toList();
        boolean inConfiguration = conf.getCurrentPeers().stream().anyMatch(peer -> peer.getId().equals(current.getId()))
                || conf.getPreviousPeers().stream().anyMatch(peer -> peer.getId().equals(current.getId()));
        long commit = division.getRaftLog().getLastCommittedIndex();
        long applied = info.getLastAppliedIndex();
        long groupCommit = Math.max(commit, division.getCommitInfos().stream().mapToLong(CommitInfoProto::getCommitIndex).max().orElse(commit));
        SnapshotInfo snapshot = division.getStateMachine().getLatestSnapshot();
        long stateBytes = division.getStateMachine() instanceof PartitionStateMachine machine ? machine.stateBytes() : 0;
        RaftPeerId leaderId = info.getLeaderId();
        return new ReplicaStatus(partition, ReplicaRoles.of(info.getCurrentRole(), inConfiguration),
                leaderId == null ? null : PartitionGroups.nodeId(leaderId), info.getCurrentTerm(), commit, applied,
                Math.max(0, groupCommit - applied), snapshot == null ? -1 : snapshot.getIndex(), division.getRaftLog().getStartIndex(),
                stateBytes, members, transitional(conf));
    }

    /**
     * Whether the configuration is the joint one of a membership change. Ratis's own
     * {@code RaftConfigurationImpl#isTransitional} (old configuration present) is not public; the previous
     * peers are non-empty exactly then, listeners included.
     */
    static boolean transitional(RaftConfiguration conf) {
        return !conf.getPreviousPeers().isEmpty()
                || !conf.getPreviousPeers(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER).isEmpty();
    }

    RoutingInfo routing() {
        PartitionTable known = identity.table();
        if (known == null) {
            throw new IllegalStateException("the worker has not read the partition table yet");
        }
        NodesConfiguration configuration = identity.nodes();
        Map<PartitionId, NodeId> localLeaders = new TreeMap<>();
        RaftServer current = server.get();
        if (current != null) {
            for (PartitionId partition : replicas()) {
                try {
                    RaftPeerId leader = current.getDivision(groups.groupId(partition)).getInfo().getLeaderId();
                    if (leader != null) {
                        localLeaders.put(partition, PartitionGroups.nodeId(leader));
                    }
                } catch (IOException gone) {
                    // Removed meanwhile.
                }
            }
        }
        List<RoutingInfo.PartitionRoute> routes = new ArrayList<>();
        for (PartitionId partition : known.partitions()) {
            Placement placement = placements.routingPlacement(partition).orElse(null);
            if (placement == null) {
                continue;
            }
            List<RoutingInfo.Member> members = new ArrayList<>();
            for (NodeId member : placement.members()) {
                configuration.find(member).ifPresent(node -> members.add(new RoutingInfo.Member(member, node.addresses().http(), node.workerState())));
            }
            routes.add(new RoutingInfo.PartitionRoute(partition, members, localLeaders.getOrDefault(partition, placement.leader())));
        }
        return new RoutingInfo(known, routes, configuration.version().value());
    }
}
