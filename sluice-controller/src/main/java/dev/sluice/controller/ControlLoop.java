package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.Liveness;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdSet;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.PlacementChange;
import dev.sluice.model.WorkerState;
import dev.sluice.raft.MoveFailure;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.MaintenancePrecheck;
import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.IncrementalScheduler;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * One controller leadership term, as a short orchestration of parts with one job each. A pass:
 * <ol>
 *   <li>applies the events that arrived since the last pass (status answers, call completions) to the
 *       {@link Observer} and the {@link MoveBook}, and gives up on calls past their deadline;
 *   <li>observes ({@link Observer}): who is alive and healthy, who hosts and leads what;
 *   <li>runs the scheduler on healthy workers only, and writes the replica-set changes it plans
 *       ({@link PlacementDecisions});
 *   <li>steps every move on ({@link MoveStepper} decides, {@link MoveCalls} starts the call) and starts
 *       the leadership moves the scheduler asks for;
 *   <li>disables drained workers ({@link DrainedWorkers}), tracks drains ({@link DrainTracker}) and
 *       publishes the status ({@link StatusPublisher}).
 * </ol>
 * Everything here is soft state rebuilt from the metadata store and the workers, so a new leader resumes
 * any half-done change where it stands. Not thread-safe: the owning {@link ClusterController} runs passes
 * on one thread, and nothing else touches this object — other threads only post events to its inbox.
 */
final class ControlLoop {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ControlLoop.class);

    /**
     * How long first placements wait for workers that are still warming up. A cluster whose workers start
     * one after another would otherwise place everything on the first ones and then move it again.
     */
    static final Duration INITIAL_PLACEMENT_SETTLE = Duration.ofSeconds(30);

    private final ClusterView view;
    private final ControllerConfig config;
    private final InstantSource clock;
    private final Fence fence;
    private final ControllerMetrics metrics;
    private final LivenessTracker liveness;
    private final ControllerEvent.Inbox inbox;
    private final Observer observer;
    private final MoveCalls calls;
    private final MoveStepper stepper;
    private final PlacementDecisions decisions;
    private final DrainTracker drains;
    private final DrainGroups groups;
    private final DrainedWorkers drained;
    private final MaintenanceKeeper maintenance;
    private final RolloutDriver rollouts;
    private final StatusPublisher publisher;

    private final MoveBook moves;
    private Instant provisioningSeenSince;
    private final SettingsRequests settings;
    /** The limits passes plan with: the flags' ({@link ControllerConfig#limits()}) under the operator's runtime throttles. */
    private SchedulerLimits limits;
    /** The scheduler's index of the placements, kept across passes; rebuilt by a new loop (a new controller term). */
    private IncrementalScheduler scheduler;
    private final Map<PartitionId, SchedulerView> schedulerViews = new java.util.HashMap<>();
    /** The placements as this term last saw them, which changed, which move: so a pass visits what moves, not everything. */
    private final PlacementFeed feed = new PlacementFeed();
    /** Partitions whose placement or observed leader changed since their recorded leader was last brought in step. */
    private Set<PartitionId> leaderRecordCandidates = new HashSet<>();
    private final PlacementFeed.Cursor leaderRecordCursor = feed.cursor();
    /** Who is named where and who leads what, kept across passes from what changed. */
    private final Emptiness.Index holdings = new Emptiness.Index();
    /** Partitions whose placement or observed leader changed since {@link #holdings} last indexed them. */
    private Set<PartitionId> holdingsCandidates = new HashSet<>();
    private final PlacementFeed.Cursor holdingsCursor = feed.cursor();
    /**
     * Partitions whose planned leader changed since the scheduler last saw them. These candidate sets are replaced once
     * handled, not cleared: the first pass of a term fills them with every partition, and clearing walks the table that
     * left behind (two million slots at a million partitions) every pass after.
     */
    private Set<PartitionId> planCandidates = new HashSet<>();
    private final PlacementFeed.Cursor planCursor = feed.cursor();
    /** The partitions with a leadership transfer under way when the last pass planned. */
    private Set<PartitionId> transfersPlanned = Set.of();
    /**
     * Whether every pass checks the sets kept across passes ({@link PlacementFeed}, {@link MoveBook}) against the
     * placements and memories they follow: O(P) a pass, for tests and the simulation.
     */
    boolean checkKeptSets;
    private Instant settingsReadAt;
    /** Where the last pass's time went, for benchmarks; null before the first full pass. */
    private PassTimings lastTimings;
    /** The client impact last added up ({@link #clientImpact}), and the nodes configuration it was added up for. */
    private dev.sluice.wire.ClientImpactView clientImpact;
    private NodesConfiguration clientImpactNodes;

    ControlLoop(ClusterMetadata metadata, ClusterView view, DataPlane dataPlane, ControllerConfig config, InstantSource clock, Fence fence,
            String leaderId, Runnable requestPass, ControllerMetrics metrics, Executor statusWrites) {
        this.view = view;
        this.config = config;
        this.clock = clock;
        this.fence = fence;
        this.metrics = metrics;
        this.liveness = new LivenessTracker(clock.instant());
        this.inbox = new ControllerEvent.Inbox(requestPass);
        this.observer = new Observer(dataPlane, config, inbox);
        this.calls = new MoveCalls(dataPlane, inbox, clock);
        this.stepper = new MoveStepper(config);
        ControllerDocuments documents = new ControllerDocuments(metadata);
        this.publisher = new StatusPublisher(new StatusWriter(documents, metadata.events(), fence, statusWrites), fence, leaderId, metrics, config);
        this.drains = new DrainTracker(documents, publisher, config);
        this.groups = new DrainGroups(metadata.nodes(), documents, publisher, metrics);
        this.drained = new DrainedWorkers(metadata, clock);
        this.maintenance = new MaintenanceKeeper(metadata, config.limits().deadNodeGrace(), metrics);
        this.rollouts = new RolloutDriver(metadata, dataPlane, maintenance, metrics);
        this.moves = new MoveBook(stepper, observer, publisher, metrics);
        this.decisions = new PlacementDecisions(new PlacementWriter(metadata, view, fence, feed::written), moves, publisher, metrics);
        this.settings = new SettingsRequests(metadata, config.limits(), clock);
        this.limits = config.limits();
    }

    /**
     * Reads the operator's runtime throttles at most once per {@link #SETTINGS_READ_INTERVAL}: a change takes effect
     * within about a second, for one read of a small document a second rather than one a pass.
     */
    private void refreshLimits(Instant now) {
        if (settingsReadAt != null && settingsReadAt.plus(SETTINGS_READ_INTERVAL).isAfter(now)) {
            return;
        }
        settingsReadAt = now;
        Throttles throttles;
        try {
            throttles = settings.effective();
        } catch (dev.sluice.metadata.MetadataException unreachable) {
            // The store is away for a moment: plan with the throttles last read rather than fail the pass over them.
            return;
        }
        limits = throttles.applyTo(config.limits());
        publisher.throttlesInUse(throttles);
    }

    /** How often a pass reads the runtime throttles again. */
    static final java.time.Duration SETTINGS_READ_INTERVAL = java.time.Duration.ofSeconds(1);

    /** Where the last pass that got as far as publishing spent its time. */
    PassTimings lastTimings() {
        return lastTimings;
    }

    /** The status published by the last pass, if any. */
    ControllerStatus lastStatus() {
        return publisher.last();
    }

    /**
     * Runs one pass.
     *
     * @return whether anything is under way (then the next pass should come soon)
     * @throws Fence.LostException if this leader was deposed
     */
    boolean runPass() {
        PassTimings timings = new PassTimings(System.nanoTime());
        Instant now = clock.instant();
        view.beforePass();
        NodesConfigurationStore.Snapshot nodesSnapshot = view.nodes();
        NodesConfiguration nodes = nodesSnapshot.configuration();
        Optional<PartitionTable> table = view.table();
        if (table.isEmpty()) {
            return false;
        }
        feed.read(view.placementChanges());
        Map<PartitionId, VersionedPlacement> placements = feed.placements();
        if (checkKeptSets) {
            // The changes handed over must leave the feed holding what the store holds now (later in the pass a request
            // may write a placement outside the pass, which the next pass takes).
            List<String> wrong = feed.check(view.placements());
            if (!wrong.isEmpty()) {
                throw new IllegalStateException("BUG: the placements kept across passes disagree with the store: " + wrong);
            }
        }
        feed.takeWritten();
        Set<NodeId> registered = view.alive();
        refreshLimits(now);
        applyEvents();
        moves.expireCalls(now);
        publisher.reportDeaths(nodes, registered, now);
        observer.begin(nodes, registered, involved(), now);
        Set<PartitionId> newLeaders = observer.takeLeaderChanges();
        holdingsCandidates.addAll(newLeaders);
        leaderRecordCandidates.addAll(newLeaders);
        planCandidates.addAll(newLeaders);
        // Only workers the controller itself heard from recently may receive replicas or leaderships: a
        // process killed a moment ago keeps its registration until its session expires.
        Set<NodeId> healthy = new NodeIdSet();
        registered.stream().filter(observer::healthy).forEach(healthy::add);
        Liveness live = liveness.update(nodes, healthy, now);
        trackMoves(now);
        timings.lap("observe");

        Map<PartitionId, NodeId> leaders = observer.leaders();
        // Once every partition has a placement there is nothing to wait for (nor to log about).
        boolean firstPlacementsAllowed = placements.size() >= table.get().partitionCount() || readyForFirstPlacements(nodes, live, table.get(), now);
        // Planned on the leaders the transfers under way will leave: planned on the observed ones, a pass that began
        // while transfers ran counted each moving leadership at its old holder, piled more onto the transfers'
        // targets, and the next pass moved some on again (a rolling restart: 51 changes where 48 sufficed).
        Function<PartitionId, NodeId> plannedLeaders = moves.leadersAfterTransfers(leaders);
        Plan plan = plan(nodes, live, table.get(), toPlan(table.get(), placements), placements.size(), plannedLeaders, now);
        planCandidates = new HashSet<>();
        timings.lap("plan");
        decisions.write(plan, placements, nodes, firstPlacementsAllowed, List.of(), now);
        timings.lap("write");
        releaseStuckTransfers(placements, nodes, now);
        applyLeadershipChanges(plan, placements, nodes, registered, now);
        List<PlacementChange.CompleteMove> completions = driveMoves(placements, nodes, now);
        timings.lap("step");
        if (!completions.isEmpty()) {
            // A completed move frees its place under the throttles: planning again now, on the placements as
            // they are once the completions are written, starts the next moves in this pass instead of the next
            // one (a drain of 18 moves, 4 at a time, waits for that ~5 times), and the completions and those
            // starts go to the store in one commit instead of two.
            // Only what changed since the first plan is handed over again: the starts written since, and the completions.
            Map<PartitionId, VersionedPlacement> changedSincePlan = new TreeMap<>();
            feed.takeWritten().forEach(written -> changedSincePlan.put(written.placement().partition(), written));
            changedSincePlan.putAll(PlacementDecisions.completed(placements, completions, now));
            Plan replanned = plan(nodes, live, table.get(), changedSincePlan.values(), placements.size(), plannedLeaders, now);
            // The scheduler now holds the completions as planned, before they are written: the next pass hands it these
            // partitions again from the feed, so a completion that is not written (a store error) does not stay in it.
            planCandidates.addAll(changedSincePlan.keySet());
            timings.lap("replan");
            decisions.write(replanned, placements, nodes, firstPlacementsAllowed, completions, now);
            timings.lap("complete");
            decisions.complete(driveMoves(placements, nodes, now), placements, now);
            timings.lap("step");
        }
        leaderRecordCandidates.addAll(leaderRecordCursor.take());
        decisions.recordLeaders(placements, leaders, leaderRecordCandidates, now);
        leaderRecordCandidates = new HashSet<>();
        trackMoves(now);
        timings.lap("leaders");
        if (checkKeptSets) {
            List<String> wrong = new ArrayList<>(feed.check(placements));
            wrong.addAll(moves.checkSets());
            wrong.addAll(observer.checkLeaders());
            if (!wrong.isEmpty()) {
                throw new IllegalStateException("BUG: sets kept across passes disagree with a walk over everything: " + wrong);
            }
        }

        // A view, not a copy: of the parts below only a returning maintenance and a starting rollout walk it.
        Collection<Placement> current = new AbstractCollection<>() {
            @Override
            public java.util.Iterator<Placement> iterator() {
                java.util.Iterator<VersionedPlacement> records = placements.values().iterator();
                return new java.util.Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return records.hasNext();
                    }

                    @Override
                    public Placement next() {
                        return records.next().placement();
                    }
                };
            }

            @Override
            public int size() {
                return placements.size();
            }
        };
        Function<NodeId, Emptiness.Holding> holdings = node -> holding(node, registered);
        Emptiness.Index emptiness = indexedHoldings(placements, leaders);
        nodes = drained.disableEmptied(nodesSnapshot, current, node -> emptiness.of(node, holdings.apply(node)), fence);
        nodes = maintenance.endOver(nodes, emptiness::naming, registered, observer, leaders, fence, now);
        PartitionTable partitionTable = table.get();
        // The pre-check runs only when a rollout begins a worker, so its input is built then, not every pass.
        boolean rolling = rollouts.step(nodes, registered, observer, leaders, (latest, node) -> {
            Map<PartitionId, Placement> placed = new TreeMap<>();
            current.forEach(placement -> placed.put(placement.partition(), placement));
            return MaintenancePrecheck.check(new SchedulerInput(latest, live, partitionTable, placed, limits, now), Set.of(node));
        }, fence, now);
        drains.checkAgainstWalk = checkKeptSets;
        List<DrainProgress> drainProgress = drains.track(new DrainTracker.PassFacts(nodes, current, leaders, moves.steps(), moves.memories(),
                plan.explanations(),
                holdings, now, emptiness, partition -> {
                    VersionedPlacement versioned = placements.get(partition);
                    return versioned == null ? null : versioned.placement();
                }, feed.moving()), fence);
        List<DrainGroupProgress> groupProgress = groups.track(nodes, drainProgress, fence, now);
        timings.lap("drains");
        List<ControllerStatus.WorkerCounts> counts = nodes.workers().stream().map(worker -> emptiness.counts(worker.nodeId())).toList();
        publisher.publish(nodes, movesInFlight(placements), drainProgress, groupProgress, plan.explanations(), counts,
                clientImpact(nodes, registered, now), timings, now);
        lastTimings = timings;
        // A rolling restart and a worker catching up after its maintenance are under way too: at the idle pass
        // interval (5 s) each of their steps waited a whole interval.
        return !moves.steps().isEmpty() || moves.anyCallInFlight() || rolling || maintenance.watching()
                || nodes.workers().stream().anyMatch(n -> n.workerState() == WorkerState.DRAINING);
    }

    /**
     * The client impact, added up again once a poll interval or when the nodes configuration changed: each worker's window
     * changes once a poll interval, and adding up every worker's each pass was a fifth of a drain pass at 10,000 workers.
     */
    private dev.sluice.wire.ClientImpactView clientImpact(NodesConfiguration nodes, Set<NodeId> registered, Instant now) {
        if (clientImpact == null || clientImpactNodes != nodes || !clientImpact.at().plus(config.statusPollInterval()).isAfter(now)) {
            clientImpact = ClientImpact.of(nodes.workers(), registered, observer.clientWindows(), now);
            clientImpactNodes = nodes;
        }
        return clientImpact;
    }

    /**
     * What the first plan of a pass hands the scheduler: every placement for a new scheduler, else those whose record,
     * observed leader or leadership transfer changed since the last plan (the scheduler keeps the rest), in partition order.
     */
    private Collection<VersionedPlacement> toPlan(PartitionTable table, Map<PartitionId, VersionedPlacement> placements) {
        planCandidates.addAll(planCursor.take());
        Set<PartitionId> transfers = moves.transferTargets().keySet();
        planCandidates.addAll(transfers);
        planCandidates.addAll(transfersPlanned);
        transfersPlanned = Set.copyOf(transfers);
        if (scheduler == null || !scheduler.table().equals(table)) {
            return placements.values();
        }
        List<VersionedPlacement> changed = new ArrayList<>(planCandidates.size());
        for (PartitionId partition : new java.util.TreeSet<>(planCandidates)) {
            VersionedPlacement versioned = placements.get(partition);
            if (versioned != null) {
                changed.add(versioned);
            }
        }
        return changed;
    }

    /** {@link #holdings} brought up to the pass's placements and observed leaders. */
    private Emptiness.Index indexedHoldings(Map<PartitionId, VersionedPlacement> placements, Map<PartitionId, NodeId> leaders) {
        holdingsCandidates.addAll(holdingsCursor.take());
        for (PartitionId partition : holdingsCandidates) {
            VersionedPlacement versioned = placements.get(partition);
            if (versioned == null) {
                holdings.remove(partition);
            } else {
                holdings.put(versioned.placement(), leaders.get(partition));
            }
        }
        holdingsCandidates = new HashSet<>();
        if (checkKeptSets) {
            Emptiness.Index walked = new Emptiness.Index(placements.values().stream().map(VersionedPlacement::placement).toList(), leaders);
            for (NodeId node : union(walked.nodes(), holdings.nodes())) {
                if (!walked.counts(node).equals(holdings.counts(node))
                        || !walked.of(node, new Emptiness.Holding.NotRunning()).equals(holdings.of(node, new Emptiness.Holding.NotRunning()))) {
                    throw new IllegalStateException("BUG: the kept holdings of " + node + " are " + holdings.counts(node) + ", a walk finds "
                            + walked.counts(node));
                }
            }
        }
        return holdings;
    }

    private static Set<NodeId> union(Set<NodeId> one, Set<NodeId> other) {
        Set<NodeId> both = new HashSet<>(one);
        both.addAll(other);
        return both;
    }

    /** A placement as the scheduler sees it: the stored one with the leader observed, kept while neither changes. */
    private record SchedulerView(Placement stored, NodeId leader, Placement seen) {}

    /** Hands the move book the placements that changed and those that move (the others have nothing new for it). */
    private void trackMoves(Instant now) {
        moves.track(feed.takeChangedAndMoving(), feed.takeRemoved(), feed.size(), now);
    }

    /**
     * Plans with the scheduler's index kept across passes ({@link IncrementalScheduler}): of {@code candidates} only
     * those that changed since the last pass (a new stored object, or another observed leader) are handed to it, so a
     * pass costs what changed plus one look at each candidate, not a rebuild of the index. The first plan of a pass
     * gives what changed since the last pass ({@link #toPlan}); a second gives only what the pass changed since.
     *
     * @param placed how many placements there are: when the scheduler holds more, those gone are taken out
     */
    private Plan plan(NodesConfiguration nodes, Liveness live, PartitionTable table, java.util.Collection<VersionedPlacement> candidates, int placed,
            Function<PartitionId, NodeId> leaders, Instant now) {
        if (scheduler == null || !scheduler.table().equals(table)) {
            scheduler = new IncrementalScheduler(table);
            schedulerViews.clear();
        }
        for (VersionedPlacement versioned : candidates) {
            Placement stored = versioned.placement();
            NodeId leader = leaders.apply(stored.partition());
            SchedulerView known = schedulerViews.get(stored.partition());
            if (known == null || known.stored() != stored || !java.util.Objects.equals(known.leader(), leader)) {
                Placement seen = leader == null ? stored : stored.withLeader(leader);
                schedulerViews.put(stored.partition(), new SchedulerView(stored, leader, seen));
                scheduler.put(seen);
            }
        }
        if (schedulerViews.size() != placed) {
            for (java.util.Iterator<PartitionId> known = schedulerViews.keySet().iterator(); known.hasNext(); ) {
                PartitionId partition = known.next();
                if (feed.get(partition) == null) {
                    known.remove();
                    scheduler.remove(partition);
                }
            }
        }
        // While replica sets change, balancing transfers wait (applyLeadershipChanges), so searching for them is wasted:
        // at 1,000 × 1,000,000 a one-worker drain spent minutes a pass in that search and started 4 moves in 6 minutes.
        return feed.moving().isEmpty() ? scheduler.schedule(nodes, live, limits, now) : scheduler.scheduleWithoutLeaderChains(nodes, live, limits, now);
    }

    /** Steps every move on; returns the completions to write. */
    private List<PlacementChange.CompleteMove> driveMoves(Map<PartitionId, VersionedPlacement> placements, NodesConfiguration nodes, Instant now) {
        List<PlacementChange.CompleteMove> completions = new ArrayList<>();
        for (PartitionId partition : List.copyOf(feed.moving())) {
            driveOrReport(placements.get(partition).placement(), nodes, now).ifPresent(completions::add);
        }
        // A step is kept while its partition moves: one whose move ended (here or under another writer) is done.
        moves.stepsDoneUnless(partition -> !placements.containsKey(partition) || feed.moving().contains(partition));
        return completions;
    }

    // ---------------------------------------------------------------- events

    private void applyEvents() {
        for (ControllerEvent event = inbox.poll(); event != null; event = inbox.poll()) {
            switch (event) {
                case ControllerEvent.StatusAnswered answered -> observer.answered(answered.report());
                case ControllerEvent.StatusFailed failed -> observer.failed(failed.node(), failed.detail(), failed.at());
                case ControllerEvent.CallSucceeded succeeded -> moves.succeeded(succeeded);
                case ControllerEvent.CallFailed failed -> moves.failed(failed.partition(), failed.callId(), failed.failure(), failed.at());
            }
        }
    }

    // ---------------------------------------------------------------- observation

    /**
     * Workers a move's next step waits to hear from, polled every pass so its steps follow each other quickly: its
     * joiners (do they host the group yet) and its leader (the group's configuration, who leads). Its other members are
     * polled once a poll interval like every worker, which keeps them healthy, and a leaver is draining (polled every
     * pass for that) or leaves for balance; polling them too made a drain of a hundred workers at 10,000 × 1,000,000 poll
     * about 4,000 workers a pass. A move whose leader is not known has all its members polled, so a new leader is found.
     */
    private Set<NodeId> involved() {
        Set<NodeId> involved = new NodeIdSet();
        for (PartitionId partition : feed.moving()) {
            Placement placement = feed.get(partition).placement();
            Optional<NodeId> leader = observer.leader(partition);
            if (leader.isEmpty()) {
                involved.addAll(placement.members());
                continue;
            }
            involved.add(leader.get());
            involved.addAll(placement.joining());
        }
        return involved;
    }

    private Emptiness.Holding holding(NodeId node, Set<NodeId> registered) {
        if (!registered.contains(node)) {
            return new Emptiness.Holding.NotRunning();
        }
        return observer.freshReport(node).<Emptiness.Holding>map(Emptiness.Holding.Reported::new)
                .orElseGet(() -> new Emptiness.Holding.Unknown(observer.lastPollFailure(node).orElse("no recent answer to status polls")));
    }

    // ---------------------------------------------------------------- decisions

    /**
     * Whether partitions that have no replica set yet may get one now: only once enough workers are active
     * and healthy for full replica sets, and no worker is still coming up (for at most
     * {@link #INITIAL_PLACEMENT_SETTLE}). Coming up: provisioning, or active but not yet alive and answering
     * status polls. A process registers and then announces its liveness in a second write, and the
     * controller hears from it only at its next poll; on a loaded machine the first pass fell in between and
     * placed all 64 partitions of a multi-host cluster on the three workers it had heard from, and the
     * cluster then spent minutes moving them.
     */
    private boolean readyForFirstPlacements(NodesConfiguration nodes, Liveness live, PartitionTable table, Instant now) {
        long active = nodes.workers().stream().filter(n -> n.workerState() == WorkerState.ACTIVE && live.isAlive(n.nodeId())).count();
        List<String> warming = nodes.workers().stream()
                .filter(n -> n.workerState() == WorkerState.PROVISIONING || (n.workerState() == WorkerState.ACTIVE && !live.isAlive(n.nodeId())))
                .map(NodeConfig::name).toList();
        if (warming.isEmpty()) {
            provisioningSeenSince = null;
        } else if (provisioningSeenSince == null) {
            provisioningSeenSince = now;
            // Named up to ten: a new controller of a thousand-worker cluster has heard from none of them yet.
            log.info("first placements wait up to {} for {} worker(s) coming up: {}{}", INITIAL_PLACEMENT_SETTLE, warming.size(),
                    String.join(", ", warming.subList(0, Math.min(10, warming.size()))), warming.size() > 10 ? ", …" : "");
        }
        boolean settled = warming.isEmpty() || !provisioningSeenSince.plus(INITIAL_PLACEMENT_SETTLE).isAfter(now);
        return active >= table.replication().replicas() && settled;
    }

    private void applyLeadershipChanges(Plan plan, Map<PartitionId, VersionedPlacement> placements, NodesConfiguration nodes, Set<NodeId> registered,
            Instant now) {
        // Balancing waits until no replica set is changing or about to: a fill that takes a member out of a
        // partition undoes a balancing transfer to that member, and the rest is balanced again (seen once: a
        // worker back from a drain drew 13 leadership events, some back and forth, for six real changes; it
        // depends on timing and no test reproduces it). A leadership that must move (its holder is dead,
        // draining, leaving) does not wait.
        boolean replicaSetsChanging = !plan.replicaSetChanges().isEmpty() || !feed.moving().isEmpty();
        for (LeadershipChange change : plan.leadershipChanges()) {
            PartitionId partition = change.partition();
            VersionedPlacement versioned = placements.get(partition);
            MoveMemory memory = moves.memory(partition);
            if (versioned == null || memory == null || memory.inFlight() != null || (memory.retryAt() != null && now.isBefore(memory.retryAt()))) {
                continue;
            }
            if (change.cause() == LeadershipChange.Cause.BALANCE && replicaSetsChanging) {
                continue;
            }
            if (change.cause() == LeadershipChange.Cause.LEADER_DEAD && change.from() != null && notHeardFromYet(change.from(), registered)) {
                // A new controller leader has not heard from every worker yet (a loaded one answers its first poll
                // late): that is no evidence of death while the worker is registered. Its first answer or failed
                // poll decides. Once, every failover moved leaderships off healthy workers and balancing moved them back.
                continue;
            }
            if (!observer.healthy(change.to()) || !observer.hosts(change.to(), partition) || memory.avoids(change.to(), now)) {
                continue;
            }
            MoveStep.ShedLeadership shed = new MoveStep.ShedLeadership(change.from(), change.to(), change.cause().wireName());
            moves.remember(partition, memory.started(calls.start(partition, shed, nodes, versioned.placement().members(), change.from(),
                    stepper.deadline(shed))));
        }
    }

    /**
     * Steps down a leader that holds a transfer Ratis left pending, on a partition with no move (a move's own
     * steps do it, {@link MoveStepper#stepDown}): it was a balancing or maintenance transfer, and the leader
     * refuses the partition's writes until it stops leading.
     */
    private void releaseStuckTransfers(Map<PartitionId, VersionedPlacement> placements, NodesConfiguration nodes, Instant now) {
        // Only a memory whose last failure left a transfer pending can release one (MoveStepper.releaseTransfer): the move
        // book keeps those, so this visits them, in partition order, rather than every placement.
        for (PartitionId partition : List.copyOf(moves.transferTrouble())) {
            VersionedPlacement versioned = placements.get(partition);
            MoveMemory memory = moves.memory(partition);
            if (versioned == null || versioned.placement().hasNext() || memory == null) {
                continue;
            }
            Placement placement = versioned.placement();
            Optional<MoveStep.StepDown> stepDown = stepper.releaseTransfer(memory, now);
            if (stepDown.isPresent()) {
                log.warn("{}: {} steps down: {}", placement.partition(), stepDown.get().leader(), stepDown.get().why());
                moves.remember(placement.partition(), memory.started(calls.start(placement.partition(), stepDown.get(), nodes, placement.members(),
                        stepDown.get().leader(), stepper.deadline(stepDown.get()))));
            }
        }
    }

    /** Registered, and neither answered nor failed a status poll of this controller term yet. */
    private boolean notHeardFromYet(NodeId node, Set<NodeId> registered) {
        return registered.contains(node) && observer.lastAnswer(node).isEmpty() && observer.lastPollFailure(node).isEmpty();
    }

    /**
     * Drives one move; if that throws (a bug), the partition backs off with the error as its failure, so its
     * stall reason names it, and the other partitions' moves go on. Once a bug in completing a move threw on
     * every pass, stopping every drain with nothing saying why.
     */
    private Optional<PlacementChange.CompleteMove> driveOrReport(Placement placement, NodesConfiguration nodes, Instant now) {
        try {
            return drive(placement, nodes, now);
        } catch (Fence.LostException lost) {
            throw lost;
        } catch (RuntimeException bug) {
            log.error("BUG: driving the move of {} threw; it backs off and reports it", placement.partition(), bug);
            MoveFailure failure = new MoveFailure.Unexpected("BUG: " + bug);
            MoveMemory memory = moves.memory(placement.partition());
            moves.remember(placement.partition(), memory.broke(failure, now, now.plus(stepper.backoff(failure, memory.failures() + 1))));
            moves.step(placement.partition(), new MoveStep.BackOff(moves.memory(placement.partition()).retryAt(), failure, memory.failures() + 1));
            return Optional.empty();
        }
    }

    /**
     * Takes the move of {@code placement} one step further: starts the call its step needs, or returns the
     * completion to write (the pass writes all of them in one batch).
     */
    private Optional<PlacementChange.CompleteMove> drive(Placement placement, NodesConfiguration nodes, Instant now) {
        PartitionId partition = placement.partition();
        MoveStep step = stepper.next(placement, moves.memory(partition), observer, now);
        moves.step(partition, step);
        switch (step) {
            case MoveStep.Complete complete -> {
                return Optional.of(new PlacementChange.CompleteMove(partition, placement.next(), complete.leader()));
            }
            case MoveStep.StepDown stepDown -> start(partition, step, placement, nodes, stepDown.leader(), now);
            case MoveStep.ShedLeadership shed -> start(partition, step, placement, nodes, shed.from(), now);
            case MoveStep.ChangeConfiguration change -> start(partition, step, placement, nodes, observer.leader(partition).orElse(null), now);
            case MoveStep.Confirm confirm -> start(partition, step, placement, nodes, observer.leader(partition).orElse(null), now);
            case MoveStep.AwaitJoiner waiting -> { }
            case MoveStep.AwaitLeader waiting -> { }
            case MoveStep.InFlight waiting -> { }
            case MoveStep.BackOff waiting -> { }
        }
        return Optional.empty();
    }

    private void start(PartitionId partition, MoveStep action, Placement placement, NodesConfiguration nodes, NodeId leader, Instant now) {
        MoveMemory.Call call = calls.start(partition, action, nodes, placement.members(), leader, stepper.deadline(action));
        moves.remember(partition, moves.memory(partition).started(call));
        moves.step(partition, new MoveStep.InFlight(action, call.startedAt(), call.deadline()));
    }

    private List<ControllerStatus.MoveInFlight> movesInFlight(Map<PartitionId, VersionedPlacement> placements) {
        List<ControllerStatus.MoveInFlight> inFlight = new ArrayList<>();
        for (PartitionId partition : feed.moving()) {
            Placement placement = placements.get(partition).placement();
            MoveStep step = moves.steps().get(partition);
            MoveMemory memory = moves.memory(partition);
            inFlight.add(new ControllerStatus.MoveInFlight(partition, placement.current(), placement.next(), placement.changeStartedAt(),
                    step == null ? null : step.kind(), step == null ? "starting" : step.describe(),
                    memory == null || memory.lastFailure() == null ? null : memory.lastFailure().detail()));
        }
        return inFlight;
    }
}
