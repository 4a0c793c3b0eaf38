package dev.sluice.metadata;

import java.util.List;
import java.util.Optional;

/**
 * A small, strongly consistent key-value store for cluster metadata: versioned values with
 * compare-and-set, atomic multi-key commits, append-only logs, session-bound (ephemeral) keys and
 * ordered watches. ZooKeeper implements it in production ({@link ZooKeeperMetadataStore}); an in-memory
 * implementation serves unit tests and simulation ({@link InMemoryMetadataStore}). One conformance
 * suite holds both to the same contract.
 *
 * <p>Keys are relative paths of segments {@code [A-Za-z0-9._-]+} joined by {@code /}, for example
 * {@code nodes} or {@code placements/P3}. A key may hold a value and have children at the same time.
 * Values are at most {@link #MAX_VALUE_BYTES} bytes. Versions start at {@code v1} when a key is created
 * and grow by one with every write.
 *
 * <p>One instance is one client session: its ephemeral keys live as long as the session.
 *
 * <p>Every method may throw {@link MetadataUnavailableException} when the store cannot be reached within
 * its timeout; the caller cannot know whether a write that failed that way was applied.
 */
public interface MetadataStore extends AutoCloseable {

    /** Large enough for a nodes configuration of a few thousand nodes, below ZooKeeper's 1 MiB packet limit. */
    int MAX_VALUE_BYTES = 1_000_000;

    /** The value and version of {@code key}, or empty if it does not exist. */
    Optional<Versioned> get(String key);

    /** The names (last segment) of the direct children of {@code key}, sorted; empty if none or absent. */
    List<String> children(String key);

    /**
     * The value and version of every direct child of {@code key} that holds one, by name (sorted); empty if none or
     * absent. Each value is as some moment of the call saw it: the set is not one atomic snapshot, and a child
     * created or deleted during the call may or may not be in it. A store that can overlap its reads does so
     * (reading 100,000 placements one round trip at a time took 39 s on ZooKeeper); this default reads them in turn.
     */
    default java.util.SortedMap<String, Versioned> readChildren(String key) {
        java.util.SortedMap<String, Versioned> values = new java.util.TreeMap<>();
        for (String name : children(key)) {
            get(key + "/" + name).ifPresent(value -> values.put(name, value));
        }
        return values;
    }

    /**
     * {@link #readChildren(String)} for children whose values are at most {@code valueBytesMax} bytes each, which a
     * store may read many to a request. A larger value may fail the read.
     */
    default java.util.SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
        return readChildren(key);
    }

    /**
     * The value and version of each of {@code keys} that exists, by key, for values of at most {@code valueBytesMax}
     * bytes, which a store may read many to a request. As {@link #readChildren(String)}, each value is as some moment
     * of the call saw it. A worker reads the placements its index lists this way: a few hundred scattered keys.
     */
    default java.util.SortedMap<String, Versioned> getAll(java.util.Collection<String> keys, int valueBytesMax) {
        java.util.SortedMap<String, Versioned> values = new java.util.TreeMap<>();
        for (String key : keys) {
            get(key).ifPresent(value -> values.put(key, value));
        }
        return values;
    }

    /**
     * {@link #watch(String, boolean, WatchListener)} of keys whose values are at most {@code valueBytesMax} bytes
     * each, which a store may read many to a request. A larger value may fail the watch's loads.
     */
    default Watch watch(String key, boolean recursive, int valueBytesMax, WatchListener listener) {
        return watch(key, recursive, listener);
    }

    /**
     * Writes {@code value} under {@code key} if {@code precondition} holds, creating parents as needed.
     *
     * @return the version written
     * @throws PreconditionFailedException if the precondition does not hold; nothing is written
     * @throws IllegalArgumentException if the key is malformed or the value too large
     */
    long put(String key, byte[] value, Precondition precondition);

    /**
     * Deletes {@code key} (not its children) if {@code precondition} holds.
     *
     * @return whether a value was deleted ({@code false} if the key was absent)
     * @throws PreconditionFailedException if the key exists and the precondition does not hold
     */
    boolean delete(String key, Precondition precondition);

    /**
     * Applies every operation atomically, or none.
     *
     * @return one result per operation, in order
     * @throws PreconditionFailedException naming the first operation whose precondition failed
     */
    List<Op.Result> commit(List<Op> ops);

    /**
     * Reads entries appended to the log at {@code logKey} with a sequence number greater than
     * {@code afterSequence}, oldest first, at most {@code limit} of them.
     */
    List<LogEntry> readLog(String logKey, long afterSequence, int limit);

    /**
     * Creates {@code key} holding {@code value} for as long as this session lives, and re-creates it if
     * the session is replaced after an expiry. Closing the returned handle deletes it.
     */
    EphemeralKey putEphemeral(String key, byte[] value);

    /**
     * Watches {@code key} and, if {@code recursive}, every key below it. The listener first receives the
     * current value of each watched key that exists ({@link WatchListener#onChange} for each, then
     * {@link WatchListener#onInitialized}), then later changes in the order the store applied them, on
     * one thread per watch. Writes in quick succession may be coalesced into the newest value (as with
     * ZooKeeper), but a key's notifications never go back in version and its latest state is always
     * delivered. After a connection loss the listener receives {@link WatchListener#onResync} and should
     * re-read what it cares about.
     */
    Watch watch(String key, boolean recursive, WatchListener listener);

    /**
     * Joins the election at {@code key} as {@code participantId}. Participants are served in the order
     * they joined; the leader leads until it closes its election or its session ends.
     */
    LeaderElection elect(String key, String participantId);

    /** Ends the session: its ephemeral keys disappear, its elections end and its watches stop. */
    @Override
    void close();
}
