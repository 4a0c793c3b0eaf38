package dev.sluice.metadata;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A process's copy of every placement, fed by a placement watch and repaired by full reads of the store.
 *
 * <p>The two feeds run on different threads, and a full read takes as long as dozens of store round trips,
 * so they can cross: a read that started before a write can finish after the write's notification was
 * applied. Two rules keep the copy from going back in time when they do:
 * <ul>
 *   <li>a placement replaces the copy's only if its store version is higher, whichever feed brings it;
 *   <li>a full read removes a placement it did not find only if no notification was applied while it
 *       read; otherwise the watch is evidently working and the next full read settles it.
 * </ul>
 * Without them a periodic re-read could put back a placement a worker had already moved past, and the
 * worker kept a group it had left until the read after (seen as a 10 s tail on drains).
 *
 * <p>Placements are never deleted in a running cluster (the partition table only grows), so versions
 * never restart from zero under one key.
 */
public final class PlacementCopy {

    private final Map<PartitionId, VersionedPlacement> placements = new ConcurrentHashMap<>();
    /** Notifications applied so far; guarded by {@code this}. */
    private long notifications;

    /** Applies a watch notification; an empty placement means the record is gone. */
    public synchronized void onNotification(PartitionId partition, Optional<VersionedPlacement> placement) {
        notifications++;
        if (placement.isPresent()) {
            keepNewer(placement.get());
        } else {
            placements.remove(partition);
        }
    }

    /** Applies a placement this process wrote itself, before its notification arrives. */
    public synchronized void written(VersionedPlacement placement) {
        keepNewer(placement);
    }

    /**
     * Reads every placement through {@code readAll} and merges the result by the rules above.
     *
     * @return whether placements missing from the read were removed (no notification crossed it)
     */
    public boolean reload(Supplier<Map<PartitionId, VersionedPlacement>> readAll) {
        long before;
        synchronized (this) {
            before = notifications;
        }
        Map<PartitionId, VersionedPlacement> read = readAll.get();
        synchronized (this) {
            read.values().forEach(this::keepNewer);
            if (notifications != before) {
                return false;
            }
            placements.keySet().retainAll(read.keySet());
            return true;
        }
    }

    private void keepNewer(VersionedPlacement candidate) {
        placements.merge(candidate.placement().partition(), candidate, (held, offered) -> offered.version() > held.version() ? offered : held);
    }

    public Optional<Placement> get(PartitionId partition) {
        return Optional.ofNullable(placements.get(partition)).map(VersionedPlacement::placement);
    }

    /** {@code partition}'s record with its store version, if the copy has one. */
    public Optional<VersionedPlacement> record(PartitionId partition) {
        return Optional.ofNullable(placements.get(partition));
    }

    /** A sorted copy, safe to change. */
    public Map<PartitionId, VersionedPlacement> snapshot() {
        return new TreeMap<>(placements);
    }

    public int size() {
        return placements.size();
    }
}
