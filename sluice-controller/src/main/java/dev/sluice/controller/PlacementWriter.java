package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PlacementChange;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of placements: applies {@link PlacementChange}s to the placements the pass read and
 * stores the results, each with a compare-and-set and its event, batched under the controller's fence.
 * A write that loses a race changes nothing; the next pass decides again on the newer record.
 */
final class PlacementWriter {

    private static final Logger log = LoggerFactory.getLogger(PlacementWriter.class);

    private final ClusterMetadata metadata;
    private final ClusterView view;
    private final Fence fence;

    /** Told of every record written, after the pass's copy and the view. */
    private final java.util.function.Consumer<VersionedPlacement> onWritten;

    PlacementWriter(ClusterMetadata metadata, ClusterView view, Fence fence) {
        this(metadata, view, fence, written -> { });
    }

    PlacementWriter(ClusterMetadata metadata, ClusterView view, Fence fence, java.util.function.Consumer<VersionedPlacement> onWritten) {
        this.metadata = metadata;
        this.view = view;
        this.fence = fence;
        this.onWritten = onWritten;
    }

    /**
     * Applies {@code changes} (at most one per partition) to the placements the pass holds and stores them
     * in as few commits as the store allows, recording each written placement in {@code placements} (the
     * pass's copy) and in the view.
     *
     * @return the placements written, by partition; a change whose stored record moved under the pass is
     *     missing (the next pass decides again on the newer record)
     * @throws Fence.LostException if this controller was deposed
     */
    Map<PartitionId, VersionedPlacement> writeAll(List<? extends PlacementChange> changes, Map<PartitionId, VersionedPlacement> placements, Instant now) {
        if (changes.isEmpty()) {
            return Map.of();
        }
        List<PlacementStore.PlacementWrite> writes = new ArrayList<>(changes.size());
        for (PlacementChange change : changes) {
            Optional<VersionedPlacement> before = Optional.ofNullable(placements.get(change.partition()));
            PlacementChange.Applied applied = change.apply(before.map(VersionedPlacement::placement), now);
            // The placement replaced goes along, so the store knows the index entries the write changes without reading it.
            writes.add(new PlacementStore.PlacementWrite(applied.placement(), before.map(VersionedPlacement::version).orElse(0L),
                    before.map(VersionedPlacement::placement).orElse(null), applied.event().orElse(null)));
        }
        List<OptionalLong> versions = metadata.placements().writeAll(writes, List.of(fence));
        Map<PartitionId, VersionedPlacement> written = new LinkedHashMap<>();
        for (int i = 0; i < writes.size(); i++) {
            PlacementStore.PlacementWrite write = writes.get(i);
            PartitionId partition = write.placement().partition();
            if (versions.get(i).isEmpty()) {
                log.debug("placement of {} changed under the pass; the next pass decides again", partition);
                continue;
            }
            VersionedPlacement stored = new VersionedPlacement(write.placement(), versions.get(i).getAsLong());
            placements.put(partition, stored);
            view.written(stored);
            onWritten.accept(stored);
            written.put(partition, stored);
            if (write.event() != null) {
                log.info("{}", write.event().message());
            }
        }
        return written;
    }
}
