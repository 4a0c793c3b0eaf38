package dev.sluice.testkit;

import dev.sluice.model.PartitionId;
import dev.sluice.worker.KeyValueLogic;
import dev.sluice.worker.PartitionLogic;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reference key-value logic, with one fault a whole-cluster test can switch on per partition: while a
 * partition is {@linkplain #refuse refused}, making its state machine fails, so the worker cannot create
 * the partition's group (Ratis's group add fails, and the worker's reconciliation retries it every pass).
 * That is a joiner that never hosts the group — the wait issue 11 names {@code joiner-not-hosting} —
 * until the test {@linkplain #allow allows} it again.
 *
 * <p>Use it only on the worker that should fail: a replica restarting on another worker would fail too.
 */
public final class UnstartableLogic implements PartitionLogic.Factory {

    private final Set<PartitionId> refused = ConcurrentHashMap.newKeySet();

    /** From now on, no group of {@code partition} can start on this worker. */
    public void refuse(PartitionId partition) {
        refused.add(partition);
    }

    /** Groups of {@code partition} start again. */
    public void allow(PartitionId partition) {
        refused.remove(partition);
    }

    @Override
    public PartitionLogic create(PartitionId partition) {
        if (refused.contains(partition)) {
            throw new IllegalStateException("the test refuses to start " + partition + " on this worker");
        }
        return KeyValueLogic.factory().create(partition);
    }
}
