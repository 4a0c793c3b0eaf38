package dev.sluice.testkit;

import dev.sluice.model.PartitionId;
import dev.sluice.worker.KeyValueLogic;
import dev.sluice.worker.PartitionLogic;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The reference key-value logic, with one fault a whole-cluster test can switch on per partition: once
 * {@link #blockClear} is called, that partition's {@link PartitionLogic#clear()} parks until the returned
 * latch is counted down. Ratis calls {@code clear()} from the state machine's close, and a group removal
 * waits for that close without a deadline — so the removal of that group from a worker blocks exactly as
 * the drain hang of issue 11 did (the remover parked in {@code groupManagement}). The worker then reports
 * it under {@code removals} with {@code overdue: true} after its 10 s deadline, its other removals go on,
 * and counting the latch down lets the removal finish (see {@code WorkerRemovalTest} in sluice-worker,
 * which checks this on a real Ratis server).
 *
 * <p>Use one instance per worker — {@code workerCustomizer((index, worker) -> worker.logic(logics.get(index)))}
 * on {@code LocalTestCluster.builder()} — and arm only the instance of the worker whose removal should
 * hang: {@code clear()} also runs when a replica starts or installs a snapshot, so a switch shared by all
 * workers would also block the new replica the move creates. A blocked call gives up after
 * {@link #BLOCK_MAX} so a failing test cannot hang the build; release the latch before closing the cluster,
 * since closing a worker closes its state machines too.
 */
public final class BlockingClearLogic implements PartitionLogic.Factory {

    /** Longest a blocked clear() parks. */
    public static final Duration BLOCK_MAX = Duration.ofMinutes(2);

    private final Map<PartitionId, CountDownLatch> blocked = new ConcurrentHashMap<>();

    /** From now on, clear() of {@code partition} parks until the returned latch is counted down. */
    public CountDownLatch blockClear(PartitionId partition) {
        return blocked.computeIfAbsent(partition, p -> new CountDownLatch(1));
    }

    @Override
    public PartitionLogic create(PartitionId partition) {
        PartitionLogic delegate = KeyValueLogic.factory().create(partition);
        return new PartitionLogic() {
            @Override
            public byte[] apply(byte[] command) {
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
                CountDownLatch latch = blocked.get(partition);
                if (latch != null) {
                    try {
                        latch.await(BLOCK_MAX.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                delegate.clear();
            }

            @Override
            public long sizeBytes() {
                return delegate.sizeBytes();
            }
        };
    }
}
