package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.Role;
import dev.sluice.model.WorkerState;
import java.util.List;

/**
 * A node as operators see it ({@code GET /api/v1/nodes}, {@code GET /api/v1/nodes/{node}}): identity, state,
 * liveness, and what it holds.
 *
 * @param id the plain node id ({@code N3})
 * @param incarnation the current generational id ({@code N3:7})
 * @param drain the node's last drain as the controller last published it, or {@code null} if it was never drained
 * @param maintenance the node's latest maintenance intent, lasting or ended, or {@code null} if it never had one
 * @param cordon the node's cordon while one holds (it receives no new replica or leadership), else {@code null} (since
 *     the cordon)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeView(
        String id,
        String incarnation,
        String name,
        WorkerState state,
        String stateDescription,
        List<Role> roles,
        String location,
        String raftAddress,
        String httpAddress,
        boolean alive,
        int replicas,
        int leaderships,
        StateChangeView lastChange,
        DrainView drain,
        MaintenanceView maintenance,
        CordonView cordon) {

    /** A node without a cordon. */
    public NodeView(String id, String incarnation, String name, WorkerState state, String stateDescription, List<Role> roles, String location,
            String raftAddress, String httpAddress, boolean alive, int replicas, int leaderships, StateChangeView lastChange, DrainView drain,
            MaintenanceView maintenance) {
        this(id, incarnation, name, state, stateDescription, roles, location, raftAddress, httpAddress, alive, replicas, leaderships, lastChange, drain,
                maintenance, null);
    }

    public NodeView {
        roles = Lists.copyOrEmpty(roles);
    }

    /** Whether an operator cordoned the node. */
    public boolean cordoned() {
        return cordon != null;
    }

    /** Whether a maintenance intent holds for the node now. */
    public boolean inMaintenance() {
        return maintenance != null && maintenance.active();
    }

    /** How every operator surface names a node: {@code N1 (worker-3)}, never a bare id. */
    public String label() {
        return id + " (" + name + ")";
    }
}
