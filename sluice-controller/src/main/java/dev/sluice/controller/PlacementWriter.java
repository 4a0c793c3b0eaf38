package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PlacementChange;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of placements: applies a {@link PlacementChange} to the placement the pass read and
 * stores the result with a compare-and-set under the controller's fence, together with the change's
 * event. A write that loses a race changes nothing; the next pass decides again on the newer record.
 */
final class PlacementWriter {

    private static final Logger log = LoggerFactory.getLogger(PlacementWriter.class);

    private final ClusterMetadata metadata;
    private final ClusterView view;
    private final Fence fence;

    PlacementWriter(ClusterMetadata metadata, ClusterView view, Fence fence) {
        this.metadata = metadata;
        this.view = view;
        this.fence = fence;
    }

    /**
     * Applies {@code change} and records the written placement in {@code placements} (the pass's copy)
     * and in the view.
     *
     * @return the placement written, or empty if the stored one changed under the pass
     * @throws Fence.LostException if this controller was deposed
     */
    Optional<VersionedPlacement> write(PlacementChange change, Map<PartitionId, VersionedPlacement> placements, Instant now) {
        Optional<VersionedPlacement> before = Optional.ofNullable(placements.get(change.partition()));
        PlacementChange.Applied applied = change.apply(before.map(VersionedPlacement::placement), now);
        ClusterEvent event = applied.event().orElse(null);
        try {
            long version = metadata.placements().write(applied.placement(), before.map(VersionedPlacement::version).orElse(0L), event, List.of(fence));
            VersionedPlacement written = new VersionedPlacement(applied.placement(), version);
            placements.put(change.partition(), written);
            view.written(written);
            if (event != null) {
                log.info("{}", event.message());
            }
            return Optional.of(written);
        } catch (PreconditionFailedException raced) {
            log.debug("placement of {} changed under the pass; the next pass decides again", change.partition());
            return Optional.empty();
        }
    }
}
