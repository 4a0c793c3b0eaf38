package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.NodeId;
import java.time.Instant;
import java.util.List;

/**
 * A rolling restart as operators see it ({@code GET /api/v1/rollouts/current}, and the answer to starting or
 * cancelling one): one progress object for the whole rollout, its workers in order and how far each got.
 *
 * @param state {@code running}, {@code completed}, {@code stopped} (by itself, {@code stoppedBecause} says
 *     why) or {@code cancelled}
 * @param done how many workers are restarted and caught up
 * @param stoppedBecause why it stopped or was cancelled, or {@code null}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RolloutView(
        String id,
        String reason,
        String state,
        Instant startedAt,
        Instant endedAt,
        Instant updatedAt,
        long nodeTimeoutSeconds,
        int done,
        int total,
        String stoppedBecause,
        List<Step> steps) {

    public RolloutView {
        steps = Lists.copyOrEmpty(steps);
    }

    /**
     * One worker's part.
     *
     * @param phase {@code waiting}, {@code shedding-leaderships}, {@code shutting-down}, {@code restarting},
     *     {@code catching-up} or {@code done}
     * @param phaseSince when it entered the phase, or {@code null} while waiting
     * @param waitingFor what the phase waits for, in one line ("its supervisor to start it again …"), or {@code null}
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Step(NodeId node, String name, String phase, Instant phaseSince, Instant startedAt, Instant doneAt, String waitingFor) {

        public String label() {
            return node + " (" + name + ")";
        }
    }

    public boolean running() {
        return "running".equals(state);
    }
}
