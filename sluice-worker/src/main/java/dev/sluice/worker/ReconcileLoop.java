package dev.sluice.worker;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.PlacementCopy;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.metadata.Watch;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
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
    }

    /** Sets the reconciler the passes drive; once, before {@link #watch()}. */
    void drive(GroupReconciler driven) {
        if (reconciler != null) {
            throw new IllegalStateException("BUG: the reconcile loop already drives a reconciler");
        }
        reconciler = driven;
    }

    /** Starts watching the placements and schedules the periodic re-read. */
    Watch watch() {
        Watch watch = metadata.placements().watch(this::onPlacement, this::onInitialized, () -> loop.execute(this::resync));
        long every = config.resyncInterval().toMillis();
        loop.scheduleWithFixedDelay(this::resync, every, every, TimeUnit.MILLISECONDS);
        long check = GROUP_CHECK_INTERVAL.toMillis();
        loop.scheduleWithFixedDelay(this::requestPass, check, check, TimeUnit.MILLISECONDS);
        return watch;
    }

    boolean initialized() {
        return initialized;
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
        initialized = true;
        requestPass();
    }

    /** Re-reads every placement and the nodes configuration, then passes: what makes the loop level-triggered. */
    private void resync() {
        if (!running.getAsBoolean()) {
            return;
        }
        try {
            placements.reload(metadata.placements()::readAll);
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
