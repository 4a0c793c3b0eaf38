package dev.sluice.worker;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.RatisFailures;
import dev.sluice.worker.PeerReadiness.Candidacy;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands every leadership this node holds to another member of that partition's group before the node stops, so
 * its partitions change leader by a transfer (a few hundred milliseconds without writes) instead of an election
 * after it is gone (an election timeout, 1–2 s by default, and longer where heartbeats are slow).
 *
 * <p>Goals: within the shutdown's deadline, no partition is left led here that another member could lead; no
 * leadership goes to a member that would have to move it again. Constraints: the deadline is hard (a transfer
 * still running then is left to finish or fail on its own as the server closes); each partition gets at most
 * {@link #ATTEMPTS_MAX} transfers, counted only from when its leader here is ready (Ratis refuses a transfer from a
 * leader that has not applied its first entry of the term). Algorithm, level-triggered in rounds of at most {@link #ROUND_INTERVAL}:
 * <ol>
 *   <li>list the divisions this server leads now (one handed back meanwhile is found in the next round);
 *   <li>ask each of their other voters not asked before whether it may lead ({@link PeerReadiness}: Active and
 *       ready by its own account, so not shutting down itself), once per handover;
 *   <li>for each led division with no transfer running, {@linkplain #choose choose} a target among the fit
 *       voters, the most caught-up first (commit index as this leader knows it; Ratis itself brings the target
 *       up to the leader's last entry before it hands over), the next one on each retry, and start a transfer
 *       through the local server ({@link RaftServer#transferLeadershipAsync}); all partitions at once;
 *   <li>wait for a transfer to end or a division to learn of a new leader ({@link LeaderChanges}), at most a
 *       round;
 *   <li>stop when no transfer runs and every partition led before is led elsewhere as this node's replica knows
 *       (Ratis may end a transfer a moment before the new leader's first heartbeat names it), when every
 *       partition still led has no target or no attempt left, or at the deadline.
 * </ol>
 * Example: N1 leads P0 (voters N1, N2, N3) and P4 (N1, N3, N4); N3 answers that it is shutting down too, N2 and
 * N4 are ready. P0 goes to N2 and P4 to N4, at once. If N4 refuses, P4's next attempts go to N4 again, the only
 * fit voter, three in all; then P4 stays led here and the report says "P4: the transfer to N4 failed: …". Had
 * N4 been shutting down too, P4 would not have been tried at all: "P4: no other member may lead it: N3 is not
 * ready: shutting down (SIGTERM): …; N4 is not ready: …".
 *
 * <p>The local division's own call is used rather than {@code ReplicaSetAdmin}'s Ratis client: the leader is in
 * this process, so nothing needs to find it over the network, and the leader's own commit information is what
 * ranks the targets. Elections are not paused on this node's divisions: a paused division still accepts a
 * transfer's start-election request and then never campaigns, so a transfer sent here (by a controller that has
 * not yet seen the shutdown) would hold that partition's writes for its whole timeout; unpaused, it lands here
 * and the next round moves it on.
 *
 * <p>Owns nothing between calls; {@link #run} keeps its progress per partition on the calling thread.
 */
final class LeadershipHandover {

    private static final Logger log = LoggerFactory.getLogger(LeadershipHandover.class);

    /** How long Ratis may take for one transfer; they took 130–430 ms when measured, the rest is for a lagging target. */
    static final Duration TRANSFER_TIMEOUT = LeadershipYield.TRANSFER_TIMEOUT;
    /** Transfers per partition: the best target, then the next ones; a partition that refuses three is left to its election. */
    static final int ATTEMPTS_MAX = 3;
    /** How long a round waits for a transfer to end or a leader to change before it looks at what this node leads again. */
    static final Duration ROUND_INTERVAL = Duration.ofMillis(100);
    /** How long the members are given to say whether they are ready; a live one answers in milliseconds. */
    static final Duration READINESS_TIMEOUT = Duration.ofSeconds(1);

    /** Who should lead a partition next, or why nobody here can. */
    sealed interface Choice {
        record To(NodeId target) implements Choice {}

        record Nobody(String why) implements Choice {}
    }

    private final String nodeName;
    private final PartitionGroups groups;
    private final IntSupplier partitionCount;
    private final PeerReadiness readiness;
    private final LeaderChanges leaderChanges;
    private final InstantSource clock;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();

    private final StuckTransfers stuckTransfers;

    /** @param leaderChanges signalled by this node's divisions when they learn of a new leader */
    LeadershipHandover(String nodeName, PartitionGroups groups, IntSupplier partitionCount, PeerReadiness readiness, LeaderChanges leaderChanges,
            InstantSource clock, StuckTransfers stuckTransfers) {
        this.stuckTransfers = stuckTransfers;
        this.nodeName = nodeName;
        this.groups = groups;
        this.partitionCount = partitionCount;
        this.readiness = readiness;
        this.leaderChanges = leaderChanges;
        this.clock = clock;
    }

    /**
     * The target of attempt {@code attempt} (from 1) for one partition: the fit members ordered by commit index,
     * highest first, then by id, taken in turn.
     *
     * @param others the partition's voters other than this node
     * @param commitIndexes each member's commit index as the leader knows it; a member not in it counts as furthest behind
     * @param candidacies what each member said about itself; a member not in it was not asked and is not chosen
     */
    static Choice choose(List<NodeId> others, Map<NodeId, Long> commitIndexes, Map<NodeId, Candidacy> candidacies, int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("BUG: attempts count from 1, got " + attempt);
        }
        if (others.isEmpty()) {
            return new Choice.Nobody("it has no other voter");
        }
        List<NodeId> fit = others.stream()
                .filter(member -> candidacies.get(member) instanceof Candidacy.Ready)
                .sorted(Comparator.comparing((NodeId member) -> -commitIndexes.getOrDefault(member, -1L)).thenComparing(Comparator.naturalOrder()))
                .toList();
        if (fit.isEmpty()) {
            return new Choice.Nobody("no other member may lead it: " + others.stream().sorted()
                    .map(member -> member + " " + switch (candidacies.get(member)) {
                        case Candidacy.Unfit unfit -> unfit.why();
                        case Candidacy.Ready ready -> throw new IllegalStateException("BUG: " + member + " is ready but was not chosen");
                        case null -> "was not asked";
                    })
                    .collect(Collectors.joining("; ")));
        }
        return new Choice.To(fit.get((attempt - 1) % fit.size()));
    }

    /** One partition this node led during the handover; changed on the calling thread only. */
    private static final class Progress {
        final PartitionId partition;
        final RaftGroupId groupId;
        int attempts;
        NodeId target;
        CompletableFuture<RaftClientReply> transfer;
        /** Why the last attempt failed, or why none can be made; {@code null} while nothing went wrong. */
        volatile String problem;
        boolean givenUp;

        Progress(PartitionId partition, RaftGroupId groupId) {
            this.partition = partition;
            this.groupId = groupId;
        }

        boolean transferring() {
            return transfer != null && !transfer.isDone();
        }
    }

    /**
     * Hands over every leadership of {@code server} until {@code deadline}, as the class comment says, and reports
     * how it went. Blocks the calling thread; returns at the deadline at the latest (plus one readiness check when
     * the deadline is nearer than {@link #READINESS_TIMEOUT}: it is cut to what is left).
     */
    HandoverReport run(RaftServer server, Instant started, Instant deadline) {
        NodeId self = PartitionGroups.nodeId(server.getId());
        Map<RaftGroupId, Progress> progress = new LinkedHashMap<>();
        Map<NodeId, Candidacy> candidacies = new HashMap<>();
        while (!Thread.currentThread().isInterrupted()) {
            long changesSeen = leaderChanges.seen();
            Duration left = Duration.between(clock.instant(), deadline);
            if (!left.isPositive()) {
                break;
            }
            List<RaftServer.Division> leading = leading(server);
            Set<NodeId> notAsked = new TreeSet<>();
            for (RaftServer.Division division : leading) {
                others(division, self).stream().filter(member -> !candidacies.containsKey(member)).forEach(notAsked::add);
            }
            if (!notAsked.isEmpty()) {
                candidacies.putAll(readiness.ask(notAsked, shorter(READINESS_TIMEOUT, left)));
            }
            boolean triable = false;
            for (RaftServer.Division division : leading) {
                RaftGroupId groupId = division.getMemberId().getGroupId();
                Optional<PartitionId> partition = groups.partitionOf(groupId, partitionCount.getAsInt());
                if (partition.isEmpty()) {
                    continue;
                }
                Progress one = progress.computeIfAbsent(groupId, id -> new Progress(partition.get(), id));
                if (!one.transferring() && !one.givenUp) {
                    if (division.getInfo().isLeaderReady()) {
                        start(server, division, one, self, candidacies, deadline);
                    } else {
                        // Elected a moment ago, its first entry of the term not yet applied: Ratis refuses a transfer from
                        // it (LeaderNotReadyException), and three quick refusals would give the partition up. Ask again
                        // next round, without spending an attempt.
                        one.problem = "it was elected here a moment ago and is not ready to hand over yet";
                    }
                }
                triable |= !one.givenUp;
            }
            boolean transferring = progress.values().stream().anyMatch(Progress::transferring);
            if (!triable && !transferring && progress.values().stream().allMatch(one -> settled(server, one))) {
                break;
            }
            try {
                leaderChanges.awaitAfter(changesSeen, shorter(ROUND_INTERVAL, Duration.between(clock.instant(), deadline)));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return report(server, self, progress, started);
    }

    private void start(RaftServer server, RaftServer.Division division, Progress one, NodeId self, Map<NodeId, Candidacy> candidacies,
            Instant deadline) {
        if (one.attempts >= ATTEMPTS_MAX) {
            one.givenUp = true;
            return;
        }
        Map<NodeId, Long> commitIndexes = new HashMap<>();
        for (CommitInfoProto info : division.getCommitInfos()) {
            commitIndexes.put(PartitionGroups.nodeId(RaftPeerId.valueOf(info.getServer().getId())), info.getCommitIndex());
        }
        switch (choose(others(division, self), commitIndexes, candidacies, one.attempts + 1)) {
            case Choice.Nobody nobody -> {
                one.problem = nobody.why();
                one.givenUp = true;
            }
            case Choice.To to -> {
                Duration timeout = shorter(TRANSFER_TIMEOUT, Duration.between(clock.instant(), deadline));
                if (timeout.toMillis() < 1) {
                    return;
                }
                one.attempts++;
                one.target = to.target();
                TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, server.getId(), one.groupId, callIds.incrementAndGet(),
                        PartitionGroups.peerId(to.target()), timeout.toMillis());
                try {
                    CompletableFuture<RaftClientReply> reply = server.transferLeadershipAsync(request);
                    one.transfer = reply;
                    int attempt = one.attempts;
                    reply.whenComplete((answer, failed) -> {
                        leaderChanges.changed();
                        if (failed != null || !answer.isSuccess()) {
                            String why = failed != null ? failed.toString() : String.valueOf(answer.getException());
                            if (RatisFailures.leavesTransferPending(failed != null ? failed : answer.getException())) {
                                // Left pending, it would refuse every later attempt and the partition's writes until the server closes.
                                stuckTransfers.stepDown(server, one.groupId, StuckTransferCause.OWN_TRANSFER_FAILED, "the transfer to " + to.target() + " failed at once");
                            }
                            one.problem = "the transfer to " + to.target() + " failed: " + why;
                            log.info("{}: shutting down: moving the leadership of {} to {} failed (attempt {} of {}): {}", nodeName, one.partition,
                                    to.target(), attempt, ATTEMPTS_MAX, why);
                        }
                    });
                } catch (IOException | RuntimeException refused) {
                    one.problem = "the transfer to " + to.target() + " was refused: " + refused;
                    log.info("{}: shutting down: moving the leadership of {} to {} was refused: {}", nodeName, one.partition, to.target(),
                            refused.toString());
                }
            }
        }
    }

    /** The divisions of {@code server} that lead now. */
    private static List<RaftServer.Division> leading(RaftServer server) {
        List<RaftServer.Division> leading = new ArrayList<>();
        for (RaftGroupId groupId : server.getGroupIds()) {
            try {
                RaftServer.Division division = server.getDivision(groupId);
                if (division.getInfo().isLeader()) {
                    leading.add(division);
                }
            } catch (IOException | RuntimeException gone) {
                // Removed or closing meanwhile: it leads nothing here any more.
            }
        }
        return leading;
    }

    private static List<NodeId> others(RaftServer.Division division, NodeId self) {
        return division.getRaftConf().getCurrentPeers().stream().map(RaftPeer::getId).map(PartitionGroups::nodeId)
                .filter(member -> !member.equals(self)).sorted().toList();
    }

    /**
     * Whether {@code one} needs nothing more: it is led here and given up (the report says why), or this node's
     * replica knows another leader, or its group is gone from this node.
     */
    private static boolean settled(RaftServer server, Progress one) {
        try {
            RaftServer.Division division = server.getDivision(one.groupId);
            if (division.getInfo().isLeader()) {
                return one.givenUp;
            }
            RaftPeerId leader = division.getInfo().getLeaderId();
            return leader != null && !leader.equals(server.getId());
        } catch (IOException | RuntimeException gone) {
            return true;
        }
    }

    private HandoverReport report(RaftServer server, NodeId self, Map<RaftGroupId, Progress> progress, Instant started) {
        Set<PartitionId> moved = new TreeSet<>();
        Map<PartitionId, String> notMoved = new HashMap<>();
        for (Progress one : progress.values()) {
            RaftServer.Division division;
            try {
                division = server.getDivision(one.groupId);
            } catch (IOException | RuntimeException gone) {
                notMoved.put(one.partition, "its group left this node during the handover; whoever leads it now was not seen");
                continue;
            }
            RaftPeerId leader = division.getInfo().getLeaderId();
            if (!division.getInfo().isLeader() && leader != null && !leader.equals(server.getId())) {
                moved.add(one.partition);
            } else if (division.getInfo().isLeader()) {
                notMoved.put(one.partition, one.transferring() ? "the transfer to " + one.target + " had not finished when the handover ended"
                        : one.problem != null ? one.problem
                        : "it was still led here when the handover ended");
            } else {
                notMoved.put(one.partition, "no leader was known at the end of the handover (an election is under way)");
            }
        }
        Set<PartitionId> led = new TreeSet<>(moved);
        led.addAll(notMoved.keySet());
        return new HandoverReport(led, moved, notMoved, Duration.between(started, clock.instant()));
    }

    private static Duration shorter(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
