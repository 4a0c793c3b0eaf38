package dev.sluice.api;

import dev.sluice.controller.ControllerStatus;
import dev.sluice.controller.DrainProgress;
import dev.sluice.model.Actor;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.EventKind;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Refusal;
import dev.sluice.model.Role;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.Explanation;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.Move;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the admin API. They are part of the API contract (see {@code openapi.json}):
 * fields are only ever added, with the same kebab-case enum values used everywhere in Sluice.
 */
public final class Views {

    private Views() {}

    /** A node as operators see it: identity, state, liveness, and what it holds. */
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
            DrainProgress drain) {}

    public record StateChangeView(Instant at, String actor, String reason, long version) {}

    /** The answer to a state change that was applied (or found already in place). */
    public record StateChanged(NodeView node, boolean changed, List<String> warnings) {}

    /** The answer to a dry-run: would it be allowed, and what would move. */
    public record DryRunView(
            boolean dryRun,
            NodeView node,
            WorkerState target,
            boolean allowed,
            RefusalView refusal,
            List<Move> moves,
            List<LeadershipChange> leadershipChanges,
            List<Explanation> violations,
            Map<String, Integer> replicasPerWorker,
            List<String> warnings) {}

    /** The 409 body of a refused transition. */
    public record RefusalView(
            String error,
            String kind,
            String message,
            String node,
            WorkerState current,
            WorkerState requested,
            List<WorkerState> allowed,
            List<WorkerState> allowedWithForce,
            List<BlockingPartition> blocking) {

        static RefusalView of(Refusal refusal) {
            return new RefusalView("refused", refusal.kind().wireName(), refusal.message(),
                    refusal.node() == null ? null : refusal.node().toString(), refusal.current(), refusal.requested(),
                    refusal.allowedNext(), refusal.allowedWithForce(), refusal.blocking());
        }
    }

    /** One partition: its replica sets, leader and, while it moves, the step it is at. */
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
            PartitionPolicy policy) {}

    /**
     * One event of the log.
     *
     * @param transition for a {@code node-transition} event its audit record, otherwise absent (since 0.1:
     *     replaying these in sequence order gives every node's worker state)
     */
    public record EventView(long sequence, Instant at, EventKind kind, String node, String partition, String message, Map<String, Long> numbers,
            TransitionView transition) {

        public EventView(long sequence, Instant at, EventKind kind, String node, String partition, String message, Map<String, Long> numbers) {
            this(sequence, at, kind, node, partition, message, numbers, null);
        }
    }

    /**
     * An applied worker-state transition as the audit log holds it.
     *
     * @param node the generational id of the incarnation it was decided against ({@code N3:2})
     * @param version the nodes-configuration version the transition produced
     */
    public record TransitionView(String node, String nodeName, WorkerState from, WorkerState to, Actor actor, boolean forced, String reason,
            long version, String requestId) {}

    public record EventsPage(List<EventView> events, long last) {}

    /** The whole cluster at a glance. */
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
            List<DrainProgress> drains) {}

    public record ControllerView(String leader, long epoch, Instant updatedAt, long passes, long lastPassMillis) {

        static ControllerView of(ControllerStatus status) {
            return new ControllerView(status.leader(), status.epoch(), status.updatedAt(), status.passes(), status.lastPassMillis());
        }
    }
}
