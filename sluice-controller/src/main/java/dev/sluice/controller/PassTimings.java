package dev.sluice.controller;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one pass spent its wall time, part by part, for the slow-pass debug line: a drain waits on the
 * controller's single thread, so a slow pass delays every move's next step, and its total alone does not
 * say whether the store's commits, the scheduler or the workers' answers were the cost.
 */
final class PassTimings {

    private final long startedNanos;
    private long lapStartedNanos;
    /** Names and durations, formatted only for a pass slow enough to be logged: this runs on every pass. */
    private final List<String> parts = new ArrayList<>(10);
    private final List<Long> nanos = new ArrayList<>(10);

    PassTimings(long startedNanos) {
        this.startedNanos = startedNanos;
        this.lapStartedNanos = startedNanos;
    }

    /** Ends the part under way, named {@code part}, and starts the next. */
    void lap(String part) {
        long now = System.nanoTime();
        parts.add(part);
        nanos.add(now - lapStartedNanos);
        lapStartedNanos = now;
    }

    /** Hands every part's name and nanoseconds to {@code part}, in the order they ran. */
    void forEach(java.util.function.ObjLongConsumer<String> part) {
        for (int i = 0; i < parts.size(); i++) {
            part.accept(parts.get(i), nanos.get(i));
        }
    }

    long startedNanos() {
        return startedNanos;
    }

    @Override
    public String toString() {
        List<String> laps = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            laps.add(parts.get(i) + " " + nanos.get(i) / 1_000_000);
        }
        return String.join(", ", laps) + " (ms)";
    }
}
