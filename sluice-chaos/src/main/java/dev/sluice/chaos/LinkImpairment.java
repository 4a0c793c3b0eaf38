package dev.sluice.chaos;

import java.time.Duration;

/**
 * How a link that runs through a {@link LinkProxy} misbehaves. The kernel here has no {@code netem}, so
 * latency and loss are imitated on TCP streams in user space: every chunk of bytes is held for a drawn
 * latency; now and then a direction stalls for a while, which is what a lost segment looks like to the
 * application (TCP retransmits it after a timeout, and nothing behind it is delivered meanwhile); and some
 * connections are reset, as when a middlebox or a peer gives up on them.
 *
 * @param minLatency least time a chunk is held, each direction
 * @param maxLatency most time a chunk is held, each direction
 * @param stallChance chance that a chunk starts a stall of its direction
 * @param minStall shortest stall
 * @param maxStall longest stall
 * @param resetChance chance that a new connection is reset at a drawn moment in its first {@code maxResetAfter}
 * @param maxResetAfter how late into a connection a drawn reset may come
 */
record LinkImpairment(Duration minLatency, Duration maxLatency, double stallChance, Duration minStall, Duration maxStall, double resetChance,
        Duration maxResetAfter) {

    /** The proxy keeps this much latency per chunk at most, whatever is configured: a bound on held bytes' age. */
    static final Duration MAX_LATENCY = Duration.ofSeconds(5);
    static final Duration MAX_STALL = Duration.ofSeconds(30);

    LinkImpairment {
        requireBetween("latency", minLatency, maxLatency, MAX_LATENCY);
        requireBetween("stall", minStall, maxStall, MAX_STALL);
        if (!(stallChance >= 0 && stallChance <= 1) || !(resetChance >= 0 && resetChance <= 1)) {
            throw new IllegalArgumentException("chances must be between 0 and 1, got stall " + stallChance + ", reset " + resetChance);
        }
        if (maxResetAfter.isNegative()) {
            throw new IllegalArgumentException("maxResetAfter must not be negative, got " + maxResetAfter);
        }
    }

    /**
     * A slow network: 50-300 ms each way, so a round trip between two nodes takes 100-600 ms, under the Raft
     * election timeout's minimum (1 s) but far over what a leader's heartbeats normally see.
     */
    static LinkImpairment slow() {
        return new LinkImpairment(Duration.ofMillis(50), Duration.ofMillis(300), 0, Duration.ZERO, Duration.ZERO, 0, Duration.ZERO);
    }

    /**
     * A lossy network: little latency, but one chunk in twenty stalls its direction for 0.2-3 s (TCP's
     * retransmission timeouts start at 200 ms and double), and one connection in five is reset within its
     * first 10 s.
     */
    static LinkImpairment lossy() {
        return new LinkImpairment(Duration.ZERO, Duration.ofMillis(20), 0.05, Duration.ofMillis(200), Duration.ofSeconds(3), 0.2,
                Duration.ofSeconds(10));
    }

    private static void requireBetween(String what, Duration min, Duration max, Duration limit) {
        if (min.isNegative() || max.compareTo(min) < 0 || max.compareTo(limit) > 0) {
            throw new IllegalArgumentException(what + " must satisfy 0 <= min <= max <= " + limit + ", got " + min + " .. " + max);
        }
    }

    String describe() {
        StringBuilder text = new StringBuilder("latency " + minLatency.toMillis() + "-" + maxLatency.toMillis() + " ms");
        if (stallChance > 0) {
            text.append(String.format(java.util.Locale.ROOT, ", stalls of %d-%d ms on %.0f%% of chunks", minStall.toMillis(), maxStall.toMillis(),
                    stallChance * 100));
        }
        if (resetChance > 0) {
            text.append(String.format(java.util.Locale.ROOT, ", %.0f%% of connections reset within %d s", resetChance * 100, maxResetAfter.toSeconds()));
        }
        return text.toString();
    }
}
