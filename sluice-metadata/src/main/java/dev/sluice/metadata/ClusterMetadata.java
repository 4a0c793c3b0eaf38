package dev.sluice.metadata;

import java.time.InstantSource;

/**
 * The typed view of one cluster's metadata: the nodes configuration, the partition table, the
 * placements, the event and audit logs and liveness, over any {@link MetadataStore}.
 */
public final class ClusterMetadata {

    private final MetadataStore store;
    private final EventLog events;
    private final AuditLog audit;
    private final NodesConfigurationStore nodes;
    private final PlacementStore placements;
    private final PartitionTableStore partitionTable;
    private final LivenessRegistry liveness;

    public ClusterMetadata(MetadataStore store, InstantSource clock) {
        this.store = store;
        this.events = new EventLog(store);
        this.audit = new AuditLog(store);
        this.nodes = new NodesConfigurationStore(store, clock, events, audit);
        this.placements = new PlacementStore(store, events);
        this.partitionTable = new PartitionTableStore(store, events, clock);
        this.liveness = new LivenessRegistry(store);
    }

    public MetadataStore store() {
        return store;
    }

    public NodesConfigurationStore nodes() {
        return nodes;
    }

    public PlacementStore placements() {
        return placements;
    }

    public PartitionTableStore partitionTable() {
        return partitionTable;
    }

    public EventLog events() {
        return events;
    }

    public AuditLog audit() {
        return audit;
    }

    public LivenessRegistry liveness() {
        return liveness;
    }
}
