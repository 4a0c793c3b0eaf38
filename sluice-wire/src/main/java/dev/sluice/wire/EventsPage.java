package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A page of the event log, oldest first.
 *
 * @param last the sequence of the newest event on the page, or the {@code since} asked for when the page is
 *     empty; the next page starts after it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EventsPage(List<EventView> events, long last) {

    public EventsPage {
        events = Lists.copyOrEmpty(events);
    }
}
