package dev.sluice.model;

import java.util.Objects;

/**
 * A partition that stops an operation (a drain, say), with the scheduler's machine-readable reason code
 * (for example {@code not-enough-candidates}) and a sentence with the numbers in it.
 */
public record BlockingPartition(PartitionId partition, String reason, String message) {

    public BlockingPartition {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
