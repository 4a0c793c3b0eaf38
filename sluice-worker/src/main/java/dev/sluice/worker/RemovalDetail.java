package dev.sluice.worker;

import java.time.Duration;
import java.time.Instant;

/** The words a removal's status gives for what it waits for; one place, so logs and status agree. */
final class RemovalDetail {

    private RemovalDetail() {}

    static String describe(Removal removal, Instant now, long stuckCalls) {
        Duration inStep = Duration.between(removal.stepSince(), now);
        return switch (removal.step()) {
            case AWAITING_LEADERSHIP_MOVE -> "waiting for leadership to move off this node (" + format(inStep) + " so far, at most "
                    + format(GroupReconciler.LEADERSHIP_MOVE_WAIT_MAX) + ")";
            case QUEUED -> stuckCalls == 0 ? "waiting for a removal thread"
                    : "waiting for a removal thread; " + stuckCalls + " call(s) stuck past their deadline hold theirs";
            case REMOVING_GROUP -> "Ratis group remove running for " + format(inStep) + " (deadline " + format(GroupReconciler.REMOVAL_DEADLINE) + ")";
            case DELETING_FILES -> "deleting files, running for " + format(inStep) + " (deadline " + format(GroupReconciler.REMOVAL_DEADLINE) + ")";
            case RETRY_WAIT -> "attempt " + removal.attempts() + " failed (" + removal.lastFailure() + "); retrying in "
                    + format(GroupReconciler.REMOVAL_RETRY_DELAY.minus(inStep).isNegative() ? Duration.ZERO : GroupReconciler.REMOVAL_RETRY_DELAY.minus(inStep));
            case GAVE_UP -> "gave up after " + removal.attempts() + " attempts (" + removal.lastFailure()
                    + "); the group is removed when the worker restarts";
        };
    }

    /** Whole seconds from one second up, milliseconds below. */
    static String format(Duration duration) {
        return duration.compareTo(Duration.ofSeconds(1)) >= 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
