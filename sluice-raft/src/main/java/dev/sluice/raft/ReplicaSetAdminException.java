package dev.sluice.raft;

import dev.sluice.model.PartitionId;

/** A Raft admin operation on a partition's group did not succeed; the message says what was tried and what was found. */
public final class ReplicaSetAdminException extends RuntimeException {

    private final PartitionId partition;

    public ReplicaSetAdminException(PartitionId partition, String message, Throwable cause) {
        super(partition + ": " + message, cause);
        this.partition = partition;
    }

    public PartitionId partition() {
        return partition;
    }
}
