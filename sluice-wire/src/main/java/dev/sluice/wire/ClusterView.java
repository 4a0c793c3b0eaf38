package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.WorkerState;
import java.util.List;
import java.util.Map;

/**
 * The whole cluster at a glance ({@code GET /api/v1/cluster}).
 *
 * @param controller what the controller leader last published, or {@code null} before one did
 * @param workersByState how many workers are in each state, every state listed
 * @param movesInFlight replica-set changes under way
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClusterView(
        String cluster,
        int partitions,
        int replicas,
        int minZones,
        ControllerView controller,
        Map<WorkerState, Integer> workersByState,
        int nodes,
        int alive,
        int movesInFlight,
        List<DrainView> drains) {

    public ClusterView {
        drains = Lists.copyOrEmpty(drains);
    }
}
