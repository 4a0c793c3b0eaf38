package dev.sluice.worker;

import dev.sluice.raft.RatisFailures;
import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's divisions from leading while its disk is low: each division stops campaigning (Ratis's
 * leader-election pause; it still votes and follows), and each leadership it holds is handed to another
 * voter. A leader is where a partition's writes enter, and a leader that cannot append cannot commit, so the
 * partitions it led stay writable only if someone else leads them.
 *
 * <p>Level-triggered: {@link #yieldAll} is called after every disk check while the disk is low, and
 * {@link #restore} once it is ok again, so a transfer that failed is tried again a check later, towards the
 * next voter in turn. Owns the set of divisions it paused (on one Raft server instance; a new server starts
 * with nothing paused) and the transfers in flight, so none is sent twice (Ratis fails a transfer that is
 * re-sent while one is pending). Runs on the worker's loop thread; transfer completions only clear entries.
 */
final class LeadershipYield {

    private static final Logger log = LoggerFactory.getLogger(LeadershipYield.class);

    /** How long Ratis may take for one transfer; they took 130–430 ms when measured, the rest is for a lagging target. */
    static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(3);

    private final String nodeName;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final Set<RaftGroupId> paused = new HashSet<>();
    private final Map<RaftGroupId, CompletableFuture<RaftClientReply>> transfers = new ConcurrentHashMap<>();
    private final Map<RaftGroupId, Integer> attempts = new ConcurrentHashMap<>();
    private RaftServer pausedOn;

    private final StuckTransfers stuckTransfers;

    LeadershipYield(String nodeName, StuckTransfers stuckTransfers) {
        this.nodeName = nodeName;
        this.stuckTransfers = stuckTransfers;
    }

    /** Pauses elections on every division of {@code server} and starts a transfer for every leadership it holds. */
    void yieldAll(RaftServer server) {
        forget(server);
        for (RaftGroupId groupId : server.getGroupIds()) {
            RaftServer.Division division;
            try {
                division = server.getDivision(groupId);
            } catch (IOException gone) {
                continue;
            }
            if (!paused.contains(groupId) && call(server, LeaderElectionManagementRequest.newPause(clientId, server.getId(), groupId,
                    callIds.incrementAndGet()), "pausing elections of " + groupId)) {
                paused.add(groupId);
            }
            if (division.getInfo().isLeader()) {
                transfer(server, division);
            }
        }
    }

    /** Lets every division this worker paused campaign again. */
    void restore(RaftServer server) {
        forget(server);
        for (RaftGroupId groupId : List.copyOf(paused)) {
            if (call(server, LeaderElectionManagementRequest.newResume(clientId, server.getId(), groupId, callIds.incrementAndGet()),
                    "resuming elections of " + groupId)) {
                paused.remove(groupId);
            }
        }
        attempts.clear();
    }

    /** Whether any division of {@code server} is kept from campaigning now. */
    boolean yielding(RaftServer server) {
        return server == pausedOn && !paused.isEmpty();
    }

    /** A new server instance has none of the old one's pauses or transfers. */
    private void forget(RaftServer server) {
        if (server != pausedOn) {
            paused.clear();
            transfers.clear();
            attempts.clear();
            pausedOn = server;
        }
    }

    private void transfer(RaftServer server, RaftServer.Division division) {
        RaftGroupId groupId = division.getMemberId().getGroupId();
        CompletableFuture<RaftClientReply> running = transfers.get(groupId);
        if (running != null && !running.isDone()) {
            return;
        }
        // The voters other than this one, the most caught up first; each failed attempt tries the next one.
        Map<RaftPeerId, Long> commitIndexes = new java.util.HashMap<>();
        for (CommitInfoProto info : division.getCommitInfos()) {
            commitIndexes.put(RaftPeerId.valueOf(info.getServer().getId()), info.getCommitIndex());
        }
        List<RaftPeerId> targets = division.getRaftConf().getCurrentPeers().stream()
                .map(RaftPeer::getId)
                .filter(peer -> !peer.equals(server.getId()))
                .sorted(Comparator.comparing((RaftPeerId peer) -> -commitIndexes.getOrDefault(peer, -1L)).thenComparing(RaftPeerId::toString))
                .toList();
        if (targets.isEmpty()) {
            return;
        }
        int attempt = attempts.merge(groupId, 1, Integer::sum);
        RaftPeerId target = targets.get((attempt - 1) % targets.size());
        TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, server.getId(), groupId, callIds.incrementAndGet(), target,
                TRANSFER_TIMEOUT.toMillis());
        try {
            CompletableFuture<RaftClientReply> reply = server.transferLeadershipAsync(request);
            transfers.put(groupId, reply);
            reply.whenComplete((answer, failed) -> {
                if (failed != null || !answer.isSuccess()) {
                    Throwable why = failed != null ? failed : answer.getException();
                    log.info("{}: moving the leadership of {} to {} failed; the next disk check tries again: {}", nodeName, groupId, target, why);
                    if (RatisFailures.leavesTransferPending(why)) {
                        stuckTransfers.stepDown(server, groupId, StuckTransferCause.OWN_TRANSFER_FAILED, "the transfer to " + target + " failed at once");
                    }
                }
            });
            log.info("{}: the disk is low; moving the leadership of {} to {}", nodeName, groupId, target);
        } catch (IOException | RuntimeException refused) {
            log.info("{}: moving the leadership of {} to {} was refused; the next disk check tries again: {}", nodeName, groupId, target, refused.toString());
        }
    }

    private boolean call(RaftServer server, LeaderElectionManagementRequest request, String what) {
        try {
            RaftClientReply reply = server.leaderElectionManagement(request);
            if (!reply.isSuccess()) {
                log.info("{}: {} failed: {}", nodeName, what, reply.getException());
            }
            return reply.isSuccess();
        } catch (IOException | RuntimeException failed) {
            log.info("{}: {} failed: {}", nodeName, what, failed.toString());
            return false;
        }
    }
}
