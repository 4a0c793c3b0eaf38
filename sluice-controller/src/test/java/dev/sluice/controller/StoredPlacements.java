package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.PartitionId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every placement as the store holds it now, like {@code PlacementStore.readAll()}, but read again only
 * where a commit wrote. A simulated cluster reads every placement several times a step (the controller's
 * pass, the workers, the checkers); at 100,000 partitions reading and decoding them all each time took
 * most of a step. The store tells this class about every commit ({@link #committing}) before it applies;
 * a write that does not go through a commit (one made from inside that hook) must be told with
 * {@link #writtenOutsideACommit}. Every {@link #FULL_READ_EVERY} reads, everything is read again and
 * compared, so a write that was not told about fails the run instead of going unseen.
 */
final class StoredPlacements {

    static final int FULL_READ_EVERY = 64;
    private static final String PREFIX = MetadataKeys.PLACEMENTS + "/";

    private final InMemoryMetadataStore store;
    private final ClusterMetadata metadata;
    private final TreeMap<PartitionId, VersionedPlacement> placements = new TreeMap<>();
    private final Set<PartitionId> written = new TreeSet<>();
    /** Every partition whose record changed (or appeared, or went), in the order the reads found them. */
    private final List<PartitionId> changes = new ArrayList<>();
    private long reads;

    StoredPlacements(InMemoryMetadataStore store, ClusterMetadata metadata) {
        this.store = store;
        this.metadata = metadata;
    }

    /** Every placement now, by partition: a map the caller may not change. */
    Map<PartitionId, VersionedPlacement> readAll() {
        if (reads++ % FULL_READ_EVERY == 0) {
            Map<PartitionId, VersionedPlacement> all = metadata.placements().readAll();
            Set<PartitionId> unannounced = new TreeSet<>();
            for (PartitionId partition : union(all.keySet(), placements.keySet())) {
                if (!written.contains(partition) && !java.util.Objects.equals(all.get(partition), placements.get(partition))) {
                    unannounced.add(partition);
                }
            }
            if (reads > 1 && !unannounced.isEmpty()) {
                throw new IllegalStateException("BUG in the simulation: placements of " + unannounced + " were written without StoredPlacements hearing of it");
            }
            written.addAll(unannounced);
        }
        for (PartitionId partition : written) {
            Optional<VersionedPlacement> now = metadata.placements().read(partition);
            VersionedPlacement before = now.isPresent() ? placements.put(partition, now.get()) : placements.remove(partition);
            if (!java.util.Objects.equals(before, now.orElse(null))) {
                changes.add(partition);
            }
        }
        written.clear();
        return Collections.unmodifiableMap(placements);
    }

    private static Set<PartitionId> union(Set<PartitionId> a, Set<PartitionId> b) {
        Set<PartitionId> union = new TreeSet<>(a);
        union.addAll(b);
        return union;
    }

    /** Called by the store before each commit: the placements it writes are read again at the next read. */
    void committing(List<Op> ops) {
        for (Op op : ops) {
            if ((op instanceof Op.Put || op instanceof Op.Delete) && op.key().startsWith(PREFIX)) {
                writtenOutsideACommit(op.key());
            }
        }
    }

    /** A placement record written without a commit the store told {@link #committing} about. */
    void writtenOutsideACommit(String key) {
        // Any other key (a bucket, not a placement record) has nothing to read again.
        dev.sluice.metadata.PlacementLayout.partitionOf(key).ifPresent(written::add);
    }

    /** How many changes the reads so far found: a reader's bookmark for {@link #changesSince}. */
    int changeCount() {
        return changes.size();
    }

    /** The partitions whose records the reads found changed since {@code bookmark} (a partition may repeat). */
    List<PartitionId> changesSince(int bookmark) {
        return changes.subList(bookmark, changes.size());
    }
}
