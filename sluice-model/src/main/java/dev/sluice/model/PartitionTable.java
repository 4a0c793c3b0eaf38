package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The partitions of the key space and how each is replicated. Partition {@code p} owns the contiguous
 * range of the unsigned 64-bit {@link KeyHash} space {@code [p·2⁶⁴/n, (p+1)·2⁶⁴/n)}; the table is
 * created once and not resized.
 */
public record PartitionTable(int partitionCount, ReplicationProperty replication) {

    /**
     * The largest table: 2²⁰ = 1,048,576 partitions. Nothing in the formats stops sooner — ids are {@code int}s, the
     * key-to-partition map is a 64-bit multiply-high that works for any {@code int} count, and the scheduler indexes
     * partitions by int arrays — so the limit is what has been measured, rounded up to a power of two: the scheduler,
     * its incremental index and the simulated fleet were run at 10,000 workers × 1,000,000 partitions × 3
     * ({@code docs/benchmarks.md}, "A million partitions"). The controller keeps every placement in memory, and
     * the scheduler's index beside it: about 200 + 140 bytes a partition, ~325 MiB of heap at a million (measured); a
     * larger cap needs that, and the metadata layout, measured first.
     */
    public static final int MAX_PARTITIONS = 1 << 20;
    public static final int MAX_KEY_BYTES = 1024;

    @JsonCreator
    public PartitionTable(@JsonProperty("partitionCount") int partitionCount, @JsonProperty("replication") ReplicationProperty replication) {
        if (partitionCount < 1 || partitionCount > MAX_PARTITIONS) {
            throw new IllegalArgumentException("partition count must be between 1 and " + MAX_PARTITIONS + ", got " + partitionCount);
        }
        if (replication == null) {
            throw new IllegalArgumentException("replication is required");
        }
        this.partitionCount = partitionCount;
        this.replication = replication;
    }

    public List<PartitionId> partitions() {
        return IntStream.range(0, partitionCount).mapToObj(PartitionId::new).toList();
    }

    public boolean contains(PartitionId partition) {
        return partition.value() < partitionCount;
    }

    /**
     * The partition that owns {@code key}.
     *
     * @throws IllegalArgumentException if the key is empty or longer than {@link #MAX_KEY_BYTES}
     */
    public PartitionId partitionOf(byte[] key) {
        requireValidKey(key);
        return new PartitionId((int) Math.unsignedMultiplyHigh(KeyHash.hash(key), partitionCount));
    }

    public PartitionId partitionOf(String key) {
        return partitionOf(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The first hash (unsigned) owned by {@code partition}; the range ends where the next one starts. */
    public long rangeStart(PartitionId partition) {
        if (!contains(partition)) {
            throw new IllegalArgumentException(partition + " is not in a table of " + partitionCount + " partitions");
        }
        if (partition.value() == 0) {
            return 0;
        }
        // The smallest h with floor(h * n / 2^64) >= p, that is ceil(p * 2^64 / n).
        java.math.BigInteger start = java.math.BigInteger.valueOf(partition.value()).shiftLeft(64)
                .add(java.math.BigInteger.valueOf(partitionCount - 1L)).divide(java.math.BigInteger.valueOf(partitionCount));
        return start.longValue();
    }

    /**
     * Checks a key.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static void requireValidKey(byte[] key) {
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (key.length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key is " + key.length + " bytes; the limit is " + MAX_KEY_BYTES);
        }
    }
}
