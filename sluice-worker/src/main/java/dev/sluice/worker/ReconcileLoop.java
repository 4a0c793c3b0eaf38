package dev.sluice.worker;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.PlacementIndex;
import dev.sluice.metadata.PlacementCopy;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.metadata.Watch;
import dev.sluice.model.Durations;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.wire.PlacementLoad;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the {@link GroupReconciler}: owns this worker's copy of the placements (watched, and re-read after
 * a missed notification and every resync interval), turns it into the desired groups, and runs the passes
 * on the worker's loop thread, at most one queued at a time.
 *
 * <p>In a cluster with a placement index the copy holds only the placements that name this node, read and watched
 * through its own index entries ({@code placements-by-node/N<k>}): a worker's first load and its share of every
 * change no longer grow with the cluster. Without one (a cluster created before the index, until its controller
 * builds it) it holds every placement, as before. The routing a client may ask any node for needs every placement;
 * in index mode a second copy is loaded for it on the first such request ({@link RoutingPlacements}).
 *
 * <p>A joining member's group is created with the partition's <em>current</em> replica set as its peers —
 * a set without the joining node. Ratis then starts the division passive: it never campaigns and waits for
 * the leader, which stages it (snapshot plus log) when the controller changes the configuration. Created
 * with the next set instead, it could campaign with an empty log, and if next shared no member with
 * current, the joining members could elect a leader of their own.
 */
final class ReconcileLoop {

    private static final Logger log = LoggerFactory.getLogger(ReconcileLoop.class);

    /**
     * How often a pass runs without any notification. A division can break, and a removal call can end,
     * without any metadata change; this bounds how long a broken group goes unnoticed. A pass without a
     * change only lists the server's groups and the group directories, which is cheap next to the
     * divisions' own heartbeats.
     */
    static final Duration GROUP_CHECK_INTERVAL = Duration.ofSeconds(1);

    private final WorkerConfig config;
    private final ClusterMetadata metadata;
    private final NodeIdentity identity;
    private final ScheduledExecutorService loop;
    private final BooleanSupplier running;
    private final BooleanSupplier mayGrow;

    private final PlacementCopy placements = new PlacementCopy();
    private final AtomicBoolean passQueued = new AtomicBoolean();
    private GroupReconciler reconciler;
    private volatile boolean initialized;
    /** This node, once {@link #watch} started; the placements are read through its index entries when {@link #throughIndex}. */
    private volatile NodeId me;
    private volatile boolean throughIndex;
    private volatile java.time.Instant watchingSince;
    /** The last failure of the first load, for the status; null while none failed, and once loaded. */
    private volatile LoadFailure lastLoadFailure;
    /**
     * Whether the watch finished its first load. {@link #initialized} also turns true on a resync's full read, which
     * gives the passes their placements while the watch is stuck; the status tells the two apart.
     */
    private volatile boolean watchLoaded;
    /** Every placement, for routing, in index mode; loaded on first use, never in a worker that reads every placement anyway. */
    private final RoutingPlacements routing;

    /**
     * @param running whether passes may run at all
     * @param mayGrow whether groups may be created or repaired now (not while the disk is low); removals go on
     */
    ReconcileLoop(WorkerConfig config, ClusterMetadata metadata, NodeIdentity identity, ScheduledExecutorService loop, BooleanSupplier running,
            BooleanSupplier mayGrow) {
        this.config = config;
        this.metadata = metadata;
        this.identity = identity;
        this.loop = loop;
        this.running = running;
        this.mayGrow = mayGrow;
        this.routing = new RoutingPlacements(config.nodeName(), config.clock(), metadata.placements());
    }

    /** Sets the reconciler the passes drive; once, before {@link #watch()}. */
    void drive(GroupReconciler driven) {
        if (reconciler != null) {
            throw new IllegalStateException("BUG: the reconcile loop already drives a reconciler");
        }
        reconciler = driven;
    }

    /**
     * Starts watching the placements that concern {@code node} (through its index entries when the cluster has an index,
     * else every placement) and schedules the periodic re-read.
     */
    Watch watch(NodeId node) {
        me = node;
        watchingSince = config.clock().instant();
        throughIndex = metadata.placements().indexed();
        Watch watch;
        if (throughIndex) {
            watch = metadata.placements().watchNode(node, this::onPlacement, this::onInitialized, () -> loop.execute(this::resync), this::onLoadFailed);
        } else {
            log.info("{}: this cluster has no placement index yet; reading every placement", config.nodeName());
            watch = metadata.placements().watch(this::onPlacement, this::onInitialized, () -> loop.execute(this::resync), this::onLoadFailed);
        }
        long every = config.resyncInterval().toMillis();
        loop.scheduleWithFixedDelay(this::resync, every, every, TimeUnit.MILLISECONDS);
        long check = GROUP_CHECK_INTERVAL.toMillis();
        loop.scheduleWithFixedDelay(this::requestPass, check, check, TimeUnit.MILLISECONDS);
        return () -> {
            watch.close();
            routing.close();
        };
    }

    boolean initialized() {
        return initialized;
    }

    private void onLoadFailed(Exception failure) {
        lastLoadFailure = LoadFailure.after(lastLoadFailure, failure, config.clock().instant());
    }

    /** How this worker reads its placements, for its status; null before {@link #watch}. */
    PlacementLoad load() {
        java.time.Instant since = watchingSince;
        if (since == null) {
            return null;
        }
        String source = throughIndex ? PlacementLoad.SOURCE_INDEX : PlacementLoad.SOURCE_EVERY_PLACEMENT;
        if (watchLoaded) {
            return new PlacementLoad(source, true, placements.size(), since, null);
        }
        String what = throughIndex ? "the first load of its index entries (" + PlacementIndex.nodeKey(me) + ") and the placements they list"
                : "the first load of every placement (" + MetadataKeys.PLACEMENTS + ")";
        LoadFailure failure = lastLoadFailure;
        return new PlacementLoad(source, false, placements.size(), since,
                what + (failure == null ? "" : "; " + failure.describe())
                        + (initialized ? "; meanwhile its placements are re-read every " + Durations.human(config.resyncInterval()) + " and followed no sooner"
                                : ""));
    }

    /** How the copy of every placement for routing loads, for the status; null before the first routing request and in a worker that reads every placement anyway. */
    PlacementLoad routingLoad() {
        return throughIndex ? routing.load() : null;
    }

    /**
     * The placement of {@code partition} for routing a client: this worker's own copy when it holds it, else (in index
     * mode) the copy of every placement, loaded on the first call, which waits up to {@link RoutingPlacements#LOAD_WAIT}
     * for it.
     *
     * @throws RoutingPlacements.RoutingNotLoaded if every placement is not loaded within the wait
     */
    Optional<Placement> routingPlacement(PartitionId partition) {
        Optional<Placement> own = placements.get(partition);
        if (own.isPresent() || !throughIndex) {
            return own;
        }
        return routing.await().get(partition);
    }

    /** A hint for a partition not hosted here: what this worker knows without waiting. */
    Optional<Placement> knownPlacement(PartitionId partition) {
        Optional<Placement> own = placements.get(partition);
        if (own.isPresent() || !throughIndex) {
            return own;
        }
        PlacementCopy every = routing.ifLoaded();
        return every == null ? Optional.empty() : every.get(partition);
    }

    int placementCount() {
        return placements.size();
    }

    Optional<Placement> placement(PartitionId partition) {
        return placements.get(partition);
    }

    private void onPlacement(PartitionId partition, Optional<PlacementStore.VersionedPlacement> placement) {
        placements.onNotification(partition, placement);
        if (initialized) {
            requestPass();
        }
    }

    private void onInitialized() {
        lastLoadFailure = null;
        watchLoaded = true;
        initialized = true;
        requestPass();
    }

    /** Re-reads every placement and the nodes configuration, then passes: what makes the loop level-triggered. */
    private void resync() {
        if (!running.getAsBoolean()) {
            return;
        }
        try {
            NodeId node = me;
            placements.reload(throughIndex ? () -> metadata.placements().readNode(node) : metadata.placements()::readAll);
            initialized = true;
            identity.onNodes(metadata.nodes().read());
            pass();
        } catch (RuntimeException failed) {
            log.warn("{}: resync failed, trying again in {}: {}", config.nodeName(), config.resyncInterval(), failed.toString());
        }
    }

    /** Queues a pass on the loop unless one is queued already. */
    void requestPass() {
        if (running.getAsBoolean() && passQueued.compareAndSet(false, true)) {
            try {
                loop.execute(() -> {
                    passQueued.set(false);
                    pass();
                });
            } catch (RejectedExecutionException stopping) {
                passQueued.set(false);
            }
        }
    }

    /** What the reconciler asks for: a pass after {@code delay}. */
    void passAfter(Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            requestPass();
            return;
        }
        try {
            loop.schedule(this::requestPass, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // Stopping: no more passes.
        }
    }

    private void pass() {
        NodeConfig mine = identity.self();
        PartitionTable table = identity.table();
        if (!running.getAsBoolean() || mine == null || table == null || identity.superseded() || !initialized) {
            return;
        }
        try {
            reconciler.pass(desired(mine.nodeId(), table, identity.nodes()), mayGrow.getAsBoolean());
        } catch (RuntimeException failed) {
            log.warn("{}: reconcile pass failed; the next pass retries: {}", config.nodeName(), failed.toString());
        }
    }

    /** The partitions whose placement names this node, with the peers to create each with. */
    private Map<PartitionId, List<NodeConfig>> desired(NodeId me, PartitionTable table, NodesConfiguration nodes) {
        Map<PartitionId, List<NodeConfig>> desired = new TreeMap<>();
        for (PlacementStore.VersionedPlacement versioned : placements.snapshot().values()) {
            Placement placement = versioned.placement();
            if (!table.contains(placement.partition()) || !placement.names(me)) {
                continue;
            }
            List<NodeId> peerNodes = placement.current().isEmpty() ? placement.next() : placement.current();
            List<NodeConfig> peers = new ArrayList<>();
            for (NodeId member : peerNodes) {
                Optional<NodeConfig> node = nodes.find(member);
                if (node.isEmpty()) {
                    log.warn("{}: cannot create {} yet: member {} is not in nodes configuration {}", config.nodeName(), placement.partition(), member,
                            nodes.version());
                    peers = List.of();
                    break;
                }
                peers.add(node.get());
            }
            desired.put(placement.partition(), List.copyOf(peers));
        }
        return desired;
    }
}
