package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.PartitionPolicy;
import java.time.Instant;
import java.util.List;

/**
 * One partition ({@code GET /api/v1/partitions}): its replica sets, leader and, while it moves, the step it
 * is at.
 *
 * @param current the node ids of the current replica set
 * @param next the node ids of the replica set it moves to; empty unless {@code moving}
 * @param stepKind the kind of step the move is at, for programs; {@code step} says it for people. Both
 *     {@code null} when nothing moves or the controller has not reported the move yet
 * @param lastError the move's last failure since its last success, or {@code null}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PartitionView(
        String id,
        List<String> current,
        List<String> next,
        String leader,
        List<String> joining,
        List<String> leaving,
        boolean moving,
        String stepKind,
        String step,
        String lastError,
        Instant changeStartedAt,
        PartitionPolicy policy) {

    public PartitionView {
        current = Lists.copyOrEmpty(current);
        next = Lists.copyOrEmpty(next);
        joining = Lists.copyOrEmpty(joining);
        leaving = Lists.copyOrEmpty(leaving);
    }
}
