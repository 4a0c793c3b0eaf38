package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.WorkerState;
import java.util.List;
import java.util.Map;

/**
 * The whole cluster at a glance ({@code GET /api/v1/cluster}).
 *
 * @param controller what the controller leader last published, or {@code null} before one did
 * @param clients the client impact the controller leader last published; since issue 13, {@code null} before
 *     one did or from a release that does not add it up
 * @param workersByState how many workers are in each state, every state listed
 * @param movesInFlight replica-set changes under way
 * @param drains the drains the controller's status lists: at most 50, the stalled first, then the running, then the most
 *     recently ended; {@code GET /api/v1/nodes} and {@code GET /api/v1/nodes/{node}/drain} have every drain
 * @param drainsLeftOut how many more drains there are than {@code drains} lists (0 from a release before the bound)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClusterView(
        String cluster,
        int partitions,
        int replicas,
        int minZones,
        ControllerView controller,
        ClientImpactView clients,
        Map<WorkerState, Integer> workersByState,
        int nodes,
        int alive,
        int movesInFlight,
        List<DrainView> drains,
        @JsonSetter(nulls = Nulls.AS_EMPTY) int drainsLeftOut) {

    public ClusterView {
        drains = Lists.copyOrEmpty(drains);
    }

    /** A view without the client impact, as answered before issue 13. */
    public ClusterView(String cluster, int partitions, int replicas, int minZones, ControllerView controller, Map<WorkerState, Integer> workersByState,
            int nodes, int alive, int movesInFlight, List<DrainView> drains) {
        this(cluster, partitions, replicas, minZones, controller, null, workersByState, nodes, alive, movesInFlight, drains, 0);
    }

    /** A view listing every drain, as answered before the drains were bounded. */
    public ClusterView(String cluster, int partitions, int replicas, int minZones, ControllerView controller, ClientImpactView clients,
            Map<WorkerState, Integer> workersByState, int nodes, int alive, int movesInFlight, List<DrainView> drains) {
        this(cluster, partitions, replicas, minZones, controller, clients, workersByState, nodes, alive, movesInFlight, drains, 0);
    }
}
