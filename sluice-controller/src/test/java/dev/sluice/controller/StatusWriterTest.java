package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.Op;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.ReplicationProperty;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StatusWriterTest {

    private static ControllerHarness cluster() {
        return new ControllerHarness(3, 3, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1);
    }

    private static ControllerStatus status(ControllerHarness cluster, long passes) {
        return new ControllerStatus("writer-test", 1, cluster.clock.instant(), passes, 0, List.of(), List.of(), List.of());
    }

    private static ClusterEvent event(ControllerHarness cluster, String message) {
        return ClusterEvent.of(cluster.clock.instant(), EventKind.LEADERSHIP_MOVED, null, null, message, Map.of());
    }

    private static List<String> messagesSince(ControllerHarness cluster, long sequence) {
        return cluster.metadata.events().read(sequence, EventLog.MAX_READ).stream().map(logged -> logged.event().message()).toList();
    }

    private static long lastSequence(ControllerHarness cluster) {
        List<EventLog.LoggedEvent> latest = cluster.metadata.events().latest(1);
        return latest.isEmpty() ? 0 : latest.getFirst().sequence();
    }

    /**
     * While a write is queued, a newer status replaces the one not yet written, and the events of both
     * submissions go in order in the one commit that writes it: a controller whose store is slow writes
     * the latest status, never a backlog of old ones.
     */
    @Test
    void aNewerStatusReplacesOneNotYetWrittenAndTheEventsOfBothGoWithItInOrder() {
        try (ControllerHarness cluster = cluster()) {
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            Queue<Runnable> queued = new ArrayDeque<>();
            StatusWriter writer = new StatusWriter(documents, cluster.metadata.events(), documents.takeEpoch("writer-test"), queued::add);
            long before = lastSequence(cluster);
            AtomicInteger commits = new AtomicInteger();
            cluster.interfereBeforeCommits(ops -> commits.incrementAndGet());

            writer.submit(status(cluster, 1), List.of(), List.of(event(cluster, "first")));
            writer.submit(status(cluster, 2), List.of(), List.of(event(cluster, "second")));
            assertThat(queued).as("one write task for both submissions").hasSize(1);
            assertThat(documents.status()).as("nothing written before the task runs").isEmpty();
            queued.poll().run();

            assertThat(commits).hasValue(1);
            assertThat(documents.status()).map(ControllerStatus::passes).contains(2L);
            assertThat(messagesSince(cluster, before)).containsExactly("first", "second");
        }
    }

    /** A commit the store refuses loses nothing: the status and its events are written by the next submission. */
    @Test
    void whatTheStoreRefusedIsWrittenWithTheNextSubmission() {
        try (ControllerHarness cluster = cluster()) {
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            StatusWriter writer = new StatusWriter(documents, cluster.metadata.events(), documents.takeEpoch("writer-test"), Runnable::run);
            long before = lastSequence(cluster);
            cluster.interfereBeforeCommits(ops -> {
                throw new MetadataException("the store is unavailable (test)");
            });

            writer.submit(status(cluster, 1), List.of(), List.of(event(cluster, "kept")));
            assertThat(documents.status()).isEmpty();
            assertThat(messagesSince(cluster, before)).isEmpty();

            cluster.interfereBeforeCommits(null);
            writer.submit(null, List.of(), List.of(event(cluster, "later")));
            assertThat(documents.status()).map(ControllerStatus::passes).contains(1L);
            assertThat(messagesSince(cluster, before)).containsExactly("kept", "later");
        }
    }

    /**
     * A writer whose controller was deposed writes nothing more, and the pass that hands it the next status
     * learns of it (so the term ends), although the write that found out ran on another thread.
     */
    @Test
    void aDeposedControllersWriterRefusesTheNextSubmission() {
        try (ControllerHarness cluster = cluster()) {
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            Queue<Runnable> queued = new ArrayDeque<>();
            StatusWriter writer = new StatusWriter(documents, cluster.metadata.events(), documents.takeEpoch("writer-test"), queued::add);
            documents.takeEpoch("successor");
            List<List<Op>> commits = new ArrayList<>();
            cluster.interfereBeforeCommits(commits::add);

            writer.submit(status(cluster, 1), List.of(), List.of(event(cluster, "from the deposed")));
            queued.poll().run();
            assertThat(documents.status()).isEmpty();

            assertThatThrownBy(() -> writer.submit(status(cluster, 2), List.of(), List.of())).isInstanceOf(Fence.LostException.class);
            assertThat(queued).as("no write after the loss").isEmpty();
            assertThat(commits).as("one refused attempt").hasSize(1);
        }
    }

    /**
     * While the store refuses the writes, the events kept are capped: the oldest go first, and what is kept
     * is written, in order, once the store answers again.
     */
    @Test
    void whileTheStoreRefusesTheOldestEventsGoBeyondTheCap() {
        try (ControllerHarness cluster = cluster()) {
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            StatusWriter writer = new StatusWriter(documents, cluster.metadata.events(), documents.takeEpoch("writer-test"), Runnable::run);
            long before = lastSequence(cluster);
            cluster.interfereBeforeCommits(ops -> {
                throw new MetadataException("the store is unavailable (test)");
            });
            int logged = StatusWriter.PENDING_EVENTS_MAX + 5;
            for (int i = 0; i < logged; i++) {
                writer.submit(null, List.of(), List.of(event(cluster, "event " + i)));
            }

            cluster.interfereBeforeCommits(null);
            writer.submit(null, List.of(), List.of());
            List<String> written = messagesSince(cluster, before);
            assertThat(written).hasSize(StatusWriter.PENDING_EVENTS_MAX);
            assertThat(written.getFirst()).isEqualTo("event 5");
            assertThat(written.getLast()).isEqualTo("event " + (logged - 1));
        }
    }

    private static final java.time.Instant DRAINS_STARTED = java.time.Instant.parse("2026-11-30T04:00:00Z");

    private static DrainProgress drain(int node, int remaining, java.time.Instant at, java.time.Instant completedAt) {
        return new DrainProgress(dev.sluice.model.NodeId.of(node), null, "worker-" + node,
                completedAt == null ? dev.sluice.model.WorkerState.DRAINING : dev.sluice.model.WorkerState.DISABLED, DRAINS_STARTED, completedAt,
                300, remaining, 0, 4, 300 - remaining, (300 - remaining) / (600 + at.getEpochSecond() % 100) * 60.0, null, false, List.of(), null, at);
    }

    /** The keys of drain documents each commit wrote ({@code +N1}) or deleted ({@code -N1}). */
    private static List<List<String>> drainWrites(List<List<Op>> commits) {
        return commits.stream().map(ops -> ops.stream().filter(op -> op.key().startsWith(ControllerDocuments.DRAIN_PROGRESS + "/"))
                .map(op -> (op instanceof Op.Delete ? "-" : "+") + op.key().substring(ControllerDocuments.DRAIN_PROGRESS.length() + 1)).toList())
                .filter(keys -> !keys.isEmpty()).toList();
    }

    /**
     * Each drain has a document of its own, written with the status when what it says changed, or when it is running and
     * its document is {@link StatusWriter#DRAIN_REFRESH} old (its rate and ETA); deleted when the drain is no longer
     * shown, also one a controller of an earlier term left behind.
     */
    @Test
    void eachDrainsDocumentIsWrittenWhenItChangesOrIsOldAndDeletedWhenNoLongerShown() {
        try (ControllerHarness cluster = cluster()) {
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            java.time.Instant at = cluster.clock.instant();
            documents.publishDrains(List.of(drain(9, 10, at, null)), List.of(), documents.takeEpoch("earlier-term"));
            StatusWriter writer = new StatusWriter(documents, cluster.metadata.events(), documents.takeEpoch("writer-test"), Runnable::run);
            List<List<Op>> commits = new ArrayList<>();
            cluster.interfereBeforeCommits(commits::add);

            writer.submit(status(cluster, 1), List.of(drain(1, 200, at, null), drain(2, 100, at, null), drain(3, 0, at, at)), List.of());
            assertThat(drainWrites(commits)).containsExactly(List.of("+N1", "+N2", "+N3", "-N9"));
            assertThat(documents.drainProgress()).containsOnlyKeys(dev.sluice.model.NodeId.of(1), dev.sluice.model.NodeId.of(2),
                    dev.sluice.model.NodeId.of(3));

            // A second later only the clock moved (the rate): nothing is rewritten.
            commits.clear();
            java.time.Instant second = at.plusSeconds(1);
            writer.submit(status(cluster, 2), List.of(drain(1, 200, second, null), drain(2, 100, second, null), drain(3, 0, second, at)), List.of());
            assertThat(drainWrites(commits)).isEmpty();

            // N1 moved a replica: only its document is written.
            java.time.Instant third = at.plusSeconds(2);
            writer.submit(status(cluster, 3), List.of(drain(1, 199, third, null), drain(2, 100, third, null), drain(3, 0, third, at)), List.of());
            assertThat(drainWrites(commits)).containsExactly(List.of("+N1"));
            assertThat(documents.drainProgress(dev.sluice.model.NodeId.of(1))).map(DrainProgress::replicasRemaining).contains(199);

            // N2's document is now the refresh period old; the ended N3's never refreshes; N2 then stops being shown.
            commits.clear();
            java.time.Instant later = at.plus(StatusWriter.DRAIN_REFRESH);
            writer.submit(status(cluster, 4), List.of(drain(1, 199, later, null), drain(2, 100, later, null), drain(3, 0, later, at)), List.of());
            assertThat(drainWrites(commits)).containsExactly(List.of("+N2"));
            commits.clear();
            writer.submit(status(cluster, 5), List.of(drain(1, 199, later, null), drain(3, 0, later, at)), List.of());
            assertThat(drainWrites(commits)).containsExactly(List.of("-N2"));
            assertThat(documents.drainProgress()).containsOnlyKeys(dev.sluice.model.NodeId.of(1), dev.sluice.model.NodeId.of(3));
        }
    }

    /** Drain documents the store refused are written by the next submission, and what the store holds is listed again first. */
    @Test
    void drainDocumentsTheStoreRefusedAreWrittenWithTheNextSubmission() {
        try (ControllerHarness cluster = cluster()) {
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            StatusWriter writer = new StatusWriter(documents, cluster.metadata.events(), documents.takeEpoch("writer-test"), Runnable::run);
            java.time.Instant at = cluster.clock.instant();
            writer.submit(status(cluster, 1), List.of(drain(1, 200, at, null)), List.of());
            cluster.interfereBeforeCommits(ops -> {
                throw new MetadataException("the store is unavailable (test)");
            });

            writer.submit(status(cluster, 2), List.of(drain(1, 150, at.plusSeconds(1), null), drain(2, 300, at.plusSeconds(1), null)), List.of());
            assertThat(documents.drainProgress(dev.sluice.model.NodeId.of(1))).map(DrainProgress::replicasRemaining).contains(200);

            cluster.interfereBeforeCommits(null);
            writer.submit(null, List.of(), List.of());
            assertThat(documents.drainProgress()).containsOnlyKeys(dev.sluice.model.NodeId.of(1), dev.sluice.model.NodeId.of(2));
            assertThat(documents.drainProgress(dev.sluice.model.NodeId.of(1))).map(DrainProgress::replicasRemaining).contains(150);
            assertThat(documents.status()).map(ControllerStatus::passes).contains(2L);
        }
    }

    /** A deposed controller's writer writes no drain document: each commit of them carries its fence. */
    @Test
    void aDeposedControllersWriterWritesNoDrainDocument() {
        try (ControllerHarness cluster = cluster()) {
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            StatusWriter writer = new StatusWriter(documents, cluster.metadata.events(), documents.takeEpoch("writer-test"), Runnable::run);
            documents.takeEpoch("successor");

            assertThatThrownBy(() -> writer.submit(status(cluster, 1), List.of(drain(1, 200, cluster.clock.instant(), null)), List.of()))
                    .isInstanceOf(Fence.LostException.class);

            assertThat(documents.drainProgress()).isEmpty();
        }
    }
}
