package dev.sluice.worker;

import java.time.Instant;
import java.util.Objects;

/**
 * The last failed attempt of a placement load that is tried again until it succeeds: what failed, when, and how many
 * attempts have failed in a row. Both placement loads of a worker keep one (its own placements, {@link ReconcileLoop},
 * and the copy of every placement for routing, {@link RoutingPlacements}), so its status and a refused routing request
 * say why a load is stuck in the same words.
 *
 * @param failure the failure of the last attempt, as its exception prints
 * @param at when the last attempt failed
 * @param attempts how many attempts have failed in a row; at least 1
 */
record LoadFailure(String failure, Instant at, int attempts) {

    LoadFailure {
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(at, "at");
        if (attempts < 1) {
            throw new IllegalArgumentException("BUG: a load failure counts at least one attempt, not " + attempts);
        }
    }

    /** The failure after {@code previous} (null if the attempt before succeeded or none was made). */
    static LoadFailure after(LoadFailure previous, Exception failed, Instant at) {
        return new LoadFailure(failed.toString(), at, previous == null ? 1 : previous.attempts() + 1);
    }

    /** For a status or a refusal, after what the load waits for. */
    String describe() {
        return "the last attempt failed, trying again: " + failure + " (" + (attempts == 1 ? "1 attempt" : attempts + " attempts") + " failed, the last at "
                + at + ")";
    }
}
