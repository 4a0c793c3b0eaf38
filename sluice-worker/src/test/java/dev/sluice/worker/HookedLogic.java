package dev.sluice.worker;

import dev.sluice.model.PartitionId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reference key-value logic with three faults a test can switch on per partition, through the
 * {@link PartitionLogic} seam every deployment has ({@code WorkerConfig.Builder.logic}):
 * <ul>
 *   <li>{@link Hooks#blockClear}: {@link #clear()} parks until released. Ratis calls it from the state
 *       machine's close, which a group removal waits for without a deadline — exactly the hang seen in a
 *       drain.
 *   <li>{@link Hooks#POISON}: a command carrying that key throws an {@link Error} on apply; Ratis's state
 *       machine updater then shuts the division down, and the server keeps listing it — a broken group.
 *   <li>{@link Hooks#blockApply}: {@link #apply} parks until released, so a write is committed but not
 *       answered — a slow leader, as seen by the data API.
 * </ul>
 */
final class HookedLogic implements PartitionLogic {

    /** Longest a blocked clear() parks, so a failing test cannot hang the build. */
    static final Duration BLOCK_MAX = Duration.ofMinutes(2);

    private final PartitionId partition;
    private final Hooks hooks;
    private final PartitionLogic delegate = KeyValueLogic.factory().create(null);

    private HookedLogic(PartitionId partition, Hooks hooks) {
        this.partition = partition;
        this.hooks = hooks;
    }

    /** The switches, shared by every replica a worker creates. */
    static final class Hooks implements PartitionLogic.Factory {
        static final String POISON = "poison";

        final Map<PartitionId, CountDownLatch> blockedClears = new ConcurrentHashMap<>();
        final Map<PartitionId, CountDownLatch> blockedApplies = new ConcurrentHashMap<>();
        final Map<PartitionId, AtomicInteger> applied = new ConcurrentHashMap<>();
        final Map<PartitionId, AtomicInteger> created = new ConcurrentHashMap<>();

        /** From now on, clear() of {@code partition} parks until the returned latch is counted down. */
        CountDownLatch blockClear(PartitionId partition) {
            return blockedClears.computeIfAbsent(partition, p -> new CountDownLatch(1));
        }

        /** From now on, apply() on {@code partition} parks until the returned latch is counted down. */
        CountDownLatch blockApply(PartitionId partition) {
            return blockedApplies.computeIfAbsent(partition, p -> new CountDownLatch(1));
        }

        /** Commands applied on {@code partition}, by every replica of it this factory made. */
        int applied(PartitionId partition) {
            return applied.getOrDefault(partition, new AtomicInteger()).get();
        }

        int created(PartitionId partition) {
            return created.getOrDefault(partition, new AtomicInteger()).get();
        }

        @Override
        public PartitionLogic create(PartitionId partition) {
            created.computeIfAbsent(partition, p -> new AtomicInteger()).incrementAndGet();
            return new HookedLogic(partition, this);
        }
    }

    @Override
    public byte[] apply(byte[] command) {
        if (new String(command, StandardCharsets.ISO_8859_1).contains(Hooks.POISON)) {
            throw new AssertionError("poisoned command on " + partition + " (a test fault)");
        }
        park(hooks.blockedApplies.get(partition), "apply()");
        hooks.applied.computeIfAbsent(partition, p -> new AtomicInteger()).incrementAndGet();
        return delegate.apply(command);
    }

    @Override
    public byte[] query(byte[] query) {
        return delegate.query(query);
    }

    @Override
    public void snapshot(OutputStream out) throws IOException {
        delegate.snapshot(out);
    }

    @Override
    public void restore(InputStream in) throws IOException {
        delegate.restore(in);
    }

    @Override
    public void clear() {
        park(hooks.blockedClears.get(partition), "clear()");
        delegate.clear();
    }

    private void park(CountDownLatch blocked, String call) {
        if (blocked != null) {
            try {
                if (!blocked.await(BLOCK_MAX.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException(partition + ": " + call + " stayed blocked for " + BLOCK_MAX);
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public long sizeBytes() {
        return delegate.sizeBytes();
    }
}
