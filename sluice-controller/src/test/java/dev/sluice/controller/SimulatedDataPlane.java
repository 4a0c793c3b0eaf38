package dev.sluice.controller;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.wire.ReplicaRole;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import dev.sluice.raft.MoveFailure;
import dev.sluice.raft.ReplicaSetAdminException;

/**
 * Raft groups in memory, behaving as the controller relies on: workers host exactly the groups their
 * placements name ({@link #reconcile}), a group elects a leader among its live voting members when a
 * majority of them runs, leadership transfers and configuration changes complete a few steps after they
 * are asked for (or fail when the group cannot do them). Deterministic: nothing happens between
 * {@link #step()} calls.
 */
final class SimulatedDataPlane implements DataPlane {

    static final class Group {
        List<NodeId> configuration;
        NodeId leader;
        long term;
        boolean changing;

        Group(List<NodeId> configuration) {
            this.configuration = List.copyOf(configuration);
        }
    }

    /** An operation that completes {@code latencySteps} steps later; an action that returns null leaves its future to someone else. */
    private record Delayed(int dueStep, Supplier<Boolean> action, CompletableFuture<Void> future, String what) {}

    /**
     * A configuration change whose new member {@code joiner} died before it caught up: Ratis keeps staging it
     * for as long as the group takes writes (in the simulation, always), refusing every other change, until
     * the leader stops leading or the member answers again.
     */
    private record Staging(NodeId joiner, List<NodeId> wanted, CompletableFuture<Void> call) {}

    private final Map<PartitionId, Group> groups = new TreeMap<>();
    private final Map<NodeId, Set<PartitionId>> hosted = new TreeMap<>();
    /** {@link #hosted} by partition, so a reconcile of a few changed placements finds their hosts without asking every worker. */
    private final Map<PartitionId, Set<NodeId>> hostedBy = new HashMap<>();
    private final Set<NodeId> down = new HashSet<>();
    private final HostedSets hostedSets = new HostedSets();
    private final List<Delayed> delayed = new ArrayList<>();
    private final int latencySteps;
    private int step;
    private Instant now = Instant.EPOCH;
    int transfers;
    int reconfigurations;
    /** Partitions whose group refuses every configuration change while this node leads it. */
    final Map<PartitionId, NodeId> stuckUnder = new HashMap<>();
    /** Groups whose removal hangs on the node (as Ratis's group remove once did): node → partitions. */
    final Map<NodeId, Set<PartitionId>> removalsHang = new HashMap<>();
    /** Groups a node never creates although its placement names it: node → partitions. */
    final Map<NodeId, Set<PartitionId>> neverHost = new HashMap<>();
    /** Partitions whose group cannot elect a leader (its leader is gone and no election succeeds). */
    final Set<PartitionId> noElection = new HashSet<>();
    /** Nodes whose process hangs: their liveness entry stays, but status polls and Raft calls to them fail. */
    final Set<NodeId> unresponsive = new HashSet<>();
    /** Workers whose status answers take this many steps (a busy machine), instead of arriving at once. */
    final Map<NodeId, Integer> slowStatus = new HashMap<>();
    private final List<Map.Entry<Integer, Runnable>> slowAnswers = new ArrayList<>();
    /** Partitions whose configuration changes throw at once instead of returning a future: a bug in a call. */
    final Set<PartitionId> callsThrow = new HashSet<>();
    /** Changes stuck staging a dead member, by partition. */
    private final Map<PartitionId, Staging> staging = new HashMap<>();
    /** How many changes got stuck staging a dead member, and how many of them a step-down ended. */
    int stagingsStuck;
    int stagingsEndedByStepDown;
    /** The target of the transfer each partition has pending. */
    private final Map<PartitionId, NodeId> pendingTransfers = new HashMap<>();
    /**
     * Whether a transfer whose target is down when it starts fails at once and stays pending on the leader, as
     * Ratis's does when the start-election request to a target that just died is refused before the leader
     * looks ({@link MoveFailure.TransferLeftPending}).
     */
    boolean transfersToTheDeadLeftPending;
    /** Transfers left pending, by partition: the leader (in its term) refuses changes and other transfers until it stops leading. */
    private final Map<PartitionId, LeftPending> leftPending = new HashMap<>();
    int transfersLeftPending;
    int leftPendingEndedByStepDown;

    private record LeftPending(NodeId leader, long term, NodeId target) {}

    /** Transfers asked for, as "partition→target", for tests that check where leadership was sent. */
    final List<String> transferTargets = new ArrayList<>();
    /** How long a removal may take before the worker reports it overdue (the worker's deadline). */
    static final Duration REMOVAL_DEADLINE = Duration.ofSeconds(10);
    private final Map<NodeId, Map<PartitionId, Instant>> removing = new HashMap<>();
    int majorityRefusals;
    /** Every group created or reconfigured, in order, so a checker can look at only those. */
    private final List<PartitionId> configurationChanges = new ArrayList<>();
    /** What {@link #reconcile} last saw of the faults that change what a worker hosts, whatever the placements. */
    private Set<NodeId> downAtLastReconcile;
    private Map<NodeId, Set<PartitionId>> neverHostAtLastReconcile;

    SimulatedDataPlane(int latencySteps) {
        this.latencySteps = latencySteps;
    }

    synchronized void setNow(Instant at) {
        now = at;
    }

    synchronized void kill(NodeId node) {
        down.add(node);
        shuttingDown.remove(node);
    }

    synchronized void revive(NodeId node) {
        down.remove(node);
    }

    private final java.util.List<NodeId> shutdownRequests = new java.util.ArrayList<>();
    /** Nodes in a graceful shutdown: their status says so until the harness stops them. */
    final Set<NodeId> shuttingDown = new HashSet<>();
    /** Every shutdown request each node got, for tests that count them. */
    final Map<NodeId, Integer> shutdownsAsked = new TreeMap<>();

    /** Accepted at once by a node that runs; the harness, standing for its supervisor, stops and restarts it. */
    @Override
    public synchronized CompletableFuture<Void> shutDown(dev.sluice.model.NodeConfig node) {
        if (down.contains(node.nodeId())) {
            return CompletableFuture.failedFuture(new IllegalStateException(node.nodeId() + " does not answer"));
        }
        shutdownRequests.add(node.nodeId());
        shutdownsAsked.merge(node.nodeId(), 1, Integer::sum);
        return CompletableFuture.completedFuture(null);
    }

    /** The nodes asked to shut down since the last call. */
    synchronized java.util.List<NodeId> takeShutdownRequests() {
        java.util.List<NodeId> taken = java.util.List.copyOf(shutdownRequests);
        shutdownRequests.clear();
        return taken;
    }

    synchronized Set<PartitionId> hostedBy(NodeId node) {
        return Set.copyOf(hosted.getOrDefault(node, Set.of()));
    }

    synchronized Group group(PartitionId partition) {
        return groups.get(partition);
    }

    /** How many group creations and reconfigurations there have been: a reader's bookmark for {@link #configurationChangesSince}. */
    synchronized int configurationChangeCount() {
        return configurationChanges.size();
    }

    /** The groups created or reconfigured since {@code bookmark} (a partition may repeat). */
    synchronized List<PartitionId> configurationChangesSince(int bookmark) {
        return List.copyOf(configurationChanges.subList(bookmark, configurationChanges.size()));
    }

    /** Sets a group's configuration as a Raft with a bug might, with no call asking for it: for tests that a checker notices. */
    synchronized void overwriteConfiguration(PartitionId partition, List<NodeId> configuration) {
        groups.get(partition).configuration = List.copyOf(configuration);
        configurationChanges.add(partition);
    }

    /**
     * What the workers do when placements change: host exactly current ∪ next, creating or dropping groups.
     * Only the partitions in {@code changed} are looked at, unless a worker died or came back or a joiner's
     * fault began or healed since the last call (what a worker hosts changes with those too); a step then
     * costs the same at 100,000 partitions as at 10.
     */
    synchronized void reconcile(Map<PartitionId, VersionedPlacement> placements, java.util.Collection<PartitionId> changed) {
        boolean everything = !down.equals(downAtLastReconcile) || !neverHost.equals(neverHostAtLastReconcile);
        if (everything) {
            downAtLastReconcile = Set.copyOf(down);
            neverHostAtLastReconcile = new HashMap<>();
            neverHost.forEach((node, partitions) -> neverHostAtLastReconcile.put(node, Set.copyOf(partitions)));
        }
        java.util.Collection<PartitionId> partitions = everything ? placements.keySet() : new java.util.TreeSet<>(changed);
        for (PartitionId partition : partitions) {
            VersionedPlacement versioned = placements.get(partition);
            if (versioned == null) {
                continue;
            }
            Placement placement = versioned.placement();
            groups.computeIfAbsent(placement.partition(), p -> {
                configurationChanges.add(p);
                return new Group(placement.current().isEmpty() ? placement.next() : placement.current());
            });
            for (NodeId member : placement.members()) {
                if (!down.contains(member) && !neverHost.getOrDefault(member, Set.of()).contains(placement.partition())) {
                    hosted.computeIfAbsent(member, n -> new HashSet<>()).add(placement.partition());
                    hostedBy.computeIfAbsent(placement.partition(), p -> new HashSet<>()).add(member);
                }
            }
        }
        if (everything) {
            for (Map.Entry<NodeId, Set<PartitionId>> entry : hosted.entrySet()) {
                if (!down.contains(entry.getKey())) {
                    for (PartitionId partition : List.copyOf(entry.getValue())) {
                        dropIfLeft(entry.getKey(), partition, placements);
                    }
                }
            }
        } else {
            for (PartitionId partition : partitions) {
                for (NodeId node : List.copyOf(hostedBy.getOrDefault(partition, Set.of()))) {
                    if (!down.contains(node)) {
                        dropIfLeft(node, partition, placements);
                    }
                }
            }
        }
        // A hanging removal ends when the test lets it.
        for (Map.Entry<NodeId, Map<PartitionId, Instant>> entry : removing.entrySet()) {
            entry.getValue().keySet().retainAll(removalsHang.getOrDefault(entry.getKey(), Set.of()));
        }
    }

    /** Stops {@code node} hosting {@code partition} when its placement no longer names it (a hanging removal is remembered). */
    private void dropIfLeft(NodeId node, PartitionId partition, Map<PartitionId, VersionedPlacement> placements) {
        VersionedPlacement versioned = placements.get(partition);
        if (versioned != null && versioned.placement().names(node)) {
            return;
        }
        if (removalsHang.getOrDefault(node, Set.of()).contains(partition)) {
            removing.computeIfAbsent(node, n -> new HashMap<>()).putIfAbsent(partition, now);
        }
        hosted.get(node).remove(partition);
        Set<NodeId> hosts = hostedBy.get(partition);
        hosts.remove(node);
        if (hosts.isEmpty()) {
            hostedBy.remove(partition);
        }
    }

    /** As {@link #reconcile(Map, java.util.Collection)}, looking at every placement. */
    synchronized void reconcile(Map<PartitionId, Placement> placements) {
        Map<PartitionId, VersionedPlacement> all = new TreeMap<>();
        placements.forEach((partition, placement) -> all.put(partition, new VersionedPlacement(placement, 0)));
        downAtLastReconcile = null;
        reconcile(all, all.keySet());
    }

    /** Advances one step: due operations complete, leaderless groups elect. */
    synchronized void step() {
        step++;
        // Taken out in one walk each: removeAll(due) compared every waiting operation with every due one, which at a zone
        // of a 10,000-worker cluster (50,000 calls under way) held a step for minutes.
        List<Map.Entry<Integer, Runnable>> answered = new ArrayList<>();
        slowAnswers.removeIf(answer -> answer.getKey() <= step && answered.add(answer));
        answered.forEach(answer -> answer.getValue().run());
        List<Delayed> due = new ArrayList<>();
        delayed.removeIf(d -> d.dueStep() <= step && due.add(d));
        for (Delayed operation : due) {
            Boolean done = operation.action().get();
            if (done == null) {
                continue;
            }
            if (done) {
                operation.future().complete(null);
            } else {
                operation.future().completeExceptionally(new ReplicaSetAdminException(null,
                        new MoveFailure.Unexpected(operation.what() + " could not be done"), null));
            }
        }
        for (Map.Entry<PartitionId, Staging> entry : List.copyOf(staging.entrySet())) {
            // The member answers again (restarted with its data): it catches up and the change goes through.
            if (!down.contains(entry.getValue().joiner())) {
                staging.remove(entry.getKey());
                Group group = groups.get(entry.getKey());
                group.configuration = entry.getValue().wanted();
                configurationChanges.add(entry.getKey());
                entry.getValue().call().complete(null);
            }
        }
        for (Map.Entry<PartitionId, Group> entry : groups.entrySet()) {
            Group group = entry.getValue();
            if (group.leader != null && !down.contains(group.leader) && group.configuration.contains(group.leader) && !noElection.contains(entry.getKey())) {
                continue;
            }
            endStaging(entry.getKey(), group.leader);
            group.leader = null;
            if (noElection.contains(entry.getKey())) {
                continue;
            }
            List<NodeId> live = group.configuration.stream()
                    .filter(n -> !down.contains(n) && hosted.getOrDefault(n, Set.of()).contains(entry.getKey())).toList();
            if (live.size() * 2 > group.configuration.size()) {
                group.term++;
                group.leader = live.get(electionWinner(entry.getKey(), group.term, live.size()));
            }
        }
    }

    /**
     * Which of {@code candidates} live members wins the election of {@code term}: in Ratis whichever election timeout
     * fires first, so spread over the members, not the first of each configuration (which made the lowest node ids
     * lead most groups of a large placement, and a simulation at size mostly measured rebalancing that skew). A hash
     * of the partition and term, so a run stays deterministic.
     */
    private static int electionWinner(PartitionId partition, long term, int candidates) {
        long mixed = (partition.hashCode() * 0x9E3779B97F4A7C15L) ^ (term * 0xC2B2AE3D27D4EB4FL);
        mixed ^= mixed >>> 31;
        return (int) Math.floorMod(mixed * 0x94D049BB133111EBL >>> 17, (long) candidates);
    }

    @Override
    public synchronized CompletableFuture<NodeReplicas> replicas(NodeConfig node) {
        statusPolls++;
        pollsOf.merge(node.nodeId(), 1, Integer::sum);
        if (deferAnswers) {
            CompletableFuture<NodeReplicas> later = new CompletableFuture<>();
            deferred.add(Map.entry(node, later));
            return later;
        }
        return measuredAnswer(node);
    }

    /** {@link #answer}, its CPU time added to {@link #answerCpuNanos}. */
    private CompletableFuture<NodeReplicas> measuredAnswer(NodeConfig node) {
        long cpuStarted = ANSWER_CPU.getCurrentThreadCpuTime();
        try {
            return answer(node);
        } finally {
            answerCpuNanos += ANSWER_CPU.getCurrentThreadCpuTime() - cpuStarted;
        }
    }

    private static final java.lang.management.ThreadMXBean ANSWER_CPU = java.lang.management.ManagementFactory.getThreadMXBean();
    /**
     * CPU time spent building status answers, on the caller's thread. A real worker builds its answer itself and the
     * controller's HTTP client reads it off the pass's thread; unless {@link #deferAnswers}, here it is built inside the
     * pass, so a benchmark of the pass takes it out.
     */
    long answerCpuNanos;
    /** Status polls asked of the simulated workers, answered or not. */
    long statusPolls;
    /** {@link #statusPolls} by worker. */
    final Map<NodeId, Integer> pollsOf = new HashMap<>();
    /**
     * Whether a status answer is built by {@link #answerDeferred}, after the pass that asked for it, instead of inside the
     * pass. A real worker builds its answer on its own machine and the controller's HTTP client decodes it off the pass's
     * thread; a benchmark of the pass sets this so that neither the pass's CPU time nor a profile of it holds the answers
     * (measured from inside, the answers still left a third of a drain pass's samples at the call into the data plane at
     * 10,000 workers). The answers reach the controller's inbox in the order asked and before the next pass either way:
     * the loop reads its inbox only when a pass begins.
     */
    boolean deferAnswers;
    private final List<Map.Entry<NodeConfig, CompletableFuture<NodeReplicas>>> deferred = new ArrayList<>();

    /** Builds the answers {@link #deferAnswers} held back, in the order they were asked for. */
    synchronized void answerDeferred() {
        List<Map.Entry<NodeConfig, CompletableFuture<NodeReplicas>>> due = new ArrayList<>(deferred);
        deferred.clear();
        for (Map.Entry<NodeConfig, CompletableFuture<NodeReplicas>> poll : due) {
            measuredAnswer(poll.getKey()).whenComplete((report, failed) -> {
                if (failed == null) {
                    poll.getValue().complete(report);
                } else {
                    poll.getValue().completeExceptionally(failed);
                }
            });
        }
    }

    private CompletableFuture<NodeReplicas> answer(NodeConfig node) {
        NodeId id = node.nodeId();
        if (down.contains(id) || unresponsive.contains(id)) {
            return CompletableFuture.failedFuture(new java.net.ConnectException(id + " is down"));
        }
        Map<PartitionId, ReplicaView> views = new HashMap<>();
        for (PartitionId partition : hosted.getOrDefault(id, Set.of())) {
            Group group = groups.get(partition);
            ReplicaRole role = id.equals(group.leader) ? ReplicaRole.LEADER
                    : group.configuration.contains(id) ? ReplicaRole.FOLLOWER : ReplicaRole.STAGING;
            views.put(partition, new ReplicaView(partition, role, group.leader, group.term, group.configuration, group.changing, 0));
        }
        List<NodeReplicas.Removal> removals = new ArrayList<>();
        removing.getOrDefault(id, Map.of()).forEach((partition, since) -> removals.add(new NodeReplicas.Removal(partition, since, 1,
                !since.plus(REMOVAL_DEADLINE).isAfter(now), "Ratis group remove running (simulated hang)")));
        // As the real data plane decodes them: an answer hosting what the worker's last one did shares its array.
        NodeReplicas report = hostedSets.shared(new NodeReplicas(id, now, views, removals, true, null, shuttingDown.contains(id)));
        Integer slow = slowStatus.get(id);
        if (slow != null) {
            CompletableFuture<NodeReplicas> later = new CompletableFuture<>();
            slowAnswers.add(Map.entry(step + slow, () -> later.complete(report)));
            return later;
        }
        return CompletableFuture.completedFuture(report);
    }

    @Override
    public synchronized CompletableFuture<Void> transferLeadership(PartitionId partition, List<NodeConfig> members, NodeId leaderHint, NodeId target,
            Duration timeout) {
        transfers++;
        transferTargets.add(partition + "→" + target);
        // As ReplicaSetAdmin does: Ratis fails a second transfer and may leave the first stuck, so while one is
        // pending for the partition another is refused at once, and never sent.
        NodeId pending = pendingTransfers.get(partition);
        if (pending != null) {
            return CompletableFuture.failedFuture(new ReplicaSetAdminException(partition, new MoveFailure.ReconfigurationInProgress(pending), null));
        }
        Optional<LeftPending> held = leftPendingOn(partition);
        if (held.isPresent()) {
            // Ratis answers a transfer to the same target with the first one's failure, and refuses any other.
            MoveFailure refusal = held.get().target().equals(target)
                    ? new MoveFailure.TransferLeftPending(held.get().leader(), "COMPLETED_EXCEPTIONALLY (simulated)")
                    : new MoveFailure.TransferPending(held.get().leader(), "a previous transfer to " + held.get().target() + " exists (simulated)");
            return CompletableFuture.failedFuture(new ReplicaSetAdminException(partition, refusal, null));
        }
        pendingTransfers.put(partition, target);
        CompletableFuture<Void> transfer = new CompletableFuture<>();
        delayed.add(new Delayed(step + latencySteps, () -> {
            Group group = groups.get(partition);
            boolean targetGone = down.contains(target) || unresponsive.contains(target);
            if (group != null && group.leader != null && targetGone && transfersToTheDeadLeftPending) {
                leftPending.put(partition, new LeftPending(group.leader, group.term, target));
                transfersLeftPending++;
                transfer.completeExceptionally(new ReplicaSetAdminException(partition,
                        new MoveFailure.TransferLeftPending(group.leader, "COMPLETED_EXCEPTIONALLY (simulated)"), null));
                return null;
            }
            if (group == null || !group.configuration.contains(target) || targetGone || !hosted.getOrDefault(target, Set.of()).contains(partition)) {
                return false;
            }
            group.leader = target;
            group.term++;
            return true;
        }, transfer, "transfer leadership of " + partition + " to " + target));
        return transfer.whenComplete((done, failed) -> transferEnded(partition));
    }

    /** The transfer left pending on the partition's leader, while that leader leads in that term. */
    private Optional<LeftPending> leftPendingOn(PartitionId partition) {
        LeftPending held = leftPending.get(partition);
        Group group = groups.get(partition);
        if (held == null || group == null || !held.leader().equals(group.leader) || held.term() != group.term) {
            leftPending.remove(partition);
            return Optional.empty();
        }
        return Optional.of(held);
    }

    /** The partitions whose leader holds a transfer left pending now. */
    synchronized Set<PartitionId> leftPending() {
        Set<PartitionId> held = new HashSet<>();
        for (PartitionId partition : List.copyOf(leftPending.keySet())) {
            leftPendingOn(partition).ifPresent(ignored -> held.add(partition));
        }
        return held;
    }

    /** The target of the transfer pending on {@code partition}, if one is under way. */
    synchronized Optional<NodeId> pendingTransfer(PartitionId partition) {
        return Optional.ofNullable(pendingTransfers.get(partition));
    }

    private synchronized void transferEnded(PartitionId partition) {
        pendingTransfers.remove(partition);
    }

    @Override
    public synchronized CompletableFuture<Void> setConfiguration(PartitionId partition, List<NodeConfig> members, NodeId leaderHint, List<NodeConfig> next,
            Duration timeout) {
        if (callsThrow.contains(partition)) {
            throw new IllegalStateException("simulated bug in a configuration change of " + partition);
        }
        reconfigurations++;
        List<NodeId> wanted = next.stream().map(NodeConfig::nodeId).toList();
        Group group = groups.get(partition);
        if (staging.containsKey(partition)) {
            return CompletableFuture.failedFuture(new ReplicaSetAdminException(partition, new MoveFailure.ReconfigurationInProgress(group.leader), null));
        }
        Optional<LeftPending> held = leftPendingOn(partition);
        if (held.isPresent()) {
            return CompletableFuture.failedFuture(new ReplicaSetAdminException(partition,
                    new MoveFailure.LeaderNotReady(held.get().leader(), "LeaderSteppingDownException: is stepping down (simulated)"), null));
        }
        if (group != null && group.leader != null && !wanted.contains(group.leader)) {
            // As ReplicaSetAdmin does: a leader is never asked to commit its own removal.
            return CompletableFuture.failedFuture(new ReplicaSetAdminException(partition,
                    new MoveFailure.LeaderLeaving(group.leader, wanted.stream().sorted().toList()), null));
        }
        if (group != null) {
            group.changing = true;
        }
        CompletableFuture<Void> call = new CompletableFuture<>();
        delayed.add(new Delayed(step + latencySteps, () -> {
            Group g = groups.get(partition);
            g.changing = false;
            // Raft stages only the members it adds; members it keeps may be down as long as majorities run.
            boolean newMembersReady = wanted.stream().filter(n -> !g.configuration.contains(n))
                    .allMatch(n -> !down.contains(n) && hosted.getOrDefault(n, Set.of()).contains(partition));
            long oldLive = g.configuration.stream().filter(n -> !down.contains(n)).count();
            long newLive = wanted.stream().filter(n -> !down.contains(n)).count();
            if (g.leader != null && g.leader.equals(stuckUnder.get(partition))) {
                return false;
            }
            // Like Ratis, refuse a change in which new members are half or more of the new configuration.
            long added = wanted.stream().filter(n -> !g.configuration.contains(n)).count();
            boolean singleToTwo = g.configuration.size() == 1 && added == 1;
            if (added * 2 >= wanted.size() && !singleToTwo) {
                majorityRefusals++;
                return false;
            }
            Optional<NodeId> deadJoiner = wanted.stream().filter(n -> !g.configuration.contains(n))
                    .filter(n -> down.contains(n) && hosted.getOrDefault(n, Set.of()).contains(partition)).findFirst();
            if (g.leader != null && deadJoiner.isPresent() && oldLive * 2 > g.configuration.size() && !staging.containsKey(partition)) {
                // It was created, then killed before it caught up: Ratis stages it for as long as clients write.
                staging.put(partition, new Staging(deadJoiner.get(), List.copyOf(wanted), call));
                stagingsStuck++;
                return null;
            }
            if (g.leader == null || !newMembersReady || oldLive * 2 <= g.configuration.size() || newLive * 2 <= wanted.size()) {
                return false;
            }
            g.configuration = List.copyOf(wanted);
            configurationChanges.add(partition);
            if (!wanted.contains(g.leader)) {
                g.leader = wanted.getFirst();
                g.term++;
            }
            return true;
        }, call, "reconfigure " + partition + " to " + wanted));
        return call;
    }

    @Override
    public synchronized CompletableFuture<Void> stepDown(PartitionId partition, List<NodeConfig> members, NodeId leader, Duration timeout) {
        Group group = groups.get(partition);
        if (group == null || !leader.equals(group.leader) || down.contains(leader) || unresponsive.contains(leader)) {
            return CompletableFuture.failedFuture(new ReplicaSetAdminException(partition,
                    new MoveFailure.NotLeader(leader, group == null ? null : group.leader), null));
        }
        return later("step-down of " + leader + " in " + partition, () -> {
            Group g = groups.get(partition);
            if (!leader.equals(g.leader)) {
                return false;
            }
            if (staging.containsKey(partition)) {
                stagingsEndedByStepDown++;
            }
            if (leftPendingOn(partition).isPresent()) {
                leftPending.remove(partition);
                leftPendingEndedByStepDown++;
            }
            endStaging(partition, leader);
            // Elected again at the next step; with this model's election, quite possibly the same member.
            g.leader = null;
            return true;
        });
    }

    /** The leader stops leading: the change it was staging fails, as Ratis answers its pending request. */
    private void endStaging(PartitionId partition, NodeId leader) {
        Staging stuck = staging.remove(partition);
        if (stuck != null) {
            stuck.call().completeExceptionally(new ReplicaSetAdminException(partition, new MoveFailure.NotLeader(leader, null), null));
        }
    }

    private CompletableFuture<Void> later(String what, Supplier<Boolean> action) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        delayed.add(new Delayed(step + latencySteps, action, future, what));
        return future;
    }
}
