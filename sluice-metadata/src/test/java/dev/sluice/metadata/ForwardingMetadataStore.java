package dev.sluice.metadata;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * A store that hands every call to another, for tests that change a few of its calls (count them, fail them, run
 * something between them): a subclass overrides only those. The batched reads of several keys and the watch with a
 * value limit are left to the interface's defaults, which go through this store's own calls (so a subclass counts or
 * fails them too); a subclass that wants the store underneath to do them hands them on itself.
 */
public abstract class ForwardingMetadataStore implements MetadataStore {

    protected final MetadataStore delegate;

    protected ForwardingMetadataStore(MetadataStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public Optional<Versioned> get(String key) {
        return delegate.get(key);
    }

    @Override
    public List<String> children(String key) {
        return delegate.children(key);
    }

    @Override
    public SortedMap<String, Versioned> readChildren(String key) {
        return delegate.readChildren(key);
    }

    @Override
    public SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
        return delegate.readChildren(key, valueBytesMax);
    }

    @Override
    public long put(String key, byte[] value, Precondition precondition) {
        return delegate.put(key, value, precondition);
    }

    @Override
    public boolean delete(String key, Precondition precondition) {
        return delegate.delete(key, precondition);
    }

    @Override
    public List<Op.Result> commit(List<Op> ops) {
        return delegate.commit(ops);
    }

    @Override
    public List<LogEntry> readLog(String logKey, long afterSequence, int limit) {
        return delegate.readLog(logKey, afterSequence, limit);
    }

    @Override
    public EphemeralKey putEphemeral(String key, byte[] value) {
        return delegate.putEphemeral(key, value);
    }

    @Override
    public Watch watch(String key, boolean recursive, WatchListener listener) {
        return delegate.watch(key, recursive, listener);
    }

    @Override
    public LeaderElection elect(String key, String participantId) {
        return delegate.elect(key, participantId);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
