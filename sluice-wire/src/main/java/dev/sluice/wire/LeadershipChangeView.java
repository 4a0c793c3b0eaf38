package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;

/**
 * One partition's leadership a dry-run would move.
 *
 * @param from the leader the placement names now, or {@code null} if it names none
 * @param cause why, a scheduler cause's wire name ({@code leader-draining}); text, so that a reader older
 *     than the scheduler still shows a cause it does not know
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LeadershipChangeView(PartitionId partition, NodeId from, NodeId to, String cause) {}
