package dev.sluice.metadata;

import dev.sluice.model.ClusterEvent;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * One placement record per partition, each written with compare-and-set on its own version so
 * independent partitions never conflict. Only the controller writes placements; workers watch them.
 */
public final class PlacementStore {

    static final int FORMAT = 1;
    private static final DocumentCodec<Placement> CODEC = new DocumentCodec<>(Placement.class, "placement", FORMAT);

    private final MetadataStore store;
    private final EventLog events;

    PlacementStore(MetadataStore store, EventLog events) {
        this.store = store;
        this.events = events;
    }

    /** A placement and the store version it was read at. */
    public record VersionedPlacement(Placement placement, long version) {}

    public Optional<VersionedPlacement> read(PartitionId partition) {
        String key = MetadataKeys.placement(partition);
        return store.get(key).map(stored -> new VersionedPlacement(decode(key, stored.value(), partition), stored.version()));
    }

    /** Every placement, by partition. */
    public Map<PartitionId, VersionedPlacement> readAll() {
        Map<PartitionId, VersionedPlacement> all = new TreeMap<>();
        for (String child : store.children(MetadataKeys.PLACEMENTS)) {
            PartitionId partition;
            try {
                partition = PartitionId.parse(child);
            } catch (IllegalArgumentException notAPlacement) {
                continue;
            }
            read(partition).ifPresent(placement -> all.put(partition, placement));
        }
        return all;
    }

    /**
     * Writes {@code placement} if its record is still at {@code expectedVersion} (0: must not exist yet),
     * with {@code event} (if not null) in the same commit, under {@code fences}.
     *
     * @return the new version
     * @throws PreconditionFailedException if the record moved on
     * @throws Fence.LostException if a fence moved
     */
    public long write(Placement placement, long expectedVersion, ClusterEvent event, List<Fence> fences) {
        String key = MetadataKeys.placement(placement.partition());
        List<Op> ops = new ArrayList<>();
        ops.add(Op.put(key, CODEC.encode(placement), expectedVersion == 0 ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(expectedVersion)));
        if (event != null) {
            ops.add(events.appendOp(event));
        }
        fences.forEach(fence -> ops.add(fence.asOp()));
        try {
            return store.commit(ops).getFirst().version();
        } catch (PreconditionFailedException conflict) {
            for (Fence fence : fences) {
                if (fence.key().equals(conflict.key())) {
                    throw new Fence.LostException(fence);
                }
            }
            throw conflict;
        }
    }

    /**
     * Watches every placement. The listener gets each record as it changes (and every existing one
     * first); {@code onResync} after missed notifications.
     */
    public Watch watch(BiConsumer<PartitionId, Optional<VersionedPlacement>> listener, Runnable onInitialized, Runnable onResync) {
        return store.watch(MetadataKeys.PLACEMENTS, true, new WatchListener() {
            @Override
            public void onChange(String key, Optional<Versioned> value) {
                if (!key.startsWith(MetadataKeys.PLACEMENTS + "/")) {
                    return;
                }
                PartitionId partition;
                try {
                    partition = PartitionId.parse(key.substring(MetadataKeys.PLACEMENTS.length() + 1));
                } catch (IllegalArgumentException notAPlacement) {
                    return;
                }
                try {
                    listener.accept(partition, value.map(stored -> new VersionedPlacement(decode(key, stored.value(), partition), stored.version())));
                } catch (CorruptDocumentException corrupt) {
                    org.slf4j.LoggerFactory.getLogger(PlacementStore.class).error("ignoring an unreadable placement: {}", corrupt.getMessage());
                }
            }

            @Override
            public void onInitialized() {
                onInitialized.run();
            }

            @Override
            public void onResync() {
                onResync.run();
            }
        });
    }

    private static Placement decode(String key, byte[] bytes, PartitionId partition) {
        Placement placement = CODEC.decode(key, bytes);
        if (!placement.partition().equals(partition)) {
            throw new CorruptDocumentException("metadata key '" + key + "' holds the placement of " + placement.partition(), null);
        }
        return placement;
    }
}
