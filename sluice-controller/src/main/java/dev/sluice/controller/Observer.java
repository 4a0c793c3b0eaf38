package dev.sluice.controller;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdMap;
import dev.sluice.model.NodeIdSet;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ReplicaRole;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The controller's observation of the data plane: it polls workers for what they host and keeps their
 * last answers, when each last answered and last failed to, and derives leaders and health from them.
 * Soft state of one leadership term, changed only on the controller's thread: polls are started from a
 * pass, and their answers arrive as {@link ControllerEvent}s.
 */
final class Observer implements Observed {

    /**
     * A worker is healthy while no poll failed since its last answer, its last answer says its disk is above
     * its free-space floor and that it is not shutting down, and that answer is at most this many
     * poll intervals old. A dead or frozen worker is caught by the failed poll (refused at once, or timed out
     * after the status timeout); the age limit only catches a worker that stopped being polled. It is long
     * because a short one made every worker look unhealthy at once after a pause of the controller's own
     * process (seen in one-JVM clusters under load: the scheduler then saw no active worker).
     */
    static final int HEALTHY_WITHIN_POLLS = 10;
    /** What "fresh enough to say what the worker holds now" means for emptiness: a few poll intervals. */
    static final int FRESH_REPORT_POLLS = 3;

    /** Node numbers below this have their next poll time in an array ({@link #pollAt}). */
    private static final int DENSE_POLL_TIMES = 1 << 20;
    private static final long NOT_REPORTED = Long.MIN_VALUE;

    private final DataPlane dataPlane;
    private final ControllerConfig config;
    private final ControllerEvent.Inbox inbox;
    /** How old a last answer may be for its worker to count as healthy (asked for every worker, every pass). */
    private final Duration healthyWithin;
    /** How old a report may be to say what its worker holds now. */
    private final Duration freshWithin;

    private final Map<NodeId, NodeReplicas> reports = new NodeIdMap<>();
    /** Which of {@link #reports} host each partition. */
    private final ReplicaHosts hosts = new ReplicaHosts();
    /** The workers whose report changed or went since {@link #count}: the only ones whose counted report it changes. */
    private final Set<NodeId> uncounted = new NodeIdSet();
    private final Map<NodeId, Instant> failedAt = new NodeIdMap<>();
    private final Map<NodeId, String> failure = new NodeIdMap<>();
    private final NodeIdSet polling = new NodeIdSet();
    private NodeIdSet alive = new NodeIdSet();
    /** The workers of the nodes configuration {@link #begin} last walked. */
    private Roster roster = Roster.of(null);
    /**
     * When each worker with a report is next asked once a poll interval ({@link #nextPollAt}), in epoch milliseconds, by
     * node number below {@link #DENSE_POLL_TIMES}; {@link #NOT_REPORTED} for a worker without one. Kept as the reports
     * change so the pass's walk of every worker reads no report.
     */
    private long[] pollAt = new long[0];
    /** {@link #pollAt} for node numbers from {@link #DENSE_POLL_TIMES} on. */
    private final Map<Integer, Long> pollAtAbove = new HashMap<>();
    private Instant now = Instant.EPOCH;
    /** {@code now} less {@link #healthyWithin}: an answer older than this is too old to call its worker healthy. */
    private Instant oldestHealthyAnswer;
    /**
     * What each partition's leader is taken from: the leadership claims of the reports {@link #counted} so far. Kept
     * across passes and changed by what a report changes, because deriving it again each pass walked every replica of
     * every report: at 1,000 workers × 1,000,000 partitions that was most of a drain's pass.
     */
    private final LeaderClaims claims = new LeaderClaims();
    /**
     * The report of each alive worker whose claims are in {@link #claims}: an answer counts from the next pass
     * ({@link #begin}), a moved leadership at once.
     */
    private final Map<NodeId, NodeReplicas> counted = new NodeIdMap<>();
    /** Leaderships moved since the reports were last brought up to them ({@link #applyMovedLeaders}). */
    private final List<MovedLeader> movedLeaders = new java.util.ArrayList<>();

    Observer(DataPlane dataPlane, ControllerConfig config, ControllerEvent.Inbox inbox) {
        this.dataPlane = dataPlane;
        this.config = config;
        this.inbox = inbox;
        this.healthyWithin = config.statusPollInterval().multipliedBy(HEALTHY_WITHIN_POLLS);
        this.oldestHealthyAnswer = now.minus(healthyWithin);
        this.freshWithin = config.statusPollInterval().multipliedBy(FRESH_REPORT_POLLS);
    }

    // ------------------------------------------------------------------ events

    void answered(NodeReplicas report) {
        applyMovedLeaders();
        polling.remove(report.node());
        hosts.replace(reports.put(report.node(), report), report);
        uncounted.add(report.node());
        setPollAt(report.node().value(), nextPollAt(report.node(), report.observedAt()));
    }

    void failed(NodeId node, String detail, Instant at) {
        polling.remove(node);
        failedAt.put(node, at);
        failure.put(node, detail);
    }

    /** A transfer this controller made succeeded: believe it until the next poll says otherwise. */
    void leaderMoved(PartitionId partition, NodeId leader) {
        // Applied when next asked, all at once: a drain's first pass moves hundreds of leaderships, and applying each
        // copied the reports of its partition's members (a million partitions: minutes in the pass).
        movedLeaders.add(new MovedLeader(partition, leader));
    }

    /** A leadership believed moved, not yet applied to the reports. */
    private record MovedLeader(PartitionId partition, NodeId leader) {}

    /**
     * Applies the moved leaderships to the reports, each report copied once: those of the workers hosting a moved
     * partition ({@link #hosts}), each with the moved partitions it hosts. Matching every report against the moves, as
     * this did, cost ten thousand lookups a moved leadership at ten thousand workers.
     */
    private void applyMovedLeaders() {
        if (movedLeaders.isEmpty()) {
            return;
        }
        // In the order they were told, per partition: moves of one partition do not commute, those of two do.
        Map<PartitionId, List<NodeId>> leadersInTurn = new HashMap<>();
        for (MovedLeader move : movedLeaders) {
            leadersInTurn.computeIfAbsent(move.partition(), partition -> new java.util.ArrayList<>(1)).add(move.leader());
        }
        movedLeaders.clear();
        Map<NodeId, List<PartitionId>> hitByNode = new HashMap<>();
        for (PartitionId partition : leadersInTurn.keySet()) {
            for (NodeId host : hosts.hosts(partition)) {
                hitByNode.computeIfAbsent(host, node -> new java.util.ArrayList<>()).add(partition);
            }
        }
        for (Map.Entry<NodeId, List<PartitionId>> entry : hitByNode.entrySet()) {
            NodeReplicas latest = reports.get(entry.getKey());
            List<PartitionId> hit = entry.getValue();
            NodeReplicas moved = moved(latest, hit, leadersInTurn);
            reports.put(entry.getKey(), moved);
            NodeReplicas countedReport = counted.get(entry.getKey());
            if (countedReport != null) {
                List<PartitionId> countedHit = countedReport == latest ? hit : movedHosted(countedReport, leadersInTurn);
                NodeReplicas countedMoved = countedReport == latest ? moved : moved(countedReport, countedHit, leadersInTurn);
                counted.put(entry.getKey(), countedMoved);
                for (PartitionId partition : countedHit) {
                    claims.replace(entry.getKey(), countedReport.replicas().get(partition), countedMoved.replicas().get(partition));
                }
            }
        }
    }

    /** The moved partitions {@code report} hosts, found from whichever side is smaller. */
    private static List<PartitionId> movedHosted(NodeReplicas report, Map<PartitionId, List<NodeId>> leadersInTurn) {
        Map<PartitionId, ReplicaView> hosted = report.replicas();
        List<PartitionId> hit = new java.util.ArrayList<>();
        if (hosted.size() <= leadersInTurn.size()) {
            for (PartitionId partition : hosted.keySet()) {
                if (leadersInTurn.containsKey(partition)) {
                    hit.add(partition);
                }
            }
        } else {
            for (PartitionId partition : leadersInTurn.keySet()) {
                if (hosted.containsKey(partition)) {
                    hit.add(partition);
                }
            }
        }
        return hit;
    }

    /** {@code report} with each partition of {@code hit} given its moves in turn; the same object when {@code hit} is empty. */
    private static NodeReplicas moved(NodeReplicas report, List<PartitionId> hit, Map<PartitionId, List<NodeId>> leadersInTurn) {
        if (hit.isEmpty()) {
            return report;
        }
        Map<PartitionId, ReplicaView> updated = new HashMap<>();
        for (PartitionId partition : hit) {
            ReplicaView view = report.replicas().get(partition);
            for (NodeId leader : leadersInTurn.get(partition)) {
                ReplicaRole role = report.node().equals(leader) ? ReplicaRole.LEADER
                        : view.role() == ReplicaRole.LEADER ? ReplicaRole.FOLLOWER : view.role();
                view = new ReplicaView(partition, role, leader, view.term() + (role == ReplicaRole.LEADER ? 1 : 0),
                        view.configuration(), view.configurationChanging(), view.appliedIndex());
            }
            updated.put(partition, view);
        }
        return report.withViews(updated);
    }

    // ------------------------------------------------------------------ a pass

    /**
     * Starts the pass's observation: forgets workers that have no liveness entry, recomputes leaders, and asks
     * workers what they host — every worker involved in a move or draining each pass, every other alive
     * worker once per poll interval. Answers arrive as events for a later pass.
     */
    void begin(NodesConfiguration nodes, Set<NodeId> registeredAlive, Set<NodeId> involved, Instant at) {
        applyMovedLeaders();
        this.alive = NodeIdSet.copyOf(registeredAlive);
        this.now = at;
        this.oldestHealthyAnswer = at.minus(healthyWithin);
        // By the reports' keys: reading each report for its worker cost a cache miss a worker every pass.
        for (java.util.Iterator<NodeId> it = reports.keySet().iterator(); it.hasNext(); ) {
            NodeId node = it.next();
            if (!alive.contains(node)) {
                hosts.replace(reports.get(node), null);
                uncounted.add(node);
                it.remove();
                setPollAt(node.value(), NOT_REPORTED);
            }
        }
        count();
        // By numbers and bits: reading each worker's configuration and report for this walk was a few cache misses a
        // worker, about 3 ms a pass at 10,000 workers.
        if (roster.of != nodes) {
            roster = Roster.of(nodes);
        }
        NodeIdSet involvedIds = NodeIdSet.copyOf(involved);
        long atMillis = at.toEpochMilli();
        for (int i = 0; i < roster.ids.length; i++) {
            int id = roster.ids[i];
            if (!alive.containsId(id) || polling.containsId(id)) {
                continue;
            }
            if (roster.draining[i] || involvedIds.containsId(id) || pollAt(id) <= atMillis) {
                NodeConfig node = roster.configs[i];
                NodeId nodeId = node.nodeId();
                polling.add(nodeId);
                dataPlane.replicas(node).whenComplete((report, failed) -> inbox.post(failed == null
                        ? new ControllerEvent.StatusAnswered(report)
                        : new ControllerEvent.StatusFailed(nodeId, String.valueOf(failed.getMessage()), report == null ? at : report.observedAt())));
            }
        }
    }

    /**
     * When a worker last heard from at {@code observedAt} is asked again, unless something involves it sooner: at the first
     * instant of its own phase of the poll interval that is at least half an interval after its last answer, so an answer
     * is at most one and a half intervals old when it is asked again, and once an interval after that. Workers started
     * together used to stay due together: at 10,000 workers one pass in ten took every answer, and was the drain's
     * slowest pass by 20-80 ms.
     */
    private long nextPollAt(NodeId node, Instant observedAt) {
        long interval = Math.max(1, config.statusPollInterval().toMillis());
        long phase = Math.floorMod(node.value() * 0x9E3779B97F4A7C15L, interval);
        long earliest = observedAt.toEpochMilli() + interval / 2;
        return earliest + Math.floorMod(phase - earliest, interval);
    }

    private long pollAt(int node) {
        if (node >= DENSE_POLL_TIMES) {
            return pollAtAbove.getOrDefault(node, NOT_REPORTED);
        }
        return node < pollAt.length ? pollAt[node] : NOT_REPORTED;
    }

    private void setPollAt(int node, long at) {
        if (node >= DENSE_POLL_TIMES) {
            pollAtAbove.put(node, at);
            return;
        }
        if (node >= pollAt.length) {
            int before = pollAt.length;
            pollAt = Arrays.copyOf(pollAt, Math.max(node + 1, before * 2));
            Arrays.fill(pollAt, before, pollAt.length, NOT_REPORTED);
        }
        pollAt[node] = at;
    }

    /** The workers of one nodes configuration, their numbers and whether each is draining, in arrays a walk reads in order. */
    private static final class Roster {
        final NodesConfiguration of;
        final int[] ids;
        final NodeConfig[] configs;
        final boolean[] draining;

        private Roster(NodesConfiguration of, List<NodeConfig> workers) {
            this.of = of;
            this.configs = workers.toArray(NodeConfig[]::new);
            this.ids = new int[configs.length];
            this.draining = new boolean[configs.length];
            for (int i = 0; i < configs.length; i++) {
                ids[i] = configs[i].nodeId().value();
                draining[i] = configs[i].workerState() == WorkerState.DRAINING;
            }
        }

        static Roster of(NodesConfiguration nodes) {
            return new Roster(nodes, nodes == null ? List.of() : nodes.workers());
        }
    }

    /**
     * Brings {@link #claims} to the reports as they are: each report that changed since counted is diffed against it.
     * Only the workers whose report changed or went are visited ({@link #uncounted}; a moved leadership changes the
     * counted report with the latest one): visiting every report was 10,000 map updates a pass at 10,000 workers.
     */
    private void count() {
        for (NodeId node : uncounted) {
            NodeReplicas report = reports.get(node);
            NodeReplicas before = report == null ? counted.remove(node) : counted.put(node, report);
            if (before != report) {
                claims.replace(node, before, report);
            }
        }
        uncounted.clear();
    }

    // ------------------------------------------------------------------ queries

    @Override
    public boolean healthy(NodeId node) {
        applyMovedLeaders();
        if (!alive.contains(node)) {
            return false;
        }
        NodeReplicas last = reports.get(node);
        if (last == null || last.observedAt().isBefore(oldestHealthyAnswer)) {
            return false;
        }
        if (!last.diskOk()) {
            // Below its free-space floor it takes no writes, and when critical its Raft server is stopped: a
            // leadership sent there holds the partition's writes for the transfer's deadline (chaos finding 4).
            return false;
        }
        if (last.shuttingDown()) {
            // It is handing its leaderships away and stops within its shutdown timeout: a leadership balanced back
            // to it would cost its partition an election when it stops (issue 14).
            return false;
        }
        Instant failedLast = failedAt.get(node);
        return failedLast == null || failedLast.isBefore(last.observedAt());
    }

    @Override
    public boolean hosts(NodeId node, PartitionId partition) {
        applyMovedLeaders();
        NodeReplicas last = reports.get(node);
        return last != null && last.hosts(partition);
    }

    @Override
    public Optional<NodeId> leader(PartitionId partition) {
        applyMovedLeaders();
        return Optional.ofNullable(claims.leaders().get(partition));
    }

    @Override
    public Optional<ReplicaView> view(NodeId node, PartitionId partition) {
        applyMovedLeaders();
        NodeReplicas last = reports.get(node);
        return last == null ? Optional.empty() : Optional.ofNullable(last.replicas().get(partition));
    }

    @Override
    public long leaderships(NodeId node) {
        applyMovedLeaders();
        NodeReplicas report = counted.get(node);
        return report == null ? 0 : claims.claimedBy(node);
    }

    /** Each partition's observed leader: a view that follows the observation, changed only where the pass is. */
    Map<PartitionId, NodeId> leaders() {
        applyMovedLeaders();
        return claims.leaders();
    }

    /**
     * What the kept claims disagree on with leaders derived from scratch from the counted reports, one line each; empty
     * when they agree. For the simulation's checks, so a report change the claims missed fails the run.
     */
    List<String> checkLeaders() {
        applyMovedLeaders();
        Map<PartitionId, ReplicaView> best = new HashMap<>();
        Map<PartitionId, NodeId> derived = new HashMap<>();
        for (NodeReplicas report : counted.values()) {
            for (ReplicaView view : report.replicas().values()) {
                ReplicaView held = best.get(view.partition());
                if (view.role() == ReplicaRole.LEADER && (held == null || view.term() > held.term()
                        || view.term() == held.term() && report.node().compareTo(derived.get(view.partition())) < 0)) {
                    best.put(view.partition(), view);
                    derived.put(view.partition(), report.node());
                }
            }
        }
        List<String> wrong = new java.util.ArrayList<>(hosts.check(reports));
        Set<NodeId> reported = new HashSet<>(reports.keySet());
        reported.addAll(counted.keySet());
        for (NodeId node : reported) {
            if (!uncounted.contains(node) && counted.get(node) != reports.get(node)) {
                wrong.add(node + "'s counted report is not its latest, and it is not listed to be counted");
            }
        }
        if (!derived.equals(claims.leaders())) {
            wrong.add("leaders kept for " + claims.leaders().size() + " partitions disagree with those of the reports (" + derived.size() + ")");
        }
        for (NodeReplicas report : counted.values()) {
            if (claims.claimedBy(report.node()) != report.ledCount()) {
                wrong.add(report.node() + " leads " + report.ledCount() + " by its report, " + claims.claimedBy(report.node()) + " by the claims");
            }
        }
        return wrong;
    }

    /** The partitions whose observed leader changed since the last call. */
    Set<PartitionId> takeLeaderChanges() {
        applyMovedLeaders();
        return claims.takeChanged();
    }

    /** {@code node}'s last report, if it is fresh enough to say what the worker holds now. */
    Optional<NodeReplicas> freshReport(NodeId node) {
        applyMovedLeaders();
        NodeReplicas last = reports.get(node);
        return last != null && !last.observedAt().plus(freshWithin).isBefore(now)
                ? Optional.of(last) : Optional.empty();
    }

    /** The client window of every alive worker whose last report is fresh and has one. */
    Map<NodeId, ClientWindow> clientWindows() {
        Map<NodeId, ClientWindow> windows = new NodeIdMap<>();
        for (NodeId node : alive) {
            freshReport(node).map(NodeReplicas::clients).ifPresent(window -> windows.put(node, window));
        }
        return windows;
    }

    /** Why the last poll of {@code node} failed, if it did after its last answer. */
    Optional<String> lastPollFailure(NodeId node) {
        applyMovedLeaders();
        Instant failedLast = failedAt.get(node);
        NodeReplicas last = reports.get(node);
        if (failedLast == null || (last != null && !failedLast.isAfter(last.observedAt()))) {
            return Optional.empty();
        }
        return Optional.ofNullable(failure.get(node));
    }

    /** Whether {@code node}'s last answer said it is in a graceful shutdown. */
    boolean shuttingDown(NodeId node) {
        applyMovedLeaders();
        NodeReplicas last = reports.get(node);
        return last != null && last.shuttingDown();
    }

    /** When {@code node} last answered, if it ever did in this term. */
    Optional<Instant> lastAnswer(NodeId node) {
        applyMovedLeaders();
        return Optional.ofNullable(reports.get(node)).map(NodeReplicas::observedAt);
    }
}
