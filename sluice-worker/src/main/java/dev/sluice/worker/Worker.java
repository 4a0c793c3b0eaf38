package dev.sluice.worker;

import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.ReplicaRole;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EphemeralKey;
import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PlacementCopy;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.metadata.Watch;
import dev.sluice.model.Actor;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process: it owns the node's registration and liveness entry, its Raft server (one Ratis
 * {@link RaftServer}, one division per partition replica it hosts) and the data on disk under
 * {@link WorkerConfig#dataDirectory()}.
 *
 * <p>What it does while it runs:
 * <ul>
 *   <li><b>Warm-up and self-activation.</b> While its stored state is Provisioning it runs its warm-up
 *       checks (built in: {@code storage}, {@code raft-server}, {@code metadata-caught-up}; then the
 *       configured ones) and, once all pass, moves itself to Active with a compare-and-set keyed on its
 *       generational id. A worker found Draining or Disabled stays so: it idles and never reactivates
 *       itself.
 *   <li><b>Reconciliation.</b> It keeps exactly the groups of the partitions whose placement names it in
 *       {@code current ∪ next}: a missing one is created empty (Raft catches it up), one it left for good is
 *       removed and its data deleted. The loop is level-triggered — each pass compares the whole desired
 *       state with the groups the Raft server has — idempotent, and re-reads every placement after a missed
 *       notification and every {@link WorkerConfig#resyncInterval()}, so it is safe to restart at any point.
 *   <li><b>Data.</b> {@link #submit} hands a command or query to the local division when it leads the
 *       partition, and otherwise says who leads.
 * </ul>
 *
 * <p>A joining member's group is created with the partition's <em>current</em> replica set as its peers
 * — a set that does not contain the joining node itself. Ratis then starts the division passive: it never
 * campaigns and waits for the leader, which stages it (snapshot plus log) when the controller changes the
 * configuration. Creating it with the next set instead would let it campaign with an empty log, and if
 * next shared no member with current, the joining members could elect a leader of their own.
 */
public final class Worker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    /** Free disk space below which the storage warm-up check fails. */
    static final long MIN_FREE_BYTES = 64L * 1024 * 1024;
    /** How long the raft-server check waits for its own port to accept a connection. */
    static final Duration PORT_PROBE_TIMEOUT = Duration.ofSeconds(1);
    /** Waits between registration attempts while the previous process's liveness entry lingers. */
    static final Duration REGISTRATION_RETRY = Duration.ofMillis(250);
    /** Group additions or removals one reconcile pass makes at most; the next pass continues. */
    static final int MAX_CHANGES_PER_PASS = 64;

    private final WorkerConfig config;
    private final ClusterMetadata metadata;
    private final PartitionGroups groups;
    private final Path raftDirectory;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();

    private final ScheduledExecutorService loop;
    private final ExecutorService remover;
    private final AtomicBoolean reconcileQueued = new AtomicBoolean();
    private final Set<PartitionId> removing = ConcurrentHashMap.newKeySet();
    private final PlacementCopy placements = new PlacementCopy();
    private final List<Watch> watches = new ArrayList<>();

    private volatile PartitionTable table;
    private volatile NodesConfiguration nodes = NodesConfiguration.empty();
    private volatile boolean placementsInitialized;
    private volatile NodeConfig self;
    private volatile EphemeralKey liveness;
    private volatile RaftServer server;
    private volatile int raftPort;
    private volatile boolean running;
    private volatile boolean superseded;
    private volatile List<WarmUpResult> warmUp = List.of();
    private volatile String activation = "not started";
    private final AtomicBoolean activating = new AtomicBoolean();
    /** Orders nodes-configuration updates; not the worker's monitor, which stop() holds while closing watches. */
    private final Object nodesLock = new Object();

    public Worker(WorkerConfig config, ClusterMetadata metadata) {
        this.config = config;
        this.metadata = metadata;
        this.groups = new PartitionGroups(config.clusterName());
        this.raftDirectory = config.dataDirectory().resolve("raft");
        this.loop = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("sluice-worker-" + config.nodeName()).daemon().factory());
        this.remover = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("sluice-worker-remover-" + config.nodeName()).daemon().factory());
    }

    public WorkerConfig config() {
        return config;
    }

    public PartitionGroups groups() {
        return groups;
    }

    /**
     * Registers the node (a new name starts Provisioning; a known one keeps its id and gets the next
     * generation), announces it alive, starts the Raft server with the groups it finds on disk, and
     * starts watching the nodes configuration and the placements.
     *
     * @param http the URL this node's HTTP server answers on, recorded in the nodes configuration
     * @throws IOException if the data directory or the Raft server cannot be opened
     * @throws MetadataException if the node cannot register within the registration timeout
     */
    public synchronized void start(URI http) throws IOException {
        if (running || server != null) {
            throw new IllegalStateException("worker " + config.nodeName() + " is already started");
        }
        Files.createDirectories(raftDirectory);
        table = awaitPartitionTable();
        raftPort = config.raftPort() == 0 ? freePort(config.raftHost()) : config.raftPort();
        NodeAddresses addresses = new NodeAddresses(config.raftHost() + ":" + raftPort, http);
        try {
            NodeRegistration.Registered registered = register(addresses);
            self = registered.node();
            liveness = registered.liveness();
            log.info("{} ({}) registered as {}, state {}", config.nodeName(), addresses.raft(), self.id(), self.workerState());
            server = RaftServer.newBuilder()
                    .setServerId(PartitionGroups.peerId(self.nodeId()))
                    .setProperties(config.ratis().serverProperties(raftDirectory, config.raftHost(), raftPort))
                    .setStateMachineRegistry(this::newStateMachine)
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            server.start();
            running = true;
            watches.add(metadata.nodes().watch(this::onNodes));
            watches.add(metadata.placements().watch(this::onPlacement, this::onPlacementsInitialized, this::onPlacementsResync));
            loop.scheduleWithFixedDelay(this::warmUpPass, 0, config.warmUpInterval().toMillis(), TimeUnit.MILLISECONDS);
            loop.scheduleWithFixedDelay(this::resync, config.resyncInterval().toMillis(), config.resyncInterval().toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException | RuntimeException failed) {
            close();
            throw failed;
        }
    }

    private PartitionTable awaitPartitionTable() {
        long deadline = System.nanoTime() + config.registrationTimeout().toNanos();
        while (true) {
            Optional<PartitionTable> found = metadata.partitionTable().read();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                throw new MetadataException("cluster '" + config.clusterName() + "' has no partition table after " + config.registrationTimeout()
                        + "; create the cluster first");
            }
            pause(REGISTRATION_RETRY);
        }
    }

    /** Registers, retrying while the previous process of this name still holds its liveness entry. */
    private NodeRegistration.Registered register(NodeAddresses addresses) {
        NodeRegistration registration = new NodeRegistration(metadata, config.clock());
        long deadline = System.nanoTime() + config.registrationTimeout().toNanos();
        int attempt = 0;
        while (true) {
            attempt++;
            try {
                return registration.register(config.nodeName(), addresses, config.roles(), config.location());
            } catch (NodeRegistration.RefusedException refused) {
                if (System.nanoTime() > deadline) {
                    throw refused;
                }
                if (attempt == 1 || attempt % 20 == 0) {
                    log.info("{}: registration refused, retrying until {} has passed: {}", config.nodeName(), config.registrationTimeout(), refused.getMessage());
                }
                pause(REGISTRATION_RETRY);
            }
        }
    }

    private PartitionStateMachine newStateMachine(RaftGroupId groupId) {
        PartitionId partition = groups.partitionOf(groupId, table.partitionCount())
                .orElseThrow(() -> new IllegalStateException("group " + groupId + " on " + config.nodeName()
                        + " is no partition of cluster '" + config.clusterName() + "' (" + table.partitionCount() + " partitions)"));
        return new PartitionStateMachine(partition, config.logic().create(partition));
    }

    // ---------------------------------------------------------------------------------------------
    // Nodes configuration and warm-up

    private void onNodes(NodesConfigurationStore.Snapshot snapshot) {
        NodesConfiguration seen = snapshot.configuration();
        synchronized (nodesLock) {
            if (seen.version().compareTo(nodes.version()) < 0) {
                return;
            }
            nodes = seen;
            NodeConfig mine = self;
            if (mine == null) {
                return;
            }
            Optional<NodeConfig> now = seen.find(mine.nodeId());
            if (now.isEmpty()) {
                log.warn("{} is no longer in the nodes configuration {}; it serves nothing", mine.id(), seen.version());
                superseded = true;
                return;
            }
            if (now.get().id().generation() > mine.id().generation()) {
                if (!superseded) {
                    log.error("{} was superseded by {} (another process registered as '{}'); this process stops serving",
                            mine.id(), now.get().id(), config.nodeName());
                }
                superseded = true;
                return;
            }
            if (now.get().id().equals(mine.id())) {
                self = now.get();
            }
        }
        requestReconcile();
    }

    private void warmUpPass() {
        try {
            NodeConfig mine = self;
            if (!running || mine == null || superseded) {
                return;
            }
            WorkerState state = mine.workerState();
            switch (state) {
                case PROVISIONING -> runWarmUp(mine);
                case ACTIVE -> activation = "active";
                case DRAINING, DISABLED -> activation = "idle: the worker is " + state + " and does not activate itself; an operator may";
            }
        } catch (RuntimeException unexpected) {
            log.warn("{}: warm-up pass failed: {}", config.nodeName(), unexpected.toString());
            activation = "warm-up pass failed: " + unexpected.getMessage();
        }
    }

    private void runWarmUp(NodeConfig mine) {
        List<WarmUpResult> results = new ArrayList<>();
        WarmUpResult firstFailure = null;
        for (WarmUpCheck check : warmUpChecks()) {
            WarmUpCheck.Outcome outcome;
            try {
                outcome = check.run();
            } catch (Exception failed) {
                outcome = WarmUpCheck.Outcome.fail(failed.getClass().getSimpleName() + ": " + failed.getMessage());
            }
            WarmUpResult result = new WarmUpResult(check.name(), outcome.passed(), outcome.detail(), config.clock().instant());
            results.add(result);
            if (!outcome.passed() && firstFailure == null) {
                firstFailure = result;
            }
        }
        List<WarmUpResult> previous = warmUp;
        warmUp = List.copyOf(results);
        if (firstFailure != null) {
            WarmUpResult failure = firstFailure;
            String why = "provisioning: warm-up check '" + failure.check() + "' failed: " + failure.detail();
            boolean changed = previous.stream().noneMatch(r -> r.check().equals(failure.check()) && !r.passed() && r.detail().equals(failure.detail()));
            if (changed) {
                log.warn("{} stays provisioning: warm-up check '{}' failed: {}", mine.id(), failure.check(), failure.detail());
            }
            activation = why;
            return;
        }
        activate(mine);
    }

    private void activate(NodeConfig mine) {
        if (!activating.compareAndSet(false, true)) {
            return;
        }
        try {
            String reason = "warm-up checks passed: " + String.join(", ", warmUp.stream().map(WarmUpResult::check).toList());
            NodesConfigurationStore.Update update = metadata.nodes().transition(mine.id(), WorkerState.ACTIVE, Actor.NODE, reason, false,
                    configuration -> GuardFacts.NONE, List.of());
            if (update.succeeded()) {
                update.configuration().find(mine.nodeId()).ifPresent(node -> {
                    if (node.id().equals(mine.id())) {
                        self = node;
                    }
                });
                activation = "active: " + reason;
                log.info("{} activated itself ({})", mine.id(), reason);
            } else {
                String refusal = update.refusal().map(r -> r.kind() + ": " + r.message()).orElse("refused");
                activation = "activation refused: " + refusal;
                log.warn("{} could not activate itself: {}", mine.id(), refusal);
            }
        } catch (RuntimeException failed) {
            activation = "activation failed: " + failed.getMessage();
            log.warn("{} could not activate itself: {}", mine.id(), failed.toString());
        } finally {
            activating.set(false);
        }
    }

    private List<WarmUpCheck> warmUpChecks() {
        List<WarmUpCheck> checks = new ArrayList<>();
        checks.add(WarmUpCheck.of("storage", this::checkStorage));
        checks.add(WarmUpCheck.of("raft-server", this::checkRaftServer));
        checks.add(WarmUpCheck.of("metadata-caught-up", this::checkMetadataCaughtUp));
        checks.addAll(config.extraWarmUpChecks());
        return checks;
    }

    private WarmUpCheck.Outcome checkStorage() throws IOException {
        Path directory = config.dataDirectory();
        if (!Files.isDirectory(directory)) {
            return WarmUpCheck.Outcome.fail("data directory " + directory + " does not exist");
        }
        Path probe = directory.resolve(".warm-up-probe");
        byte[] token = ("probe " + System.nanoTime()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(probe, token, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        try {
            if (!java.util.Arrays.equals(Files.readAllBytes(probe), token)) {
                return WarmUpCheck.Outcome.fail("data directory " + directory + " did not read back what was written");
            }
        } finally {
            Files.deleteIfExists(probe);
        }
        long free = Files.getFileStore(directory).getUsableSpace();
        if (free < MIN_FREE_BYTES) {
            return WarmUpCheck.Outcome.fail("data directory " + directory + " has " + (free >> 20) + " MiB free; at least " + (MIN_FREE_BYTES >> 20) + " MiB needed");
        }
        return WarmUpCheck.Outcome.pass(directory + " is writable, " + (free >> 20) + " MiB free");
    }

    private WarmUpCheck.Outcome checkRaftServer() {
        RaftServer current = server;
        if (current == null || current.getLifeCycleState() != LifeCycle.State.RUNNING) {
            return WarmUpCheck.Outcome.fail("the Raft server is " + (current == null ? "not created" : current.getLifeCycleState()));
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(config.raftHost(), raftPort), (int) PORT_PROBE_TIMEOUT.toMillis());
        } catch (IOException refused) {
            return WarmUpCheck.Outcome.fail("the Raft server does not accept connections on " + config.raftHost() + ":" + raftPort + ": " + refused.getMessage());
        }
        return WarmUpCheck.Outcome.pass("listening on " + config.raftHost() + ":" + raftPort);
    }

    private WarmUpCheck.Outcome checkMetadataCaughtUp() {
        long stored = metadata.nodes().read().configuration().version().value();
        long seen = nodes.version().value();
        if (seen < stored) {
            return WarmUpCheck.Outcome.fail("has seen nodes configuration v" + seen + " but the store holds v" + stored);
        }
        if (!placementsInitialized) {
            return WarmUpCheck.Outcome.fail("has not read the placements yet");
        }
        return WarmUpCheck.Outcome.pass("at nodes configuration v" + seen + ", " + placements.size() + " placements read");
    }

    // ---------------------------------------------------------------------------------------------
    // Reconciliation

    private void onPlacement(PartitionId partition, Optional<PlacementStore.VersionedPlacement> placement) {
        placements.onNotification(partition, placement);
        if (placementsInitialized) {
            requestReconcile();
        }
    }

    private void onPlacementsInitialized() {
        placementsInitialized = true;
        requestReconcile();
    }

    private void onPlacementsResync() {
        loop.execute(this::resync);
    }

    /** Re-reads every placement, then reconciles: what makes the loop level-triggered. */
    private void resync() {
        if (!running) {
            return;
        }
        try {
            placements.reload(metadata.placements()::readAll);
            placementsInitialized = true;
            NodesConfigurationStore.Snapshot snapshot = metadata.nodes().read();
            onNodes(snapshot);
            reconcile();
        } catch (RuntimeException failed) {
            log.warn("{}: resync failed, trying again in {}: {}", config.nodeName(), config.resyncInterval(), failed.toString());
        }
    }

    private void requestReconcile() {
        if (running && reconcileQueued.compareAndSet(false, true)) {
            try {
                loop.execute(() -> {
                    reconcileQueued.set(false);
                    reconcile();
                });
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                reconcileQueued.set(false);
            }
        }
    }

    /** One pass: compare the partitions whose placement names this node with the groups the server has. */
    private void reconcile() {
        RaftServer current = server;
        NodeConfig mine = self;
        if (!running || current == null || mine == null || superseded || !placementsInitialized) {
            return;
        }
        try {
            Set<PartitionId> desired = new TreeSet<>();
            for (PlacementStore.VersionedPlacement versioned : placements.snapshot().values()) {
                Placement placement = versioned.placement();
                if (table.contains(placement.partition()) && placement.names(mine.nodeId())) {
                    desired.add(placement.partition());
                }
            }
            Set<PartitionId> hosted = hostedPartitions();
            int changes = 0;
            for (PartitionId partition : desired) {
                if (!hosted.contains(partition) && !removing.contains(partition) && changes < MAX_CHANGES_PER_PASS) {
                    if (addGroup(partition)) {
                        changes++;
                    }
                }
            }
            for (PartitionId partition : hosted) {
                if (!desired.contains(partition) && changes < MAX_CHANGES_PER_PASS && removing.add(partition)) {
                    changes++;
                    remover.execute(() -> removeGroup(partition));
                }
            }
            if (changes >= MAX_CHANGES_PER_PASS) {
                requestReconcile();
            }
        } catch (RuntimeException failed) {
            log.warn("{}: reconcile pass failed; the next pass retries: {}", config.nodeName(), failed.toString());
        }
    }

    /**
     * Creates the partition's group here, empty, with the current replica set as its peers (see the class
     * comment for why not the next set). Returns whether it was created.
     */
    private boolean addGroup(PartitionId partition) {
        Placement placement = placements.get(partition).orElse(null);
        if (placement == null) {
            return false;
        }
        NodesConfiguration known = nodes;
        List<RaftPeer> peers = new ArrayList<>();
        List<NodeId> peerNodes = placement.current().isEmpty() ? placement.next() : placement.current();
        for (NodeId member : peerNodes) {
            Optional<NodeConfig> node = known.find(member);
            if (node.isEmpty()) {
                log.warn("{}: cannot create {} yet: member {} is not in nodes configuration {}", config.nodeName(), partition, member, known.version());
                return false;
            }
            peers.add(PartitionGroups.peer(node.get()));
        }
        RaftGroup group = RaftGroup.valueOf(groups.groupId(partition), peers);
        try {
            RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(clientId, server.getId(), callIds.incrementAndGet(), group));
            if (!reply.isSuccess()) {
                log.warn("{}: adding {} failed: {}", config.nodeName(), partition, reply.getException());
                return false;
            }
            boolean joining = !placement.current().contains(self.nodeId());
            log.info("{}: created {} ({}) with peers {}{}", config.nodeName(), partition, group.getGroupId(), peerNodes,
                    joining ? "; joining, waits for the leader to stage it" : "");
            return true;
        } catch (AlreadyExistsException exists) {
            return false;
        } catch (IOException failed) {
            log.warn("{}: adding {} failed: {}", config.nodeName(), partition, failed.toString());
            return false;
        }
    }

    /** Removes a group this node left for good and deletes its data; runs on the remover thread. */
    private void removeGroup(PartitionId partition) {
        RaftGroupId groupId = groups.groupId(partition);
        long started = System.nanoTime();
        try {
            RaftServer current = server;
            if (current == null) {
                return;
            }
            // Check again: a placement may have named this node again since the pass decided.
            Placement placement = placements.get(partition).orElse(null);
            if (placement != null && self != null && placement.names(self.nodeId())) {
                return;
            }
            RaftClientReply reply = current.groupManagement(GroupManagementRequest.newRemove(clientId, current.getId(), callIds.incrementAndGet(),
                    groupId, true, false));
            if (!reply.isSuccess() && !(reply.getException() instanceof GroupMismatchException)) {
                log.warn("{}: removing {} failed: {}", config.nodeName(), partition, reply.getException());
                return;
            }
            deleteRecursively(partitionDirectory(partition));
            log.info("{}: removed {} and deleted its data in {} ms", config.nodeName(), partition, (System.nanoTime() - started) / 1_000_000);
        } catch (GroupMismatchException alreadyGone) {
            deleteQuietly(partition);
        } catch (IOException | RuntimeException failed) {
            log.warn("{}: removing {} failed; the next pass retries: {}", config.nodeName(), partition, failed.toString());
        } finally {
            removing.remove(partition);
            requestReconcile();
        }
    }

    private void deleteQuietly(PartitionId partition) {
        try {
            deleteRecursively(partitionDirectory(partition));
        } catch (IOException failed) {
            log.warn("{}: could not delete the data of {}: {}", config.nodeName(), partition, failed.toString());
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Queries

    /** The directory holding the partition's log, snapshots and metadata on this node (it may not exist). */
    public Path partitionDirectory(PartitionId partition) {
        return raftDirectory.resolve(groups.groupId(partition).getUuid().toString());
    }

    /**
     * The partitions this node holds now: the groups its Raft server has, and those it is removing whose
     * data is not deleted yet — so nobody concludes "holds nothing" while a group's files are still here.
     */
    public Set<PartitionId> hostedPartitions() {
        RaftServer current = server;
        PartitionTable known = table;
        Set<PartitionId> hosted = new TreeSet<>(removing);
        if (current == null || known == null) {
            return hosted;
        }
        for (RaftGroupId groupId : current.getGroupIds()) {
            groups.partitionOf(groupId, known.partitionCount()).ifPresent(hosted::add);
        }
        return hosted;
    }

    /** This process's node configuration as last seen, empty before registration. */
    public Optional<NodeConfig> self() {
        return Optional.ofNullable(self);
    }

    public Optional<PartitionTable> partitionTable() {
        return Optional.ofNullable(table);
    }

    public NodesConfiguration nodes() {
        return nodes;
    }

    /** Serving client traffic: registered, not superseded, Raft server running, and Active. */
    public boolean ready() {
        NodeConfig mine = self;
        return running && !superseded && mine != null && mine.workerState().servesTraffic();
    }

    public boolean running() {
        return running;
    }

    /** A snapshot of this worker's state for the controller and the admin API. */
    public WorkerStatus status() {
        NodeConfig mine = self;
        List<ReplicaStatus> replicas = new ArrayList<>();
        RaftServer current = server;
        if (current != null && running) {
            for (PartitionId partition : hostedPartitions()) {
                replicaStatus(current, partition).ifPresent(replicas::add);
            }
        }
        return new WorkerStatus(config.nodeName(), mine == null ? null : mine.id(), mine == null ? null : mine.workerState(), ready(),
                warmUp, superseded ? "superseded by a newer process of this node" : activation, nodes.version().value(), replicas,
                config.clock().instant());
    }

    /** The status of the local replica of {@code partition}, if this node hosts it. */
    public Optional<ReplicaStatus> replicaStatus(PartitionId partition) {
        RaftServer current = server;
        return current == null ? Optional.empty() : replicaStatus(current, partition);
    }

    private Optional<ReplicaStatus> replicaStatus(RaftServer current, PartitionId partition) {
        RaftServer.Division division;
        try {
            division = current.getDivision(groups.groupId(partition));
        } catch (IOException notHere) {
            // Ratis forgets a group before its files are deleted; until they are, the replica is still here.
            return removing.contains(partition) ? Optional.of(placeholder(partition)) : Optional.empty();
        }
        try {
            return Optional.of(replicaStatus(current, partition, division));
        } catch (IllegalStateException | NullPointerException starting) {
            // Ratis initialises a new division's log, state machine updater and role asynchronously. The
            // replica exists, which is what the controller waits for; its details follow on the next report.
            return Optional.of(placeholder(partition));
        }
    }

    /** A replica that exists here but has no Raft details to report: starting, or being removed. */
    private static ReplicaStatus placeholder(PartitionId partition) {
        return new ReplicaStatus(partition, ReplicaRole.STAGING, null, 0, 0, 0, 0, -1, 0, 0, List.of());
    }

    private ReplicaStatus replicaStatus(RaftServer current, PartitionId partition, RaftServer.Division division) {
        DivisionInfo info = division.getInfo();
        RaftConfiguration conf = division.getRaftConf();
        List<NodeId> members = conf.getCurrentPeers().stream().map(peer -> PartitionGroups.nodeId(peer.getId())).sorted().toList();
        boolean inConfiguration = conf.getCurrentPeers().stream().anyMatch(peer -> peer.getId().equals(current.getId()))
                || conf.getPreviousPeers().stream().anyMatch(peer -> peer.getId().equals(current.getId()));
        long commit = division.getRaftLog().getLastCommittedIndex();
        long applied = info.getLastAppliedIndex();
        long groupCommit = Math.max(commit, division.getCommitInfos().stream().mapToLong(CommitInfoProto::getCommitIndex).max().orElse(commit));
        SnapshotInfo snapshot = division.getStateMachine().getLatestSnapshot();
        long stateBytes = division.getStateMachine() instanceof PartitionStateMachine machine ? machine.stateBytes() : 0;
        RaftPeerId leaderId = info.getLeaderId();
        return new ReplicaStatus(partition, ReplicaRole.of(info.getCurrentRole(), inConfiguration),
                leaderId == null ? null : PartitionGroups.nodeId(leaderId), info.getCurrentTerm(), commit, applied,
                Math.max(0, groupCommit - applied), snapshot == null ? -1 : snapshot.getIndex(), division.getRaftLog().getStartIndex(),
                stateBytes, members);
    }

    /**
     * What this node knows of the routing: the table, the members of each placed partition with their
     * URLs, and a leader hint — exact for partitions hosted here, the placement's recorded leader for the
     * others.
     *
     * @throws IllegalStateException if the worker has not read the partition table yet
     */
    public RoutingInfo routing() {
        PartitionTable known = table;
        if (known == null) {
            throw new IllegalStateException("the worker has not read the partition table yet");
        }
        NodesConfiguration configuration = nodes;
        Map<PartitionId, NodeId> localLeaders = new TreeMap<>();
        RaftServer current = server;
        if (current != null && running) {
            for (PartitionId partition : hostedPartitions()) {
                try {
                    RaftPeerId leader = current.getDivision(groups.groupId(partition)).getInfo().getLeaderId();
                    if (leader != null) {
                        localLeaders.put(partition, PartitionGroups.nodeId(leader));
                    }
                } catch (IOException gone) {
                    // Removed meanwhile.
                }
            }
        }
        List<RoutingInfo.PartitionRoute> routes = new ArrayList<>();
        for (PartitionId partition : known.partitions()) {
            Placement placement = placements.get(partition).orElse(null);
            if (placement == null) {
                continue;
            }
            List<RoutingInfo.Member> members = new ArrayList<>();
            for (NodeId member : placement.members()) {
                configuration.find(member).ifPresent(node -> members.add(new RoutingInfo.Member(member, node.addresses().http(), node.workerState())));
            }
            NodeId leader = localLeaders.getOrDefault(partition, placement.leader());
            routes.add(new RoutingInfo.PartitionRoute(partition, members, leader));
        }
        return new RoutingInfo(known, routes, configuration.version().value());
    }

    // ---------------------------------------------------------------------------------------------
    // Data

    /**
     * Submits a command ({@code readOnly} false: replicated, answered once a majority committed it) or a
     * query ({@code readOnly} true: linearizable read on the leader) to the local replica of
     * {@code partition}. Never blocks; the future never fails, every outcome is a {@link DataReply}.
     */
    public CompletableFuture<DataReply> submit(PartitionId partition, byte[] payload, boolean readOnly) {
        RaftServer current = server;
        if (!running || current == null || superseded) {
            return CompletableFuture.completedFuture(new DataReply.NoLeader("node " + config.nodeName() + " is not serving"));
        }
        RaftServer.Division division;
        try {
            division = current.getDivision(groups.groupId(partition));
        } catch (IOException notHosted) {
            Placement placement = placements.get(partition).orElse(null);
            NodeId hint = placement == null ? null : placement.leader();
            return CompletableFuture.completedFuture(notLeader(hint, false));
        }
        DivisionInfo info = division.getInfo();
        if (!info.isLeader()) {
            RaftPeerId leader = info.getLeaderId();
            return CompletableFuture.completedFuture(notLeader(leader == null ? null : PartitionGroups.nodeId(leader), true));
        }
        if (!info.isLeaderReady()) {
            return CompletableFuture.completedFuture(new DataReply.NoLeader(partition + ": the leader on " + self.nodeId() + " is not ready yet"));
        }
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(current.getId())
                .setGroupId(division.getMemberId().getGroupId())
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(ByteString.copyFrom(payload)))
                .setType(readOnly ? RaftClientRequest.readRequestType() : RaftClientRequest.writeRequestType())
                .build();
        try {
            return current.submitClientRequestAsync(request)
                    .thenApply(reply -> toDataReply(partition, reply))
                    .exceptionally(failure -> toDataReply(partition, unwrap(failure)));
        } catch (IOException failed) {
            return CompletableFuture.completedFuture(toDataReply(partition, failed));
        }
    }

    private DataReply notLeader(NodeId leader, boolean hosted) {
        if (leader != null && self != null && leader.equals(self.nodeId())) {
            // Our own division was leader a moment ago; the caller should simply retry.
            return new DataReply.NoLeader("leadership is changing");
        }
        return new DataReply.NotLeader(leader, leader == null ? null : nodes.find(leader).orElse(null), hosted);
    }

    private DataReply toDataReply(PartitionId partition, RaftClientReply reply) {
        if (reply.isSuccess()) {
            return new DataReply.Ok(reply.getMessage().getContent().toByteArray());
        }
        NotLeaderException notLeader = reply.getNotLeaderException();
        if (notLeader != null) {
            RaftPeer suggested = notLeader.getSuggestedLeader();
            return notLeader(suggested == null ? null : PartitionGroups.nodeId(suggested.getId()), true);
        }
        StateMachineException refused = reply.getStateMachineException();
        if (refused != null) {
            return new DataReply.Failed(partition + ": " + refused.getMessage());
        }
        return toDataReply(partition, reply.getException());
    }

    private DataReply toDataReply(PartitionId partition, Throwable failure) {
        if (failure instanceof NotLeaderException notLeader) {
            RaftPeer suggested = notLeader.getSuggestedLeader();
            return notLeader(suggested == null ? null : PartitionGroups.nodeId(suggested.getId()), true);
        }
        if (failure instanceof GroupMismatchException) {
            return notLeader(null, false);
        }
        if (failure instanceof StateMachineException refused) {
            return new DataReply.Failed(partition + ": " + refused.getMessage());
        }
        // Leader stepping down or not ready, transfer in progress, read index failure, closing: transient.
        return new DataReply.NoLeader(partition + ": " + (failure == null ? "unknown failure" : failure.getClass().getSimpleName() + ": " + failure.getMessage()));
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof java.util.concurrent.CompletionException || cause instanceof java.util.concurrent.ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    // ---------------------------------------------------------------------------------------------
    // Shutdown

    /**
     * Stops serving, closes the Raft server (its data stays on disk) and the liveness entry. Idempotent.
     */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops like {@link #close()} but leaves the liveness entry to expire with the metadata session, as a
     * crashed process would. For tests that imitate a crash.
     */
    public void halt() {
        stop(false);
    }

    private synchronized void stop(boolean releaseLiveness) {
        running = false;
        for (Watch watch : watches) {
            try {
                watch.close();
            } catch (RuntimeException ignored) {
                // Closing anyway.
            }
        }
        watches.clear();
        loop.shutdownNow();
        remover.shutdownNow();
        try {
            remover.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        RaftServer current = server;
        if (current != null) {
            try {
                current.close();
            } catch (IOException | RuntimeException failed) {
                log.warn("{}: closing the Raft server failed: {}", config.nodeName(), failed.toString());
            }
        }
        EphemeralKey entry = liveness;
        liveness = null;
        if (entry != null && releaseLiveness) {
            try {
                entry.close();
            } catch (RuntimeException failed) {
                log.debug("{}: the liveness entry goes with the session: {}", config.nodeName(), failed.toString());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new MetadataException("interrupted while waiting");
        }
    }

    static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        } catch (IOException failed) {
            throw new UncheckedIOException("no free port on " + host, failed);
        }
    }
}
