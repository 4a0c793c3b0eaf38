package dev.sluice.worker;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import java.time.Duration;

/** The outcome of a data request submitted to a local replica; the HTTP layer maps each to a status code. */
public sealed interface DataReply {

    /** Committed (a write) or answered linearizably (a read); {@code reply} is the logic's answer. */
    record Ok(byte[] reply) implements DataReply {}

    /**
     * This node does not lead the partition. {@code leader} is the leader it knows of (null when none),
     * {@code leaderNode} its configuration when the nodes configuration has it.
     */
    record NotLeader(NodeId leader, NodeConfig leaderNode, boolean hosted) implements DataReply {}

    /** The group has no usable leader right now (election, transfer, stepping down): retry shortly. */
    record NoLeader(String reason) implements DataReply {}

    /**
     * Not committed (a write) or answered (a read) within {@code waited}, the caller's deadline or the node's
     * data timeout: the leader may be cut off from its followers, or slow. A write may still be applied.
     */
    record TimedOut(Duration waited) implements DataReply {}

    /**
     * This node's data directory is below its free-space floor, so it takes no writes; {@code message} names
     * the node, the directory and the numbers. Another leader may take the write (the client retries).
     */
    record NoSpace(String message) implements DataReply {}

    /** The logic refused the command, or the node failed unexpectedly. */
    record Failed(String message) implements DataReply {}
}
