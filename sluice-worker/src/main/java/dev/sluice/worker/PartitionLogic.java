package dev.sluice.worker;

import dev.sluice.model.PartitionId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The application logic of one partition replica: the state a Raft group replicates. The worker runs it
 * inside a Ratis state machine that owns the log, snapshot files, snapshot installation and locking; an
 * implementation only turns commands into state and state into bytes.
 *
 * <p>Contract: {@link #apply} is deterministic (the same commands in the same order give the same state
 * and replies on every replica), and is called for committed commands only, one at a time, in log
 * order. {@link #query} may run concurrently with nothing else that writes: the worker holds a read lock
 * around it and a write lock around {@link #apply}, {@link #restore} and {@link #clear}.
 */
public interface PartitionLogic {

    /** Applies a committed command and returns the reply for the client that sent it. */
    byte[] apply(byte[] command);

    /** Answers a read-only query against the current state. */
    byte[] query(byte[] query);

    /** Writes the whole state; {@link #restore} must be able to read it back on another replica. */
    void snapshot(OutputStream out) throws IOException;

    /** Replaces the whole state with one written by {@link #snapshot}. */
    void restore(InputStream in) throws IOException;

    /** Forgets all state (the replica is closing, or about to load a snapshot). */
    void clear();

    /** An estimate of the bytes of state held, for status and balancing. */
    long sizeBytes();

    /** Creates the logic for each partition replica a worker hosts. */
    @FunctionalInterface
    interface Factory {
        PartitionLogic create(PartitionId partition);
    }
}
