package dev.sluice.metadata;

import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.PartitionTable;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The partition table: written once when the cluster is created, read by everyone after. Its format also says
 * how the cluster's placements are laid out ({@link #layoutOf}), so a release that knows only the flat layout
 * refuses a bucketed cluster at its first read of the table, with an error that says to upgrade, instead of
 * finding no placements.
 */
public final class PartitionTableStore {

    /** Format 2 (since the bucketed placement layout): the same fields; the placements are in buckets. */
    static final int FORMAT = 2;
    static final int FORMAT_FLAT_PLACEMENTS = 1;
    private static final DocumentCodec<PartitionTable> CODEC = new DocumentCodec<>(PartitionTable.class, "partition table", FORMAT);

    private final MetadataStore store;
    private final EventLog events;
    private final InstantSource clock;

    PartitionTableStore(MetadataStore store, EventLog events, InstantSource clock) {
        this.store = store;
        this.events = events;
        this.clock = clock;
    }

    /**
     * The placement layout of the cluster whose partition table is {@code stored}.
     *
     * @throws CorruptDocumentException if it is not a readable partition table of a format this release knows
     */
    static PlacementLayout layoutOf(byte[] stored) {
        CODEC.decode(MetadataKeys.PARTITION_TABLE, stored);
        return CODEC.formatOf(MetadataKeys.PARTITION_TABLE, stored) == FORMAT_FLAT_PLACEMENTS ? PlacementLayout.FLAT : PlacementLayout.BUCKETED;
    }

    public Optional<PartitionTable> read() {
        return store.get(MetadataKeys.PARTITION_TABLE).map(stored -> CODEC.decode(MetadataKeys.PARTITION_TABLE, stored.value()));
    }

    /**
     * Creates the table if the cluster has none yet and returns the cluster's table. A cluster's table
     * never changes: asking for a different one is an error that says what the cluster has.
     *
     * @throws IllegalStateException if the cluster already has a different table
     */
    public PartitionTable initialize(PartitionTable wanted) {
        Optional<PartitionTable> existing = read();
        if (existing.isEmpty()) {
            try {
                ClusterEvent created = ClusterEvent.of(clock.instant(), EventKind.PARTITIONS_CREATED, null, null,
                        "partition table created: " + wanted.partitionCount() + " partitions, " + wanted.replication(),
                        Map.of("partitions", (long) wanted.partitionCount(), "replicas", (long) wanted.replication().replicas()));
                // A new cluster has no placements, so its placement index is complete from the start, and every
                // placement it gets is written with its entries.
                store.commit(List.of(Op.put(MetadataKeys.PARTITION_TABLE, CODEC.encode(wanted), Precondition.DOES_NOT_EXIST), events.appendOp(created),
                        Op.put(MetadataKeys.PLACEMENTS_BY_NODE, PlacementIndex.encode(new PlacementIndex.State(true, clock.instant(), "partition-table", 0)),
                                Precondition.NONE)));
                return wanted;
            } catch (PreconditionFailedException createdConcurrently) {
                existing = read();
            }
        }
        PartitionTable actual = existing.orElseThrow(() -> new IllegalStateException("BUG: partition table vanished"));
        if (!actual.equals(wanted)) {
            throw new IllegalStateException("this cluster already has " + actual.partitionCount() + " partitions with " + actual.replication()
                    + "; it cannot be changed to " + wanted.partitionCount() + " partitions with " + wanted.replication());
        }
        return actual;
    }
}
