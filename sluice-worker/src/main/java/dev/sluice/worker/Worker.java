package dev.sluice.worker;

import dev.sluice.client.wire.RequestId;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.Watch;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.raft.PartitionGroups;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
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
 *   <li>{@link StatusReporter} — {@link #status()}, {@link #routing()}, {@link #hostedPartitions()}.
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
    private final StatusReporter reporter;
    private final List<Watch> watches = new ArrayList<>();

    private volatile RaftServer server;
    private volatile int raftPort;
    private volatile boolean running;

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
        this.reconcileLoop = new ReconcileLoop(config, metadata, identity, loop, this::running);
        GroupHost host = new RatisGroupHost(this::liveServer, groups, () -> identity.table() == null ? 0 : identity.table().partitionCount(),
                raftDirectory);
        this.reconciler = new GroupReconciler(config.nodeName(), host, config.clock(), removalCalls, creationCalls, reconcileLoop::passAfter);
        this.reconcileLoop.drive(reconciler);
        this.warmUp = new WarmUp(config, metadata, identity, this::liveServer, () -> raftPort, this::running, reconcileLoop);
        this.data = new DataPath(config.nodeName(), groups, identity, reconcileLoop, this::liveServer, () -> !identity.superseded());
        this.reporter = new StatusReporter(config, groups, identity, warmUp, reconcileLoop, host, reconciler, this::liveServer, this::ready);
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
        try {
            NodeConfig self = identity.register(new NodeAddresses(config.raftHost() + ":" + raftPort, http));
            server = RaftServer.newBuilder()
                    .setServerId(PartitionGroups.peerId(self.nodeId()))
                    .setProperties(config.ratis().serverProperties(raftDirectory, config.raftHost(), raftPort))
                    .setStateMachineRegistry(this::newStateMachine)
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            server.start();
            running = true;
            watches.add(metadata.nodes().watch(snapshot -> {
                if (identity.onNodes(snapshot)) {
                    reconcileLoop.requestPass();
                }
            }));
            watches.add(reconcileLoop.watch());
            loop.scheduleWithFixedDelay(warmUp::pass, 0, config.warmUpInterval().toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException | RuntimeException failed) {
            close();
            throw failed;
        }
    }

    private PartitionStateMachine newStateMachine(org.apache.ratis.protocol.RaftGroupId groupId) {
        PartitionTable table = identity.table();
        PartitionId partition = groups.partitionOf(groupId, table.partitionCount())
                .orElseThrow(() -> new IllegalStateException("group " + groupId + " on " + config.nodeName()
                        + " is no partition of cluster '" + config.clusterName() + "' (" + table.partitionCount() + " partitions)"));
        return new PartitionStateMachine(partition, config.logic().create(partition));
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

    /** Serving client traffic: registered, not superseded, Raft server running, and Active. */
    public boolean ready() {
        NodeConfig mine = identity.self();
        return running && !identity.superseded() && mine != null && mine.workerState().servesTraffic();
    }

    public boolean running() {
        return running;
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
