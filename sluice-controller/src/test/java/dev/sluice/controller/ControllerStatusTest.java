package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.model.PartitionId;
import dev.sluice.scheduler.Explanation;
import dev.sluice.scheduler.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControllerStatusTest {

    /** What the scheduler says when none of 100,000 partitions can be placed yet: two explanations each. */
    private static List<Explanation> everyPartitionUnplaceable(int partitions) {
        List<Explanation> explanations = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            PartitionId partition = new PartitionId(p);
            explanations.add(new Explanation(partition, Reason.NOT_ENOUGH_CANDIDATES,
                    "needs 3 replicas, can place 0: 3 missing, 0 active and alive worker(s) in the cluster",
                    Map.of("replicas", 3L, "placeable", 0L, "missing", 3L, "eligibleWorkers", 0L)));
            explanations.add(new Explanation(partition, Reason.ZONE_SPREAD_UNSATISFIABLE, "cannot span 1 zone(s): candidates in 0",
                    Map.of("replicas", 3L, "minZones", 1L, "zonesWithCandidates", 0L, "zonesCovered", 0L)));
        }
        return explanations;
    }

    @Test
    void aStatusWithAnExplanationForEveryOneOfAHundredThousandPartitionsIsPublishedWithTheFirstThousandAndTheRestCounted() {
        List<Explanation> explanations = everyPartitionUnplaceable(100_000);
        ControllerStatus status = new ControllerStatus("controller-a", 1, Instant.parse("2026-11-27T12:00:00Z"), 1, 5, List.of(), List.of(),
                explanations);
        assertThat(status.explanations()).containsExactlyElementsOf(explanations.subList(0, ControllerStatus.MAX_EXPLANATIONS));
        assertThat(status.explanationsLeftOut()).isEqualTo(200_000 - ControllerStatus.MAX_EXPLANATIONS);

        // Before the cap, publishing this status threw (45 MB over a 1 MB limit) at the end of every pass.
        try (InMemoryMetadataStore store = new InMemoryMetadataStore()) {
            ControllerDocuments documents = new ControllerDocuments(new ClusterMetadata(store, () -> Instant.parse("2026-11-27T12:00:00Z")));
            documents.publishStatus(status, 0, java.util.List.of(), documents.takeEpoch("controller-a"));
            assertThat(documents.status()).contains(status);
        }
    }

    @Test
    void aStatusWithFewExplanationsListsThemAll() {
        List<Explanation> explanations = everyPartitionUnplaceable(3);
        ControllerStatus status = new ControllerStatus("controller-a", 1, Instant.EPOCH, 1, 5, List.of(), List.of(), explanations);
        assertThat(status.explanations()).isEqualTo(explanations);
        assertThat(status.explanationsLeftOut()).isZero();
    }

    /** The client impact is stored with the status and read back by every node's API as it was published. */
    @Test
    void theClientImpactIsPublishedWithTheStatusAndReadBack() {
        Instant at = Instant.parse("2026-11-27T12:00:00Z");
        dev.sluice.wire.ClientImpactView clients = new dev.sluice.wire.ClientImpactView(at, 9.5,
                new dev.sluice.wire.ClientImpactView.Rates(12.5, 0.5, 120, 5, 5 / 120.0, 11.3),
                List.of(new dev.sluice.wire.ClientImpactView.NodeRates("N1", "worker-1", new dev.sluice.wire.ClientImpactView.Rates(12.5, 0.5, 120, 5,
                        5 / 120.0, 11.3))), List.of("N2"));
        ControllerStatus status = new ControllerStatus("controller-a", 1, at, 1, 5, List.of(), List.of(), List.of(), List.of(), clients);
        try (InMemoryMetadataStore store = new InMemoryMetadataStore()) {
            ControllerDocuments documents = new ControllerDocuments(new ClusterMetadata(store, () -> at));
            documents.publishStatus(status, 0, java.util.List.of(), documents.takeEpoch("controller-a"));
            assertThat(documents.status()).hasValueSatisfying(read -> assertThat(read.clients()).isEqualTo(clients));
        }
    }
}
