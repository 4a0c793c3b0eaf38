package dev.sluice.scheduler;

import java.time.Duration;
import java.util.Objects;

/**
 * How much the scheduler may change at once, and how long it waits for a dead worker.
 *
 * @param maxChangesPerNode replica-set changes under way that may involve one node (as a joining or a
 *     leaving member), counting those already in flight
 * @param maxChangesInCluster replica-set changes under way in the whole cluster, counting those in flight
 * @param deadNodeGrace how long a worker must have been dead before its replicas are replaced
 *     (leadership moves away from a dead leader at once)
 * @param maxFillMovesPerPass balancing moves per pass that are not needed for safety: replica moves
 *     towards an under-loaded worker, and leadership moves that balance leaders (counted separately);
 *     0 turns balancing off
 */
public record SchedulerLimits(int maxChangesPerNode, int maxChangesInCluster, Duration deadNodeGrace, int maxFillMovesPerPass) {

    public static final int DEFAULT_MAX_CHANGES_PER_NODE = 4;
    public static final int DEFAULT_MAX_CHANGES_IN_CLUSTER = 16;
    public static final Duration DEFAULT_DEAD_NODE_GRACE = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_FILL_MOVES_PER_PASS = 16;
    /** A grace period longer than this is a configuration mistake, not a policy. */
    public static final Duration MAX_DEAD_NODE_GRACE = Duration.ofDays(7);

    public static final SchedulerLimits DEFAULTS = new SchedulerLimits(DEFAULT_MAX_CHANGES_PER_NODE,
            DEFAULT_MAX_CHANGES_IN_CLUSTER, DEFAULT_DEAD_NODE_GRACE, DEFAULT_MAX_FILL_MOVES_PER_PASS);

    /**
     * @throws IllegalArgumentException if a change limit is below 1, the fill limit is negative, or the
     *     grace period is negative or longer than {@link #MAX_DEAD_NODE_GRACE}
     */
    public SchedulerLimits {
        if (maxChangesPerNode < 1) {
            throw new IllegalArgumentException("maxChangesPerNode must be at least 1, got " + maxChangesPerNode);
        }
        if (maxChangesInCluster < 1) {
            throw new IllegalArgumentException("maxChangesInCluster must be at least 1, got " + maxChangesInCluster);
        }
        Objects.requireNonNull(deadNodeGrace, "deadNodeGrace");
        if (deadNodeGrace.isNegative() || deadNodeGrace.compareTo(MAX_DEAD_NODE_GRACE) > 0) {
            throw new IllegalArgumentException("deadNodeGrace must be between 0 and " + MAX_DEAD_NODE_GRACE + ", got " + deadNodeGrace);
        }
        if (maxFillMovesPerPass < 0) {
            throw new IllegalArgumentException("maxFillMovesPerPass must not be negative, got " + maxFillMovesPerPass);
        }
    }

    /** The same grace period with every throttle lifted: what dry-runs and the drain pre-check use. */
    public SchedulerLimits unthrottled() {
        return new SchedulerLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, deadNodeGrace, Integer.MAX_VALUE);
    }

    public SchedulerLimits withMaxChangesPerNode(int value) {
        return value == maxChangesPerNode ? this : new SchedulerLimits(value, maxChangesInCluster, deadNodeGrace, maxFillMovesPerPass);
    }

    public SchedulerLimits withMaxChangesInCluster(int value) {
        return value == maxChangesInCluster ? this : new SchedulerLimits(maxChangesPerNode, value, deadNodeGrace, maxFillMovesPerPass);
    }

    public SchedulerLimits withDeadNodeGrace(Duration value) {
        return value.equals(deadNodeGrace) ? this : new SchedulerLimits(maxChangesPerNode, maxChangesInCluster, value, maxFillMovesPerPass);
    }

    public SchedulerLimits withMaxFillMovesPerPass(int value) {
        return value == maxFillMovesPerPass ? this : new SchedulerLimits(maxChangesPerNode, maxChangesInCluster, deadNodeGrace, value);
    }
}
