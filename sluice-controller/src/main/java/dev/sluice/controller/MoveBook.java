package dev.sluice.controller;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.raft.MoveFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every partition's {@link MoveMemory} and current {@link MoveStep}, and how call outcomes change them.
 * Soft state of one leadership term, touched only on the controller's thread.
 */
final class MoveBook {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MoveBook.class);

    /**
     * How long past its own deadline a call may stay unanswered before it counts as timed out anyway: the
     * data plane fails its futures at the deadline plus a little, so this only matters if one never
     * completes.
     */
    static final Duration CALL_GRACE = Duration.ofSeconds(5);

    private final MoveStepper stepper;
    private final Observer observer;
    private final StatusPublisher publisher;
    private final ControllerMetrics metrics;
    private final Map<PartitionId, MoveMemory> memories = new HashMap<>();
    private final Map<PartitionId, Long> seenVersions = new HashMap<>();
    private final Map<PartitionId, MoveStep> steps = new TreeMap<>();

    MoveBook(MoveStepper stepper, Observer observer, StatusPublisher publisher, ControllerMetrics metrics) {
        this.stepper = stepper;
        this.observer = observer;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    MoveMemory memory(PartitionId partition) {
        return memories.get(partition);
    }

    void remember(PartitionId partition, MoveMemory memory) {
        memories.put(partition, memory);
    }

    Map<PartitionId, MoveMemory> memories() {
        return memories;
    }

    Map<PartitionId, MoveStep> steps() {
        return steps;
    }

    void step(PartitionId partition, MoveStep step) {
        MoveStep previous = steps.put(partition, step);
        // A move's hops, one line each, are how a slow drain is taken apart (docs/benchmarks.md).
        if (log.isDebugEnabled() && (previous == null || !previous.describe().equals(step.describe()))) {
            log.debug("{}: {}", partition, step.describe());
        }
    }

    void stepsDone(PartitionId partition) {
        steps.remove(partition);
    }

    /**
     * {@code observed} with every leadership transfer under way counted as done: the leader each partition will
     * have once its transfer completes. A transfer that fails shows its old leader again in a later pass.
     */
    Map<PartitionId, NodeId> leadersAfterTransfers(Map<PartitionId, NodeId> observed) {
        Map<PartitionId, NodeId> expected = new HashMap<>(observed);
        memories.forEach((partition, memory) -> {
            if (memory.inFlight() != null && memory.inFlight().action() instanceof MoveStep.ShedLeadership shed) {
                expected.put(partition, shed.to());
            }
        });
        return expected;
    }

    boolean anyCallInFlight() {
        return memories.values().stream().anyMatch(memory -> memory.inFlight() != null);
    }

    /**
     * Keeps one memory per placed partition and records progress: a placement written (by anyone) since the
     * last look, or a joining member's log advancing.
     */
    void track(Map<PartitionId, VersionedPlacement> placements, Instant now) {
        for (VersionedPlacement versioned : placements.values()) {
            Placement placement = versioned.placement();
            PartitionId partition = placement.partition();
            MoveMemory memory = memories.computeIfAbsent(partition, p -> MoveMemory.fresh(placement.next(), now)).forMove(placement.next(), now);
            Long seen = seenVersions.put(partition, versioned.version());
            if (seen == null || seen != versioned.version()) {
                memory = memory.progressed(now);
            }
            for (NodeId joiner : placement.joining()) {
                Optional<ReplicaView> replica = observer.view(joiner, partition);
                if (replica.isPresent()) {
                    memory = memory.joinersAt(replica.get().appliedIndex(), now);
                }
            }
            memories.put(partition, memory);
        }
        memories.keySet().retainAll(placements.keySet());
        seenVersions.keySet().retainAll(placements.keySet());
        steps.keySet().retainAll(placements.keySet());
    }

    void succeeded(ControllerEvent.CallSucceeded event) {
        MoveMemory memory = memories.get(event.partition());
        if (memory == null || memory.inFlight() == null || memory.inFlight().id() != event.callId()) {
            return;
        }
        MoveMemory.Call call = memory.inFlight();
        memory = switch (call.action()) {
            case MoveStep.StepDown stepDown -> {
                // Nobody is known to lead until the next report: the group may even elect the same member again.
                observer.leaderMoved(event.partition(), null);
                yield memory.succeeded(call.id(), null, event.at()).leaderReplaced();
            }
            case MoveStep.ShedLeadership shed -> {
                observer.leaderMoved(event.partition(), shed.to());
                Duration took = Duration.between(call.startedAt(), event.at());
                metrics.leadershipMoved(took);
                publisher.leadershipMoved(event.partition(), shed, took, event.at());
                yield memory.succeeded(call.id(), null, event.at()).leaderReplaced();
            }
            case MoveStep.ChangeConfiguration change -> memory.succeeded(call.id(), change.to(), event.at());
            case MoveStep.Confirm confirm -> memory.succeeded(call.id(), confirm.configuration(), event.at());
            case MoveStep.AwaitJoiner a -> throw new IllegalStateException("BUG: no call is started for " + a.kind());
            case MoveStep.AwaitLeader a -> throw new IllegalStateException("BUG: no call is started for " + a.kind());
            case MoveStep.InFlight a -> throw new IllegalStateException("BUG: no call is started for " + a.kind());
            case MoveStep.BackOff a -> throw new IllegalStateException("BUG: no call is started for " + a.kind());
            case MoveStep.Complete a -> throw new IllegalStateException("BUG: no call is started for " + a.kind());
        };
        memories.put(event.partition(), memory);
    }

    void failed(PartitionId partition, long callId, MoveFailure failure, Instant at) {
        MoveMemory memory = memories.get(partition);
        if (memory == null || memory.inFlight() == null || memory.inFlight().id() != callId) {
            return;
        }
        MoveMemory.Call call = memory.inFlight();
        if (failure instanceof MoveFailure.LeaderLeaving leaving) {
            // The data plane found the leader the observation missed: believe it, so the next step moves it.
            observer.leaderMoved(partition, leaving.leader());
        }
        int failures = memory.failures() + 1;
        Instant retryAt = at.plus(stepper.backoff(failure, failures));
        NodeId avoid = call.action() instanceof MoveStep.ShedLeadership shed ? shed.to() : null;
        boolean leadershipCall = call.action() instanceof MoveStep.ShedLeadership || call.action() instanceof MoveStep.StepDown;
        NodeId failedUnder = leadershipCall || !MoveStepper.blamesLeader(failure) ? null : call.leader();
        memories.put(partition, memory.failed(callId, failure, at, retryAt, failedUnder, avoid, at.plus(stepper.avoidTargetFor())));
        publisher.moveStepFailed(partition, call.action(), failure, failures, MoveStepper.routine(failure), at);
    }

    /** A call whose future never completes must not hold its partition for ever. */
    void expireCalls(Instant now) {
        for (Map.Entry<PartitionId, MoveMemory> entry : List.copyOf(memories.entrySet())) {
            MoveMemory.Call call = entry.getValue().inFlight();
            if (call != null && now.isAfter(call.deadline().plus(CALL_GRACE))) {
                failed(entry.getKey(), call.id(), new MoveFailure.Timeout(call.action().describe(), Duration.between(call.startedAt(), call.deadline())), now);
            }
        }
    }
}
