package dev.sluice.raft;

import dev.sluice.model.PartitionId;

/** A Raft admin operation on a partition's group did not succeed; {@link #failure()} says why, as a value. */
public final class ReplicaSetAdminException extends RuntimeException {

    private final PartitionId partition;
    private final MoveFailure failure;

    public ReplicaSetAdminException(PartitionId partition, MoveFailure failure, Throwable cause) {
        super(partition + ": " + failure.detail(), cause);
        this.partition = partition;
        this.failure = failure;
    }

    public PartitionId partition() {
        return partition;
    }

    public MoveFailure failure() {
        return failure;
    }
}
