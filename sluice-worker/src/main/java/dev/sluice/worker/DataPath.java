package dev.sluice.worker;

import dev.sluice.client.wire.RequestId;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.wire.DiskStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The data path: hands a client's command or query to the local division when it leads the partition, and
 * otherwise says who leads. Owns the client id and call counter of the requests it submits without a caller's
 * {@link RequestId}; every outcome becomes a {@link DataReply}, so callers never see Ratis exceptions.
 */
final class DataPath {

    /**
     * Where a submission runs. Ratis' {@code getDivision} waits while a division is being created (a worker
     * starting or adding a group), so the look-up runs off the caller's thread and the caller's deadline
     * covers it too.
     */
    private static final Executor SUBMISSIONS = task -> Thread.ofVirtual().name("sluice-data-submit").start(task);

    private final String nodeName;
    private final PartitionGroups groups;
    private final NodeIdentity identity;
    private final ReconcileLoop placements;
    private final Supplier<RaftServer> server;
    private final BooleanSupplier serving;
    private final Supplier<DiskStatus> disk;
    /**
     * How long a write refused because the leader here hands its leadership over waits for the handover to end,
     * so that it can name the new leader ({@code 421}, which the client follows at once) instead of answering
     * "no leader" ({@code 503}, after which the client backs off up to 250 ms and asks around). A transfer to a
     * healthy member took 130–430 ms when measured; the wait stays under the client's own per-request timeout
     * (750 ms by default), past which it would take this node for slow and avoid it.
     */
    static final Duration HANDOVER_WAIT = Duration.ofMillis(500);

    /**
     * How long a request to a leader elected a moment ago waits for it to become ready (one round trip to a
     * majority, milliseconds) rather than being answered "not ready" ({@code 503}, and a client back-off).
     */
    static final Duration READY_WAIT = Duration.ofMillis(200);

    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final LeaderChanges leaderChanges;
    private final StuckTransfers stuckTransfers;

    DataPath(String nodeName, PartitionGroups groups, NodeIdentity identity, ReconcileLoop placements, Supplier<RaftServer> server,
            BooleanSupplier serving, Supplier<DiskStatus> disk, LeaderChanges leaderChanges, StuckTransfers stuckTransfers) {
        this.leaderChanges = leaderChanges;
        this.stuckTransfers = stuckTransfers;
        this.nodeName = nodeName;
        this.groups = groups;
        this.identity = identity;
        this.placements = placements;
        this.server = server;
        this.serving = serving;
        this.disk = disk;
    }

    /**
     * Submits a query ({@code readOnly}) or a command. A command with a {@code requestId} (may be null) enters Raft
     * under the caller's client id and call number, so Raft's retry cache answers a repeated attempt with the
     * first one's outcome instead of appending it again; without one it gets a fresh id of this node's.
     */
    CompletableFuture<DataReply> submit(PartitionId partition, byte[] payload, boolean readOnly, RequestId requestId) {
        return CompletableFuture.supplyAsync(() -> submitNow(partition, payload, readOnly, requestId), SUBMISSIONS).thenCompose(reply -> reply);
    }

    private CompletableFuture<DataReply> submitNow(PartitionId partition, byte[] payload, boolean readOnly, RequestId requestId) {
        DiskStatus space = disk.get();
        if (!readOnly && !space.state().takesWrites()) {
            // Refused before Ratis sees it: a write that reached a leader whose log cannot grow would be lost
            // in its failed log, and the client would wait for its timeout to learn nothing.
            return CompletableFuture.completedFuture(new DataReply.NoSpace(space.detail()));
        }
        RaftServer current = server.get();
        if (current == null || !serving.getAsBoolean()) {
            return CompletableFuture.completedFuture(new DataReply.NoLeader("node " + nodeName + " is not serving"));
        }
        RaftServer.Division division;
        try {
            division = current.getDivision(groups.groupId(partition));
        } catch (IOException notHosted) {
            Placement placement = placements.knownPlacement(partition).orElse(null);
            return CompletableFuture.completedFuture(notLeader(placement == null ? null : placement.leader(), false));
        }
        DivisionInfo info = division.getInfo();
        if (!info.isLeader()) {
            RaftPeerId leader = info.getLeaderId();
            return CompletableFuture.completedFuture(notLeader(leader == null ? null : PartitionGroups.nodeId(leader), true));
        }
        if (!info.isLeaderReady() && !awaitReady(division)) {
            NodeConfig mine = identity.self();
            String here = mine == null ? nodeName : mine.nodeId().toString();
            return CompletableFuture.completedFuture(new DataReply.NoLeader(partition + ": the leader on " + here + " is not ready yet"));
        }
        boolean callersId = requestId != null && !readOnly;
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(callersId ? ClientId.valueOf(requestId.client()) : clientId)
                .setServerId(current.getId())
                .setGroupId(division.getMemberId().getGroupId())
                .setCallId(callersId ? requestId.call() : callIds.incrementAndGet())
                .setMessage(Message.valueOf(ByteString.copyFrom(payload)))
                .setType(readOnly ? RaftClientRequest.readRequestType() : RaftClientRequest.writeRequestType())
                .build();
        RaftGroupId groupId = division.getMemberId().getGroupId();
        long changesBefore = leaderChanges.seen();
        try {
            return current.submitClientRequestAsync(request).handle((reply, failure) -> {
                Throwable refusal = failure != null ? unwrap(failure) : reply.getException();
                DataReply answer = failure != null ? toDataReply(partition, refusal) : toDataReply(partition, reply);
                if (!(refusal instanceof LeaderSteppingDownException)) {
                    stuckTransfers.accepted(groupId);
                    return CompletableFuture.completedFuture(answer);
                }
                return CompletableFuture.supplyAsync(() -> afterHandover(current, division, changesBefore, answer), SUBMISSIONS);
            }).thenCompose(answer -> answer);
        } catch (IOException failed) {
            return CompletableFuture.completedFuture(toDataReply(partition, failed));
        }
    }

    /**
     * Waits up to {@link #READY_WAIT} for a leader just elected here to commit the first entry of its term (Ratis
     * refuses requests until then); runs on a submission thread, which may block.
     */
    private boolean awaitReady(RaftServer.Division division) {
        return awaitUntil(division, info -> !info.isLeader() || info.isLeaderReady(), READY_WAIT, leaderChanges.seen()).isLeaderReady();
    }

    /**
     * A write the leader here refused because it is handing its leadership over: waits up to {@link #HANDOVER_WAIT}
     * for another member to lead and names it; if none does, answers as before (no leader), and tells
     * {@link StuckTransfers}, which ends a handover that never ends.
     */
    private DataReply afterHandover(RaftServer current, RaftServer.Division division, long changesBefore, DataReply refused) {
        RaftGroupId groupId = division.getMemberId().getGroupId();
        DivisionInfo info = awaitUntil(division, now -> !now.isLeader() && now.getLeaderId() != null, HANDOVER_WAIT, changesBefore);
        if (!info.isLeader() && info.getLeaderId() != null) {
            stuckTransfers.accepted(groupId);
            return notLeader(PartitionGroups.nodeId(info.getLeaderId()), true);
        }
        if (info.isLeader()) {
            stuckTransfers.refused(current, groupId);
        }
        return refused;
    }

    /**
     * Waits up to {@code within} until {@code settled} holds of the division, woken by this node's leader changes
     * (counted from {@code seen}), and returns the last look at it, settled or not.
     */
    private DivisionInfo awaitUntil(RaftServer.Division division, Predicate<DivisionInfo> settled, Duration within, long seen) {
        long deadline = System.nanoTime() + within.toNanos();
        long changes = seen;
        while (true) {
            DivisionInfo info = division.getInfo();
            long left = deadline - System.nanoTime();
            if (settled.test(info) || left <= 0) {
                return info;
            }
            try {
                leaderChanges.awaitAfter(changes, Duration.ofNanos(left));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return division.getInfo();
            }
            changes = leaderChanges.seen();
        }
    }

    private DataReply notLeader(NodeId leader, boolean hosted) {
        NodeConfig mine = identity.self();
        if (leader != null && mine != null && leader.equals(mine.nodeId())) {
            // Our own division was leader a moment ago; the caller should simply retry.
            return new DataReply.NoLeader("leadership is changing");
        }
        return new DataReply.NotLeader(leader, leader == null ? null : identity.nodes().find(leader).orElse(null), hosted);
    }

    private DataReply toDataReply(PartitionId partition, RaftClientReply reply) {
        if (reply.isSuccess()) {
            return new DataReply.Ok(reply.getMessage().getContent().toByteArray());
        }
        NotLeaderException notLeader = reply.getNotLeaderException();
        if (notLeader != null) {
            RaftPeer suggested = notLeader.getSuggestedLeader();
            return notLeader(suggested == null ? null : PartitionGroups.nodeId(suggested.getId()), true);
        }
        StateMachineException refused = reply.getStateMachineException();
        if (refused != null) {
            return new DataReply.Failed(partition + ": " + refused.getMessage());
        }
        return toDataReply(partition, reply.getException());
    }

    private DataReply toDataReply(PartitionId partition, Throwable failure) {
        if (failure instanceof NotLeaderException notLeader) {
            RaftPeer suggested = notLeader.getSuggestedLeader();
            return notLeader(suggested == null ? null : PartitionGroups.nodeId(suggested.getId()), true);
        }
        if (failure instanceof GroupMismatchException) {
            return notLeader(null, false);
        }
        if (failure instanceof StateMachineException refused) {
            return new DataReply.Failed(partition + ": " + refused.getMessage());
        }
        // Leader stepping down or not ready, transfer in progress, read index failure, closing: transient.
        return new DataReply.NoLeader(partition + ": " + (failure == null ? "unknown failure" : failure.getClass().getSimpleName() + ": " + failure.getMessage()));
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
