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
 * @param members each member as its worker reports it; only when one partition is asked for, else {@code null}
 * @param history the partition's newest events, oldest first; only when one partition is asked for, else {@code null}
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
        PartitionPolicy policy,
        List<MemberView> members,
        List<EventView> history) {

    public PartitionView {
        current = Lists.copyOrEmpty(current);
        next = Lists.copyOrEmpty(next);
        joining = Lists.copyOrEmpty(joining);
        leaving = Lists.copyOrEmpty(leaving);
        // Absent, not empty, in the list of all partitions: asking every member of every partition is too dear.
        members = members == null ? null : List.copyOf(members);
        history = history == null ? null : List.copyOf(history);
    }

    /** This view with what only a single partition's answer carries. */
    public PartitionView withDetail(List<MemberView> members, List<EventView> history) {
        return new PartitionView(id, current, next, leader, joining, leaving, moving, stepKind, step, lastError, changeStartedAt, policy, members,
                history);
    }
}
