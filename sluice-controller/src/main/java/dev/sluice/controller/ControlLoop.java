package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.Actor;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Liveness;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.ChangeKind;
import dev.sluice.scheduler.Explanation;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.Reason;
import dev.sluice.scheduler.ReplicaSetChange;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One controller leadership term: passes that read the cluster, run the scheduler and drive every
 * replica-set change one step further, make the automatic lifecycle transitions and publish drain
 * progress. A pass never blocks on the data plane: Raft operations run asynchronously, one per partition
 * at a time, and their completion asks for another pass. Everything here is soft state rebuilt from the
 * metadata store and the workers, so a new leader resumes any half-done change where it stands.
 *
 * <p>A replica-set change of partition p from current C to next N is level-triggered; each pass looks at
 * what the workers report and takes the first step not yet done:
 * <ol>
 *   <li>every joining member (N∖C) hosts the group (the workers create it from the placement);
 *   <li>the leader is not a leaving member (C∖N): if it is, leadership moves to a member that stays;
 *   <li>the group's committed configuration is N: if not, ask the leader to change it (Raft stages the
 *       new members until they have caught up);
 *   <li>write the placement {current: N} (the leaving members then drop the group and its data).
 * </ol>
 *
 * <p>Not thread-safe: the owning {@link ClusterController} runs passes on one thread. Completions of
 * asynchronous operations only touch concurrent maps and ask for a pass.
 */
final class ControlLoop {

    private static final Logger log = LoggerFactory.getLogger(ControlLoop.class);

    /** An observation older than this many poll intervals is not trusted to say "hosts nothing". */
    private static final int FRESH_OBSERVATION_POLLS = 3;

    /**
     * How long first placements wait for workers that are still warming up. A cluster whose workers start
     * one after another would otherwise place everything on the first ones and then move it again.
     */
    static final Duration INITIAL_PLACEMENT_SETTLE = Duration.ofSeconds(30);

    /** The published status is rewritten at least this often, so its rate and ETA stay fresh. */
    static final Duration STATUS_REFRESH = Duration.ofSeconds(1);

    /** Passes slower than this are logged at debug level. */
    private static final long SLOW_PASS_MILLIS = 200;

    /** How often the leader trims the event log back to {@link EventLog#RETAINED_EVENTS}. */
    static final Duration EVENT_TRIM_INTERVAL = Duration.ofMinutes(1);

    private final ClusterMetadata metadata;
    private final ClusterView view;
    private final ControllerDocuments documents;
    private final DataPlane dataPlane;
    private final ControllerConfig config;
    private final InstantSource clock;
    private final Fence fence;
    private final String leaderId;
    private final Runnable requestPass;
    private final ControllerMetrics metrics;

    private final LivenessTracker liveness;
    private final Map<NodeId, NodeReplicas> observed = new ConcurrentHashMap<>();
    private final Map<NodeId, Instant> pollStartedAt = new ConcurrentHashMap<>();
    private final Map<PartitionId, Pending> pending = new ConcurrentHashMap<>();
    private final Map<PartitionId, Failure> failures = new ConcurrentHashMap<>();
    /** Configurations the data plane confirmed committed in this term: only these complete a change. */
    private final Map<PartitionId, Set<NodeId>> confirmed = new ConcurrentHashMap<>();
    /** Partitions whose configuration change keeps failing, and the leader it failed under. */
    private final Map<PartitionId, NodeId> failingUnder = new ConcurrentHashMap<>();
    private final Map<PartitionId, Long> lastSeenVersion = new HashMap<>();
    private final Map<PartitionId, Instant> progressAt = new HashMap<>();
    private final Map<PartitionId, String> steps = new HashMap<>();
    private final Map<NodeId, DrainRecord> drainRecords;
    private final Set<NodeId> reportedStalled = new HashSet<>();
    private final Set<NodeId> reportedDead = new HashSet<>();

    private long passes;
    private ControllerStatus lastStatus;
    private Instant provisioningSeenSince;
    private Instant eventsTrimmedAt = Instant.MIN;
    private String publishedSignature = "";
    private Instant publishedAt = Instant.MIN;

    /** A Raft operation under way for one partition. */
    private record Pending(String step, Instant startedAt, CompletableFuture<Void> future) {}

    /** Consecutive failures of one partition's change, and when to try again. */
    private record Failure(int count, Instant retryAt, String lastError) {}

    /**
     * After this many failed configuration changes in a row under one leader, leadership moves to another
     * member that stays before the next attempt. Seen under heavy load: a leader that took over by a
     * transfer could not commit in its new term and refused every change ("not ready") until it lost
     * leadership.
     */
    static final int KICK_LEADER_AFTER_FAILURES = 2;

    ControlLoop(ClusterMetadata metadata, ClusterView view, DataPlane dataPlane, ControllerConfig config, InstantSource clock, Fence fence,
            String leaderId, Runnable requestPass, ControllerMetrics metrics) {
        this.metadata = metadata;
        this.view = view;
        this.documents = new ControllerDocuments(metadata);
        this.dataPlane = dataPlane;
        this.config = config;
        this.clock = clock;
        this.fence = fence;
        this.leaderId = leaderId;
        this.requestPass = requestPass;
        this.metrics = metrics;
        this.liveness = new LivenessTracker(clock.instant());
        this.drainRecords = new HashMap<>(documents.drains());
    }

    /** The status published by the last pass, if any. */
    ControllerStatus lastStatus() {
        return lastStatus;
    }

    /**
     * Runs one pass.
     *
     * @return whether anything is under way (then the next pass should come soon)
     * @throws Fence.LostException if this leader was deposed
     */
    boolean runPass() {
        long started = System.nanoTime();
        Instant now = clock.instant();
        view.beforePass();
        NodesConfigurationStore.Snapshot nodesSnapshot = view.nodes();
        NodesConfiguration nodes = nodesSnapshot.configuration();
        Optional<PartitionTable> table = view.table();
        if (table.isEmpty()) {
            return false;
        }
        Map<PartitionId, VersionedPlacement> placements = view.placements();
        Liveness live = liveness.update(nodes, view.alive(), now);
        reportDeaths(nodes, live, now);
        pollReplicas(nodes, live, placements, now);
        trackProgress(placements, now);

        Map<PartitionId, NodeId> leaders = observedLeaders(live);
        Map<PartitionId, Placement> schedulerView = new TreeMap<>();
        for (VersionedPlacement versioned : placements.values()) {
            Placement placement = versioned.placement();
            NodeId leader = leaders.get(placement.partition());
            schedulerView.put(placement.partition(), leader == null ? placement : placement.withLeader(leader));
        }
        Plan plan = Scheduler.schedule(new SchedulerInput(nodes, live, table.get(), schedulerView, config.limits(), now));

        applyReplicaSetChanges(plan, placements, nodes, readyForFirstPlacements(nodes, live, table.get(), now), now);
        applyLeadershipChanges(plan, placements, nodes, now);
        for (VersionedPlacement versioned : List.copyOf(placements.values())) {
            if (versioned.placement().hasNext()) {
                drive(versioned, placements, nodes, live, leaders, now);
            } else {
                steps.remove(versioned.placement().partition());
            }
        }
        recordLeaders(placements, leaders);
        // What this pass wrote is progress too; without this, a move that just started would look stalled.
        trackProgress(placements, now);
        nodes = disableDrainedWorkers(nodesSnapshot, placements, leaders, live, now);
        List<DrainProgress> drains = trackDrains(nodes, placements, leaders, plan, now);

        trimEvents(now);
        passes++;
        long passMillis = (System.nanoTime() - started) / 1_000_000;
        if (passMillis > SLOW_PASS_MILLIS) {
            log.debug("pass {} took {} ms", passes, passMillis);
        }
        metrics.passCompleted(Duration.ofNanos(System.nanoTime() - started));
        lastStatus = new ControllerStatus(leaderId, fence.version(), now, passes, passMillis, movesInFlight(placements), drains,
                plan.explanations());
        metrics.observe(lastStatus, nodes, placements.values().stream().map(VersionedPlacement::placement).toList(), leaders);
        publish(lastStatus, now);
        return !pending.isEmpty() || placements.values().stream().anyMatch(v -> v.placement().hasNext())
                || nodes.workers().stream().anyMatch(n -> n.workerState() == WorkerState.DRAINING);
    }

    // ---------------------------------------------------------------- observation

    /**
     * Asks nodes what they host: every node involved in a change under way each pass, every other alive
     * worker once per poll interval. Answers arrive asynchronously and ask for a pass.
     */
    private void pollReplicas(NodesConfiguration nodes, Liveness live, Map<PartitionId, VersionedPlacement> placements, Instant now) {
        Set<NodeId> involved = new HashSet<>();
        for (VersionedPlacement versioned : placements.values()) {
            if (versioned.placement().hasNext()) {
                involved.addAll(versioned.placement().members());
            }
        }
        for (NodeConfig node : nodes.workers()) {
            NodeId id = node.nodeId();
            if (!live.isAlive(id)) {
                observed.remove(id);
                continue;
            }
            if (pollStartedAt.containsKey(id)) {
                continue;
            }
            NodeReplicas last = observed.get(id);
            boolean due = last == null || involved.contains(id) || node.workerState() == WorkerState.DRAINING
                    || !last.observedAt().plus(config.statusPollInterval()).isAfter(now);
            if (!due) {
                continue;
            }
            pollStartedAt.put(id, now);
            dataPlane.replicas(node).whenComplete((replicas, failure) -> {
                pollStartedAt.remove(id);
                if (failure == null) {
                    NodeReplicas previous = observed.put(id, replicas);
                    if (!replicas.equals(previous == null ? null : withTime(previous, replicas.observedAt()))) {
                        requestPass.run();
                    }
                } else {
                    log.debug("could not ask {} what it hosts: {}", id, failure.toString());
                }
            });
        }
    }

    private static NodeReplicas withTime(NodeReplicas replicas, Instant at) {
        return new NodeReplicas(replicas.node(), at, replicas.replicas());
    }

    /** Each partition's leader: the alive member that says it leads, in the highest term. */
    private Map<PartitionId, NodeId> observedLeaders(Liveness live) {
        Map<PartitionId, ReplicaView> best = new HashMap<>();
        Map<PartitionId, NodeId> leaders = new TreeMap<>();
        for (NodeReplicas node : observed.values()) {
            if (!live.isAlive(node.node())) {
                continue;
            }
            for (ReplicaView view : node.replicas().values()) {
                if (view.role() == ReplicaRole.LEADER) {
                    ReplicaView previous = best.get(view.partition());
                    if (previous == null || view.term() > previous.term()) {
                        best.put(view.partition(), view);
                        leaders.put(view.partition(), node.node());
                    }
                }
            }
        }
        return leaders;
    }

    private Optional<ReplicaView> leaderView(PartitionId partition, NodeId leader) {
        if (leader == null) {
            return Optional.empty();
        }
        NodeReplicas replicas = observed.get(leader);
        return replicas == null ? Optional.empty() : Optional.ofNullable(replicas.replicas().get(partition));
    }

    private void trackProgress(Map<PartitionId, VersionedPlacement> placements, Instant now) {
        for (VersionedPlacement versioned : placements.values()) {
            PartitionId partition = versioned.placement().partition();
            Long seen = lastSeenVersion.put(partition, versioned.version());
            if (seen == null || seen != versioned.version()) {
                progressAt.put(partition, now);
            }
        }
    }

    private void reportDeaths(NodesConfiguration nodes, Liveness live, Instant now) {
        for (NodeConfig node : nodes.workers()) {
            NodeId id = node.nodeId();
            if (!live.isAlive(id) && reportedDead.add(id)) {
                logEvent(ClusterEvent.of(now, EventKind.NODE_DEAD, id, null,
                        id + " (" + node.name() + ") has no liveness entry; its replicas are replaced after "
                                + config.limits().deadNodeGrace().toSeconds() + " s unless it comes back",
                        Map.of("graceSeconds", config.limits().deadNodeGrace().toSeconds())));
            } else if (live.isAlive(id) && reportedDead.remove(id)) {
                logEvent(ClusterEvent.of(now, EventKind.NODE_ALIVE, id, null, id + " (" + node.name() + ") is alive again", Map.of()));
            }
        }
    }

    // ---------------------------------------------------------------- decisions

    /**
     * Whether partitions that have no replica set yet may get one now: only once enough workers are active
     * for full replica sets, and no live worker is still warming up (for at most
     * {@link #INITIAL_PLACEMENT_SETTLE}).
     */
    private boolean readyForFirstPlacements(NodesConfiguration nodes, Liveness live, PartitionTable table, Instant now) {
        long active = nodes.workers().stream().filter(n -> n.workerState() == WorkerState.ACTIVE && live.isAlive(n.nodeId())).count();
        boolean warming = nodes.workers().stream().anyMatch(n -> n.workerState() == WorkerState.PROVISIONING && live.isAlive(n.nodeId()));
        if (!warming) {
            provisioningSeenSince = null;
        } else if (provisioningSeenSince == null) {
            provisioningSeenSince = now;
        }
        boolean settled = !warming || !provisioningSeenSince.plus(INITIAL_PLACEMENT_SETTLE).isAfter(now);
        return active >= table.replication().replicas() && settled;
    }

    private void applyReplicaSetChanges(Plan plan, Map<PartitionId, VersionedPlacement> placements, NodesConfiguration nodes,
            boolean firstPlacementsAllowed, Instant now) {
        int initial = 0;
        for (ReplicaSetChange change : plan.replicaSetChanges()) {
            PartitionId partition = change.partition();
            VersionedPlacement before = placements.get(partition);
            try {
                if (change.kind() == ChangeKind.INITIAL || before == null) {
                    if (!firstPlacementsAllowed) {
                        continue;
                    }
                    Placement created = Placement.stable(partition, change.next(), change.preferredLeader(), nodes.version());
                    long version = metadata.placements().write(created, 0, null, List.of(fence));
                    remember(placements, new VersionedPlacement(created, version));
                    initial++;
                    continue;
                }
                Placement current = before.placement();
                boolean revision = current.hasNext();
                Instant startedAt = revision && current.changeStartedAt() != null ? current.changeStartedAt() : now;
                Placement next = current.withNext(change.next(), nodes.version(), startedAt);
                ClusterEvent event = ClusterEvent.of(now, EventKind.PARTITION_MOVE_STARTED, change.leaving().isEmpty() ? null : change.leaving().getFirst(),
                        partition, partition + " " + (revision ? "revised" : change.kind().wireName()) + ": " + change.current() + " → " + change.next()
                                + (change.leaving().isEmpty() ? "" : " (" + change.leaving() + " leave, " + change.joining() + " join)"),
                        Map.of());
                long version = metadata.placements().write(next, before.version(), event, List.of(fence));
                remember(placements, new VersionedPlacement(next, version));
                if (revision) {
                    pending.remove(partition);
                    failures.remove(partition);
                }
            } catch (PreconditionFailedException raced) {
                log.debug("placement of {} changed under the pass; next pass decides again", partition);
            }
        }
        if (initial > 0) {
            logEvent(ClusterEvent.of(now, EventKind.PARTITION_MOVED, null, null,
                    initial + " partition(s) got their first replica set", Map.of("partitions", (long) initial)));
        }
    }

    private void applyLeadershipChanges(Plan plan, Map<PartitionId, VersionedPlacement> placements, NodesConfiguration nodes, Instant now) {
        for (LeadershipChange change : plan.leadershipChanges()) {
            PartitionId partition = change.partition();
            VersionedPlacement versioned = placements.get(partition);
            if (versioned == null || pending.containsKey(partition) || waitingAfterFailure(partition, now)) {
                continue;
            }
            if (change.cause() == LeadershipChange.Cause.BALANCE && versioned.placement().hasNext()) {
                // Balancing waits until the partition's move is done: a move may have moved its leader on purpose.
                continue;
            }
            NodeReplicas target = observed.get(change.to());
            if (target == null || !target.hosts(partition)) {
                continue;
            }
            List<NodeConfig> members = configs(nodes, versioned.placement().members());
            startLeadershipTransfer(partition, change.from(), change.to(), change.cause().wireName(), members, now);
        }
    }

    private void startLeadershipTransfer(PartitionId partition, NodeId from, NodeId to, String why, List<NodeConfig> members, Instant now) {
        CompletableFuture<Void> future = dataPlane.transferLeadership(partition, members, to, config.leadershipTransferTimeout());
        pending.put(partition, new Pending("moving leadership " + from + " → " + to, now, future));
        future.whenComplete((ok, failure) -> {
            Instant done = clock.instant();
            pending.remove(partition);
            if (failure == null) {
                failures.remove(partition);
                Duration took = Duration.between(now, done);
                metrics.leadershipMoved(took);
                logEvent(ClusterEvent.of(done, EventKind.LEADERSHIP_MOVED, from, partition,
                        partition + " leadership " + from + " → " + to + " (" + why + ") in " + took.toMillis() + " ms",
                        Map.of("durationMillis", took.toMillis())));
                NodeReplicas target = observed.get(to);
                if (target != null && target.replicas().containsKey(partition)) {
                    // Until the next poll, believe the transfer: the old leader's report is now stale.
                    markLeader(partition, to);
                }
            } else {
                fail(partition, "leadership transfer to " + to + " failed: " + rootMessage(failure), done);
            }
            requestPass.run();
        });
    }

    /** Updates what we believe of a partition's leadership after a transfer we made succeeded. */
    private void markLeader(PartitionId partition, NodeId leader) {
        for (Map.Entry<NodeId, NodeReplicas> entry : observed.entrySet()) {
            ReplicaView view = entry.getValue().replicas().get(partition);
            if (view == null) {
                continue;
            }
            ReplicaRole role = entry.getKey().equals(leader) ? ReplicaRole.LEADER
                    : view.role() == ReplicaRole.LEADER ? ReplicaRole.FOLLOWER : view.role();
            Map<PartitionId, ReplicaView> updated = new HashMap<>(entry.getValue().replicas());
            updated.put(partition, new ReplicaView(partition, role, leader, view.term() + (role == ReplicaRole.LEADER ? 1 : 0),
                    view.configuration(), view.configurationChanging(), view.appliedIndex()));
            observed.put(entry.getKey(), new NodeReplicas(entry.getKey(), entry.getValue().observedAt(), updated));
        }
    }

    // ---------------------------------------------------------------- replica-set changes

    private void step(PartitionId partition, String step) {
        String previous = steps.put(partition, step);
        if (!step.equals(previous)) {
            log.debug("{}: {}", partition, step);
        }
    }

    private void drive(VersionedPlacement versioned, Map<PartitionId, VersionedPlacement> placements, NodesConfiguration nodes,
            Liveness live, Map<PartitionId, NodeId> leaders, Instant now) {
        Placement placement = versioned.placement();
        PartitionId partition = placement.partition();
        Pending underWay = pending.get(partition);
        if (underWay != null) {
            step(partition, underWay.step());
            return;
        }
        if (waitingAfterFailure(partition, now)) {
            step(partition, "retrying after: " + failures.get(partition).lastError());
            return;
        }
        if (new HashSet<>(placement.next()).equals(confirmed.get(partition))) {
            // The data plane confirmed this very configuration committed: done, without waiting for the
            // workers' next reports to say so.
            complete(versioned, placements, leaders.get(partition), now);
            return;
        }
        for (NodeId joining : placement.joining()) {
            NodeReplicas replicas = observed.get(joining);
            if (replicas == null || !replicas.hosts(partition)) {
                step(partition, live.isAlive(joining) ? "waiting for " + joining + " to create the group"
                        : "waiting for " + joining + ", which is not running");
                return;
            }
        }
        NodeId leader = leaders.get(partition);
        Optional<ReplicaView> view = leaderView(partition, leader);
        if (view.isEmpty()) {
            step(partition, "waiting for the group to elect a leader");
            return;
        }
        List<NodeConfig> members = configs(nodes, placement.members());
        Failure failing = failures.get(partition);
        if (failing != null && failing.count() >= KICK_LEADER_AFTER_FAILURES && leader.equals(failingUnder.get(partition))) {
            Optional<NodeId> other = leadershipTarget(placement, live, leader);
            if (other.isPresent()) {
                failingUnder.remove(partition);
                startLeadershipTransfer(partition, leader, other.get(), "configuration change keeps failing under this leader", members, now);
                step(partition, "moving leadership off " + leader + ", under which the configuration change keeps failing");
                return;
            }
        }
        if (placement.leaving().contains(leader)) {
            Optional<NodeId> target = leadershipTarget(placement, live, leader);
            if (target.isPresent()) {
                startLeadershipTransfer(partition, leader, target.get(), "leader leaves the replica set", members, now);
                step(partition, pending.get(partition) == null ? "moving leadership" : pending.get(partition).step());
                return;
            }
        }
        Set<NodeId> committed = new HashSet<>(view.get().configuration());
        Set<NodeId> wanted = new HashSet<>(placement.next());
        // What a worker reports may be a configuration that is appended but not yet committed; only a
        // configuration change the data plane confirmed (it answers at once if already done) completes.
        if (!committed.equals(wanted) || view.get().configurationChanging() || !wanted.equals(confirmed.get(partition))) {
            Set<NodeId> target = configurationStep(committed, wanted);
            CompletableFuture<Void> future = dataPlane.setConfiguration(partition, members, configs(nodes, sorted(target)),
                    config.reconfigurationTimeout());
            String step = committed.equals(wanted) ? "confirming configuration " + placement.next()
                    : "changing configuration " + sorted(committed) + " → " + sorted(target)
                            + (target.equals(wanted) ? "" : " (on the way to " + placement.next() + ")");
            pending.put(partition, new Pending(step, now, future));
            step(partition, step);
            future.whenComplete((ok, failure) -> {
                pending.remove(partition);
                if (failure == null) {
                    failures.remove(partition);
                    confirmed.put(partition, target);
                    // The leader's report is stale now; ask it again before completing.
                    if (leader != null) {
                        observed.computeIfPresent(leader, (id, replicas) -> new NodeReplicas(id, Instant.EPOCH, replicas.replicas()));
                    }
                } else {
                    if (leader != null) {
                        failingUnder.put(partition, leader);
                    }
                    fail(partition, "configuration change failed: " + rootMessage(failure), clock.instant());
                }
                requestPass.run();
            });
            return;
        }
        complete(versioned, placements, leader, now);
    }

    /**
     * The next configuration to ask Raft for on the way from {@code committed} to {@code wanted}. Raft
     * refuses a change in which new members make up half or more of the new configuration (Ratis:
     * "changes a majority set"), as when a draining and a dead member of three are both replaced; such a
     * change goes through the union of both sets first, where the new members are a minority, and then
     * drops the leaving ones.
     */
    static Set<NodeId> configurationStep(Set<NodeId> committed, Set<NodeId> wanted) {
        long joining = wanted.stream().filter(node -> !committed.contains(node)).count();
        if (joining > 0 && joining * 2 >= wanted.size()) {
            Set<NodeId> union = new java.util.TreeSet<>(committed);
            union.addAll(wanted);
            return union;
        }
        return wanted;
    }

    /** The staying member, other than {@code leader}, that should lead instead: the alive one leading the fewest. */
    private Optional<NodeId> leadershipTarget(Placement placement, Liveness live, NodeId leader) {
        Map<NodeId, Long> leaderships = new HashMap<>();
        for (NodeReplicas replicas : observed.values()) {
            leaderships.put(replicas.node(), replicas.leaderships());
        }
        return placement.current().stream()
                .filter(placement.next()::contains)
                .filter(node -> !node.equals(leader))
                .filter(live::isAlive)
                .filter(node -> observed.containsKey(node) && observed.get(node).hosts(placement.partition()))
                .min(Comparator.comparing((NodeId node) -> leaderships.getOrDefault(node, 0L)).thenComparing(Comparator.naturalOrder()));
    }

    private void complete(VersionedPlacement versioned, Map<PartitionId, VersionedPlacement> placements, NodeId leader, Instant now) {
        Placement placement = versioned.placement();
        Placement done = placement.completed().withLeader(placement.next().contains(leader) ? leader : null);
        Duration took = placement.changeStartedAt() == null ? Duration.ZERO : Duration.between(placement.changeStartedAt(), now);
        NodeId from = placement.leaving().isEmpty() ? null : placement.leaving().getFirst();
        ClusterEvent event = ClusterEvent.of(now, EventKind.PARTITION_MOVED, from, placement.partition(),
                placement.partition() + " moved " + placement.leaving() + " → " + placement.joining() + " in " + took.toMillis() + " ms",
                Map.of("durationMillis", took.toMillis()));
        try {
            long version = metadata.placements().write(done, versioned.version(), event, List.of(fence));
            remember(placements, new VersionedPlacement(done, version));
            steps.remove(placement.partition());
            confirmed.remove(placement.partition());
            failingUnder.remove(placement.partition());
            metrics.moveCompleted(took);
            log.info("{}", event.message());
        } catch (PreconditionFailedException raced) {
            log.debug("placement of {} changed while completing its change", placement.partition());
        }
    }

    private boolean waitingAfterFailure(PartitionId partition, Instant now) {
        Failure failure = failures.get(partition);
        return failure != null && now.isBefore(failure.retryAt());
    }

    private void fail(PartitionId partition, String error, Instant now) {
        Failure previous = failures.get(partition);
        int count = previous == null ? 1 : previous.count() + 1;
        failures.put(partition, new Failure(count, now.plus(config.backoffAfter(count)), error));
        metrics.moveStepFailed();
        log.warn("{}: {} (failure {} in a row)", partition, error, count);
        if (count == 1 || count % 10 == 0) {
            logEvent(ClusterEvent.of(now, EventKind.PARTITION_MOVE_FAILED, null, partition, partition + ": " + error,
                    Map.of("failures", (long) count)));
        }
    }

    /** Keeps each placement's leader field in step with what the workers report, for readers of the placements. */
    private void recordLeaders(Map<PartitionId, VersionedPlacement> placements, Map<PartitionId, NodeId> leaders) {
        for (VersionedPlacement versioned : List.copyOf(placements.values())) {
            Placement placement = versioned.placement();
            NodeId leader = leaders.get(placement.partition());
            if (leader == null || leader.equals(placement.leader()) || !placement.names(leader)) {
                continue;
            }
            try {
                Placement updated = placement.withLeader(leader);
                long version = metadata.placements().write(updated, versioned.version(), null, List.of(fence));
                remember(placements, new VersionedPlacement(updated, version));
            } catch (PreconditionFailedException raced) {
                // The next pass sees the newer record.
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle automation

    /**
     * Draining → disabled, once the worker is in no replica set, leads nothing and (if it runs) has
     * dropped every group. Judged on placements read in this pass, after the nodes configuration that
     * shows it draining, so no scheduling decision made before the drain can still add it anywhere.
     *
     * @return the nodes configuration after the transitions made
     */
    private NodesConfiguration disableDrainedWorkers(NodesConfigurationStore.Snapshot nodesSnapshot, Map<PartitionId, VersionedPlacement> placements,
            Map<PartitionId, NodeId> leaders, Liveness live, Instant now) {
        NodesConfiguration latest = nodesSnapshot.configuration();
        for (NodeConfig node : nodesSnapshot.configuration().workers()) {
            if (node.workerState() != WorkerState.DRAINING) {
                continue;
            }
            NodeId id = node.nodeId();
            int naming = (int) placements.values().stream().filter(v -> v.placement().names(id)).count();
            int led = (int) leaders.values().stream().filter(id::equals).count();
            if (naming > 0 || led > 0) {
                continue;
            }
            if (live.isAlive(id)) {
                NodeReplicas replicas = observed.get(id);
                boolean fresh = replicas != null && replicas.observedAt().isAfter(
                        now.minus(config.statusPollInterval().multipliedBy(FRESH_OBSERVATION_POLLS)));
                if (!fresh || !replicas.replicas().isEmpty()) {
                    continue;
                }
            }
            GuardFacts.EmptiedEvidence evidence = new GuardFacts.EmptiedEvidence(naming, led, nodesSnapshot.configuration().version());
            NodesConfigurationStore.Update update = metadata.nodes().transition(node.id(), WorkerState.DISABLED, Actor.CONTROLLER,
                    "drained: in no replica set and leads nothing", false, config -> GuardFacts.NONE.withEmptied(evidence), List.of(fence));
            if (update.applied()) {
                log.info("{} ({}) drained and disabled", node.id(), node.name());
            } else {
                update.refusal().ifPresent(refusal -> log.info("not disabling {}: {}", id, refusal.message()));
            }
            latest = update.configuration();
        }
        return latest;
    }

    // ---------------------------------------------------------------- drain progress

    private List<DrainProgress> trackDrains(NodesConfiguration nodes, Map<PartitionId, VersionedPlacement> placements,
            Map<PartitionId, NodeId> leaders, Plan plan, Instant now) {
        Map<PartitionId, Explanation> explained = new HashMap<>();
        for (Explanation explanation : plan.explanations()) {
            explained.putIfAbsent(explanation.partition(), explanation);
        }
        List<DrainProgress> drains = new ArrayList<>();
        for (NodeConfig node : nodes.workers()) {
            NodeId id = node.nodeId();
            DrainRecord record = drainRecords.get(id);
            int naming = (int) placements.values().stream().filter(v -> v.placement().names(id)).count();
            int led = (int) leaders.values().stream().filter(id::equals).count();
            if (node.workerState() == WorkerState.DRAINING) {
                if (record == null || !record.drainVersion().equals(node.lastStateChange().version())) {
                    record = new DrainRecord(id, node.id(), node.name(), node.lastStateChange().version(), node.lastStateChange().at(),
                            naming, led, null, null);
                    storeDrain(record, ClusterEvent.of(now, EventKind.DRAIN_STARTED, id, null,
                            id + " (" + node.name() + ") draining: " + naming + " replicas and " + led + " leaderships to move"
                                    + (node.lastStateChange().reason().isEmpty() ? "" : " (" + node.lastStateChange().reason() + ")"),
                            Map.of("replicas", (long) naming, "leaderships", (long) led)));
                }
            } else if (record != null && record.running()) {
                Duration took = Duration.between(record.startedAt(), now);
                boolean finished = node.workerState() == WorkerState.DISABLED;
                record = record.ended(node.workerState(), now);
                storeDrain(record, ClusterEvent.of(now, finished ? EventKind.DRAIN_COMPLETED : EventKind.DRAIN_CANCELLED, id, null,
                        id + " (" + node.name() + ") " + (finished ? "drained and disabled after " : "drain cancelled after ")
                                + took.toSeconds() + " s; " + (record.replicasAtStart() - naming) + " replicas moved",
                        Map.of("durationMillis", took.toMillis(), "replicasMoved", (long) Math.max(0, record.replicasAtStart() - naming))));
                reportedStalled.remove(id);
            }
            if (record == null || (!record.running() && !record.drainVersion().equals(node.lastStateChange().version())
                    && node.workerState() != WorkerState.DISABLED)) {
                continue;
            }
            drains.add(progressOf(node, record, placements, naming, led, explained, now));
        }
        return drains;
    }

    private DrainProgress progressOf(NodeConfig node, DrainRecord record, Map<PartitionId, VersionedPlacement> placements, int naming, int led,
            Map<PartitionId, Explanation> explained, Instant now) {
        NodeId id = node.nodeId();
        int inFlight = 0;
        List<DrainProgress.StalledPartition> stalled = new ArrayList<>();
        if (record.running()) {
            for (VersionedPlacement versioned : placements.values()) {
                Placement placement = versioned.placement();
                if (!placement.names(id)) {
                    continue;
                }
                PartitionId partition = placement.partition();
                if (placement.leaving().contains(id)) {
                    inFlight++;
                }
                String reason = null;
                String message = null;
                Failure failure = failures.get(partition);
                Explanation explanation = explained.get(partition);
                if (failure != null) {
                    reason = "move-failing";
                    message = failure.lastError();
                } else if (placement.hasNext() && steps.getOrDefault(partition, "").startsWith("waiting for N")) {
                    reason = "waiting-for-member";
                    message = steps.get(partition);
                } else if (!placement.hasNext() && explanation != null && explanation.reason() != Reason.THROTTLED) {
                    reason = explanation.reason().wireName();
                    message = explanation.message();
                }
                Instant since = progressAt.getOrDefault(partition, now);
                if (reason != null && !since.plus(config.stallAfter()).isAfter(now)) {
                    stalled.add(new DrainProgress.StalledPartition(partition, reason, message, since));
                }
            }
        }
        int done = Math.max(0, record.replicasAtStart() - naming);
        Duration elapsed = Duration.between(record.startedAt(), record.running() ? now : record.completedAt());
        double perMinute = elapsed.toMillis() <= 0 ? 0 : done * 60_000.0 / elapsed.toMillis();
        Long etaSeconds = !record.running() ? Long.valueOf(0) : done == 0 ? null : Long.valueOf(Math.round(naming * 60.0 / perMinute));
        boolean isStalled = !stalled.isEmpty();
        if (isStalled && reportedStalled.add(id)) {
            logEvent(ClusterEvent.of(now, EventKind.DRAIN_STALLED, id, null, id + " (" + node.name() + ") drain STALLED: "
                    + stalled.stream().limit(5).map(s -> s.partition() + " " + s.message()).reduce((a, b) -> a + "; " + b).orElse(""),
                    Map.of("stalledPartitions", (long) stalled.size(), "replicasRemaining", (long) naming)));
        } else if (!isStalled) {
            reportedStalled.remove(id);
        }
        return new DrainProgress(id, node.id(), node.name(), node.workerState(), record.startedAt(), record.completedAt(), record.replicasAtStart(),
                naming, led, inFlight, done, perMinute, etaSeconds, isStalled, stalled, now);
    }

    private void storeDrain(DrainRecord record, ClusterEvent event) {
        documents.writeDrain(record, event, fence);
        drainRecords.put(record.node(), record);
    }

    private List<ControllerStatus.MoveInFlight> movesInFlight(Map<PartitionId, VersionedPlacement> placements) {
        List<ControllerStatus.MoveInFlight> moves = new ArrayList<>();
        for (VersionedPlacement versioned : placements.values()) {
            Placement placement = versioned.placement();
            if (placement.hasNext()) {
                Failure failure = failures.get(placement.partition());
                moves.add(new ControllerStatus.MoveInFlight(placement.partition(), placement.current(), placement.next(),
                        placement.changeStartedAt(), steps.getOrDefault(placement.partition(), "starting"),
                        failure == null ? null : failure.lastError()));
            }
        }
        return moves;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Publishes the status for the API when what it says changed, and at least every
     * {@link #STATUS_REFRESH}: a write every pass would cost a round trip for nothing most of the time.
     */
    private void publish(ControllerStatus status, Instant now) {
        String signature = status.moves().stream().map(m -> m.partition() + m.step() + m.lastError()).toList() + "|"
                + status.drains().stream().map(d -> d.node() + "" + d.state() + d.replicasRemaining() + d.leadershipsRemaining()
                        + d.movesInFlight() + d.stalledPartitions().size()).toList() + "|" + status.explanations().size();
        if (signature.equals(publishedSignature) && publishedAt.plus(STATUS_REFRESH).isAfter(now)) {
            return;
        }
        documents.publishStatus(status, fence);
        publishedSignature = signature;
        publishedAt = now;
    }

    /** Records a placement this pass wrote, in the pass's copy and in the view. */
    private void remember(Map<PartitionId, VersionedPlacement> placements, VersionedPlacement written) {
        placements.put(written.placement().partition(), written);
        view.written(written);
    }

    /** Keeps the event log bounded; the audit log, which transitions also go to, is never trimmed. */
    private void trimEvents(Instant now) {
        if (eventsTrimmedAt.plus(EVENT_TRIM_INTERVAL).isAfter(now)) {
            return;
        }
        eventsTrimmedAt = now;
        try {
            int deleted = metadata.events().trim(EventLog.RETAINED_EVENTS);
            if (deleted > 0) {
                log.info("trimmed {} old events from the event log", deleted);
            }
        } catch (RuntimeException e) {
            log.warn("could not trim the event log: {}", e.toString());
        }
    }

    private void logEvent(ClusterEvent event) {
        try {
            documents.logEvent(event, fence);
        } catch (Fence.LostException lost) {
            throw lost;
        } catch (RuntimeException e) {
            log.warn("could not log event '{}': {}", event.message(), e.toString());
        }
    }

    private static List<NodeConfig> configs(NodesConfiguration nodes, List<NodeId> ids) {
        List<NodeConfig> result = new ArrayList<>();
        for (NodeId id : ids) {
            nodes.find(id).ifPresent(result::add);
        }
        return result;
    }

    private static List<NodeId> sorted(Set<NodeId> ids) {
        return ids.stream().sorted().toList();
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while ((root instanceof java.util.concurrent.CompletionException || root instanceof java.util.concurrent.ExecutionException)
                && root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
