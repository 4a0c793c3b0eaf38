package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.EventKind;
import java.time.Instant;
import java.util.Map;

/**
 * One event of the log, as {@code GET /api/v1/events} serves it.
 *
 * @param at when the log recorded it, which grows with {@code sequence}
 * @param kind {@link EventKind#OTHER} for a kind this reader does not know
 * @param message the event in words, every node id labelled with its name
 * @param transition for a {@code node-transition} event its audit record, otherwise absent (since 0.1:
 *     replaying these in sequence order gives every node's worker state)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EventView(long sequence, Instant at, EventKind kind, String node, String partition, String message, Map<String, Long> numbers,
        TransitionView transition) {

    public EventView(long sequence, Instant at, EventKind kind, String node, String partition, String message, Map<String, Long> numbers) {
        this(sequence, at, kind, node, partition, message, numbers, null);
    }
}
