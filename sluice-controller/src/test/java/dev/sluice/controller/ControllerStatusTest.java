package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.model.NodeId;
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

    private static List<ControllerStatus.MoveInFlight> movesUnderWay(int count, Instant startedAt) {
        List<ControllerStatus.MoveInFlight> moves = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            NodeId draining = NodeId.of(1 + p % 100);
            moves.add(new ControllerStatus.MoveInFlight(PartitionId.of(p), List.of(draining, NodeId.of(200 + p % 5000), NodeId.of(6000 + p % 4000)),
                    List.of(NodeId.of(300 + p % 5000), NodeId.of(200 + p % 5000), NodeId.of(6000 + p % 4000)), startedAt.plusMillis(p % 977),
                    MoveStep.Kind.AWAIT_JOINER, "waiting for N" + (300 + p % 5000) + " to catch up with the leader (applied 12 of 40)",
                    p % 1000 == 999 ? "the leader refused: a configuration change is already in progress" : null));
        }
        return moves;
    }

    private static List<ControllerStatus.WorkerCounts> everyWorker(int count) {
        List<ControllerStatus.WorkerCounts> workers = new ArrayList<>();
        for (int n = 1; n <= count; n++) {
            workers.add(new ControllerStatus.WorkerCounts(NodeId.of(n), 300, 100));
        }
        return workers;
    }

    /**
     * A hundred workers drained at once in a cluster of ten thousand: ten thousand changes under way. Listed in full the
     * status was 1.2 MB, the store refused it, and every surface kept showing the status from before the drain.
     */
    @Test
    void aStatusWithTenThousandMovesListsTheMostTellingAndCountsTheRest() {
        Instant at = Instant.parse("2026-11-27T12:00:00Z");
        List<ControllerStatus.MoveInFlight> moves = movesUnderWay(10_000, at);
        ControllerStatus status = new ControllerStatus("controller-a", 1, at.plusSeconds(5), 1, 5, moves, List.of(), List.of(), everyWorker(10_000));

        assertThat(status.moves()).hasSize(ControllerStatus.MAX_MOVES);
        assertThat(status.movesLeftOut()).isEqualTo(10_000 - ControllerStatus.MAX_MOVES);
        assertThat(status.movesInFlight()).isEqualTo(10_000);
        // The failing ones first (ten of them), then the longest under way; listed by partition.
        assertThat(status.moves().stream().filter(move -> move.lastError() != null)).hasSize(10);
        Instant latestListed = status.moves().stream().filter(move -> move.lastError() == null).map(ControllerStatus.MoveInFlight::startedAt)
                .max(Instant::compareTo).orElseThrow();
        assertThat(moves.stream().filter(move -> move.lastError() == null && move.startedAt().isBefore(latestListed)))
                .as("every working move that started before the latest listed is listed").allMatch(status.moves()::contains);
        assertThat(status.moves()).isSortedAccordingTo(java.util.Comparator.comparing(ControllerStatus.MoveInFlight::partition));

        try (InMemoryMetadataStore store = new InMemoryMetadataStore()) {
            ControllerDocuments documents = new ControllerDocuments(new ClusterMetadata(store, () -> at));
            documents.publishStatus(status, 0, List.of(), documents.takeEpoch("controller-a"));
            assertThat(documents.status()).contains(status);
        }
    }

    /** Over the commit's room with everything listed, a status lists fewer moves and explanations, and counts the rest. */
    @Test
    void aStatusTooLargeForACommitListsFewerMovesAndExplanations() {
        Instant at = Instant.parse("2026-11-27T12:00:00Z");
        List<Explanation> explanations = everyPartitionUnplaceable(500);
        ControllerStatus status = new ControllerStatus("controller-a", 1, at, 1, 5, movesUnderWay(10_000, at), 0, List.of(), explanations, 0,
                everyWorker(14_000), null, List.of(), null);
        assertThat(ControllerDocuments.STATUS_CODEC.encode(status).length).as("listed in full").isGreaterThan(ControllerDocuments.STATUS_BYTES_MAX);

        byte[] fitting = ControllerDocuments.fitting(status);

        assertThat(fitting.length).isLessThanOrEqualTo(ControllerDocuments.STATUS_BYTES_MAX);
        ControllerStatus written = ControllerDocuments.STATUS_CODEC.decode("controller/status", fitting);
        assertThat(written.moves().size()).isLessThan(status.moves().size());
        assertThat(written.movesInFlight()).isEqualTo(10_000);
        assertThat(written.explanations().size() + written.explanationsLeftOut()).isEqualTo(1_000);
        assertThat(written.workers()).isEqualTo(status.workers());
    }

    @Test
    void aStatusThatCannotFitEvenWithNothingListedIsRefusedSayingWhy() {
        ControllerStatus status = new ControllerStatus("controller-a", 1, Instant.EPOCH, 1, 5, List.of(), List.of(), List.of(), everyWorker(40_000));

        assertThatThrownBy(() -> ControllerDocuments.fitting(status)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("with no move or explanation listed (40000 workers");
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
