package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.util.Optional;

/**
 * What the controller knows of the data plane at the start of a pass: which worker hosts which group,
 * who leads, and which workers are healthy. {@link Observer} keeps it from status polls; tests give
 * {@link MoveStepper} their own.
 */
interface Observed {

    /**
     * Registered alive and answered a status poll recently, with no failed poll since: the only workers
     * that may receive a replica or a leadership. A worker whose ZooKeeper session outlives its process
     * (up to the session timeout after a kill -9) is alive but not healthy.
     */
    boolean healthy(NodeId node);

    /** Whether {@code node}'s last report lists the group as hosted and serving. */
    boolean hosts(NodeId node, PartitionId partition);

    /** The member that reports itself leader in the highest term, among alive workers. */
    Optional<NodeId> leader(PartitionId partition);

    /** {@code node}'s last report of its replica of {@code partition}. */
    Optional<ReplicaView> view(NodeId node, PartitionId partition);

    /** How many groups {@code node} reports leading. */
    long leaderships(NodeId node);
}
