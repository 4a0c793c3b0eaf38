package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.PartitionId;
import java.time.Instant;
import java.util.Objects;

/**
 * One group this worker is removing, or whose files it has not deleted yet, as {@code GET
 * /internal/v1/status} reports it under {@code removals}. While any entry exists the worker still holds
 * data of that partition, so nobody may treat the worker as empty.
 *
 * @param since when the first attempt to remove it started (the reconciler's clock)
 * @param attempts how many removal calls have been started, the running one included
 * @param overdue whether the running call is past its deadline, or the worker gave up until its next
 *     restart — what an operator should look at
 * @param detail what the removal waits for, in words
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RemovalStatus(PartitionId partition, Instant since, int attempts, boolean overdue, String detail) {

    public RemovalStatus {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(detail, "detail");
        if (attempts < 0) {
            throw new IllegalArgumentException("attempts must not be negative, got " + attempts);
        }
    }
}
