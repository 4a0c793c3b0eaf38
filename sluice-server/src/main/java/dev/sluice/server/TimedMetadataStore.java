package dev.sluice.server;

import dev.sluice.metadata.EphemeralKey;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.LeaderElection;
import dev.sluice.metadata.LogEntry;
import dev.sluice.metadata.MetadataStore;
import dev.sluice.metadata.MetadataUnavailableException;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.metadata.Versioned;
import dev.sluice.metadata.Watch;
import dev.sluice.metadata.WatchListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A metadata store that times every operation ({@code sluice.metadata.operation}, tagged by operation
 * and outcome: {@code ok}, {@code precondition_failed}, {@code fence_lost}, {@code unavailable} or {@code error}), so an operator can tell a slow ZooKeeper from a slow controller.
 */
final class TimedMetadataStore implements MetadataStore {

    private final MetadataStore store;
    private final MeterRegistry registry;

    TimedMetadataStore(MetadataStore store, MeterRegistry registry) {
        this.store = store;
        this.registry = registry;
    }

    private <T> T time(String operation, Supplier<T> call) {
        long started = System.nanoTime();
        String outcome = "ok";
        try {
            return call.get();
        } catch (RuntimeException failure) {
            outcome = outcome(failure);
            throw failure;
        } finally {
            Timer.builder("sluice.metadata.operation").description("metadata store operations")
                    .tag("operation", operation).tag("outcome", outcome).publishPercentileHistogram()
                    .register(registry).record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** A closed set of label values, so a new exception class cannot add a series nobody alerts on. */
    static String outcome(RuntimeException failure) {
        return switch (failure) {
            case Fence.LostException lost -> "fence_lost";
            case PreconditionFailedException refused -> "precondition_failed";
            case MetadataUnavailableException unavailable -> "unavailable";
            default -> "error";
        };
    }

    @Override
    public Optional<Versioned> get(String key) {
        return time("get", () -> store.get(key));
    }

    @Override
    public List<String> children(String key) {
        return time("children", () -> store.children(key));
    }

    @Override
    public java.util.SortedMap<String, Versioned> readChildren(String key) {
        return time("read_children", () -> store.readChildren(key));
    }

    @Override
    public java.util.SortedMap<String, Versioned> readChildren(String key, int valueBytesMax) {
        return time("read_children", () -> store.readChildren(key, valueBytesMax));
    }

    @Override
    public long put(String key, byte[] value, Precondition precondition) {
        return time("put", () -> store.put(key, value, precondition));
    }

    @Override
    public boolean delete(String key, Precondition precondition) {
        return time("delete", () -> store.delete(key, precondition));
    }

    @Override
    public List<Op.Result> commit(List<Op> ops) {
        return time("commit", () -> store.commit(ops));
    }

    @Override
    public List<LogEntry> readLog(String logKey, long afterSequence, int limit) {
        return time("read-log", () -> store.readLog(logKey, afterSequence, limit));
    }

    @Override
    public EphemeralKey putEphemeral(String key, byte[] value) {
        return time("put-ephemeral", () -> store.putEphemeral(key, value));
    }

    @Override
    public Watch watch(String key, boolean recursive, WatchListener listener) {
        return store.watch(key, recursive, listener);
    }

    @Override
    public Watch watch(String key, boolean recursive, int valueBytesMax, WatchListener listener) {
        return store.watch(key, recursive, valueBytesMax, listener);
    }

    @Override
    public LeaderElection elect(String key, String participantId) {
        return store.elect(key, participantId);
    }

    @Override
    public void close() {
        store.close();
    }
}
