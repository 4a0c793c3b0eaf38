package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
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
                .hasMessageContaining("with no move, explanation or drain listed (40000 workers");
    }

    /** A drain of {@code node} with {@code stalls} stalled partitions (none: not stalled), ended at {@code completedAt} if not null. */
    private static DrainProgress drain(int node, int stalls, Instant completedAt, Instant at) {
        List<DrainProgress.StalledPartition> stalled = new ArrayList<>();
        for (int p = 0; p < stalls; p++) {
            stalled.add(new DrainProgress.StalledPartition(PartitionId.of(node * 1_000 + p), NodeId.of(node), StallReason.ZONE_SPREAD_UNSATISFIABLE,
                    "P" + (node * 1_000 + p) + " cannot span 3 zone(s): candidates in 2", at.minusSeconds(60)));
        }
        return new DrainProgress(NodeId.of(node), null, "worker-" + node, completedAt == null ? dev.sluice.model.WorkerState.DRAINING
                : dev.sluice.model.WorkerState.DISABLED, at.minusSeconds(600), completedAt, 300, completedAt == null ? 120 : 0, 40, 16, 180, 18.0,
                completedAt == null ? Long.valueOf(400) : Long.valueOf(0), stalls > 0, stalled, completedAt == null ? "P17 to move" : null, at);
    }

    /**
     * A whole zone of a 10,000-worker cluster drained at once: 3,334 drains. Listed in full the status was 2.1 MB and the
     * store refused it from the first drain pass, so every surface showed the status from before the drain.
     */
    @Test
    void aZoneOfDrainsIsPublishedWithTheMostTellingListedAndEveryDrainInItsOwnDocument() {
        Instant at = Instant.parse("2026-11-30T05:00:00Z");
        List<DrainProgress> drains = new ArrayList<>();
        for (int n = 1; n <= 3_334; n++) {
            // Every hundredth stalled, every seventh ended a minute ago or more.
            drains.add(drain(n, n % 100 == 0 ? 3 : 0, n % 7 == 0 ? at.minusSeconds(60 + n) : null, at));
        }
        ControllerStatus status = new ControllerStatus("controller-a", 1, at, 1, 5, List.of(), 0, drains, List.of(), 0, everyWorker(10_000), null,
                List.of(), null);

        assertThat(status.drains()).hasSize(ControllerStatus.MAX_DRAINS);
        assertThat(status.drainsLeftOut()).isEqualTo(3_334 - ControllerStatus.MAX_DRAINS);
        assertThat(status.drainCount()).isEqualTo(3_334);
        // The stalled first (29 running: every hundredth but the four also ended), then running ones, none of the ended; by node.
        assertThat(status.drains().stream().filter(DrainProgress::stalled)).hasSize(29);
        assertThat(status.drains()).allMatch(drain -> drain.completedAt() == null);
        assertThat(status.drains()).isSortedAccordingTo(java.util.Comparator.comparing(DrainProgress::node));

        try (InMemoryMetadataStore store = new InMemoryMetadataStore()) {
            ControllerDocuments documents = new ControllerDocuments(new ClusterMetadata(store, () -> at));
            Fence fence = documents.takeEpoch("controller-a");
            documents.publishDrains(drains, List.of(), fence);
            documents.publishStatus(status, 0, List.of(), fence);

            assertThat(documents.status()).contains(status);
            assertThat(documents.drainProgress()).hasSize(3_334).containsValues(drains.toArray(DrainProgress[]::new));
            NodeId leftOut = NodeId.of(3_333);
            assertThat(status.drain(leftOut)).isEmpty();
            assertThat(documents.drainsOf(java.util.Optional.of(status), List.of(leftOut))).containsEntry(leftOut, drains.get(3_332));
        }
    }

    /** With few drains the status lists every one, and a reader finds them there without reading a document. */
    @Test
    void aStatusWithFewDrainsListsThemAllAndReadersTakeThemFromIt() {
        Instant at = Instant.parse("2026-11-30T05:00:00Z");
        List<DrainProgress> drains = List.of(drain(1, 0, null, at), drain(2, 1, null, at), drain(3, 0, at, at));
        ControllerStatus status = new ControllerStatus("controller-a", 1, at, 1, 5, List.of(), drains, List.of());
        assertThat(status.drains()).isEqualTo(drains);
        assertThat(status.drainsLeftOut()).isZero();
        try (InMemoryMetadataStore store = new InMemoryMetadataStore()) {
            // No drain document at all: the status is the source.
            ControllerDocuments documents = new ControllerDocuments(new ClusterMetadata(store, () -> at));
            assertThat(documents.drainsOf(java.util.Optional.of(status), List.of(NodeId.of(2)))).containsOnlyKeys(NodeId.of(2));
            assertThat(documents.everyDrainOf(java.util.Optional.of(status))).containsOnlyKeys(NodeId.of(1), NodeId.of(2), NodeId.of(3));
        }
    }

    /**
     * A status written before the drains were bounded has no count of drains left out: it lists them all. (Nor of moves and
     * explanations left out, from before those bounds: such a status failed to read, every field of it being required.)
     */
    @Test
    void aStatusFromBeforeTheBoundReadsAsListingEveryDrain() throws Exception {
        Instant at = Instant.parse("2026-11-30T05:00:00Z");
        ControllerStatus status = new ControllerStatus("controller-a", 1, at, 1, 5, List.of(), List.of(drain(1, 0, null, at)), List.of());
        com.fasterxml.jackson.databind.node.ObjectNode json = (com.fasterxml.jackson.databind.node.ObjectNode) dev.sluice.metadata.Json.mapper()
                .readTree(ControllerDocuments.STATUS_CODEC.encode(status));
        json.remove(List.of("drainsLeftOut", "movesLeftOut", "explanationsLeftOut"));
        json.withArray("drains").forEach(drain -> ((com.fasterxml.jackson.databind.node.ObjectNode) drain).remove("stalledLeftOut"));
        ControllerStatus read = ControllerDocuments.STATUS_CODEC.decode("controller/status", dev.sluice.metadata.Json.mapper().writeValueAsBytes(json));
        assertThat(read).isEqualTo(status);
    }

    /**
     * A worker of 300 replicas whose drain stalls on every one (its zone has no room) listed them all; it lists the first
     * twenty and counts the rest, and its document stays far under what readers read in one go.
     */
    @Test
    void aDrainStalledOnThreeHundredPartitionsListsTwentyAndCountsTheRest() {
        Instant at = Instant.parse("2026-11-30T05:00:00Z");
        DrainProgress drain = drain(7, 300, null, at);
        assertThat(drain.stalledPartitions()).hasSize(DrainProgress.MAX_STALLED_LISTED);
        assertThat(drain.stalledPartitions().getFirst().partition()).isEqualTo(PartitionId.of(7_000));
        assertThat(drain.stalledLeftOut()).isEqualTo(300 - DrainProgress.MAX_STALLED_LISTED);
        assertThat(drain.stalledCount()).isEqualTo(300);
        assertThat(drain.summary()).contains("and 297 more");
        assertThat(ControllerDocuments.DRAIN_PROGRESS_CODEC.encode(drain).length).isLessThan(ControllerDocuments.DRAIN_PROGRESS_BYTES_MAX / 8);
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

    /**
     * A zone drain stalled as a whole (its partitions need the zone) lists stalls for every draining worker: the metric of
     * stalled partitions keeps 200 rows and a gauge counts them all, so a scrape stays small and says how many there are.
     */
    @Test
    void stalledPartitionsOfAZoneMakeAtMostTwoHundredMetricRowsAndOneGaugeCountsThemAll() {
        Instant at = Instant.parse("2026-11-30T05:00:00Z");
        List<DrainProgress> drains = new ArrayList<>();
        for (int n = 1; n <= 100; n++) {
            drains.add(drain(n, DrainProgress.MAX_STALLED_LISTED, null, at));
        }
        ControllerStatus status = new ControllerStatus("controller-a", 1, at, 1, 5, List.of(), 0, drains, List.of(), 0, everyWorker(100), null,
                List.of(), null);
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (ControllerHarness cluster = new ControllerHarness(3, 3, new dev.sluice.model.ReplicationProperty(3, 1), ControllerConfig.DEFAULTS, 1, "zone-a")) {
            new ControllerMetrics(registry).observe(status, drains, cluster.metadata.nodes().current());
        }

        assertThat(registry.find("sluice.partitions.stalled").gauges()).hasSize(ControllerMetrics.MAX_STALLED_ROWS);
        assertThat(registry.get("sluice.drains.stalled.partitions").gauge().value()).isEqualTo(100.0 * DrainProgress.MAX_STALLED_LISTED);
    }
}
