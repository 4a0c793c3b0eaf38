package dev.sluice.metadata;

import dev.sluice.model.ClusterEvent;
import dev.sluice.model.NodeId;
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
    /** Whether the cluster's placement index was seen complete (it stays so). */
    private volatile boolean indexComplete;

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

    /**
     * Whether this cluster's placement index is complete, so writers keep it and workers may read through it. Once
     * complete it stays so; until then every call reads the index key again.
     *
     * @throws CorruptDocumentException if the index key holds something unreadable
     */
    public boolean indexed() {
        if (indexComplete) {
            return true;
        }
        boolean complete = PlacementIndex.decode(store.get(MetadataKeys.PLACEMENTS_BY_NODE)).map(PlacementIndex.State::complete).orElse(false);
        indexComplete = complete;
        return complete;
    }

    /**
     * Builds the placement index of a cluster that has none yet (one created before the index), under {@code fences}:
     * removes what an interrupted build left, writes every placement's entries ({@link #INDEX_OPS_PER_COMMIT} to a
     * commit), then marks the index complete. Only the controller may call it, before it writes any placement in its
     * term: the fence keeps every other controller from changing a replica set while it runs, so the entries it writes
     * from one read of the placements stay right. Writes that bypass the fence (an operator's policy change) do not
     * change a replica set; an entry then holds an older version than its placement, which costs a reader nothing,
     * since a reader reads the placement itself.
     *
     * @return how many placements were indexed; 0 without building if the index was complete already
     * @throws Fence.LostException if a fence moved (the build stops; the next controller starts it again)
     */
    public long ensureIndex(List<Fence> fences, java.time.Instant now, String by) {
        if (indexed() || store.get(MetadataKeys.PARTITION_TABLE).isEmpty()) {
            // A cluster still being created gets its index complete with its partition table.
            return 0;
        }
        List<Op> pending = new ArrayList<>();
        for (String node : store.children(MetadataKeys.PLACEMENTS_BY_NODE)) {
            for (String entry : store.children(MetadataKeys.PLACEMENTS_BY_NODE + "/" + node)) {
                pending.add(Op.delete(MetadataKeys.PLACEMENTS_BY_NODE + "/" + node + "/" + entry, Precondition.NONE));
                pending = commitIfFull(pending, fences, false);
            }
        }
        commitIfFull(pending, fences, true);
        pending = new ArrayList<>();
        Map<PartitionId, VersionedPlacement> all = readAll();
        for (VersionedPlacement placement : all.values()) {
            pending.addAll(PlacementIndex.ops(Optional.empty(), placement.placement(), placement.version()));
            pending = commitIfFull(pending, fences, false);
        }
        commitIfFull(pending, fences, true);
        // One commit marks the index complete and moves the partition table to the format that says so, which a release
        // before the index refuses: from here on, no controller that would write placements without entries can lead.
        Versioned table = store.get(MetadataKeys.PARTITION_TABLE).orElseThrow(() -> new IllegalStateException(
                "BUG: indexing the placements of a cluster without a partition table"));
        List<Op> complete = new ArrayList<>(List.of(
                Op.put(MetadataKeys.PLACEMENTS_BY_NODE, PlacementIndex.encode(new PlacementIndex.State(true, now, by, all.size())), Precondition.NONE),
                Op.put(MetadataKeys.PARTITION_TABLE, PartitionTableStore.withIndex(table.value()), Precondition.matchesVersion(table.version()))));
        commitIfFull(complete, fences, true);
        indexComplete = true;
        return all.size();
    }

    /** Index operations per commit while building: each is ~60 bytes, so a commit stays far below ZooKeeper's 1 MiB. */
    static final int INDEX_OPS_PER_COMMIT = 1_000;

    private List<Op> commitIfFull(List<Op> ops, List<Fence> fences, boolean force) {
        if (ops.isEmpty() || (!force && ops.size() < INDEX_OPS_PER_COMMIT)) {
            return ops;
        }
        List<Op> fenced = new ArrayList<>(ops);
        fences.forEach(fence -> fenced.add(fence.asOp()));
        try {
            store.commit(fenced);
        } catch (PreconditionFailedException conflict) {
            for (Fence fence : fences) {
                if (fence.key().equals(conflict.key())) {
                    throw new Fence.LostException(fence);
                }
            }
            throw conflict;
        }
        return new ArrayList<>();
    }

    /**
     * The placements that name {@code node}, through its index: one listing of its entries and one batched read of the
     * placements they list. A placement that stopped naming the node after the listing is left out.
     *
     * @throws IllegalStateException if the cluster's index is not complete
     */
    public Map<PartitionId, VersionedPlacement> readNode(NodeId node) {
        if (!indexed()) {
            throw new IllegalStateException("this cluster's placement index is not built yet; read every placement instead");
        }
        PlacementLayout layout = layout();
        List<String> keys = new ArrayList<>();
        for (String entry : store.children(PlacementIndex.nodeKey(node))) {
            PlacementIndex.partitionOf(node, PlacementIndex.nodeKey(node) + "/" + entry).ifPresent(partition -> keys.add(layout.key(partition)));
        }
        return decodeNaming(node, store.getAll(keys, PLACEMENT_BYTES_MAX));
    }

    private Map<PartitionId, VersionedPlacement> decodeNaming(NodeId node, Map<String, Versioned> stored) {
        Map<PartitionId, VersionedPlacement> naming = new TreeMap<>();
        stored.forEach((key, value) -> PlacementLayout.partitionOf(key).ifPresent(partition -> {
            Placement placement = decode(key, value.value(), partition);
            if (placement.names(node)) {
                naming.put(partition, new VersionedPlacement(placement, value.version()));
            }
        }));
        return naming;
    }

    /**
     * Watches the placements that name {@code node}, through its index: one recursive watch of its entries. The listener
     * gets each such placement as its entry appears or changes (read from the placement's own key, so at least the
     * version the entry holds), and an empty value when the placement stops naming the node. The first load reads the
     * listed placements in one batch before {@code onInitialized}; {@code onLoadFailed} hears of every failed attempt of
     * it (the watch tries again), {@code onResync} of missed notifications.
     *
     * @throws IllegalStateException if the cluster's index is not complete
     */
    public Watch watchNode(NodeId node, BiConsumer<PartitionId, Optional<VersionedPlacement>> listener, Runnable onInitialized, Runnable onResync,
            java.util.function.Consumer<Exception> onLoadFailed) {
        if (!indexed()) {
            throw new IllegalStateException("this cluster's placement index is not built yet; watch every placement instead");
        }
        PlacementLayout layout = layout();
        return store.watch(PlacementIndex.nodeKey(node), true, PlacementIndex.ENTRY_BYTES_MAX, new WatchListener() {
            /** Partitions listed by the first load, read in one batch when it ends; null after. Only the watch's thread touches it. */
            private java.util.Set<PartitionId> firstLoad = new java.util.LinkedHashSet<>();

            @Override
            public void onChange(String key, Optional<Versioned> value) {
                Optional<PartitionId> listed = PlacementIndex.partitionOf(node, key);
                if (listed.isEmpty()) {
                    return;
                }
                PartitionId partition = listed.get();
                if (value.isEmpty()) {
                    if (firstLoad != null) {
                        firstLoad.remove(partition);
                    } else {
                        listener.accept(partition, Optional.empty());
                    }
                } else if (firstLoad != null) {
                    firstLoad.add(partition);
                } else {
                    deliver(List.of(partition));
                }
            }

            /** Reads the placements of {@code partitions} and hands each to the listener, or its absence if it no longer names the node. */
            private void deliver(List<PartitionId> partitions) {
                Map<PartitionId, VersionedPlacement> read = decodeNaming(node, store.getAll(partitions.stream().map(layout::key).toList(), PLACEMENT_BYTES_MAX));
                for (PartitionId partition : partitions) {
                    try {
                        listener.accept(partition, Optional.ofNullable(read.get(partition)));
                    } catch (CorruptDocumentException corrupt) {
                        org.slf4j.LoggerFactory.getLogger(PlacementStore.class).error("ignoring an unreadable placement: {}", corrupt.getMessage());
                    }
                }
            }

            @Override
            public void onInitialized() {
                java.util.Set<PartitionId> listed = firstLoad;
                if (listed != null) {
                    // Reading here, on the watch's thread, keeps every later notification behind this read.
                    deliver(List.copyOf(listed));
                    firstLoad = null;
                }
                onInitialized.run();
            }

            @Override
            public void onResync() {
                onResync.run();
            }

            @Override
            public void onLoadFailed(Exception failure) {
                onLoadFailed.accept(failure);
            }
        });
    }

    /** A placement and the store version it was read at. */
    public record VersionedPlacement(Placement placement, long version) {}

    public Optional<VersionedPlacement> read(PartitionId partition) {
        String key = layout().key(partition);
        return store.get(key).map(stored -> new VersionedPlacement(decode(key, stored.value(), partition), stored.version()));
    }

    /** The placements of those of {@code partitions} that have one, by partition, in one batched read. */
    public Map<PartitionId, VersionedPlacement> readSome(java.util.Collection<PartitionId> partitions) {
        PlacementLayout layout = layout();
        Map<PartitionId, VersionedPlacement> some = new TreeMap<>();
        store.getAll(partitions.stream().map(layout::key).toList(), PLACEMENT_BYTES_MAX).forEach((key, stored) -> PlacementLayout.partitionOf(key)
                .ifPresent(partition -> some.put(partition, new VersionedPlacement(decode(key, stored.value(), partition), stored.version()))));
        return some;
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
    public record PlacementWrite(Placement placement, long expectedVersion, Placement replaced, ClusterEvent event) {
        /**
         * @param replaced the placement stored at {@code expectedVersion}, if the writer holds it (null: the store reads
         *     it when it must know which index entries the write changes); ignored when {@code expectedVersion} is 0
         */
        public PlacementWrite {
            java.util.Objects.requireNonNull(placement, "placement");
            if (expectedVersion < 0) {
                throw new IllegalArgumentException("expected version must not be negative, got " + expectedVersion);
            }
            if (expectedVersion == 0) {
                replaced = null;
            } else if (replaced != null && !replaced.partition().equals(placement.partition())) {
                throw new IllegalArgumentException("BUG: writing " + placement.partition() + " over the placement of " + replaced.partition());
            }
        }

        public PlacementWrite(Placement placement, long expectedVersion, ClusterEvent event) {
            this(placement, expectedVersion, null, event);
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

    /**
     * Commits the writes at {@code pending}; each time one's record has moved on, drops it and commits the rest. With a
     * complete index, each write carries its index entries' operations, computed from the placement it replaces: the one
     * the writer passed, or else the one stored at the expected version (a write whose record is no longer there has
     * lost its race already and is left out).
     */
    private void commitLeavingOutRaces(List<PlacementWrite> writes, List<Integer> pending, List<Fence> fences, List<OptionalLong> results) {
        PlacementLayout layout = layout();
        Map<Integer, Optional<Placement>> replaced = indexed() ? replacedPlacements(writes, pending, layout) : null;
        while (!pending.isEmpty()) {
            List<Op> ops = new ArrayList<>();
            List<Integer> putAt = new ArrayList<>();
            for (int index : pending) {
                PlacementWrite write = writes.get(index);
                putAt.add(ops.size());
                ops.add(Op.put(layout.key(write.placement().partition()), encode(write.placement()),
                        write.expectedVersion() == 0 ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(write.expectedVersion())));
                if (replaced != null) {
                    ops.addAll(PlacementIndex.ops(replaced.get(index), write.placement(), write.expectedVersion() + 1));
                }
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
                if (PlacementIndex.isEntryKey(conflict.key())) {
                    // The placement's own precondition held (it comes first in the commit), so the index disagrees with
                    // a committed placement: only a writer that bypassed this class can have done that.
                    throw new IllegalStateException("BUG: the placement index disagrees with the placements at '" + conflict.key() + "': "
                            + conflict.getMessage(), conflict);
                }
                Integer raced = pending.stream().filter(index -> layout.key(writes.get(index).placement().partition()).equals(conflict.key()))
                        .findFirst().orElseThrow(() -> conflict);
                pending.remove(raced);
            }
        }
    }

    /**
     * The placement each pending write replaces, reading those the writer did not pass in one batch. A write whose
     * record is no longer at its expected version is dropped from {@code pending} here: its commit would fail anyway.
     */
    private Map<Integer, Optional<Placement>> replacedPlacements(List<PlacementWrite> writes, List<Integer> pending, PlacementLayout layout) {
        Map<Integer, Optional<Placement>> replaced = new java.util.HashMap<>();
        List<String> unknown = new ArrayList<>();
        for (int index : pending) {
            PlacementWrite write = writes.get(index);
            if (write.expectedVersion() == 0) {
                replaced.put(index, Optional.empty());
            } else if (write.replaced() != null) {
                replaced.put(index, Optional.of(write.replaced()));
            } else {
                unknown.add(layout.key(write.placement().partition()));
            }
        }
        if (unknown.isEmpty()) {
            return replaced;
        }
        Map<String, Versioned> stored = store.getAll(unknown, PLACEMENT_BYTES_MAX);
        for (java.util.Iterator<Integer> it = pending.iterator(); it.hasNext(); ) {
            int index = it.next();
            if (replaced.containsKey(index)) {
                continue;
            }
            PlacementWrite write = writes.get(index);
            String key = layout.key(write.placement().partition());
            Versioned now = stored.get(key);
            if (now == null || now.version() != write.expectedVersion()) {
                it.remove();
            } else {
                replaced.put(index, Optional.of(decode(key, now.value(), write.placement().partition())));
            }
        }
        return replaced;
    }

    /**
     * Watches every placement, in either layout. The listener gets each record as it changes (and every existing
     * one first); {@code onResync} after missed notifications.
     */
    public Watch watch(BiConsumer<PartitionId, Optional<VersionedPlacement>> listener, Runnable onInitialized, Runnable onResync) {
        return watch(listener, onInitialized, onResync, failure -> {});
    }

    /** {@link #watch(BiConsumer, Runnable, Runnable)}, and {@code onLoadFailed} hears of every failed attempt of the first load. */
    public Watch watch(BiConsumer<PartitionId, Optional<VersionedPlacement>> listener, Runnable onInitialized, Runnable onResync,
            java.util.function.Consumer<Exception> onLoadFailed) {
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

            @Override
            public void onLoadFailed(Exception failure) {
                onLoadFailed.accept(failure);
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
