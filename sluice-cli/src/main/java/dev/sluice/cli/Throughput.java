package dev.sluice.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The write rate {@code sluice load} achieved, set against the rate asked for. Each writer waits for its
 * acknowledgement before it writes again, so a cluster slower than asked caps the rate silently unless
 * this says so.
 *
 * @param askedPerSecond the rate asked for; 0 for as fast as acknowledged
 */
record Throughput(double askedPerSecond, int writers, long writes, Duration elapsed) {

    /** Below this share of the asked rate, the run says it fell short. */
    static final double SHORT_OF_ASKED = 0.9;

    double achievedPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : writes / seconds;
    }

    /** For a progress line: {@code 212/s of 500/s asked}, or {@code 212/s} when no rate was asked. */
    String rate() {
        String achieved = String.format(Locale.ROOT, "%.0f/s", achievedPerSecond());
        return askedPerSecond > 0 ? achieved + String.format(Locale.ROOT, " of %.0f/s asked", askedPerSecond) : achieved;
    }

    /** What to say when the run fell short of the asked rate, and what would help. */
    Optional<String> shortfall() {
        if (askedPerSecond <= 0 || achievedPerSecond() >= SHORT_OF_ASKED * askedPerSecond) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT,
                "the cluster acknowledged %.0f writes/s of the %.0f/s asked: each of the %d writer(s) waits for its acknowledgement "
                        + "before writing again, so more --writers can reach a higher rate", achievedPerSecond(), askedPerSecond, writers));
    }
}
