package dev.sluice.controller;

import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.Fence;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdSet;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.MoveFailure;
import dev.sluice.scheduler.Explanation;
import dev.sluice.wire.ClientImpactView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the controller tells operators: the published {@link ControllerStatus}, the meters, and the
 * events of the event log that are not written together with a placement. Keeps the event log bounded.
 */
final class StatusPublisher {

    private static final Logger log = LoggerFactory.getLogger(StatusPublisher.class);

    /** The published status is rewritten at least this often, so its rate and ETA stay fresh. */
    static final Duration STATUS_REFRESH = Duration.ofSeconds(1);

    /** Passes slower than this are logged at debug level. */
    private static final long SLOW_PASS_MILLIS = 100;

    /** How often the leader trims the event log back to {@link EventLog#RETAINED_EVENTS}. */
    static final Duration EVENT_TRIM_INTERVAL = Duration.ofMinutes(1);

    /** A failure that is not routine is logged as an event the first time and every this many times in a row after. */
    static final int FAILURE_EVENT_EVERY = 10;
    /**
     * Leadership transfers a pass writes an event for each; the rest of the pass's are summed up in one event. A drain of
     * a hundred workers at once moves ten thousand leaderships in a pass, ten times what the writer keeps waiting, so
     * nine in ten were dropped and the log kept only the newest thousand.
     */
    static final int LEADERSHIP_EVENTS_PER_PASS = 100;

    private final StatusWriter writer;
    private final Fence fence;
    private final String leaderId;
    private final ControllerMetrics metrics;
    private final ControllerConfig config;
    private final Set<NodeId> reportedDead = new NodeIdSet();
    /**
     * The nodes configuration and registered set {@link #reportDeaths} last walked: while neither changes there is nothing
     * to report, and a walk of every worker each pass found that at 10,000 workers (6 % of a drain pass).
     */
    private NodesConfiguration deathsCheckedIn;
    private Set<NodeId> registeredWhenChecked;

    private long passes;
    private ControllerStatus last;
    private Throttles throttles;
    private Instant eventsTrimmedAt = Instant.MIN;
    private String publishedSignature = "";
    private List<ControllerStatus.WorkerCounts> publishedWorkers = List.of();
    private Instant publishedAt = Instant.MIN;
    /** Events of the pass under way, handed to the writer when the pass ends. */
    private final List<ClusterEvent> pendingEvents = new ArrayList<>();
    /** Leadership transfers of this pass with an event each. */
    private int leadershipEvents;
    /** This pass's leadership transfers beyond {@link #LEADERSHIP_EVENTS_PER_PASS}, by why they moved, for the summing event. */
    private final Map<String, Long> leadershipsUnlisted = new java.util.TreeMap<>();
    private Instant lastUnlistedAt;

    StatusPublisher(StatusWriter writer, Fence fence, String leaderId, ControllerMetrics metrics, ControllerConfig config) {
        this.writer = writer;
        this.fence = fence;
        this.leaderId = leaderId;
        this.metrics = metrics;
        this.config = config;
    }

    /** The throttles the pass plans with, published with its status. */
    void throttlesInUse(Throttles value) {
        throttles = value;
    }

    ControllerStatus last() {
        return last;
    }

    /** Ends a pass: builds the status, updates the meters, publishes when something changed or the last is old. */
    void publish(NodesConfiguration nodes, List<ControllerStatus.MoveInFlight> moves,
            List<DrainProgress> drains, List<DrainGroupProgress> groups, List<Explanation> explanations, List<ControllerStatus.WorkerCounts> workers,
            ClientImpactView clients, PassTimings timings, Instant now) {
        long startedNanos = timings.startedNanos();
        trimEvents(now);
        passes++;
        long passMillis = (System.nanoTime() - startedNanos) / 1_000_000;
        metrics.passCompleted(Duration.ofNanos(System.nanoTime() - startedNanos));
        last = new ControllerStatus(leaderId, fence.version(), now, passes, passMillis, moves, 0, drains, explanations, 0, workers, clients, groups,
                throttles);
        metrics.observe(last, drains, nodes);
        String signature = moves.stream().map(m -> m.partition() + m.step() + m.lastError()).toList() + "|"
                + drains.stream().map(d -> d.node() + "" + d.state() + d.replicasRemaining() + d.leadershipsRemaining() + d.movesInFlight()
                        + d.stalledPartitions().stream().map(s -> s.partition() + "" + s.reason()).toList()).toList() + "|" + explanations.size()
                + "|" + groups.stream().map(g -> g.id() + g.state() + g.replicasRemaining() + g.movesInFlight() + g.deadlineStatus() + g.stalled()).toList()
                + "|" + (throttles == null ? "" : throttles.maxChangesPerNode() + "/" + throttles.maxChangesInCluster());
        // A write every pass would cost a round trip for nothing most of the time. The workers' counts are
        // compared as records, not rendered into the signature: that made every pass build a string the
        // length of the worker list.
        if (signature.equals(publishedSignature) && workers.equals(publishedWorkers) && publishedAt.plus(STATUS_REFRESH).isAfter(now)) {
            writer.submit(null, List.of(), takeEvents());
        } else {
            writer.submit(last, drains, takeEvents());
            publishedSignature = signature;
            publishedWorkers = workers;
            publishedAt = now;
        }
        logIfSlow(timings);
    }

    /** The events logged since the last submission, handed over in order. */
    private List<ClusterEvent> takeEvents() {
        leadershipEvents = 0;
        if (!leadershipsUnlisted.isEmpty()) {
            long unlisted = leadershipsUnlisted.values().stream().mapToLong(Long::longValue).sum();
            logEvent(ClusterEvent.of(lastUnlistedAt, EventKind.LEADERSHIP_MOVED, null, null, "and " + unlisted
                    + " more leadership transfers in this pass (" + leadershipsUnlisted.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                            .collect(java.util.stream.Collectors.joining(", ")) + ")", Map.of("leaderships", unlisted)));
            leadershipsUnlisted.clear();
        }
        if (pendingEvents.isEmpty()) {
            return List.of();
        }
        List<ClusterEvent> taken = List.copyOf(pendingEvents);
        pendingEvents.clear();
        return taken;
    }

    private void logIfSlow(PassTimings timings) {
        timings.lap("publish");
        long passMillis = (System.nanoTime() - timings.startedNanos()) / 1_000_000;
        if (passMillis > SLOW_PASS_MILLIS) {
            log.debug("pass {} took {} ms: {}", passes, passMillis, timings);
        }
    }

    void reportDeaths(NodesConfiguration nodes, Set<NodeId> registered, Instant now) {
        if (nodes == deathsCheckedIn && registered.equals(registeredWhenChecked)) {
            // Nobody died or came back since the last walk, which reported every change up to it.
            return;
        }
        for (NodeConfig node : nodes.workers()) {
            NodeId id = node.nodeId();
            if (!registered.contains(id) && reportedDead.add(id)) {
                String consequence = node.inMaintenanceAt(now)
                        ? "it is in maintenance until " + node.maintenance().until() + ", so its replicas are kept until then"
                        : "its replicas are replaced after " + config.limits().deadNodeGrace().toSeconds() + " s unless it comes back";
                logEvent(ClusterEvent.of(now, EventKind.NODE_DEAD, id, null, id + " (" + node.name() + ") has no liveness entry; " + consequence,
                        Map.of("graceSeconds", config.limits().deadNodeGrace().toSeconds())));
            } else if (registered.contains(id) && reportedDead.remove(id)) {
                logEvent(ClusterEvent.of(now, EventKind.NODE_ALIVE, id, null, id + " (" + node.name() + ") is alive again", Map.of()));
            }
        }
        deathsCheckedIn = nodes;
        registeredWhenChecked = NodeIdSet.copyOf(registered);
    }

    void leadershipMoved(PartitionId partition, MoveStep.ShedLeadership shed, Duration took, Instant at) {
        if (leadershipEvents >= LEADERSHIP_EVENTS_PER_PASS) {
            leadershipsUnlisted.merge(shed.why(), 1L, Long::sum);
            lastUnlistedAt = at;
            return;
        }
        leadershipEvents++;
        logEvent(ClusterEvent.of(at, EventKind.LEADERSHIP_MOVED, shed.from(), partition,
                partition + " leadership " + shed.from() + " → " + shed.to() + " in " + took.toMillis() + " ms (" + shed.why() + ")",
                Map.of("durationMillis", took.toMillis())));
    }

    /**
     * A call failed. Routine failures (the protocol expects them: a leader change, an earlier change still
     * committing) are only logged at debug level; the others are counted, logged, and written as an event.
     */
    void moveStepFailed(PartitionId partition, MoveStep action, MoveFailure failure, int failures, boolean routine, Instant at) {
        if (routine) {
            log.debug("{}: {} met {} ({} in a row): {}", partition, action.kind().wireName(), failure.kind().wireName(), failures, failure.detail());
            return;
        }
        metrics.moveStepFailed();
        log.warn("{}: {} failed ({} in a row): {}", partition, action.describe(), failures, failure.detail());
        if (failures == 1 || failures % FAILURE_EVENT_EVERY == 0) {
            logEvent(ClusterEvent.of(at, EventKind.PARTITION_MOVE_FAILED, null, partition,
                    partition + ": " + action.describe() + " failed: " + failure.detail(), Map.of("failures", (long) failures)));
        }
    }

    void firstPlacements(int partitions, Instant now) {
        logEvent(ClusterEvent.of(now, EventKind.PARTITION_MOVED, null, null, partitions + " partition(s) got their first replica set",
                Map.of("partitions", (long) partitions)));
    }

    /** Keeps the event log bounded; the audit log, which transitions also go to, is never trimmed. */
    private void trimEvents(Instant now) {
        if (eventsTrimmedAt.plus(EVENT_TRIM_INTERVAL).isAfter(now)) {
            return;
        }
        eventsTrimmedAt = now;
        writer.trimEvents();
    }

    /**
     * Logs {@code event} with the end of this pass's work: the events of a pass go to the store in one
     * commit, with the status when it is written. One commit per event cost a drain pass in which six
     * leadership transfers succeeded six ZooKeeper round trips (~0.4 s) before it could complete a move.
     * Within a pass, such events may therefore follow the placement changes the pass wrote, though each
     * keeps the time it happened at.
     */
    void logEvent(ClusterEvent event) {
        pendingEvents.add(event);
    }
}
