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
    private final List<String> laps = new ArrayList<>();

    PassTimings(long startedNanos) {
        this.startedNanos = startedNanos;
        this.lapStartedNanos = startedNanos;
    }

    /** Ends the part under way, named {@code part}, and starts the next. */
    void lap(String part) {
        long now = System.nanoTime();
        laps.add(part + " " + (now - lapStartedNanos) / 1_000_000);
        lapStartedNanos = now;
    }

    long startedNanos() {
        return startedNanos;
    }

    @Override
    public String toString() {
        return String.join(", ", laps) + " (ms)";
    }
}
