package dev.sluice.client;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes a client heard nothing from lately, and until when it keeps away from them. A node becomes
 * suspect when a request to it timed out or could not connect (a frozen process still accepts connections,
 * so only the timeout tells), and stays so for a penalty or until it answers anything; meanwhile requests
 * and routing refreshes go to other nodes. Soft state of one client, rebuilt from the next failures; times
 * are {@link System#nanoTime()} readings passed in. Thread-safe; holds at most one entry per node URL.
 */
final class SuspectNodes {

    private final long penaltyNanos;
    private final Map<URI, Long> suspectUntilNanos = new ConcurrentHashMap<>();

    SuspectNodes(Duration penalty) {
        if (penalty.isNegative() || penalty.isZero()) {
            throw new IllegalArgumentException("suspect penalty must be positive, got " + penalty);
        }
        this.penaltyNanos = penalty.toNanos();
    }

    /** {@code node} did not answer a request that ended at {@code nowNanos}. */
    void unanswered(URI node, long nowNanos) {
        suspectUntilNanos.values().removeIf(until -> until - nowNanos <= 0);
        suspectUntilNanos.put(node, nowNanos + penaltyNanos);
    }

    /** {@code node} answered (with any status): it is alive and listening. */
    void answered(URI node) {
        suspectUntilNanos.remove(node);
    }

    boolean isSuspect(URI node, long nowNanos) {
        Long until = suspectUntilNanos.get(node);
        return until != null && until - nowNanos > 0;
    }

    /**
     * The first of {@code nodes} (in the caller's order of preference) that is not suspect; if all are, the one
     * whose suspicion ends first, so a client whose every node looks dead still tries the likeliest one.
     *
     * @throws IllegalArgumentException if {@code nodes} is empty
     */
    URI preferred(List<URI> nodes, long nowNanos) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no node to choose from");
        }
        URI soonest = null;
        long soonestUntil = 0;
        for (URI node : nodes) {
            Long until = suspectUntilNanos.get(node);
            if (until == null || until - nowNanos <= 0) {
                return node;
            }
            if (soonest == null || until - soonestUntil < 0) {
                soonest = node;
                soonestUntil = until;
            }
        }
        return soonest;
    }
}
