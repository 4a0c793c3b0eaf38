package dev.sluice.controller;

import dev.sluice.metadata.ForwardingMetadataStore;
import dev.sluice.metadata.LogEntry;
import dev.sluice.metadata.MetadataStore;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.Versioned;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Supplier;

/**
 * The simulation's store, counting the CPU its calls take on the caller's thread: in a real cluster that work is done
 * by ZooKeeper's servers, so a measurement of the controller's pass can leave it out (encoding and decoding stay the
 * controller's: they happen before and after the call).
 */
final class TimedStore extends ForwardingMetadataStore {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** CPU taken inside this store's calls so far, on whichever thread made them. */
    volatile long cpuNanos;

    TimedStore(MetadataStore delegate) {
        super(delegate);
    }

    private <T> T timed(Supplier<T> call) {
        long started = THREADS.getCurrentThreadCpuTime();
        try {
            return call.get();
        } finally {
            long took = THREADS.getCurrentThreadCpuTime() - started;
            synchronized (this) {
                cpuNanos += took;
            }
        }
    }

    @Override
    public Optional<Versioned> get(String key) {
        return timed(() -> delegate.get(key));
    }

    @Override
    public List<String> children(String key) {
        return timed(() -> delegate.children(key));
    }

    @Override
    public SortedMap<String, Versioned> readChildren(String key) {
        return timed(() -> delegate.readChildren(key));
    }

    @Override
    public SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
        return timed(() -> delegate.readChildren(key, valueBytesMax));
    }

    @Override
    public long put(String key, byte[] value, Precondition precondition) {
        return timed(() -> delegate.put(key, value, precondition));
    }

    @Override
    public boolean delete(String key, Precondition precondition) {
        return timed(() -> delegate.delete(key, precondition));
    }

    @Override
    public List<Op.Result> commit(List<Op> ops) {
        return timed(() -> delegate.commit(ops));
    }

    @Override
    public List<LogEntry> readLog(String logKey, long afterSequence, int limit) {
        return timed(() -> delegate.readLog(logKey, afterSequence, limit));
    }
}
