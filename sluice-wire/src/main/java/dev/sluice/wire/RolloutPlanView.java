package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodeId;
import java.util.List;

/**
 * The answer to a rollout dry-run: the workers in the order they would be restarted, and what the
 * maintenance pre-check says now of taking each away. (A refused start is a plain error whose message names
 * the workers at risk.)
 *
 * @param dryRun always {@code true}
 * @param allowed whether every worker passes its pre-check now
 * @param message why it would be refused, or {@code null}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RolloutPlanView(boolean dryRun, boolean allowed, String message, List<Step> steps) {

    public RolloutPlanView {
        steps = Lists.copyOrEmpty(steps);
    }

    /**
     * One worker, in order.
     *
     * @param leads the partitions it leads now, whose leaderships move away and back
     * @param blocking partitions that would lose their majority while it is away
     * @param warnings partitions that would be left in one zone while it is away
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Step(NodeId node, String name, String location, long leads, List<BlockingPartition> blocking, List<BlockingPartition> warnings) {
        public Step {
            blocking = Lists.copyOrEmpty(blocking);
            warnings = Lists.copyOrEmpty(warnings);
        }

        public String label() {
            return node + " (" + name + ")";
        }
    }
}
