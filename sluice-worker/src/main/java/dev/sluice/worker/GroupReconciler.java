package dev.sluice.worker;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.RemovalStatus;
import dev.sluice.worker.GroupHost.GroupState;
import dev.sluice.worker.Removal.Purpose;
import dev.sluice.worker.Removal.Step;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the groups on this node equal to the desired ones, and owns the table of removals in progress.
 *
 * <p>Rules of one {@link #pass}, in order (all of them level-triggered: a pass looks at the whole desired
 * state and at what the host lists now, so passes can be repeated or skipped at any point):
 * <ol>
 *   <li>A listed group no placement wants is removed ({@link Purpose#LEAVE}); so is a group directory on
 *       disk the server does not list (left by a removal a restart interrupted).
 *   <li>A wanted group that is listed but {@link GroupState#BROKEN} is repaired ({@link Purpose#REPAIR}):
 *       removed, files deleted, and created again by a later pass, which makes the leader stage it afresh.
 *       Keeping it would leave the partition one replica short for good, while the controller's changes
 *       fail with "does not host the group".
 *   <li>A wanted group not listed, and not being removed or created already, is created with its peers, on
 *       a creation thread ({@link #CREATION_PARALLELISM} at a time).
 *   <li>While the disk is low ({@code mayGrow} false), no group is created and none is repaired: a new or
 *       repaired group is staged with a snapshot and a log, which the disk has no room for, and a division that
 *       broke on a full disk keeps its data for when the Raft server restarts. Removals go on: they free space.
 *   <li>At most {@link #MAX_CHANGES_PER_PASS} decisions per pass; another pass follows at once.
 *   <li>Removals advance: a leader waits for leadership to move (at most {@link #LEADERSHIP_MOVE_WAIT_MAX});
 *       a queued one starts a call on a removal thread when one is free; a failed call is retried after
 *       {@link #REMOVAL_RETRY_DELAY}, at most {@link #REMOVAL_ATTEMPTS_MAX} attempts.
 * </ol>
 *
 * <p>Removal calls run on {@code calls}, never on the pass thread: Ratis's group remove waits without a
 * deadline for the division to close, and has been seen waiting for good. A call past
 * {@link #REMOVAL_DEADLINE} is reported overdue and stops counting against {@link #REMOVAL_PARALLELISM},
 * so the other removals go on; at most {@link #STUCK_CALLS_MAX} such calls may hold threads. A stuck call
 * is never started a second time: Ratis has taken the group off its list when the first call began, so a
 * second call could only delete files under a division that is still closing. The removal completes when
 * the stuck call returns, or at the next restart, when the group is found on disk and removed again.
 *
 * <p>Threads: {@link #pass} runs on one thread at a time (the worker's loop); calls report back through
 * the removal table, whose entries are immutable and replaced atomically, then ask for another pass.
 */
final class GroupReconciler {

    private static final Logger log = LoggerFactory.getLogger(GroupReconciler.class);

    /** Decisions (creations and removals started) one pass makes at most; the next pass continues. */
    static final int MAX_CHANGES_PER_PASS = 64;
    /**
     * Removal calls running at once, not counting overdue ones. A removal takes 40 ms to 1 s; four clear
     * an 18-replica drain in a few seconds instead of the 3 s tail one at a time gave, while leaving the two
     * cores to the divisions that keep serving.
     */
    static final int REMOVAL_PARALLELISM = 4;
    /**
     * Group creations running at once. Creating a division takes 50-200 ms (storage, log, state machine);
     * one at a time, the third joiner of a drain's wave waited ~0.5 s for the first two, with every move of
     * the wave waiting for its joiner.
     */
    static final int CREATION_PARALLELISM = 4;
    /** Overdue calls allowed to keep their threads; beyond that, new removals wait (the bound on threads). */
    static final int STUCK_CALLS_MAX = 4;
    /** All removal threads there can be. */
    static final int REMOVAL_THREADS_MAX = REMOVAL_PARALLELISM + STUCK_CALLS_MAX;
    /**
     * How long one removal call may take before it is reported overdue: ten times the slowest removal
     * measured (about 1 s), so only a call that is really stuck is flagged.
     */
    static final Duration REMOVAL_DEADLINE = Duration.ofSeconds(10);
    /**
     * How long a leading division waits for the controller's leadership transfer before it is removed
     * anyway. Transfers took 130–430 ms; removing a division while its leadership is being handed over
     * made Ratis's remove wait for good, and removing a leader forces an election on the others.
     */
    static final Duration LEADERSHIP_MOVE_WAIT_MAX = Duration.ofSeconds(5);
    /** Calls one removal gets before it waits for the next restart. */
    static final int REMOVAL_ATTEMPTS_MAX = 3;
    /** Wait between a failed call and the next attempt, so a failing disk is not hammered. */
    static final Duration REMOVAL_RETRY_DELAY = Duration.ofSeconds(1);

    static {
        if (REMOVAL_DEADLINE.compareTo(LEADERSHIP_MOVE_WAIT_MAX) <= 0 || REMOVAL_PARALLELISM < 1 || STUCK_CALLS_MAX < 0) {
            throw new IllegalStateException("BUG: removal limits are inconsistent");
        }
    }

    private final String name;
    private final GroupHost host;
    private final InstantSource clock;
    private final Executor calls;
    private final Executor creations;
    private final Consumer<Duration> passAgainAfter;
    /**
     * Calls stuck in Ratis's remove whose removal was completed without them (see {@link #abandonStuckCall});
     * they keep their threads until they return, and count against {@link #REMOVAL_THREADS_MAX}.
     */
    private final Set<CallKey> abandoned = ConcurrentHashMap.newKeySet();
    /** The thread running each removal call, so an overdue one can say where it waits. */
    private final ConcurrentHashMap<PartitionId, Thread> removalThreads = new ConcurrentHashMap<>();
    /** Partitions whose creation call is under way; a pass does not start a second one. */
    private final Set<PartitionId> creating = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<PartitionId, Removal> removals = new ConcurrentHashMap<>();
    /** The desired partitions of the latest pass; a call about to start checks it once more. */
    private volatile Set<PartitionId> lastDesired = Set.of();
    /** Whether the latest pass allowed groups to be created; a creation about to start checks it once more. */
    private volatile boolean growing = true;
    /** Removals whose overdue call has been logged, with the attempt; only the pass thread uses it. */
    private final Map<PartitionId, Integer> overdueLogged = new TreeMap<>();

    /**
     * @param calls runs removal calls; must allow {@link #REMOVAL_THREADS_MAX} of them at once
     * @param creations runs group creations, {@link #CREATION_PARALLELISM} at a time
     * @param passAgainAfter asks for another pass after the delay (zero: as soon as possible)
     */
    GroupReconciler(String name, GroupHost host, InstantSource clock, Executor calls, Executor creations, Consumer<Duration> passAgainAfter) {
        this.name = name;
        this.host = host;
        this.clock = clock;
        this.calls = calls;
        this.creations = creations;
        this.passAgainAfter = passAgainAfter;
    }

    /** A pass with room on the disk. */
    void pass(Map<PartitionId, List<NodeConfig>> desired) {
        pass(desired, true);
    }

    /**
     * One pass.
     *
     * @param desired every partition whose placement names this node, with the peers to create its group
     *     with; an empty list when a member is not known yet (it is created by a later pass)
     * @param mayGrow whether groups may be created or repaired (false while the disk is low)
     */
    void pass(Map<PartitionId, List<NodeConfig>> desired, boolean mayGrow) {
        Instant now = clock.instant();
        lastDesired = Set.copyOf(desired.keySet());
        growing = mayGrow;
        Map<PartitionId, GroupState> listed = host.groups();
        int budget = MAX_CHANGES_PER_PASS;
        budget = decideRemovals(desired, listed, now, budget, mayGrow);
        if (mayGrow) {
            budget = createMissing(desired, listed, budget);
        }
        Optional<Duration> wake = advanceRemovals(desired, listed, now);
        overdueLogged.keySet().retainAll(removals.keySet());
        if (budget <= 0) {
            passAgainAfter.accept(Duration.ZERO);
        } else {
            wake.ifPresent(passAgainAfter);
        }
    }

    private int decideRemovals(Map<PartitionId, List<NodeConfig>> desired, Map<PartitionId, GroupState> listed, Instant now, int budget,
            boolean mayRepair) {
        for (Map.Entry<PartitionId, GroupState> group : listed.entrySet()) {
            PartitionId partition = group.getKey();
            if (budget <= 0 || removals.containsKey(partition)) {
                continue;
            }
            if (!desired.containsKey(partition)) {
                Step first = group.getValue() == GroupState.LEADING ? Step.AWAITING_LEADERSHIP_MOVE : Step.QUEUED;
                removals.put(partition, Removal.start(partition, Purpose.LEAVE, first, now));
                budget--;
            } else if (group.getValue() == GroupState.BROKEN && mayRepair) {
                log.warn("{}: the group of {} is listed but not running; removing it to create it afresh", name, partition);
                removals.put(partition, Removal.start(partition, Purpose.REPAIR, Step.QUEUED, now));
                budget--;
            }
        }
        for (PartitionId partition : host.groupsOnDisk()) {
            if (budget > 0 && !listed.containsKey(partition) && !desired.containsKey(partition) && !removals.containsKey(partition)) {
                removals.put(partition, Removal.start(partition, Purpose.LEAVE, Step.QUEUED, now));
                budget--;
            }
        }
        return budget;
    }

    private int createMissing(Map<PartitionId, List<NodeConfig>> desired, Map<PartitionId, GroupState> listed, int budget) {
        for (Map.Entry<PartitionId, List<NodeConfig>> wanted : desired.entrySet()) {
            PartitionId partition = wanted.getKey();
            if (budget <= 0 || listed.containsKey(partition) || removals.containsKey(partition) || wanted.getValue().isEmpty()
                    || creating.contains(partition)) {
                continue;
            }
            budget--;
            List<NodeConfig> peers = wanted.getValue();
            creating.add(partition);
            try {
                creations.execute(() -> create(partition, peers));
            } catch (RejectedExecutionException closing) {
                creating.remove(partition);
            }
        }
        return budget;
    }

    private void create(PartitionId partition, List<NodeConfig> peers) {
        try {
            // The placement, or the disk, may have moved on while the call waited for a thread.
            if (growing && lastDesired.contains(partition) && !removals.containsKey(partition) && host.add(partition, peers)) {
                log.info("{}: created {} with peers {}", name, partition, peers.stream().map(NodeConfig::nodeId).toList());
            }
        } catch (IOException | RuntimeException failed) {
            log.warn("{}: creating {} failed; the next pass retries: {}", name, partition, failed.toString());
        } finally {
            creating.remove(partition);
        }
    }

    /** Moves every removal on as far as it can go now; returns when the next pass is needed, if at all. */
    private Optional<Duration> advanceRemovals(Map<PartitionId, List<NodeConfig>> desired, Map<PartitionId, GroupState> listed, Instant now) {
        Duration wake = null;
        for (Removal removal : new TreeMap<>(removals).values()) {
            PartitionId partition = removal.partition();
            boolean wanted = desired.containsKey(partition);
            if (!removal.step().holdsThread() && removal.step() != Step.GAVE_UP && removal.purpose() == Purpose.LEAVE && wanted) {
                removals.remove(partition, removal);
                log.info("{}: {} is placed here again; its removal is cancelled", name, partition);
                continue;
            }
            Thread callThread = removalThreads.get(partition);
            if (removal.step() == Step.REMOVING_GROUP && removal.overdue(now, REMOVAL_DEADLINE) && !listed.containsKey(partition)
                    && host.removeWaitsForNothing(callThread)) {
                logOverdueOnce(removal, now);
                if (abandonStuckCall(removal, now)) {
                    continue;
                }
            }
            Removal current = removal.withPurpose(wanted ? removal.purpose() : Purpose.LEAVE);
            Duration until = switch (current.step()) {
                case AWAITING_LEADERSHIP_MOVE -> {
                    Duration waited = Duration.between(current.stepSince(), now);
                    if (listed.get(partition) == GroupState.LEADING && waited.compareTo(LEADERSHIP_MOVE_WAIT_MAX) < 0) {
                        yield LEADERSHIP_MOVE_WAIT_MAX.minus(waited);
                    }
                    current = current.to(Step.QUEUED, now);
                    yield null;
                }
                case RETRY_WAIT -> {
                    Duration waited = Duration.between(current.stepSince(), now);
                    if (waited.compareTo(REMOVAL_RETRY_DELAY) < 0) {
                        yield REMOVAL_RETRY_DELAY.minus(waited);
                    }
                    current = current.to(Step.QUEUED, now);
                    yield null;
                }
                case REMOVING_GROUP, DELETING_FILES -> {
                    if (!current.overdue(now, REMOVAL_DEADLINE)) {
                        // Wake at the deadline: the call then stops counting against the parallelism.
                        yield REMOVAL_DEADLINE.minus(Duration.between(current.stepSince(), now)).plusMillis(1);
                    }
                    logOverdueOnce(current, now);
                    yield null;
                }
                case QUEUED, GAVE_UP -> null;
            };
            if (current != removal) {
                removals.replace(partition, removal, current);
            }
            if (current.step() == Step.QUEUED && startCall(current, now)) {
                // Wake at the new call's deadline, as for the calls already running.
                until = REMOVAL_DEADLINE.plusMillis(1);
            }
            if (until != null && (wake == null || until.compareTo(wake) < 0)) {
                wake = until;
            }
        }
        return Optional.ofNullable(wake);
    }

    /** Starts a call for a queued removal if a removal thread may be used; returns whether it did. */
    private boolean startCall(Removal queued, Instant now) {
        List<Removal> holding = removals.values().stream().filter(r -> r.step().holdsThread()).toList();
        long overdue = holding.stream().filter(r -> r.overdue(now, REMOVAL_DEADLINE)).count();
        if (holding.size() - overdue >= REMOVAL_PARALLELISM || holding.size() + abandoned.size() >= REMOVAL_THREADS_MAX) {
            return false;
        }
        Removal started = queued.attemptStarted(now);
        if (!removals.replace(queued.partition(), queued, started)) {
            return false;
        }
        try {
            calls.execute(() -> runCall(started));
            return true;
        } catch (RejectedExecutionException stopping) {
            removals.replace(started.partition(), started, queued);
            return false;
        }
    }

    /** Runs on a removal thread: remove the group if the server still lists it, then delete its files. */
    private void runCall(Removal started) {
        PartitionId partition = started.partition();
        String failure = null;
        removalThreads.put(partition, Thread.currentThread());
        try {
            if (abandoned.remove(CallKey.of(started))) {
                // Dropped before it began (its Raft server stopped); the server now running is not its business.
                return;
            }
            if (started.purpose() == Purpose.LEAVE && lastDesired.contains(partition)) {
                removals.remove(partition, started);
                log.info("{}: {} is placed here again; its removal is cancelled", name, partition);
                return;
            }
            host.remove(partition);
            Removal deleting = removals.computeIfPresent(partition, (p, r) -> sameCall(r, started) ? r.deleting() : r);
            if (deleting == null || !sameCall(deleting, started)) {
                // Abandoned while stuck: its files are gone, and the group may exist again, so delete nothing.
                abandoned.remove(CallKey.of(started));
                log.info("{}: the stuck remove of {} returned after {} ms; its removal was completed without it", name, partition,
                        Duration.between(started.stepSince(), clock.instant()).toMillis());
                return;
            }
            host.deleteFiles(partition);
        } catch (IOException | RuntimeException failed) {
            if (abandoned.remove(CallKey.of(started))) {
                // Its removal was dropped without it (its Raft server stopped under it): nothing to record.
                return;
            }
            failure = failed.toString();
        } finally {
            removalThreads.remove(partition, Thread.currentThread());
        }
        finish(started, failure);
    }

    /**
     * The Raft server stopped under the removals (the worker's disk went critical), on the loop thread. A call
     * still in Ratis's remove was made on a server that is gone, so its removal is dropped: the first pass
     * after the next server starts decides afresh, from what that server lists and what is on disk, whether
     * the group leaves (or is repaired) or stays. The old call keeps its thread until it returns, counted like a
     * stuck one, and changes nothing when it does. Kept, such a removal stayed "in Ratis" for good after the
     * restart: the partition was reported as neither a replica nor gone, and a move placing it back here
     * waited for its group for ever (seen in the fill-disk chaos run). Calls deleting files need no server and
     * go on; see {@link #deletingFiles()}.
     */
    void serverStopped() {
        for (Removal removal : List.copyOf(removals.values())) {
            if (removal.step() == Step.REMOVING_GROUP && removals.remove(removal.partition(), removal)) {
                abandoned.add(CallKey.of(removal));
                log.info("{}: the Raft server stopped during the removal of {}; the next pass after it starts decides again", name,
                        removal.partition());
            }
        }
    }

    /** Whether a removal call is deleting a group's files now: a Raft server must not start from a directory half deleted. */
    boolean deletingFiles() {
        return removals.values().stream().anyMatch(removal -> removal.step() == Step.DELETING_FILES);
    }

    private void logOverdueOnce(Removal overdue, Instant now) {
        if (!Integer.valueOf(overdue.attempts()).equals(overdueLogged.put(overdue.partition(), overdue.attempts()))) {
            // Where the call waits is what a report of a stuck removal needs (Ratis's remove has hung here).
            log.warn("{}: removing {} is overdue: {}; the call waits at:{}", name, overdue.partition(), RemovalDetail.describe(overdue, now, 0),
                    stackOf(removalThreads.get(overdue.partition())));
        }
    }

    /** Identifies one removal call: a later removal of the same partition has a later start. */
    private record CallKey(PartitionId partition, Instant since, int attempt) {
        static CallKey of(Removal removal) {
            return new CallKey(removal.partition(), removal.since(), removal.attempts());
        }
    }

    private static boolean sameCall(Removal a, Removal b) {
        return a.since().equals(b.since()) && a.attempts() == b.attempts();
    }

    /**
     * Completes the removal of a group whose remove call is stuck in Ratis waiting for nothing
     * ({@link GroupHost#removeWaitsForNothing}) although Ratis no longer lists the group: its directory is
     * deleted here, and the call keeps its thread until it returns. Ratis takes the group off its list before
     * it waits for the division to close, and that wait has been seen lasting until the process stopped;
     * meanwhile the partition could not be created here again, and a move placing it back here waited for
     * good (found by the 50-drain loop). Safe because no close of a division is running that could still
     * write the files, the remove is asked not to delete the directory itself ({@link GroupHost#remove}),
     * and a call that returns late finds its removal gone and deletes nothing, so a group created since is
     * never touched.
     *
     * @return whether the removal was completed
     */
    private boolean abandonStuckCall(Removal stuck, Instant now) {
        PartitionId partition = stuck.partition();
        if (!removals.remove(partition, stuck)) {
            return false;
        }
        abandoned.add(CallKey.of(stuck));
        try {
            host.deleteFiles(partition);
            log.warn("{}: Ratis's remove of {} has not returned for {} s and the group is no longer listed; its files are deleted and the "
                    + "removal is complete; the call keeps its thread until it returns ({} such call(s))", name, partition,
                    Duration.between(stuck.stepSince(), now).toSeconds(), abandoned.size());
        } catch (IOException | RuntimeException failed) {
            log.warn("{}: Ratis's remove of {} is stuck and deleting its files failed; they are removed when found on disk: {}", name, partition,
                    failed.toString());
        }
        return true;
    }

    private static String stackOf(Thread thread) {
        if (thread == null) {
            return " (no thread)";
        }
        StringBuilder stack = new StringBuilder();
        StackTraceElement[] frames = thread.getStackTrace();
        for (int i = 0; i < Math.min(frames.length, 40); i++) {
            stack.append("\n\tat ").append(frames[i]);
        }
        return stack.toString();
    }

    private void finish(Removal started, String failure) {
        Instant now = clock.instant();
        PartitionId partition = started.partition();
        if (failure == null) {
            Removal done = removals.remove(partition);
            log.info("{}: {} {} in {} ms ({} attempt(s))", name, done != null && done.purpose() == Purpose.REPAIR ? "cleared broken group" : "removed",
                    partition, Duration.between(started.since(), now).toMillis(), started.attempts());
        } else {
            Step next = started.attempts() >= REMOVAL_ATTEMPTS_MAX ? Step.GAVE_UP : Step.RETRY_WAIT;
            removals.computeIfPresent(partition, (p, r) -> r.attempts() == started.attempts() ? r.failed(next, now, failure) : r);
            log.warn("{}: removing {} failed (attempt {} of {}){}: {}", name, partition, started.attempts(), REMOVAL_ATTEMPTS_MAX,
                    next == Step.GAVE_UP ? "; giving up until the next restart" : "", failure);
        }
        passAgainAfter.accept(Duration.ZERO);
    }

    /** Partitions with a removal in progress, repairs included: none of them is reported as a replica. */
    Set<PartitionId> removing() {
        return Set.copyOf(removals.keySet());
    }

    /** The removals the status reports: every group leaving this node whose files are not all gone yet. */
    List<RemovalStatus> removals() {
        Instant now = clock.instant();
        List<RemovalStatus> report = new ArrayList<>();
        for (Removal removal : new TreeMap<>(removals).values()) {
            if (removal.purpose() == Purpose.LEAVE) {
                report.add(new RemovalStatus(removal.partition(), removal.since(), removal.attempts(), removal.overdue(now, REMOVAL_DEADLINE),
                        RemovalDetail.describe(removal, now, stuckCalls(now))));
            }
        }
        return report;
    }

    private long stuckCalls(Instant now) {
        return removals.values().stream().filter(r -> r.step().holdsThread() && r.overdue(now, REMOVAL_DEADLINE)).count() + abandoned.size();
    }
}
