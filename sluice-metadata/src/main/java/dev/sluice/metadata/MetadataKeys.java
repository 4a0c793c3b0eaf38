package dev.sluice.metadata;

import dev.sluice.model.NodeId;

/** Where each document of a cluster lives in the metadata store. */
public final class MetadataKeys {

    private MetadataKeys() {}

    /**
     * The {@link dev.sluice.model.NodesConfiguration}: its header (format 2), or the whole configuration in one document
     * (format 1, clusters not yet written by a release with {@link #NODES_BY_ID}).
     */
    public static final String NODES = "nodes";
    /** Parent of one document per node id of the nodes configuration, live or removed ({@link NodesLayout}). */
    public static final String NODES_BY_ID = "nodes-by-id";
    /** The {@link dev.sluice.model.PartitionTable}. */
    public static final String PARTITION_TABLE = "partition-table";
    /** Parent of one {@link dev.sluice.model.Placement} per partition, laid out as {@link PlacementLayout} says. */
    public static final String PLACEMENTS = "placements";
    /** The per-node index of placements ({@link PlacementIndex}): its state, and below it one entry per node and placement naming it. */
    public static final String PLACEMENTS_BY_NODE = "placements-by-node";
    /** Log of {@link dev.sluice.model.ClusterEvent}s, trimmed to a bounded length. */
    public static final String EVENTS = "events";
    /** Log of {@link dev.sluice.model.AuditRecord}s: every applied worker-state transition, kept. */
    public static final String AUDIT = "audit";
    /** Parent of one ephemeral entry per running node process. */
    public static final String LIVENESS = "liveness";
    /** Parent of the controller's election and fencing keys. */
    public static final String CONTROLLER = "controller";

    public static String liveness(NodeId node) {
        return LIVENESS + "/" + node;
    }
}
