package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlacementCopyTest {

    private static final PartitionId P1 = PartitionId.of(1);
    private static final PartitionId P2 = PartitionId.of(2);

    private static VersionedPlacement placement(PartitionId partition, long version, int... members) {
        List<NodeId> current = java.util.Arrays.stream(members).mapToObj(NodeId::of).toList();
        return new VersionedPlacement(Placement.stable(partition, current, current.get(0), Version.of(1)), version);
    }

    @Test
    void aFullReadThatStartedBeforeAWriteDoesNotUndoItsNotification() {
        PlacementCopy copy = new PlacementCopy();
        copy.onNotification(P1, Optional.of(placement(P1, 3, 1, 2, 3)));

        // The read sees version 3; while it is under way the controller moves P1 off node 3 (version 4).
        copy.reload(() -> {
            copy.onNotification(P1, Optional.of(placement(P1, 4, 1, 2, 4)));
            return Map.of(P1, placement(P1, 3, 1, 2, 3));
        });

        assertThat(copy.get(P1).orElseThrow().current()).containsExactly(NodeId.of(1), NodeId.of(2), NodeId.of(4));
    }

    @Test
    void aLateNotificationDoesNotUndoANewerReadOrWrite() {
        PlacementCopy copy = new PlacementCopy();
        copy.reload(() -> Map.of(P1, placement(P1, 5, 1, 2, 4)));
        copy.onNotification(P1, Optional.of(placement(P1, 4, 1, 2, 3)));
        assertThat(copy.get(P1).orElseThrow().current()).contains(NodeId.of(4));

        copy.written(placement(P1, 6, 2, 3, 4));
        copy.onNotification(P1, Optional.of(placement(P1, 5, 1, 2, 4)));
        assertThat(copy.get(P1).orElseThrow().current()).containsExactly(NodeId.of(2), NodeId.of(3), NodeId.of(4));
    }

    @Test
    void aFullReadRemovesWhatItDidNotFindOnlyWhenNoNotificationCrossedIt() {
        PlacementCopy copy = new PlacementCopy();
        copy.onNotification(P1, Optional.of(placement(P1, 1, 1, 2, 3)));

        // P2 is created while the read runs; the read did not see it, and must not drop it.
        boolean removed = copy.reload(() -> {
            copy.onNotification(P2, Optional.of(placement(P2, 0, 1, 2, 3)));
            return Map.of(P1, placement(P1, 1, 1, 2, 3));
        });
        assertThat(removed).isFalse();
        assertThat(copy.snapshot()).containsOnlyKeys(P1, P2);

        // A quiet read is the truth: what it did not find is gone.
        assertThat(copy.reload(() -> Map.of(P2, placement(P2, 0, 1, 2, 3)))).isTrue();
        assertThat(copy.snapshot()).containsOnlyKeys(P2);
    }

    @Test
    void aDeletionNotificationRemovesThePlacement() {
        PlacementCopy copy = new PlacementCopy();
        copy.onNotification(P1, Optional.of(placement(P1, 1, 1, 2, 3)));
        copy.onNotification(P1, Optional.empty());
        assertThat(copy.get(P1)).isEmpty();
        assertThat(copy.size()).isZero();
    }
}
