package dev.sluice.controller;

import dev.sluice.metadata.Fence;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.Explanation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Drains as operators see them: starts and ends (stored as {@link DrainRecord}s, so progress survives a
 * controller failover), one {@link DrainProgress} per drain each pass, and the stall rules.
 *
 * <p>A draining worker's partition is reported stalled, with a {@link StallReason}, when
 * <ul>
 *   <li>it is moving and its {@link MoveStep} has a stall reason, and it has made no progress for the
 *       stall period ({@link ControllerConfig#stallAfter()});
 *   <li>it is not moving and the scheduler has explained why it cannot plan the move (anything but
 *       throttling) in every pass for the stall period;
 *   <li>no placement names the worker any more but the worker still holds the group's files: at once
 *       when the worker reports the removal past its deadline, otherwise once the stall period has passed
 *       since the worker left its last replica set ({@link StallReason#REMOVAL_PENDING}); and if the worker
 *       does not answer, {@link StallReason#WORKER_NOT_REPORTING} after the same period.
 * </ul>
 * So a drain with nothing left to move is never silent for longer than the larger of the worker's
 * removal deadline plus one poll and one pass, and the stall period.
 */
final class DrainTracker {

    private final ControllerDocuments documents;
    private final StatusPublisher publisher;
    private final ControllerConfig config;
    private final Map<NodeId, DrainRecord> records;
    private final Set<NodeId> reportedStalled = new HashSet<>();
    /** When each draining worker was first seen in no replica set and leading nothing. */
    private final Map<NodeId, Instant> leftEverySetAt = new HashMap<>();
    /**
     * Since when the scheduler has explained, pass after pass, why it cannot move each partition: an
     * explanation counts as a stall only once it has lasted the stall period, so one pass's transient view
     * (a worker not heard from for a moment) is never reported.
     */
    private final Map<PartitionId, Instant> explainedSince = new HashMap<>();

    DrainTracker(ControllerDocuments documents, StatusPublisher publisher, ControllerConfig config) {
        this.documents = documents;
        this.publisher = publisher;
        this.config = config;
        this.records = new HashMap<>(documents.drains());
    }

    /** What one pass knows that drain progress is computed from. */
    record PassFacts(
            NodesConfiguration nodes,
            Collection<Placement> placements,
            Map<PartitionId, NodeId> observedLeaders,
            Map<PartitionId, MoveStep> steps,
            Map<PartitionId, MoveMemory> memories,
            List<Explanation> explanations,
            Function<NodeId, Emptiness.Holding> holdings,
            Instant now,
            Emptiness.Index index,
            Function<PartitionId, Placement> placement,
            java.util.SortedSet<PartitionId> moving) {}

    /**
     * Whether each drain's progress is also found by walking every partition naming the worker, and a disagreement fails
     * the pass: set in tests and the simulation, as the control loop's other kept sets are checked there.
     */
    boolean checkAgainstWalk;

    /** Starts and ends drain records as workers' states say, and returns the progress of every drain worth showing. */
    List<DrainProgress> track(PassFacts facts, Fence fence) {
        Map<PartitionId, Explanation> explained = new HashMap<>();
        for (Explanation explanation : facts.explanations()) {
            if (StallReason.of(explanation.reason()).isPresent()) {
                explained.putIfAbsent(explanation.partition(), explanation);
            }
        }
        explainedSince.keySet().retainAll(explained.keySet());
        explained.keySet().forEach(partition -> explainedSince.putIfAbsent(partition, facts.now()));
        List<DrainProgress> drains = new ArrayList<>();
        // Who is named where and leads what, kept across passes by the loop.
        Emptiness.Index index = facts.index();
        Map<NodeId, java.util.SortedSet<PartitionId>> mayStall = mayStall(facts, explained);
        // The records this pass starts or ends, written after the walk, many to a commit.
        List<DrainRecord> changedRecords = new ArrayList<>();
        List<ClusterEvent> recordEvents = new ArrayList<>();
        for (NodeConfig node : facts.nodes().workers()) {
            NodeId id = node.nodeId();
            DrainRecord record = records.get(id);
            if (record == null && node.workerState() != WorkerState.DRAINING) {
                // Neither draining nor with a drain to show: nothing below needs what it holds (asked of every worker,
                // that was a copy of every replica set a pass, 4 million entries at 1,000 × 1,000,000).
                leftEverySetAt.remove(id);
                continue;
            }
            Emptiness emptiness = index.of(id, facts.holdings().apply(id));
            int naming = emptiness.named().size();
            int led = emptiness.led().size();
            if (node.workerState() == WorkerState.DRAINING) {
                if (record == null || !record.drainVersion().equals(node.lastStateChange().version())) {
                    NodeId by = node.replacement() == null ? null : node.replacement().by();
                    record = new DrainRecord(id, node.id(), node.name(), node.lastStateChange().version(), node.lastStateChange().at(), naming, led, null, null,
                            by);
                    Map<String, Long> numbers = by == null ? Map.of("replicas", (long) naming, "leaderships", (long) led)
                            : Map.of("replicas", (long) naming, "leaderships", (long) led, "replacedBy", (long) by.value());
                    keep(record, changedRecords, recordEvents, ClusterEvent.of(facts.now(),
                            by == null ? EventKind.DRAIN_STARTED : EventKind.REPLACE_STARTED, id, null,
                            id + " (" + node.name() + ") " + (by == null ? "draining" : "being replaced by " + facts.nodes().label(by)) + ": " + naming
                                    + " replicas and " + led + " leaderships to move"
                                    + (node.lastStateChange().reason().isEmpty() ? "" : " (" + node.lastStateChange().reason() + ")"),
                            numbers));
                }
            } else if (record != null && record.running()) {
                Duration took = Duration.between(record.startedAt(), facts.now());
                boolean finished = node.workerState() == WorkerState.DISABLED;
                record = record.ended(node.workerState(), facts.now());
                EventKind kind = record.replacedBy() == null ? (finished ? EventKind.DRAIN_COMPLETED : EventKind.DRAIN_CANCELLED)
                        : finished ? EventKind.REPLACE_FINISHED : EventKind.REPLACE_CANCELLED;
                String what = record.replacedBy() == null ? (finished ? "drained and disabled after " : "drain cancelled after ")
                        : finished ? "replaced by " + facts.nodes().label(record.replacedBy()) + " and disabled after "
                        : "replace by " + facts.nodes().label(record.replacedBy()) + " cancelled (what moved stays there) after ";
                keep(record, changedRecords, recordEvents, ClusterEvent.of(facts.now(), kind, id, null,
                        id + " (" + node.name() + ") " + what
                                + took.toSeconds() + " s; " + Math.max(0, record.replicasAtStart() - naming) + " replicas moved",
                        Map.of("durationMillis", took.toMillis(), "replicasMoved", (long) Math.max(0, record.replicasAtStart() - naming))));
                reportedStalled.remove(id);
            }
            if (node.workerState() != WorkerState.DRAINING || !emptiness.leftEveryReplicaSet()) {
                leftEverySetAt.remove(id);
            } else {
                leftEverySetAt.putIfAbsent(id, facts.now());
            }
            if (record == null || (!record.running() && !record.drainVersion().equals(node.lastStateChange().version())
                    && node.workerState() != WorkerState.DISABLED)) {
                continue;
            }
            drains.add(progressOf(node, record, emptiness, facts, explained, mayStall.getOrDefault(id, java.util.Collections.emptySortedSet())));
        }
        // A commit each batch: a zone drained at once starts thousands in one pass, a round trip each before. A failed batch
        // leaves those before it written and known, as one at a time did.
        for (int from = 0; from < changedRecords.size(); from += ControllerDocuments.DRAIN_RECORDS_PER_COMMIT) {
            int to = Math.min(changedRecords.size(), from + ControllerDocuments.DRAIN_RECORDS_PER_COMMIT);
            documents.writeDrains(changedRecords.subList(from, to), recordEvents.subList(from, to), fence);
            changedRecords.subList(from, to).forEach(record -> records.put(record.node(), record));
        }
        return drains;
    }

    /**
     * For each worker with a drain under way, the partitions naming it that could count as moving off it or as stalled:
     * those moving (a partition at rest has no step to stall on and nothing leaving) and those the scheduler explains.
     * Found from the moves and the explanations, not from every partition naming a draining worker: at a zone of
     * 10,000 × 1,000,000 those are a million a pass, the moves at most the cluster's throttle.
     */
    private Map<NodeId, java.util.SortedSet<PartitionId>> mayStall(PassFacts facts, Map<PartitionId, Explanation> explained) {
        // Those whose drain progress this pass shows: draining (a drain that starts in this pass too), or with a drain record
        // not ended yet.
        Set<NodeId> draining = new HashSet<>();
        for (NodeConfig node : facts.nodes().workers()) {
            DrainRecord record = records.get(node.nodeId());
            if (node.workerState() == WorkerState.DRAINING || record != null && record.running()) {
                draining.add(node.nodeId());
            }
        }
        Map<NodeId, java.util.SortedSet<PartitionId>> byWorker = new HashMap<>();
        if (draining.isEmpty()) {
            return byWorker;
        }
        java.util.function.Consumer<PartitionId> add = partition -> {
            Placement placement = facts.placement().apply(partition);
            if (placement == null) {
                return;
            }
            for (NodeId member : placement.current()) {
                if (draining.contains(member)) {
                    byWorker.computeIfAbsent(member, node -> new java.util.TreeSet<>()).add(partition);
                }
            }
            for (NodeId member : placement.next()) {
                if (draining.contains(member)) {
                    byWorker.computeIfAbsent(member, node -> new java.util.TreeSet<>()).add(partition);
                }
            }
        };
        facts.moving().forEach(add);
        for (PartitionId partition : explained.keySet()) {
            // One at rest counts as stalled only once both its explanation and its last progress are a stall period
            // old (stallOf); a zone drained at once has most of its million partitions explained from the first pass.
            if (explainedLongEnough(partition, facts)) {
                add.accept(partition);
            }
        }
        return byWorker;
    }

    /** How many of {@code partitions} move off {@code id}, and which of them are stalled, in their order. */
    private record Movement(int movingOff, List<DrainProgress.StalledPartition> stalled) {}

    private Movement movementOf(NodeId id, Iterable<PartitionId> partitions, PassFacts facts, Map<PartitionId, Explanation> explained) {
        int movingOff = 0;
        List<DrainProgress.StalledPartition> stalled = new ArrayList<>();
        for (PartitionId partition : partitions) {
            Placement placement = facts.placement().apply(partition);
            if (placement.leaving().contains(id)) {
                movingOff++;
            }
            stallOf(id, placement, facts, explained).ifPresent(stalled::add);
        }
        return new Movement(movingOff, stalled);
    }

    /** What {@link #stallOf} asks of a partition at rest before it looks at its placement: both periods passed. */
    private boolean explainedLongEnough(PartitionId partition, PassFacts facts) {
        Instant explainedFrom = explainedSince.get(partition);
        return explainedFrom != null && stallPeriodPassed(lastProgress(partition, facts), facts.now()) && stallPeriodPassed(explainedFrom, facts.now());
    }

    /** When {@code partition} last made progress: now if nothing is remembered of it. */
    private static Instant lastProgress(PartitionId partition, PassFacts facts) {
        MoveMemory memory = facts.memories().get(partition);
        return memory == null ? facts.now() : memory.progressAt();
    }

    /** Whether the stall period has passed since {@code from}. */
    private boolean stallPeriodPassed(Instant from, Instant now) {
        return !from.plus(config.stallAfter()).isAfter(now);
    }

    private DrainProgress progressOf(NodeConfig node, DrainRecord record, Emptiness emptiness, PassFacts facts,
            Map<PartitionId, Explanation> explained, java.util.SortedSet<PartitionId> mayStall) {
        NodeId id = node.nodeId();
        Instant now = facts.now();
        int inFlight = 0;
        List<DrainProgress.StalledPartition> stalled = new ArrayList<>();
        if (record.running()) {
            // In partition order, as a walk over every partition naming the worker found them.
            Movement movement = movementOf(id, mayStall, facts, explained);
            if (checkAgainstWalk) {
                Movement walked = movementOf(id, emptiness.named(), facts, explained);
                if (!walked.equals(movement)) {
                    throw new IllegalStateException("BUG: " + id + "'s drain found " + movement + " from the moves and explanations, "
                            + walked + " by a walk over every partition naming it");
                }
            }
            inFlight = movement.movingOff();
            stalled.addAll(movement.stalled());
            stalled.addAll(filesLeftBehind(id, emptiness, now));
        }
        int naming = emptiness.named().size();
        int done = Math.max(0, record.replicasAtStart() - naming);
        Duration elapsed = Duration.between(record.startedAt(), record.running() ? now : record.completedAt());
        double perMinute = elapsed.toMillis() <= 0 ? 0 : done * 60_000.0 / elapsed.toMillis();
        Long etaSeconds = !record.running() ? Long.valueOf(0) : done == 0 ? null : Long.valueOf(Math.round(naming * 60.0 / perMinute));
        boolean isStalled = !stalled.isEmpty();
        if (isStalled && reportedStalled.add(id)) {
            logStall(node, stalled, naming, now);
        } else if (!isStalled) {
            reportedStalled.remove(id);
        }
        return new DrainProgress(id, node.id(), node.name(), node.workerState(), record.startedAt(), record.completedAt(), record.replicasAtStart(),
                naming, emptiness.led().size(), inFlight, done, perMinute, etaSeconds, isStalled, stalled,
                record.running() && !emptiness.holdsNothing() ? emptiness.blocker(now) : null, now, record.replacedBy(), 0);
    }

    /** Why one partition naming the draining worker is stuck, if it is and has been for the stall period. */
    private Optional<DrainProgress.StalledPartition> stallOf(NodeId draining, Placement placement, PassFacts facts,
            Map<PartitionId, Explanation> explained) {
        PartitionId partition = placement.partition();
        Instant since = lastProgress(partition, facts);
        if (!stallPeriodPassed(since, facts.now())) {
            return Optional.empty();
        }
        if (placement.hasNext()) {
            MoveStep step = facts.steps().get(partition);
            if (step == null) {
                return Optional.empty();
            }
            NodeId about = step instanceof MoveStep.AwaitJoiner joiner ? joiner.joiner() : draining;
            return step.stallReason().map(reason -> new DrainProgress.StalledPartition(partition, about, reason, step.describe(), since));
        }
        Explanation explanation = explained.get(partition);
        Instant explainedFrom = explainedSince.get(partition);
        if (explanation == null || !stallPeriodPassed(explainedFrom, facts.now())) {
            return Optional.empty();
        }
        Instant stalledSince = explainedFrom.isAfter(since) ? explainedFrom : since;
        // A replace waiting for its receiving worker names that worker: it is the one to look at.
        Long receiver = explanation.reason() == dev.sluice.scheduler.Reason.REPLACEMENT_UNAVAILABLE ? explanation.numbers().get("node") : null;
        NodeId about = receiver == null ? draining : NodeId.of(receiver.intValue());
        return StallReason.of(explanation.reason()).map(reason -> new DrainProgress.StalledPartition(partition, about, reason, explanation.message(),
                stalledSince));
    }

    /** The worker left every replica set but still holds files, or cannot say whether it does. */
    private List<DrainProgress.StalledPartition> filesLeftBehind(NodeId draining, Emptiness emptiness, Instant now) {
        Instant left = leftEverySetAt.get(draining);
        if (left == null) {
            return List.of();
        }
        boolean periodPassed = stallPeriodPassed(left, now);
        List<DrainProgress.StalledPartition> stalled = new ArrayList<>();
        switch (emptiness.holding()) {
            case Emptiness.Holding.NotRunning notRunning -> { }
            case Emptiness.Holding.Unknown unknown -> {
                if (periodPassed) {
                    stalled.add(new DrainProgress.StalledPartition(null, draining, StallReason.WORKER_NOT_REPORTING,
                            draining + " runs but does not answer status polls, so it is not known whether its files are gone: " + unknown.why(), left));
                }
            }
            case Emptiness.Holding.Reported reported -> {
                for (NodeReplicas.Removal removal : reported.report().removals()) {
                    if (removal.overdue() || periodPassed) {
                        stalled.add(new DrainProgress.StalledPartition(removal.partition(), draining, StallReason.REMOVAL_PENDING,
                                draining + " still holds " + removal.partition() + "'s files: removal pending for "
                                        + Duration.between(removal.since(), now).toSeconds() + " s (" + removal.detail() + ")", removal.since()));
                    }
                }
                if (periodPassed) {
                    for (PartitionId hosted : reported.report().replicas().keySet()) {
                        stalled.add(new DrainProgress.StalledPartition(hosted, draining, StallReason.REMOVAL_PENDING,
                                draining + " still hosts " + hosted + " although no placement names it; its removal has not started", left));
                    }
                }
            }
        }
        return stalled;
    }

    private void logStall(NodeConfig node, List<DrainProgress.StalledPartition> stalled, int remaining, Instant now) {
        String what = stalled.stream().limit(5).map(s -> s.partition() + " " + s.reason() + ": " + s.message()).reduce((a, b) -> a + "; " + b).orElse("");
        publisher.logEvent(ClusterEvent.of(now, EventKind.DRAIN_STALLED, node.nodeId(), null, node.nodeId() + " (" + node.name() + ") drain STALLED: " + what,
                Map.of("stalledPartitions", (long) stalled.size(), "replicasRemaining", (long) remaining)));
    }

    private static void keep(DrainRecord record, List<DrainRecord> records, List<ClusterEvent> events, ClusterEvent event) {
        records.add(record);
        events.add(event);
    }
}
