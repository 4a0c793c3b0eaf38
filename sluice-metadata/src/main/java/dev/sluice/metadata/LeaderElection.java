package dev.sluice.metadata;

import java.time.Duration;
import java.util.Optional;

/**
 * One participant in the election of a single leader among the processes that call
 * {@link MetadataStore#elect} with the same key. At most one participant is leader at a time, as far as
 * the store can tell; a leader that loses its session loses leadership. Because a deposed leader may not
 * learn of it at once, leaders fence their writes (see {@link Fence}).
 */
public interface LeaderElection extends AutoCloseable {

    /** Receives leadership changes of this participant, in order, on one thread. */
    interface Listener {
        void leadershipAcquired();

        void leadershipLost();
    }

    String participantId();

    boolean isLeader();

    /** Waits up to {@code timeout} for this participant to lead; returns whether it does. */
    boolean awaitLeadership(Duration timeout) throws InterruptedException;

    /** The id of the participant that leads now, as the store knows it, if any. */
    Optional<String> currentLeader();

    void addListener(Listener listener);

    /** Leaves the election, giving up leadership if held. */
    @Override
    void close();
}
