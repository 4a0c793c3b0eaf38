package dev.sluice.scheduler;

import dev.sluice.model.BlockingPartition;
import dev.sluice.model.PartitionId;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Something the scheduler could not do for one partition, as a value: a machine-readable reason, a
 * sentence for operators with the numbers in it, and the same numbers by name (for example
 * {@code replicas=3, minZones=2, zonesWithCandidates=1}).
 *
 * @param numbers sorted by name, so that printing an explanation is deterministic
 */
public record Explanation(PartitionId partition, Reason reason, String message, Map<String, Long> numbers) {

    public Explanation {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        numbers = Collections.unmodifiableMap(new TreeMap<>(numbers == null ? Map.of() : numbers));
    }

    /** The form the lifecycle guard and the API use to refuse a drain. */
    public BlockingPartition toBlockingPartition() {
        return new BlockingPartition(partition, reason.wireName(), message);
    }

    @Override
    public String toString() {
        return partition + " " + reason.wireName() + ": " + message;
    }
}
