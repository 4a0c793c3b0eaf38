package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The answer to a maintenance dry-run ({@code POST /api/v1/nodes/{node}/maintenance} with {@code dryRun}):
 * whether the maintenance would begin, and which leaderships would leave the node. No replica moves for a
 * maintenance, so there are no moves to list.
 *
 * @param dryRun always {@code true}, which tells this answer from a {@link StateChanged}
 * @param refusal what the request would be refused with, or {@code null} when it is allowed
 * @param warnings what the pre-check warns of without refusing (partitions left in one zone)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MaintenanceDryRunView(
        boolean dryRun,
        NodeView node,
        boolean allowed,
        RefusalView refusal,
        List<LeadershipChangeView> leadershipChanges,
        List<String> warnings) {

    public MaintenanceDryRunView {
        leadershipChanges = Lists.copyOrEmpty(leadershipChanges);
        warnings = Lists.copyOrEmpty(warnings);
    }
}
