package dev.sluice.worker;

import dev.sluice.model.PartitionId;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One removal as the {@link GroupReconciler} tracks it: an immutable value, replaced whole on every step,
 * so the pass thread, the removal threads and status readers never see half an update.
 *
 * @param since when the removal was decided
 * @param attempts removal calls started so far
 * @param stepSince when the current step began (for a call: when it was started)
 * @param lastFailure why the previous attempt failed, or {@code null}
 */
record Removal(PartitionId partition, Purpose purpose, Instant since, int attempts, Step step, Instant stepSince, String lastFailure) {

    /** Why the group goes. */
    enum Purpose {
        /** No placement names this node for the partition any more: the data goes for good. */
        LEAVE,
        /** The group is listed but broken; it is removed, its files deleted, and then created afresh. */
        REPAIR
    }

    /** Where the removal is. Only the two call steps hold a thread. */
    enum Step {
        /** The local division leads; the controller is moving leadership away (bounded wait). */
        AWAITING_LEADERSHIP_MOVE,
        /** Ready to start a call, waiting for a removal thread. */
        QUEUED,
        /** A call is in Ratis's group remove, which closes the division. */
        REMOVING_GROUP,
        /** A call is deleting what is left of the group directory. */
        DELETING_FILES,
        /** The last call failed; the next one starts after the retry delay. */
        RETRY_WAIT,
        /** Every attempt failed; the files go at the next restart, when the group is found on disk. */
        GAVE_UP;

        boolean holdsThread() {
            return switch (this) {
                case REMOVING_GROUP, DELETING_FILES -> true;
                case AWAITING_LEADERSHIP_MOVE, QUEUED, RETRY_WAIT, GAVE_UP -> false;
            };
        }
    }

    Removal {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(stepSince, "stepSince");
    }

    static Removal start(PartitionId partition, Purpose purpose, Step first, Instant now) {
        return new Removal(partition, purpose, now, 0, first, now, null);
    }

    Removal to(Step next, Instant now) {
        return new Removal(partition, purpose, since, attempts, next, now, lastFailure);
    }

    /** A new call starts: one more attempt. */
    Removal attemptStarted(Instant now) {
        return new Removal(partition, purpose, since, attempts + 1, Step.REMOVING_GROUP, now, lastFailure);
    }

    /** The call moved on to deleting files; the attempt's deadline still counts from its start. */
    Removal deleting() {
        return new Removal(partition, purpose, since, attempts, Step.DELETING_FILES, stepSince, lastFailure);
    }

    Removal failed(Step next, Instant now, String failure) {
        return new Removal(partition, purpose, since, attempts, next, now, failure);
    }

    Removal withPurpose(Purpose newPurpose) {
        return newPurpose == purpose ? this : new Removal(partition, newPurpose, since, attempts, step, stepSince, lastFailure);
    }

    /** Whether the running call has outlived {@code deadline}, or the worker gave up on it. */
    boolean overdue(Instant now, Duration deadline) {
        return switch (step) {
            case REMOVING_GROUP, DELETING_FILES -> Duration.between(stepSince, now).compareTo(deadline) > 0;
            case GAVE_UP -> true;
            case AWAITING_LEADERSHIP_MOVE, QUEUED, RETRY_WAIT -> false;
        };
    }
}
