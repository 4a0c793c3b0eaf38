package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.scheduler.Explanation;
import java.time.Instant;
import java.util.List;

/**
 * What the controller leader last published: who leads, what is moving, how every drain stands and what
 * the scheduler could not do. Every node reads it from the metadata store to answer the API, so it does
 * not matter which node an operator asks.
 *
 * @param leader the participant id (node name) of the controller leader
 * @param epoch the leader's fencing epoch
 * @param passes passes run by this leader
 * @param lastPassMillis how long the last pass took
 */
public record ControllerStatus(
        String leader,
        long epoch,
        Instant updatedAt,
        long passes,
        long lastPassMillis,
        List<MoveInFlight> moves,
        List<DrainProgress> drains,
        List<Explanation> explanations) {

    public ControllerStatus {
        moves = moves == null ? List.of() : List.copyOf(moves);
        drains = drains == null ? List.of() : List.copyOf(drains);
        explanations = explanations == null ? List.of() : List.copyOf(explanations);
    }

    /**
     * A replica-set change under way, and the step it is at.
     *
     * @param stepKind the kind of step, for programs; {@code step} says it for people
     * @param lastError the last failure since the last success, or {@code null}
     */
    public record MoveInFlight(PartitionId partition, List<NodeId> current, List<NodeId> next, Instant startedAt, MoveStep.Kind stepKind, String step,
            String lastError) {}

    public java.util.Optional<DrainProgress> drain(NodeId node) {
        return drains.stream().filter(d -> d.node().equals(node)).findFirst();
    }
}
