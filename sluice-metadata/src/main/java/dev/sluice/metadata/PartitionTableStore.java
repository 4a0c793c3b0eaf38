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

    /**
     * Format 3 (since the placement index): the same fields, {@value #LAYOUT_FIELD} naming the placement layout, and the
     * cluster's placement index complete. A release before the index reads up to format 2 and so refuses the cluster at
     * its first read of the table — its controller cannot start a term, which would write placements without their
     * index entries. A cluster created before the index is rewritten to format 3 (its layout kept) in the commit that
     * completes its index ({@link PlacementStore#ensureIndex}).
     */
    static final int FORMAT = 3;
    /** Format 2 (since the bucketed placement layout): the same fields; the placements are in buckets. */
    static final int FORMAT_BUCKETED_PLACEMENTS = 2;
    static final int FORMAT_FLAT_PLACEMENTS = 1;
    static final String LAYOUT_FIELD = "placementLayout";
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
        return switch (CODEC.formatOf(MetadataKeys.PARTITION_TABLE, stored)) {
            case FORMAT_FLAT_PLACEMENTS -> PlacementLayout.FLAT;
            case FORMAT_BUCKETED_PLACEMENTS -> PlacementLayout.BUCKETED;
            default -> {
                com.fasterxml.jackson.databind.JsonNode layout = readTree(stored).get(LAYOUT_FIELD);
                if (layout == null || !layout.isTextual()) {
                    throw new CorruptDocumentException("metadata key '" + MetadataKeys.PARTITION_TABLE + "' does not hold a valid partition table: it has no '"
                            + LAYOUT_FIELD + "'", null);
                }
                yield switch (layout.asText()) {
                    case "flat" -> PlacementLayout.FLAT;
                    case "bucketed" -> PlacementLayout.BUCKETED;
                    default -> throw new CorruptDocumentException("metadata key '" + MetadataKeys.PARTITION_TABLE + "' does not hold a valid partition table: "
                            + "unknown placement layout '" + layout.asText() + "'", null);
                };
            }
        };
    }

    /** The table {@code stored} (of any format this release reads) at format 3: the same fields and its layout named. */
    static byte[] withIndex(byte[] stored) {
        PartitionTable table = CODEC.decode(MetadataKeys.PARTITION_TABLE, stored);
        return encode(table, layoutOf(stored));
    }

    private static byte[] encode(PartitionTable table, PlacementLayout layout) {
        com.fasterxml.jackson.databind.node.ObjectNode document = (com.fasterxml.jackson.databind.node.ObjectNode) readTree(CODEC.encode(table));
        document.put(LAYOUT_FIELD, switch (layout) {
            case FLAT -> "flat";
            case BUCKETED -> "bucketed";
        });
        try {
            return Json.mapper().writeValueAsBytes(document);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("BUG: cannot write the partition table", e);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(byte[] stored) {
        try {
            return Json.mapper().readTree(stored);
        } catch (java.io.IOException e) {
            throw new CorruptDocumentException("metadata key '" + MetadataKeys.PARTITION_TABLE + "' does not hold a valid partition table: it is not JSON", e);
        }
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
                store.commit(List.of(Op.put(MetadataKeys.PARTITION_TABLE, encode(wanted, PlacementLayout.BUCKETED), Precondition.DOES_NOT_EXIST),
                        events.appendOp(created),
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
