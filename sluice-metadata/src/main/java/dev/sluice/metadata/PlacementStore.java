package dev.sluice.metadata;

import dev.sluice.model.ClusterEvent;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * One placement record per partition, each written with compare-and-set on its own version so
 * independent partitions never conflict. Only the controller writes placements; workers watch them.
 *
 * <p>This is the one class that knows where the records live: in buckets of a thousand partitions in clusters
 * created by this release, directly under one parent in older ones ({@link PlacementLayout}). It reads a
 * cluster's layout from the partition table once the cluster has one; before that, it uses the bucketed
 * layout a new cluster gets.
 */
public final class PlacementStore {

    static final int FORMAT = 1;
    /**
     * Writes per commit. A placement and its event are a few hundred bytes each, so a commit stays far below
     * ZooKeeper's 1 MiB request limit, and a pass writing hundreds of placements still needs few round trips.
     */
    static final int WRITES_PER_COMMIT = 100;
    /**
     * The largest placement document. One is a few hundred bytes (nine replicas in each set, a policy, a time);
     * the bound lets the store read hundreds to a request (see {@link MetadataStore#readChildren(String, int)}).
     */
    static final int PLACEMENT_BYTES_MAX = 4_096;
    private static final DocumentCodec<Placement> CODEC = new DocumentCodec<>(Placement.class, "placement", FORMAT);

    private final MetadataStore store;
    private final EventLog events;
    /** The cluster's layout once its partition table has been seen (it never changes after); null before. */
    private volatile PlacementLayout layout;

    PlacementStore(MetadataStore store, EventLog events) {
        this.store = store;
        this.events = events;
    }

    /**
     * Where this cluster's placements live: as its partition table's format says, or {@link PlacementLayout#BUCKETED}
     * while it has none (a cluster being created gets that layout).
     *
     * @throws CorruptDocumentException if the partition table is unreadable or written by a newer release
     */
    public PlacementLayout layout() {
        PlacementLayout known = layout;
        if (known != null) {
            return known;
        }
        Optional<Versioned> table = store.get(MetadataKeys.PARTITION_TABLE);
        if (table.isEmpty()) {
            return PlacementLayout.BUCKETED;
        }
        known = PartitionTableStore.layoutOf(table.get().value());
        layout = known;
        return known;
    }

    /** A placement and the store version it was read at. */
    public record VersionedPlacement(Placement placement, long version) {}

    public Optional<VersionedPlacement> read(PartitionId partition) {
        String key = layout().key(partition);
        return store.get(key).map(stored -> new VersionedPlacement(decode(key, stored.value(), partition), stored.version()));
    }

    /**
     * Every placement, by partition: one listing of the buckets, then each bucket's records with overlapped reads
     * ({@link MetadataStore#readChildren}). Not one atomic snapshot: each record is as some moment of the read saw it.
     */
    public Map<PartitionId, VersionedPlacement> readAll() {
        Map<PartitionId, VersionedPlacement> all = new TreeMap<>();
        switch (layout()) {
            case FLAT -> addAll(MetadataKeys.PLACEMENTS, all);
            case BUCKETED -> {
                for (String bucket : store.children(MetadataKeys.PLACEMENTS)) {
                    if (bucket.startsWith(PlacementLayout.BUCKET_PREFIX)) {
                        addAll(MetadataKeys.PLACEMENTS + "/" + bucket, all);
                    }
                }
            }
        }
        return all;
    }

    private void addAll(String parent, Map<PartitionId, VersionedPlacement> all) {
        store.readChildren(parent, PLACEMENT_BYTES_MAX).forEach((name, stored) -> {
            String key = parent + "/" + name;
            PlacementLayout.partitionOf(key).ifPresent(partition -> all.put(partition, new VersionedPlacement(decode(key, stored.value(), partition), stored.version())));
        });
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
        OptionalLong written = writeAll(List.of(new PlacementWrite(placement, expectedVersion, event)), fences).getFirst();
        if (written.isEmpty()) {
            throw new PreconditionFailedException(layout().key(placement.partition()), "placement " + placement.partition() + " is no longer at v"
                    + expectedVersion);
        }
        return written.getAsLong();
    }

    /**
     * One placement to write: the record, the version its stored record must still be at (0: must not
     * exist yet), and the event logged with it (null for none).
     */
    public record PlacementWrite(Placement placement, long expectedVersion, ClusterEvent event) {
        public PlacementWrite {
            java.util.Objects.requireNonNull(placement, "placement");
            if (expectedVersion < 0) {
                throw new IllegalArgumentException("expected version must not be negative, got " + expectedVersion);
            }
        }
    }

    /**
     * Writes several placements, each with its event, under {@code fences}, in as few commits as the
     * store's size limit allows: a controller pass that completes four moves pays one round trip (and one
     * log sync) instead of four. Each write still applies only if its record is at its expected version;
     * one that is not is left out and the rest committed without it, so a race on one partition never
     * holds back the others.
     *
     * @return for each write, in order, the new version, or empty if its record had moved on
     * @throws Fence.LostException if a fence moved (then nothing of the unfinished batch was written)
     * @throws IllegalArgumentException if two writes name the same partition
     */
    public List<OptionalLong> writeAll(List<PlacementWrite> writes, List<Fence> fences) {
        Set<PartitionId> partitions = new HashSet<>();
        for (PlacementWrite write : writes) {
            if (!partitions.add(write.placement().partition())) {
                throw new IllegalArgumentException("two writes of " + write.placement().partition() + " in one batch");
            }
        }
        List<OptionalLong> results = new ArrayList<>(java.util.Collections.nCopies(writes.size(), OptionalLong.empty()));
        for (int from = 0; from < writes.size(); from += WRITES_PER_COMMIT) {
            List<Integer> pending = new ArrayList<>();
            for (int i = from; i < Math.min(writes.size(), from + WRITES_PER_COMMIT); i++) {
                pending.add(i);
            }
            commitLeavingOutRaces(writes, pending, fences, results);
        }
        return results;
    }

    /** Commits the writes at {@code pending}; each time one's record has moved on, drops it and commits the rest. */
    private void commitLeavingOutRaces(List<PlacementWrite> writes, List<Integer> pending, List<Fence> fences, List<OptionalLong> results) {
        PlacementLayout layout = layout();
        while (!pending.isEmpty()) {
            List<Op> ops = new ArrayList<>();
            List<Integer> putAt = new ArrayList<>();
            for (int index : pending) {
                PlacementWrite write = writes.get(index);
                putAt.add(ops.size());
                ops.add(Op.put(layout.key(write.placement().partition()), encode(write.placement()),
                        write.expectedVersion() == 0 ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(write.expectedVersion())));
                if (write.event() != null) {
                    ops.add(events.appendOp(write.event()));
                }
            }
            fences.forEach(fence -> ops.add(fence.asOp()));
            try {
                List<Op.Result> committed = store.commit(ops);
                for (int i = 0; i < pending.size(); i++) {
                    results.set(pending.get(i), OptionalLong.of(committed.get(putAt.get(i)).version()));
                }
                return;
            } catch (PreconditionFailedException conflict) {
                for (Fence fence : fences) {
                    if (fence.key().equals(conflict.key())) {
                        throw new Fence.LostException(fence);
                    }
                }
                Integer raced = pending.stream().filter(index -> layout.key(writes.get(index).placement().partition()).equals(conflict.key()))
                        .findFirst().orElseThrow(() -> conflict);
                pending.remove(raced);
            }
        }
    }

    /**
     * Watches every placement, in either layout. The listener gets each record as it changes (and every existing
     * one first); {@code onResync} after missed notifications.
     */
    public Watch watch(BiConsumer<PartitionId, Optional<VersionedPlacement>> listener, Runnable onInitialized, Runnable onResync) {
        return store.watch(MetadataKeys.PLACEMENTS, true, PLACEMENT_BYTES_MAX, new WatchListener() {
            @Override
            public void onChange(String key, Optional<Versioned> value) {
                Optional<PartitionId> placed = PlacementLayout.partitionOf(key);
                if (placed.isEmpty()) {
                    return;
                }
                PartitionId partition = placed.get();
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

    private static byte[] encode(Placement placement) {
        byte[] document = CODEC.encode(placement);
        if (document.length > PLACEMENT_BYTES_MAX) {
            throw new IllegalStateException("BUG: the placement of " + placement.partition() + " is " + document.length + " bytes; placements are at most "
                    + PLACEMENT_BYTES_MAX);
        }
        return document;
    }

    private static Placement decode(String key, byte[] bytes, PartitionId partition) {
        Placement placement = CODEC.decode(key, bytes);
        if (!placement.partition().equals(partition)) {
            throw new CorruptDocumentException("metadata key '" + key + "' holds the placement of " + placement.partition(), null);
        }
        return placement;
    }
}
