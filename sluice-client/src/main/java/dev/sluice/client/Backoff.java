package dev.sluice.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Bounded exponential backoff with full jitter: attempt {@code n} (from 1) waits a uniformly random time in
 * {@code [0, min(max, initial · 2ⁿ⁻¹)]}, so clients that failed together do not retry together. Random
 * numbers come from the generator given, so a seeded client backs off reproducibly.
 */
record Backoff(Duration initial, Duration max) {

    Backoff {
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("initial backoff must be positive, got " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("max backoff " + max + " is below the initial backoff " + initial);
        }
    }

    Duration delay(int attempt, RandomGenerator random) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempts count from 1, got " + attempt);
        }
        long ceiling = Math.min(max.toNanos(), initial.toNanos() << Math.min(attempt - 1, 30));
        return Duration.ofNanos(random.nextLong(ceiling + 1));
    }
}
