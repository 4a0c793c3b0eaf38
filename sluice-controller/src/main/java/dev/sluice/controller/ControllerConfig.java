package dev.sluice.controller;

import dev.sluice.scheduler.SchedulerLimits;
import java.time.Duration;
import java.util.Objects;

/**
 * How the controller paces itself. Every limit is named and checked here, once.
 *
 * @param limits the scheduler's throttles and dead-node grace period
 * @param idlePassInterval time between passes when nothing is moving (watches trigger passes sooner)
 * @param busyPassInterval time between passes while replica-set changes or leadership moves are under way
 * @param statusPollInterval how often every node is asked what it hosts when nothing involves it
 * @param leadershipTransferTimeout how long one leadership transfer may take
 * @param reconfigurationTimeout how long one Raft configuration change may take, catch-up included
 * @param stallAfter how long a draining worker's partition may make no progress, with a reason, before it
 *     is reported stalled
 * @param retryBackoff the first wait after a failed step of a change; doubles up to 16 times this
 */
public record ControllerConfig(
        SchedulerLimits limits,
        Duration idlePassInterval,
        Duration busyPassInterval,
        Duration statusPollInterval,
        Duration leadershipTransferTimeout,
        Duration reconfigurationTimeout,
        Duration stallAfter,
        Duration retryBackoff) {

    /**
     * Measured on the build machine (see docs/benchmarks.md): 4 changes per worker and 16 per cluster move
     * 10 MB replicas about as fast as more concurrency does, without stalling leadership transfers.
     */
    public static final ControllerConfig DEFAULTS = new ControllerConfig(
            SchedulerLimits.DEFAULTS,
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            // Twice the longest election timeout: a target that cannot take over by then never does, and a
            // transfer towards a worker that just died must not hold the partition's writes longer.
            Duration.ofSeconds(4),
            Duration.ofSeconds(120),
            // Of the order of the worker's removal deadline: a drain waiting on anything says why within it.
            Duration.ofSeconds(10),
            Duration.ofMillis(500));

    /**
     * @throws IllegalArgumentException if an interval is not positive or the busy interval exceeds the
     *     idle one
     */
    public ControllerConfig {
        Objects.requireNonNull(limits, "limits");
        requirePositive("idlePassInterval", idlePassInterval);
        requirePositive("busyPassInterval", busyPassInterval);
        requirePositive("statusPollInterval", statusPollInterval);
        requirePositive("leadershipTransferTimeout", leadershipTransferTimeout);
        requirePositive("reconfigurationTimeout", reconfigurationTimeout);
        requirePositive("stallAfter", stallAfter);
        requirePositive("retryBackoff", retryBackoff);
        if (busyPassInterval.compareTo(idlePassInterval) > 0) {
            throw new IllegalArgumentException("busyPassInterval " + busyPassInterval + " must not exceed idlePassInterval " + idlePassInterval);
        }
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    public ControllerConfig withLimits(SchedulerLimits newLimits) {
        return new ControllerConfig(newLimits, idlePassInterval, busyPassInterval, statusPollInterval, leadershipTransferTimeout,
                reconfigurationTimeout, stallAfter, retryBackoff);
    }

    public ControllerConfig withStallAfter(Duration newStallAfter) {
        return new ControllerConfig(limits, idlePassInterval, busyPassInterval, statusPollInterval, leadershipTransferTimeout,
                reconfigurationTimeout, newStallAfter, retryBackoff);
    }

    /** The wait before retrying a step that failed {@code failures} times in a row. */
    public Duration backoffAfter(int failures) {
        return retryBackoff.multipliedBy(1L << Math.min(Math.max(failures - 1, 0), 4));
    }
}
