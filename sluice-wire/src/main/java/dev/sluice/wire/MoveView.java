package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;

/**
 * One replica of one partition a dry-run would move.
 *
 * @param from the worker giving the replica up, or {@code null} when a replica is added
 * @param to the worker receiving it, or {@code null} when a surplus replica is dropped
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MoveView(PartitionId partition, NodeId from, NodeId to) {}
