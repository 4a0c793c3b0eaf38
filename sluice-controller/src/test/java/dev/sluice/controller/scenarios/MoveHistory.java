package dev.sluice.controller.scenarios;

import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.ControllerStatus;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.Versioned;
import dev.sluice.metadata.Watch;
import dev.sluice.metadata.WatchListener;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.awaitility.Awaitility;

/**
 * Every placement version and every controller status the metadata store's watches delivered while a
 * scenario ran, so a scenario can check what held at every moment rather than at the moments it looked.
 *
 * <p>Watches may coalesce quick successive writes of one key (ZooKeeper does; the in-memory store does
 * not), so a state that lasted less than a notification's round trip can be missed; a controller decision
 * lasts at least until its move completes, which is far longer. Checks that span partitions use the
 * statuses, each one a single document written at the end of a pass, never a mix of placements read at
 * different moments: on ZooKeeper a watched copy of many keys can show one key newer than another.
 */
public final class MoveHistory implements AutoCloseable {

    /** How long the watches may take to deliver what the store already holds, on a loaded machine. */
    private static final Duration CATCH_UP = Duration.ofSeconds(30);

    private final ClusterMetadata metadata;
    private final List<Placement> placementsSeen = new ArrayList<>();
    private final Map<PartitionId, Long> latestPlacementVersions = new HashMap<>();
    private final List<ControllerStatus> statusesSeen = new ArrayList<>();
    private long latestStatusVersion;
    private final Watch placementWatch;
    private final Watch statusWatch;

    private MoveHistory(ClusterMetadata metadata) {
        this.metadata = metadata;
        this.placementWatch = metadata.placements().watch(this::placementChanged, () -> {}, () -> {});
        this.statusWatch = metadata.store().watch(ControllerDocuments.STATUS, false, new WatchListener() {
            @Override
            public void onChange(String key, Optional<Versioned> value) {
                value.ifPresent(stored -> statusChanged(stored.version()));
            }
        });
    }

    /** Starts recording; the placements and status as they are now are the first entries. */
    public static MoveHistory record(ClusterMetadata metadata) {
        return new MoveHistory(metadata);
    }

    private synchronized void placementChanged(PartitionId partition, Optional<VersionedPlacement> placement) {
        placement.ifPresent(versioned -> {
            placementsSeen.add(versioned.placement());
            latestPlacementVersions.merge(partition, versioned.version(), Math::max);
        });
    }

    /**
     * The status is read again rather than decoded from the notification: the codec is the controller's, and
     * whatever the read returns is one whole status the controller published, at this version or a later one.
     */
    private void statusChanged(long version) {
        Optional<ControllerStatus> status = new ControllerDocuments(metadata).status();
        synchronized (this) {
            status.ifPresent(statusesSeen::add);
            latestStatusVersion = Math.max(latestStatusVersion, version);
        }
    }

    /** Waits until the watches delivered every placement and the status the store holds now. */
    public void awaitCaughtUp() {
        Map<PartitionId, Long> stored = new HashMap<>();
        metadata.placements().readAll().forEach((partition, versioned) -> stored.put(partition, versioned.version()));
        long storedStatus = metadata.store().get(ControllerDocuments.STATUS).map(Versioned::version).orElse(0L);
        Awaitility.await("the watches delivered every stored placement and status").atMost(CATCH_UP).pollInterval(Duration.ofMillis(20))
                .until(() -> caughtUpWith(stored, storedStatus));
    }

    private synchronized boolean caughtUpWith(Map<PartitionId, Long> stored, long storedStatus) {
        return latestStatusVersion >= storedStatus
                && stored.entrySet().stream().allMatch(e -> latestPlacementVersions.getOrDefault(e.getKey(), 0L) >= e.getValue());
    }

    /** Every placement version seen, in the order each partition's versions were delivered. */
    public synchronized List<Placement> placements() {
        return List.copyOf(placementsSeen);
    }

    /** The most replica-set changes under way that involved {@code node} (joining or leaving) in one published status. */
    public synchronized int mostMovesInvolving(NodeId node) {
        return statusesSeen.stream().mapToInt(status -> (int) status.moves().stream().filter(move -> involves(move, node)).count())
                .max().orElse(0);
    }

    /** The most replica-set changes under way in one published status, cluster-wide. */
    public synchronized int mostMovesInFlight() {
        return statusesSeen.stream().mapToInt(ControllerStatus::movesInFlight).max().orElse(0);
    }

    /** Nodes that took part in some change under way, by any status. */
    public synchronized Set<NodeId> nodesInMoves() {
        Set<NodeId> nodes = new HashSet<>();
        statusesSeen.forEach(status -> status.moves().forEach(move -> {
            nodes.addAll(move.current());
            nodes.addAll(move.next());
        }));
        return nodes;
    }

    private static boolean involves(ControllerStatus.MoveInFlight move, NodeId node) {
        return move.current().contains(node) != move.next().contains(node);
    }

    @Override
    public void close() {
        placementWatch.close();
        statusWatch.close();
    }
}
