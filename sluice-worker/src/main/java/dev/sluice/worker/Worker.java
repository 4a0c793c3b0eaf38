package dev.sluice.worker;

import dev.sluice.client.wire.RequestId;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.Watch;
import dev.sluice.security.TlsMaterial;
import dev.sluice.model.Durations;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.CatchUpThrottle;
import dev.sluice.raft.RaftTls;
import dev.sluice.raft.TransferRate;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import dev.sluice.wire.DiskState;
import dev.sluice.wire.DiskStatus;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.wire.ShutdownStatus;
import dev.sluice.wire.WorkerStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.ExitUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process. It owns the lifetime of the node's Raft server (one Ratis {@link RaftServer}, one
 * division per partition replica) and of the parts that do the work, each with one job:
 * <ul>
 *   <li>{@link NodeIdentity} — registration, liveness entry, partition table, the nodes configuration seen;
 *   <li>{@link WarmUp} — warm-up checks while Provisioning, then self-activation;
 *   <li>{@link ReconcileLoop} and {@link GroupReconciler} — the placements, and the groups kept equal to
 *       them (create, remove with a deadline, repair broken ones) through {@link RatisGroupHost};
 *   <li>{@link DataPath} — {@link #submit}, client commands and queries to the local leader;
 *   <li>{@link ClientRequests} — {@link #clientRequests()}, what the data routes answered and how fast;
 *   <li>{@link StatusReporter} — {@link #status()}, {@link #routing()}, {@link #hostedPartitions()};
 *   <li>{@link DiskGuard} — the data directory's free space against the {@link DiskSpaceRule}; the worker
 *       follows its state after every check: {@link LeadershipYield} while low, and while critical the Raft
 *       server stopped ({@linkplain #dataPlaneSuspended() suspended}) until space is back;
 *   <li>{@link LeadershipHandover} — at a graceful shutdown ({@link #beginShutdown}, {@link #handOverLeaderships}),
 *       every leadership handed to another member before the Raft server closes.
 * </ul>
 * This class wires them, starts and stops them in order, and is the public face the node process uses.
 */
public final class Worker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    /**
     * How long closing waits for the loop's current pass, and then for removal calls to give up (both are
     * interrupted first), before it closes the Raft server anyway. A pass that saw divisions closing under
     * it would take them for broken ones.
     */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

    static {
        // Ratis ends the whole JVM when its gRPC server cannot bind (GrpcServicesImpl); with this it throws
        // instead, and the worker reports the port it could not use rather than the process vanishing.
        ExitUtils.disableSystemExit();
    }

    private final WorkerConfig config;
    private final ClusterMetadata metadata;
    private final PartitionGroups groups;
    private final Path raftDirectory;
    private final ScheduledExecutorService loop;
    private final ThreadPoolExecutor removalCalls;
    private final ThreadPoolExecutor creationCalls;
    private final NodeIdentity identity;
    private final ReconcileLoop reconcileLoop;
    private final GroupReconciler reconciler;
    private final WarmUp warmUp;
    private final DataPath data;
    private final ClientRequests clientRequests;
    private final StatusReporter reporter;
    private final DiskGuard disk;
    private final LeadershipYield leadershipYield;
    private final LeadershipHandover handover;
    private final LeaderChanges leaderChanges = new LeaderChanges();
    private final StuckTransfers stuckTransfers;
    private final CatchUpThrottle catchUp;
    private final List<Watch> watches = new ArrayList<>();
    /** The graceful shutdown under way, set once; {@code null} while the worker serves. */
    private final AtomicReference<ShutdownStatus> shutdown = new AtomicReference<>();

    private volatile RaftServer server;
    private volatile int raftPort;
    private volatile RaftPeerId peerId;
    private volatile boolean running;
    /** The Raft server is stopped because the disk is critical; the process and everything else run on. */
    private volatile boolean suspended;
    /** Counts Raft server instances, so a late log failure of a closed one is not taken for the new one's. */
    private final AtomicInteger serverGeneration = new AtomicInteger();

    public Worker(WorkerConfig config, ClusterMetadata metadata) {
        this.config = config;
        this.metadata = metadata;
        this.groups = new PartitionGroups(config.clusterName());
        this.raftDirectory = config.dataDirectory().resolve("raft");
        this.loop = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("sluice-worker-" + config.nodeName()).daemon().factory());
        // As many threads as the reconciler may use at once; idle ones go, so a quiet node keeps none.
        this.removalCalls = new ThreadPoolExecutor(GroupReconciler.REMOVAL_THREADS_MAX, GroupReconciler.REMOVAL_THREADS_MAX, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().name("sluice-worker-remover-" + config.nodeName() + "-", 0).daemon().factory());
        this.removalCalls.allowCoreThreadTimeOut(true);
        this.creationCalls = new ThreadPoolExecutor(GroupReconciler.CREATION_PARALLELISM, GroupReconciler.CREATION_PARALLELISM, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().name("sluice-worker-creator-" + config.nodeName() + "-", 0).daemon().factory());
        this.creationCalls.allowCoreThreadTimeOut(true);
        this.identity = new NodeIdentity(config, metadata);
        this.disk = new DiskGuard(config.dataDirectory(), config.diskSpaceRule(), DiskGuard.Meter.FILE_STORE, config.clock(),
                () -> identity.self() == null ? config.nodeName() : identity.self().nodeId().toString());
        this.stuckTransfers = new StuckTransfers(config.nodeName(), config.clock());
        this.catchUp = new CatchUpThrottle(new TransferRate(config.maxTransferBytesPerSecond()));
        this.leadershipYield = new LeadershipYield(config.nodeName(), stuckTransfers);
        // Passes stop while the Raft server is suspended: with no server listed, every group directory on disk
        // would look like one left behind and be deleted.
        // No group is created or repaired while the disk is low or the node is shutting down: it would only be
        // staged to be closed again. Removals go on.
        this.reconcileLoop = new ReconcileLoop(config, metadata, identity, loop, () -> running && !suspended,
                () -> disk.state().takesWrites() && shutdown.get() == null);
        GroupHost host = new RatisGroupHost(this::liveServer, groups, () -> identity.table() == null ? 0 : identity.table().partitionCount(),
                raftDirectory);
        this.reconciler = new GroupReconciler(config.nodeName(), host, config.clock(), removalCalls, creationCalls, reconcileLoop::passAfter);
        this.reconcileLoop.drive(reconciler);
        // A provisioning worker that is shutting down does not activate itself on the way out.
        this.warmUp = new WarmUp(config, metadata, identity, this::liveServer, () -> raftPort, () -> running && shutdown.get() == null, reconcileLoop,
                disk::status);
        this.data = new DataPath(config.nodeName(), groups, identity, reconcileLoop, this::liveServer, () -> !identity.superseded(), disk::status,
                leaderChanges, stuckTransfers);
        this.clientRequests = new ClientRequests(config.clock());
        this.reporter = new StatusReporter(config, groups, identity, warmUp, reconcileLoop, host, reconciler, this::liveServer, this::ready,
                () -> running && suspended, disk::status, clientRequests::window, shutdown::get);
        this.handover = new LeadershipHandover(config.nodeName(), groups, () -> identity.table() == null ? 0 : identity.table().partitionCount(),
                PeerReadiness.overHttp(identity::nodes, config.tls().map(TlsMaterial::sslContext)), leaderChanges, config.clock(), stuckTransfers);
    }

    public WorkerConfig config() {
        return config;
    }

    public PartitionGroups groups() {
        return groups;
    }

    /**
     * Registers the node (a new name starts Provisioning; a known one keeps its id and gets the next
     * generation), announces it alive, starts the Raft server with the groups it finds on disk, and starts
     * watching the nodes configuration and the placements. Groups on disk that no placement names are
     * removed by the first reconcile pass, broken ones repaired.
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
        identity.awaitPartitionTable();
        raftPort = config.raftPort() == 0 ? freePort(config.raftHost()) : config.raftPort();
        requireRaftPortFree();
        try {
            peerId = PartitionGroups.peerId(identity.register(new NodeAddresses(config.raftHost() + ":" + raftPort, http)).nodeId());
            // A node that restarts on a full disk comes up without its Raft server and starts it once space is
            // freed, rather than failing to start or appending to a disk with no room.
            DiskStatus measured = disk.check();
            if (measured.state().raftServerRuns()) {
                server = startRaftServer();
            } else {
                suspended = true;
                log.warn("{}: not starting the Raft server: {}", config.nodeName(), measured.detail());
            }
            running = true;
            watches.add(metadata.nodes().watch(snapshot -> {
                if (identity.onNodes(snapshot)) {
                    reconcileLoop.requestPass();
                }
            }));
            watches.add(reconcileLoop.watch(identity.self().nodeId()));
            loop.scheduleWithFixedDelay(warmUp::pass, 0, config.warmUpInterval().toMillis(), TimeUnit.MILLISECONDS);
            long diskCheck = config.diskCheckInterval().toMillis();
            loop.scheduleWithFixedDelay(this::followDisk, diskCheck, diskCheck, TimeUnit.MILLISECONDS);
        } catch (IOException | RuntimeException failed) {
            close();
            throw failed;
        }
    }

    private Parameters raftParameters() {
        Parameters parameters = config.tls().map(RaftTls::mutual).orElse(RaftTls.PLAINTEXT).parameters();
        GrpcConfigKeys.Server.setServicesCustomizer(parameters, catchUp);
        return parameters;
    }

    /**
     * The byte rate at which this worker takes in catch-up traffic; the node sets it from the operator's stored
     * setting while it runs ({@code sluice settings set --max-transfer-rate}).
     */
    public TransferRate transferRate() {
        return catchUp.rate();
    }

    /** Catch-up bytes of {@code kind} this worker received, limited or not. */
    public long catchUpBytes(CatchUpThrottle.Kind kind) {
        return catchUp.bytes(kind);
    }

    /**
     * Builds and starts a Raft server on this node's port with the groups on disk, after mending any group
     * a full disk left it unable to start from ({@link DamagedGroups}).
     */
    private RaftServer startRaftServer() throws IOException {
        for (var damaged : DamagedGroups.find(raftDirectory).entrySet()) {
            log.error("{}: {}; forgetting that group's term and vote so the Raft server can start (its log stays, it learns the term "
                    + "from its leader)", config.nodeName(), damaged.getValue());
            DamagedGroups.mend(damaged.getKey());
        }
        int generation = serverGeneration.incrementAndGet();
        RaftServer built = RaftServer.newBuilder()
                .setServerId(peerId)
                .setProperties(config.ratis().serverProperties(raftDirectory, config.raftHost(), raftPort))
                .setParameters(raftParameters())
                .setStateMachineRegistry(groupId -> newStateMachine(groupId, generation))
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        try {
            built.start();
        } catch (IOException | RuntimeException failed) {
            try {
                built.close();
            } catch (IOException | RuntimeException ignored) {
                // Failing anyway.
            }
            if (failed instanceof ExitUtils.ExitException) {
                throw new IOException(config.nodeName() + ": the Raft server cannot listen on " + config.raftHost() + ":" + raftPort + ": " + failed.getMessage(), failed);
            }
            throw failed;
        }
        return built;
    }

    /**
     * After every disk check, on the loop thread: makes the worker do what the disk state says (see
     * {@link DiskState}). Level-triggered, so a step that fails is tried again at the next check.
     */
    private void followDisk() {
        if (!running) {
            return;
        }
        try {
            DiskStatus status = disk.check();
            DiskState state = status.state();
            if (!state.raftServerRuns()) {
                if (!suspended) {
                    suspendRaftServer(status);
                }
                return;
            }
            if (suspended) {
                resumeRaftServer(status);
            }
            RaftServer current = liveServer();
            if (current == null) {
                return;
            }
            if (!state.takesWrites()) {
                leadershipYield.yieldAll(current);
            } else if (leadershipYield.yielding(current)) {
                leadershipYield.restore(current);
                log.info("{}: the disk has room again; its divisions may lead again ({})", config.nodeName(), status.detail());
            }
        } catch (RuntimeException unexpected) {
            log.warn("{}: following the disk state failed; the next check tries again: {}", config.nodeName(), unexpected.toString());
        }
    }

    /**
     * Stops the Raft server for a critical disk. Runs on the loop thread, so no reconcile pass sees its
     * divisions closing (it would take them for broken ones and delete them). Leaderships are not handed over
     * first: the disk may have no room left for anything, and the sooner the divisions stop, the less a failed
     * write can damage; the other members elect within an election timeout, as after a crash.
     */
    private void suspendRaftServer(DiskStatus status) {
        suspended = true;
        RaftServer current = server;
        server = null;
        log.warn("{}: stopping the Raft server: {}", config.nodeName(), status.detail());
        if (current != null) {
            try {
                current.close();
            } catch (IOException | RuntimeException failed) {
                log.warn("{}: closing the Raft server failed: {}", config.nodeName(), failed.toString());
            }
        }
        reconciler.serverStopped();
    }

    private void resumeRaftServer(DiskStatus status) {
        if (reconciler.deletingFiles()) {
            // The new server would recover whatever is left of the directory; the next check tries again.
            log.info("{}: the disk has room again; waiting for a group's files to be deleted before starting the Raft server", config.nodeName());
            return;
        }
        try {
            server = startRaftServer();
            suspended = false;
            log.info("{}: started the Raft server again: {}", config.nodeName(), status.detail());
            reconcileLoop.requestPass();
        } catch (IOException | RuntimeException failed) {
            log.warn("{}: starting the Raft server again failed; the next disk check tries again: {}", config.nodeName(), failed.toString());
        }
    }

    /** A log write of the server of {@code generation} failed; a full disk is acted on at once, not at the next check. */
    private void onLogFailure(int generation, Throwable cause) {
        if (generation != serverGeneration.get() || !DiskGuard.isSpaceFailure(cause)) {
            return;
        }
        disk.spaceFailure(cause.getClass().getSimpleName() + ": " + cause.getMessage());
        try {
            loop.execute(this::followDisk);
        } catch (RejectedExecutionException stopping) {
            // Stopping anyway.
        }
    }

    private PartitionStateMachine newStateMachine(org.apache.ratis.protocol.RaftGroupId groupId, int generation) {
        PartitionTable table = identity.table();
        PartitionId partition = groups.partitionOf(groupId, table.partitionCount())
                .orElseThrow(() -> new IllegalStateException("group " + groupId + " on " + config.nodeName()
                        + " is no partition of cluster '" + config.clusterName() + "' (" + table.partitionCount() + " partitions)"));
        return new PartitionStateMachine(partition, config.logic().create(partition), cause -> onLogFailure(generation, cause),
                () -> disk.state().raftServerRuns(), leaderChanges::changed);
    }

    /** The Raft server while the worker runs; {@code null} before start and after stop. */
    private RaftServer liveServer() {
        return running ? server : null;
    }

    // ---------------------------------------------------------------------------------------------
    // Queries

    /** The directory holding the partition's log, snapshots and metadata on this node (it may not exist). */
    public Path partitionDirectory(PartitionId partition) {
        return raftDirectory.resolve(groups.groupId(partition).getUuid().toString());
    }

    /**
     * The partitions this node holds now: its replicas (groups that exist and serve or are starting) and its
     * removals (groups being removed, or whose files are not deleted yet) — so nobody concludes "holds
     * nothing" while a group's files are still here.
     */
    public Set<PartitionId> hostedPartitions() {
        return reporter.hostedPartitions();
    }

    /** This process's node configuration as last seen, empty before registration. */
    public Optional<NodeConfig> self() {
        return Optional.ofNullable(identity.self());
    }

    public Optional<PartitionTable> partitionTable() {
        return Optional.ofNullable(identity.table());
    }

    public NodesConfiguration nodes() {
        return identity.nodes();
    }

    /**
     * Serving client traffic: registered, not superseded, Raft server running, Active, not in maintenance (it is
     * about to go away: a load balancer should stop sending to it first), room on the disk, and not shutting down.
     */
    public boolean ready() {
        NodeConfig mine = identity.self();
        return running && !suspended && !identity.superseded() && mine != null && mine.workerState().servesTraffic()
                && !inMaintenance(mine) && disk.state().takesWrites() && shutdown.get() == null;
    }

    private boolean inMaintenance(NodeConfig mine) {
        return mine.inMaintenanceAt(config.clock().instant());
    }

    /**
     * Why {@link #ready()} is false, in the worker's own words, or empty while it is ready; {@code shuttingDown}
     * words a graceful shutdown under way.
     */
    public Optional<String> notReadyBecause(java.util.function.Function<ShutdownStatus, String> shuttingDown) {
        if (ready()) {
            return Optional.empty();
        }
        ShutdownStatus stopping = shutdown.get();
        if (stopping != null) {
            return Optional.of(shuttingDown.apply(stopping));
        }
        NodeConfig mine = identity.self();
        if (mine != null && running && mine.workerState().servesTraffic() && inMaintenance(mine)) {
            return Optional.of("in maintenance until " + mine.maintenance().until() + (mine.maintenance().reason().isEmpty() ? "" : ": " + mine.maintenance().reason()));
        }
        return Optional.of(disk.state().takesWrites() ? status().activation() : disk.status().detail());
    }

    public boolean running() {
        return running;
    }

    /** Whether the Raft server is stopped because the disk is critical (the process runs on). */
    public boolean dataPlaneSuspended() {
        return running && suspended;
    }

    /** The data directory's free space as last checked, and what the worker does about it. */
    public DiskStatus disk() {
        return disk.status();
    }

    /** What the data routes answered, for the node's meters and the status report's client window. */
    public ClientRequests clientRequests() {
        return clientRequests;
    }

    /** Leaders here this worker asked to step down, for {@code cause}, to end a transfer Ratis left pending (for the node's meters). */
    public long stuckTransferStepDowns(StuckTransferCause cause) {
        return stuckTransfers.stepDowns(cause);
    }

    /** A snapshot of this worker's state for the controller and the admin API. */
    public WorkerStatus status() {
        return reporter.status();
    }

    /** The status of the local replica of {@code partition}, if this node has one (not being removed). */
    public Optional<ReplicaStatus> replicaStatus(PartitionId partition) {
        return reporter.replicaStatus(partition);
    }

    /**
     * What this node knows of the routing: the table, the members of each placed partition with their URLs,
     * and a leader hint — exact for partitions hosted here, the placement's recorded leader for the others.
     *
     * @throws IllegalStateException if the worker has not read the partition table yet
     */
    public RoutingInfo routing() {
        return reporter.routing();
    }

    /**
     * Submits a command ({@code readOnly} false: replicated, answered once a majority committed it) or a
     * query ({@code readOnly} true: linearizable read on the leader) to the local replica of
     * {@code partition}. Never blocks; the future never fails, every outcome is a {@link DataReply}.
     */
    public CompletableFuture<DataReply> submit(PartitionId partition, byte[] payload, boolean readOnly) {
        return data.submit(partition, payload, readOnly, null);
    }

    /**
     * Submits a command that carries its caller's idempotency key: every attempt with the same {@code requestId}
     * is applied at most once (Raft's retry cache answers a repeat with the first attempt's outcome, in flight or
     * done, also on a new leader once it has applied the entry). Never blocks, like {@link #submit}.
     */
    public CompletableFuture<DataReply> submitWrite(PartitionId partition, byte[] payload, RequestId requestId) {
        return data.submit(partition, payload, false, java.util.Objects.requireNonNull(requestId, "requestId"));
    }

    // ---------------------------------------------------------------------------------------------
    // Shutdown

    /**
     * Begins a graceful shutdown: from now on the worker reports itself not ready (its status says why, so the
     * controller sends it no replica and no leadership), creates and repairs no group, and a provisioning worker
     * does not activate itself. It keeps serving what it leads until {@link #handOverLeaderships()} has moved it.
     * The handover's deadline is the configured {@linkplain WorkerConfig#shutdownTimeout() shutdown timeout} from now.
     *
     * @param cause what asked for it, in words, for the status and the log
     * @return whether this call began it; {@code false} when a shutdown was already under way (its cause and
     *     deadline stay)
     */
    public boolean beginShutdown(String cause) {
        Instant now = config.clock().instant().truncatedTo(ChronoUnit.MILLIS);
        ShutdownStatus begun = new ShutdownStatus(cause, now, now.plus(config.shutdownTimeout()));
        if (!shutdown.compareAndSet(null, begun)) {
            return false;
        }
        log.info("{}: shutting down ({}): not ready from now on; handing its leaderships to other members for at most {}",
                config.nodeName(), cause, Durations.human(config.shutdownTimeout()));
        return true;
    }

    /** The graceful shutdown under way, if one began. */
    public Optional<ShutdownStatus> shutdown() {
        return Optional.ofNullable(shutdown.get());
    }

    /**
     * Hands every leadership this node holds to another member of the partition's group, all partitions at once,
     * until it leads nothing or the shutdown's deadline passes (see {@link LeadershipHandover}), and logs one line
     * saying how it went. Blocks; call it after {@link #beginShutdown} and before {@link #close()}.
     *
     * @throws IllegalStateException if no shutdown began
     */
    public HandoverReport handOverLeaderships() {
        ShutdownStatus begun = shutdown.get();
        if (begun == null) {
            throw new IllegalStateException("BUG: worker " + config.nodeName() + " hands its leaderships over before its shutdown began");
        }
        RaftServer current = liveServer();
        HandoverReport report = current == null
                ? HandoverReport.nothingMoved(java.util.Map.of(), Duration.between(begun.since(), config.clock().instant()))
                : handover.run(current, begun.since(), begun.deadline());
        log.info("{}: graceful shutdown ({}): {}{}", config.nodeName(), begun.cause(), report.summary(),
                current == null ? (suspended ? "; its Raft server is stopped for a critical disk" : "; its Raft server is not running") : "");
        return report;
    }

    /** Stops serving, closes the Raft server (its data stays on disk) and the liveness entry. Idempotent. */
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
        // A removal call stuck in Ratis is interrupted; whatever it leaves on disk is removed at the next start.
        removalCalls.shutdownNow();
        creationCalls.shutdownNow();
        awaitTermination(loop, "the reconcile and warm-up loop");
        awaitTermination(removalCalls, "removal calls");
        awaitTermination(creationCalls, "group creations");
        RaftServer current = server;
        if (current != null) {
            try {
                current.close();
            } catch (IOException | RuntimeException failed) {
                log.warn("{}: closing the Raft server failed: {}", config.nodeName(), failed.toString());
            }
        }
        identity.leave(releaseLiveness);
    }

    private void awaitTermination(ExecutorService executor, String what) {
        try {
            if (!executor.awaitTermination(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{}: {} still running after {}; closing the Raft server anyway", config.nodeName(), what, SHUTDOWN_WAIT);
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Fails before the node registers an address it cannot serve on. */
    private void requireRaftPortFree() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(config.raftHost(), raftPort));
        } catch (IOException inUse) {
            throw new IOException(config.nodeName() + ": the Raft port " + config.raftHost() + ":" + raftPort + " is in use (" + inUse.getMessage() + "); stop what listens on it or give another --raft-port", inUse);
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
