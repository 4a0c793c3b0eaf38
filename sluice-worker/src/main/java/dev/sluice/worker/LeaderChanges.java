package dev.sluice.worker;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A signal that something about who leads this node's groups changed: a division learned of a new leader (Ratis
 * tells its state machine), a leader elected here became ready, or a leadership transfer this node started ended. A thread that waits for leaderships
 * to settle wakes on it rather than polling. Owns only a count of changes.
 */
final class LeaderChanges {

    private long changes;

    /** Something changed; never blocks for long (Ratis calls it under its own locks). */
    synchronized void changed() {
        changes++;
        notifyAll();
    }

    /** How many changes there have been: pass it to {@link #awaitAfter} to wait for the next one. */
    synchronized long seen() {
        return changes;
    }

    /**
     * Waits until there has been a change after {@code seen}, or {@code atMost} has passed.
     *
     * @throws InterruptedException if the thread is interrupted while it waits
     */
    synchronized void awaitAfter(long seen, Duration atMost) throws InterruptedException {
        long deadlineNanos = System.nanoTime() + atMost.toNanos();
        while (changes == seen) {
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= 0) {
                return;
            }
            TimeUnit.NANOSECONDS.timedWait(this, leftNanos);
        }
    }
}
