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
    /**
     * The partitions whose memory has a call in flight, and those whose last failure may need a leader released
     * ({@link MoveStepper#releaseTransfer}): kept with every change of a memory ({@link #put}), so a pass visits these
     * instead of every partition's memory. In partition order, as the walks over every placement went.
     */
    private final java.util.TreeSet<PartitionId> inFlight = new java.util.TreeSet<>();
    private final java.util.TreeSet<PartitionId> transferTrouble = new java.util.TreeSet<>();

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
        put(partition, memory);
    }

    /** Every change of a memory comes here, so the sets kept beside the memories stay exact. */
    private void put(PartitionId partition, MoveMemory memory) {
        memories.put(partition, memory);
        if (memory.inFlight() != null) {
            inFlight.add(partition);
        } else {
            inFlight.remove(partition);
        }
        if (mayNeedRelease(memory)) {
            transferTrouble.add(partition);
        } else {
            transferTrouble.remove(partition);
        }
    }

    private void forget(java.util.Collection<PartitionId> partitions) {
        for (PartitionId partition : partitions) {
            memories.remove(partition);
            seenVersions.remove(partition);
            steps.remove(partition);
            inFlight.remove(partition);
            transferTrouble.remove(partition);
        }
    }

    /** The failures after which {@link MoveStepper#releaseTransfer} may step a leader down. */
    private static boolean mayNeedRelease(MoveMemory memory) {
        return memory.lastFailure() instanceof MoveFailure.TransferLeftPending || memory.lastFailure() instanceof MoveFailure.TransferPending;
    }

    /** The partitions whose memory's last failure is a leadership transfer left pending, in partition order. */
    java.util.SortedSet<PartitionId> transferTrouble() {
        return java.util.Collections.unmodifiableSortedSet(transferTrouble);
    }

    /**
     * What the sets kept beside the memories disagree on with the memories themselves, one line each; empty when they
     * agree. For the simulation's checks: a set that missed one update fails the run that caused it.
     */
    List<String> checkSets() {
        java.util.TreeSet<PartitionId> calls = new java.util.TreeSet<>();
        java.util.TreeSet<PartitionId> trouble = new java.util.TreeSet<>();
        memories.forEach((partition, memory) -> {
            if (memory.inFlight() != null) {
                calls.add(partition);
            }
            if (mayNeedRelease(memory)) {
                trouble.add(partition);
            }
        });
        List<String> wrong = new java.util.ArrayList<>();
        if (!calls.equals(inFlight)) {
            wrong.add("calls in flight kept " + inFlight + ", memories say " + calls);
        }
        if (!trouble.equals(transferTrouble)) {
            wrong.add("transfers left pending kept " + transferTrouble + ", memories say " + trouble);
        }
        return wrong;
    }

    Map<PartitionId, MoveMemory> memories() {
        return java.util.Collections.unmodifiableMap(memories);
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

    /** Forgets the step of every partition for which {@code keep} does not hold. */
    void stepsDoneUnless(java.util.function.Predicate<PartitionId> keep) {
        steps.keySet().removeIf(keep.negate());
    }

    /**
     * {@code observed} with every leadership transfer under way counted as done: the leader each partition will
     * have once its transfer completes. A transfer that fails shows its old leader again in a later pass.
     */
    java.util.function.Function<PartitionId, NodeId> leadersAfterTransfers(Map<PartitionId, NodeId> observed) {
        // The transfers under way over the observed leaders, without copying those: at a million partitions the copy was
        // a tenth of a drain's pass.
        Map<PartitionId, NodeId> expected = transferTargets();
        return expected.isEmpty() ? observed::get : partition -> expected.containsKey(partition) ? expected.get(partition) : observed.get(partition);
    }

    /** The target of every leadership transfer under way, by partition. */
    Map<PartitionId, NodeId> transferTargets() {
        Map<PartitionId, NodeId> targets = new HashMap<>();
        for (PartitionId partition : inFlight) {
            if (memories.get(partition).inFlight().action() instanceof MoveStep.ShedLeadership shed) {
                targets.put(partition, shed.to());
            }
        }
        return targets;
    }

    boolean anyCallInFlight() {
        return !inFlight.isEmpty();
    }

    /**
     * Keeps one memory per placed partition and records progress: a placement written (by anyone) since the
     * last look, or a joining member's log advancing.
     */
    void track(Map<PartitionId, VersionedPlacement> placements, Instant now) {
        List<PartitionId> removed = memories.keySet().stream().filter(partition -> !placements.containsKey(partition)).toList();
        track(placements.values(), removed, placements.size(), now);
    }

    /**
     * {@link #track(Map, Instant)} told what to look at: {@code looked} are the placements that changed since the last
     * call and those with a next set (a joiner's log may have advanced), {@code removed} the partitions whose placement is
     * gone, {@code placed} how many placements there are now. For any other placement the walk over every placement
     * changed nothing: its memory is for the same move (none), its version is the one seen, it has no joiner.
     */
    void track(java.util.Collection<VersionedPlacement> looked, java.util.Collection<PartitionId> removed, int placed, Instant now) {
        for (VersionedPlacement versioned : looked) {
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
            put(partition, memory);
        }
        forget(removed);
        if (memories.size() != placed) {
            throw new IllegalStateException("BUG: " + memories.size() + " move memories for " + placed + " placements after tracking");
        }
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
        put(event.partition(), memory);
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
        put(partition, memory.failed(callId, failure, at, retryAt, failedUnder, avoid, at.plus(stepper.avoidTargetFor())));
        publisher.moveStepFailed(partition, call.action(), failure, failures, MoveStepper.routine(failure), at);
    }

    /** A call whose future never completes must not hold its partition for ever. */
    void expireCalls(Instant now) {
        for (PartitionId partition : List.copyOf(inFlight)) {
            MoveMemory.Call call = memories.get(partition).inFlight();
            if (now.isAfter(call.deadline().plus(CALL_GRACE))) {
                failed(partition, call.id(), new MoveFailure.Timeout(call.action().describe(), Duration.between(call.startedAt(), call.deadline())), now);
            }
        }
    }
}
