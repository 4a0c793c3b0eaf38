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

            writer.submit(status(cluster, 1), List.of(event(cluster, "first")));
            writer.submit(status(cluster, 2), List.of(event(cluster, "second")));
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

            writer.submit(status(cluster, 1), List.of(event(cluster, "kept")));
            assertThat(documents.status()).isEmpty();
            assertThat(messagesSince(cluster, before)).isEmpty();

            cluster.interfereBeforeCommits(null);
            writer.submit(null, List.of(event(cluster, "later")));
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

            writer.submit(status(cluster, 1), List.of(event(cluster, "from the deposed")));
            queued.poll().run();
            assertThat(documents.status()).isEmpty();

            assertThatThrownBy(() -> writer.submit(status(cluster, 2), List.of())).isInstanceOf(Fence.LostException.class);
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
                writer.submit(null, List.of(event(cluster, "event " + i)));
            }

            cluster.interfereBeforeCommits(null);
            writer.submit(null, List.of());
            List<String> written = messagesSince(cluster, before);
            assertThat(written).hasSize(StatusWriter.PENDING_EVENTS_MAX);
            assertThat(written.getFirst()).isEqualTo("event 5");
            assertThat(written.getLast()).isEqualTo("event " + (logged - 1));
        }
    }
}
