package dev.sluice.metadata;

import dev.sluice.model.PartitionId;
import java.util.Optional;

/**
 * Where a cluster keeps its placement records. A cluster's layout is fixed when it is created and told by its
 * partition table's format ({@link PartitionTableStore#layoutOf}); a cluster is never converted, and every
 * release since the bucketed layout reads and writes both.
 */
public enum PlacementLayout {
    /**
     * {@code placements/P<n>}: one parent with a child per partition, as clusters created before the bucketed
     * layout have them (partition table format 1). Listing that parent is one ZooKeeper reply of ~10 bytes per
     * partition, which the client refuses past its 1 MiB packet limit: ~106,000 partitions (measured in
     * docs/benchmarks.md, "Metadata at size"). Such clusters have at most 100,000 partitions.
     */
    FLAT,
    /**
     * {@code placements/b<k>/P<n>} with {@code k = n / }{@link #PARTITIONS_PER_BUCKET}: no parent has more than
     * 1,000 children, so every listing stays ~10 KB, and a million partitions make 1,000 buckets.
     */
    BUCKETED;

    /**
     * Partitions per bucket. Listing a bucket is one reply of ~10 KB, and reading it overlaps as many requests as
     * {@link ZooKeeperMetadataStore} keeps in flight; a thousand buckets list in one ~8 KB reply.
     */
    public static final int PARTITIONS_PER_BUCKET = 1_000;
    static final String BUCKET_PREFIX = "b";

    /** The key of {@code partition}'s placement in this layout. */
    public String key(PartitionId partition) {
        return switch (this) {
            case FLAT -> MetadataKeys.PLACEMENTS + "/" + partition;
            case BUCKETED -> bucketKey(partition.value() / PARTITIONS_PER_BUCKET) + "/" + partition;
        };
    }

    static String bucketKey(int bucket) {
        return MetadataKeys.PLACEMENTS + "/" + BUCKET_PREFIX + bucket;
    }

    /**
     * The partition whose placement {@code key} holds, in either layout; empty for any other key (a bucket, the
     * parent, something else). A bucketed key must name the bucket its partition belongs in.
     */
    public static Optional<PartitionId> partitionOf(String key) {
        String prefix = MetadataKeys.PLACEMENTS + "/";
        if (!key.startsWith(prefix)) {
            return Optional.empty();
        }
        String rest = key.substring(prefix.length());
        int slash = rest.indexOf('/');
        try {
            if (slash < 0) {
                return Optional.of(PartitionId.parse(rest)).filter(partition -> rest.startsWith("P"));
            }
            PartitionId partition = PartitionId.parse(rest.substring(slash + 1));
            return BUCKETED.key(partition).equals(key) ? Optional.of(partition) : Optional.empty();
        } catch (IllegalArgumentException notAPlacement) {
            return Optional.empty();
        }
    }
}
