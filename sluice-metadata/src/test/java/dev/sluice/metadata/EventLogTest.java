package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventLogTest {

    @Test
    void trimKeepsTheNewestEventsInOrderAndLatestReadsTheTail() {
        try (InMemoryMetadataStore store = new InMemoryMetadataStore()) {
            EventLog events = new ClusterMetadata(store, () -> Instant.EPOCH).events();
            for (int i = 0; i < 30; i++) {
                events.append(ClusterEvent.of(Instant.EPOCH.plusSeconds(i), EventKind.OTHER, null, null, "event " + i, Map.of()));
            }
            assertThat(events.trim(10)).isEqualTo(20);
            assertThat(events.read(-1, 100)).extracting(e -> e.event().message())
                    .containsExactly("event 20", "event 21", "event 22", "event 23", "event 24", "event 25", "event 26", "event 27", "event 28", "event 29");
            assertThat(events.trim(10)).isZero();
            assertThat(events.latest(3)).extracting(e -> e.event().message()).containsExactly("event 27", "event 28", "event 29");
            // Sequences keep growing after a trim.
            long last = events.latest(1).getFirst().sequence();
            assertThat(events.append(ClusterEvent.of(Instant.EPOCH, EventKind.OTHER, null, null, "after", Map.of()))).isGreaterThan(last);
        }
    }

    /**
     * Writers log what they saw at their own times and in their own order (the controller batches its
     * events after a pass; any node's API writes at once), so those times can go back in log order; the
     * log's own time cannot.
     */
    @Test
    void theLoggedTimeGrowsWithTheSequenceWhereTheWritersTimesGoBack() {
        try (InMemoryMetadataStore store = new InMemoryMetadataStore()) {
            EventLog events = new ClusterMetadata(store, () -> Instant.EPOCH).events();
            Instant now = Instant.now();
            events.append(ClusterEvent.of(now, EventKind.DRAIN_STARTED, null, null, "written at once", Map.of()));
            events.append(ClusterEvent.of(now.minusMillis(300), EventKind.LEADERSHIP_MOVED, null, null, "batched, seen earlier", Map.of()));

            var logged = events.read(-1, 10);
            assertThat(logged).extracting(e -> e.event().at()).isNotEqualTo(logged.stream().map(e -> e.event().at()).sorted().toList());
            assertThat(logged).extracting(EventLog.LoggedEvent::loggedAt).isSorted();
        }
    }
}
