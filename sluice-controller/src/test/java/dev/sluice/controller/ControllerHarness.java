package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.model.Actor;
import dev.sluice.model.EventKind;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * A cluster for controller tests: an in-memory metadata store, workers registered with liveness
 * entries, a {@link SimulatedDataPlane}, a controllable clock, and control loops run pass by pass. No
 * threads, no real time: every test is deterministic.
 */
final class ControllerHarness implements AutoCloseable {

    static final Duration STEP = Duration.ofMillis(100);
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
    /** Stamped by the harness's clock, so that the event log's times are the same in every run of a seed. */
    final InMemoryMetadataStore store = new InMemoryMetadataStore(clock);
    /** The store as the controller and the harness use it, counting the CPU its calls take ({@link #lastPassStoreCpuNanos}). */
    final TimedStore timedStore = new TimedStore(store);
    final ClusterMetadata metadata = new ClusterMetadata(timedStore, clock);
    final StoredPlacements storedPlacements = new StoredPlacements(store, metadata);
    /** What {@link #interfereBeforeCommits} installed; the store's own hook is the harness's. */
    private java.util.function.Consumer<List<dev.sluice.metadata.Op>> interference;
    final SimulatedDataPlane dataPlane;
    final ControllerConfig config;
    final Map<NodeId, InMemoryMetadataStore> sessions = new HashMap<>();
    final Map<NodeId, String> names = new TreeMap<>();
    private final Set<NodeId> killed = new java.util.HashSet<>();
    final io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    ControlLoop loop;
    int passesRequested;
    /** Wall time spent in controller passes and in the simulated workers and data plane, for runs that measure where it goes. */
    long passNanos;
    /** The {@link #storedPlacements} changes the workers have reacted to. */
    private int reconciledChanges;
    long dataPlaneNanos;

    ControllerHarness(int workers, int partitions, ReplicationProperty replication, ControllerConfig config, int latencySteps, String... zones) {
        this(false, workers, partitions, replication, config, latencySteps, zones);
    }

    /**
     * A harness for measuring passes at fleet size ({@link ControllerScale}): the workers are written into the nodes
     * configuration in one write, already Active, instead of registering one after another (each registration
     * rewrites the whole configuration: 10,000 workers would take an hour), and the controller's view decodes the
     * nodes configuration only when its store version changed and takes the alive workers from the harness, as
     * the production view's watches do, instead of reading and decoding every document each pass. Workers are not
     * killed or restarted in such a run.
     */
    static ControllerHarness atScale(int workers, int partitions, ReplicationProperty replication, ControllerConfig config, int latencySteps,
            String... zones) {
        return new ControllerHarness(true, workers, partitions, replication, config, latencySteps, zones);
    }

    /** Whether this harness was made by {@link #atScale}. */
    private final boolean atScale;

    private ControllerHarness(boolean atScale, int workers, int partitions, ReplicationProperty replication, ControllerConfig config, int latencySteps,
            String... zones) {
        this.atScale = atScale;
        this.config = config;
        store.interfereBeforeCommits(ops -> {
            storedPlacements.committing(ops);
            if (interference != null) {
                interference.accept(ops);
            }
        });
        this.dataPlane = new SimulatedDataPlane(latencySteps);
        metadata.partitionTable().initialize(new PartitionTable(partitions, replication));
        if (atScale) {
            registerAtOnce(workers, zones);
        } else {
            for (int i = 1; i <= workers; i++) {
                String zone = zones.length == 0 ? "zone-1" : zones[(i - 1) % zones.length];
                addWorker("worker-" + i, Location.parse("local." + zone));
            }
        }
        loop = newLoop("controller-a");
    }

    /**
     * Writes {@code workers} Active workers as one version of the nodes configuration, in batches (one registration
     * each would take minutes at 10,000), each with its liveness entry.
     */
    private void registerAtOnce(int workers, String... zones) {
        dev.sluice.model.StateChange change = new dev.sluice.model.StateChange(clock.instant(), Actor.NODE, "warm-up passed",
                dev.sluice.model.Version.MIN, "");
        List<NodeConfig> nodes = new ArrayList<>(workers);
        for (int i = 1; i <= workers; i++) {
            String zone = zones.length == 0 ? "zone-1" : zones[(i - 1) % zones.length];
            nodes.add(new NodeConfig("worker-" + i, new dev.sluice.model.GenerationalNodeId(NodeId.of(i), 1),
                    NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN), Location.parse("local." + zone),
                    WorkerState.ACTIVE, change, "i" + i, null));
        }
        dev.sluice.model.NodesConfiguration configuration = new dev.sluice.model.NodesConfiguration(dev.sluice.model.Version.MIN, nodes, List.of());
        metadata.nodes().writeInBatches(configuration);
        for (NodeConfig node : nodes) {
            InMemoryMetadataStore session = store.newSession();
            new ClusterMetadata(session, clock).liveness().announce(new dev.sluice.metadata.LivenessRegistry.Entry(node.id(), clock.instant()));
            sessions.put(node.nodeId(), session);
            names.put(node.nodeId(), node.name());
        }
    }

    NodeId addWorker(String name, Location location) {
        InMemoryMetadataStore session = store.newSession();
        NodeRegistration.Registered registered = new NodeRegistration(new ClusterMetadata(session, clock), clock)
                .register(name, NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN), location);
        NodeId id = registered.node().nodeId();
        sessions.put(id, session);
        names.put(id, name);
        metadata.nodes().transition(registered.node().id(), WorkerState.ACTIVE, Actor.NODE, "warm-up passed", false, c -> GuardFacts.NONE, List.of());
        return id;
    }

    /**
     * The first of a starting process's two writes: its registration, as provisioning, without the liveness
     * entry it announces next ({@link #announceAndActivate}).
     */
    NodeId registerWithoutLiveness(String name, Location location) {
        NodeConfig node = metadata.nodes().register(name, NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN), location)
                .configuration().findByName(name).orElseThrow();
        names.put(node.nodeId(), name);
        return node.nodeId();
    }

    /** The rest of a start begun by {@link #registerWithoutLiveness}: the liveness entry, then warm-up passed. */
    void announceAndActivate(NodeId node) {
        InMemoryMetadataStore session = store.newSession();
        new ClusterMetadata(session, clock).liveness().announce(new dev.sluice.metadata.LivenessRegistry.Entry(node(node).id(), clock.instant()));
        sessions.put(node, session);
        metadata.nodes().transition(node(node).id(), WorkerState.ACTIVE, Actor.NODE, "warm-up passed", false, c -> GuardFacts.NONE, List.of());
    }

    /**
     * Runs the status writer's task on the caller's thread, so a simulated run stays deterministic, counting its CPU
     * apart ({@link #lastPassStatusWriterCpuNanos}): a running controller encodes and commits its status on a thread of
     * its own.
     */
    private void writeStatus(Runnable task) {
        long cpuStarted = THREADS.getCurrentThreadCpuTime();
        long storeBefore = timedStore.cpuNanos;
        try {
            task.run();
        } finally {
            statusWriterCpuNanos += THREADS.getCurrentThreadCpuTime() - cpuStarted - (timedStore.cpuNanos - storeBefore);
        }
    }

    ControlLoop newLoop(String leader) {
        ControllerDocuments documents = new ControllerDocuments(metadata);
        ControlLoop made = new ControlLoop(metadata, view(), dataPlane, config, clock, documents.takeEpoch(leader), leader,
                () -> passesRequested++,
                new ControllerMetrics(meters), this::writeStatus);
        // Every test and simulation pass checks the sets the loop keeps across passes against a walk over everything; a
        // run measuring passes at size does not pay for that walk.
        made.checkKeptSets = !atScale;
        return made;
    }

    /** The CPU time of the last pass on this thread. */
    long lastPassCpuNanos;
    /** Of {@link #lastPassCpuNanos}, what the simulated workers took to build the status answers the pass asked for. */
    long lastPassAnswerCpuNanos;
    /** The status polls the last pass started. */
    long lastPassStatusPolls;
    /** Of {@link #lastPassCpuNanos}, what the in-memory store's calls took: ZooKeeper's servers' work in a real cluster. */
    long lastPassStoreCpuNanos;
    /**
     * Of {@link #lastPassCpuNanos}, what the harness's placement feed took to read the changed placements again, the store's
     * calls left out: a real controller's watch thread does that work as ZooKeeper announces the changes.
     */
    long lastPassFeedCpuNanos;
    private long feedCpuNanos;
    /** Of {@link #lastPassCpuNanos}, what the status writer's task took, the store's calls left out (see {@link #writeStatus}). */
    long lastPassStatusWriterCpuNanos;
    private long statusWriterCpuNanos;

    /** One pass, then the workers react to the placements and the data plane moves one step on. */
    void step() {
        long started = System.nanoTime();
        long cpuStarted = THREADS.getCurrentThreadCpuTime();
        long answersBefore = dataPlane.answerCpuNanos;
        long pollsBefore = dataPlane.statusPolls;
        long storeBefore = timedStore.cpuNanos;
        long feedBefore = feedCpuNanos;
        long statusWriterBefore = statusWriterCpuNanos;
        loop.runPass();
        lastPassCpuNanos = THREADS.getCurrentThreadCpuTime() - cpuStarted;
        lastPassAnswerCpuNanos = dataPlane.answerCpuNanos - answersBefore;
        lastPassStatusPolls = dataPlane.statusPolls - pollsBefore;
        lastPassStoreCpuNanos = timedStore.cpuNanos - storeBefore;
        lastPassFeedCpuNanos = feedCpuNanos - feedBefore;
        lastPassStatusWriterCpuNanos = statusWriterCpuNanos - statusWriterBefore;
        long passed = System.nanoTime();
        passNanos += passed - started;
        dataPlane.answerDeferred();
        Map<PartitionId, dev.sluice.metadata.PlacementStore.VersionedPlacement> stored = storedPlacements.readAll();
        dataPlane.reconcile(stored, storedPlacements.changesSince(reconciledChanges));
        reconciledChanges = storedPlacements.changeCount();
        dataPlane.step();
        superviseShutdowns();
        clock.advance(STEP);
        dataPlane.setNow(clock.instant());
        dataPlaneNanos += System.nanoTime() - passed;
    }

    /** How long the harness, standing for a supervisor, takes to start a node that shut down on request; {@code null}: never. */
    Duration restartAfter = Duration.ofSeconds(2);
    private final Map<NodeId, Instant> restarts = new TreeMap<>();
    /** How long a node asked to shut down goes on running, saying it is shutting down, before it stops. */
    Duration shutdownTakes = Duration.ZERO;
    private final Map<NodeId, Instant> stops = new TreeMap<>();

    private void superviseShutdowns() {
        for (NodeId node : dataPlane.takeShutdownRequests()) {
            if (running(node) && !stops.containsKey(node)) {
                stops.put(node, clock.instant().plus(shutdownTakes));
                dataPlane.shuttingDown.add(node);
            }
        }
        stops.entrySet().removeIf(due -> {
            if (clock.instant().isBefore(due.getValue())) {
                return false;
            }
            NodeId node = due.getKey();
            if (running(node)) {
                kill(node);
                if (restartAfter != null) {
                    restarts.put(node, clock.instant().plus(restartAfter));
                }
            }
            return true;
        });
        restarts.entrySet().removeIf(due -> {
            if (clock.instant().isBefore(due.getValue())) {
                return false;
            }
            restart(due.getKey());
            return true;
        });
    }

    /**
     * As {@link InMemoryMetadataStore#interfereBeforeCommits}; a placement the interference writes must be
     * announced to {@link #storedPlacements}.
     */
    void interfereBeforeCommits(java.util.function.Consumer<List<dev.sluice.metadata.Op>> interference) {
        this.interference = interference;
    }

    /** Steps until {@code done} holds; fails after {@code maxSteps}. */
    int runUntil(BooleanSupplier done, int maxSteps, String what) {
        for (int i = 0; i < maxSteps; i++) {
            if (done.getAsBoolean()) {
                return i;
            }
            step();
        }
        throw new AssertionError("not reached after " + maxSteps + " steps: " + what + "\nplacements: " + placements().values()
                + "\nstatus: " + loop.lastStatus());
    }

    Map<PartitionId, Placement> placements() {
        Map<PartitionId, Placement> result = new TreeMap<>();
        storedPlacements.readAll().forEach((p, v) -> result.put(p, v.placement()));
        return result;
    }

    /** What {@link ClusterView#readThrough} reads, with the placements from {@link #storedPlacements}. */
    private ClusterView view() {
        ClusterView readThrough = ClusterView.readThrough(metadata);
        return new ClusterView() {
            private dev.sluice.metadata.NodesConfigurationStore.Snapshot nodes;

            @Override
            public dev.sluice.metadata.NodesConfigurationStore.Snapshot nodes() {
                if (!atScale) {
                    return readThrough.nodes();
                }
                long version = store.get(dev.sluice.metadata.MetadataKeys.NODES).map(dev.sluice.metadata.Versioned::version).orElse(0L);
                if (nodes == null || nodes.storeVersion() != version) {
                    nodes = readThrough.nodes();
                }
                return nodes;
            }

            @Override
            public java.util.Optional<PartitionTable> table() {
                return readThrough.table();
            }

            /** Where {@link #placementChanges} is in {@link StoredPlacements}' change list; negative before the first call. */
            private int handedChanges = -1;

            @Override
            public Map<PartitionId, dev.sluice.metadata.PlacementStore.VersionedPlacement> placements() {
                return new TreeMap<>(storedPlacements.readAll());
            }

            @Override
            public PlacementChanges placementChanges() {
                // A real controller's watch thread decodes what changed as ZooKeeper tells it, and the pass only takes the
                // changed records; here the pass's own thread reads them again (and, every so often, everything, to check
                // the reading). That is counted apart, as the store's calls are.
                long cpuStarted = THREADS.getCurrentThreadCpuTime();
                long storeBefore = timedStore.cpuNanos;
                try {
                    return changedPlacements();
                } finally {
                    feedCpuNanos += THREADS.getCurrentThreadCpuTime() - cpuStarted - (timedStore.cpuNanos - storeBefore);
                }
            }

            private PlacementChanges changedPlacements() {
                Map<PartitionId, dev.sluice.metadata.PlacementStore.VersionedPlacement> all = storedPlacements.readAll();
                int first = handedChanges;
                handedChanges = storedPlacements.changeCount();
                if (first < 0) {
                    return new PlacementChanges(true, List.copyOf(all.values()), Set.of());
                }
                List<dev.sluice.metadata.PlacementStore.VersionedPlacement> changed = new java.util.ArrayList<>();
                Set<PartitionId> removed = new java.util.HashSet<>();
                for (PartitionId partition : new java.util.TreeSet<>(storedPlacements.changesSince(first))) {
                    dev.sluice.metadata.PlacementStore.VersionedPlacement versioned = all.get(partition);
                    if (versioned == null) {
                        removed.add(partition);
                    } else {
                        changed.add(versioned);
                    }
                }
                return new PlacementChanges(false, changed, removed);
            }

            @Override
            public Set<NodeId> alive() {
                if (atScale) {
                    // As the watching view answers: a set indexed by id.
                    Set<NodeId> alive = dev.sluice.model.NodeIdSet.copyOf(names.keySet());
                    alive.removeAll(killed);
                    return alive;
                }
                return readThrough.alive();
            }

            @Override
            public void written(dev.sluice.metadata.PlacementStore.VersionedPlacement placement) {}
        };
    }

    WorkerState state(NodeId node) {
        return metadata.nodes().current().find(node).orElseThrow().workerState();
    }

    NodeConfig node(NodeId node) {
        return metadata.nodes().current().find(node).orElseThrow();
    }

    boolean settled() {
        return !placements().isEmpty() && placements().values().stream().noneMatch(Placement::hasNext);
    }

    long replicasOn(NodeId node) {
        return placements().values().stream().filter(p -> p.names(node)).count();
    }

    /**
     * Starts a killed node's process again with its data: it registers under its name (a new generation,
     * its worker state kept) and its groups answer again.
     */
    void restart(NodeId node) {
        InMemoryMetadataStore session = store.newSession();
        new NodeRegistration(new ClusterMetadata(session, clock), clock)
                .register(names.get(node), NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN),
                        node(node).location());
        sessions.put(node, session);
        dataPlane.revive(node);
        killed.remove(node);
    }

    boolean running(NodeId node) {
        return !killed.contains(node);
    }

    /** Stops the node's process: its liveness entry goes, its Raft server stops answering. */
    void kill(NodeId node) {
        killed.add(node);
        sessions.get(node).close();
        dataPlane.kill(node);
    }

    List<EventKind> eventKinds() {
        List<EventKind> kinds = new ArrayList<>();
        for (EventLog.LoggedEvent event : metadata.events().read(-1, EventLog.MAX_READ)) {
            kinds.add(event.event().kind());
        }
        return kinds;
    }

    List<EventLog.LoggedEvent> events(EventKind kind) {
        return metadata.events().read(-1, EventLog.MAX_READ).stream().filter(e -> e.event().kind() == kind).toList();
    }

    @Override
    public void close() {
        sessions.values().forEach(InMemoryMetadataStore::close);
        store.close();
    }

    /** A clock tests move by hand. */
    static final class MutableClock implements InstantSource {
        private Instant now;

        MutableClock(Instant start) {
            now = start;
        }

        @Override
        public synchronized Instant instant() {
            return now;
        }

        synchronized void advance(Duration by) {
            now = now.plus(by);
        }
    }
}
