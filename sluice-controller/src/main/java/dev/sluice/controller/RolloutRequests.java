package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.Actor;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.Durations;
import dev.sluice.model.EventKind;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.MaintenancePrecheck;
import dev.sluice.scheduler.SchedulerInput;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Operator requests about rolling restarts, served by any node: plan one (which workers, in which order,
 * and what the maintenance pre-check says of each now), start one, cancel the running one. The controller
 * leader does the restarting ({@link RolloutDriver}).
 */
public final class RolloutRequests {

    /** How long one worker may take to shut down, or to come back and catch up, unless the request says otherwise. */
    public static final Duration DEFAULT_NODE_TIMEOUT = Duration.ofMinutes(5);

    private final ClusterMetadata metadata;
    private final Lifecycle lifecycle;
    private final InstantSource clock;
    private final ControllerDocuments documents;

    public RolloutRequests(ClusterMetadata metadata, Lifecycle lifecycle, InstantSource clock) {
        this.metadata = metadata;
        this.lifecycle = lifecycle;
        this.clock = clock;
        this.documents = new ControllerDocuments(metadata);
    }

    /**
     * Which workers to restart: those {@code nodes} names, else those of {@code zone}, else every active
     * worker.
     */
    public record Selection(List<String> nodes, String zone) {
        public Selection {
            nodes = nodes == null ? List.of() : List.copyOf(nodes);
            if (!nodes.isEmpty() && zone != null) {
                throw new IllegalArgumentException("name the workers or a zone, not both");
            }
        }
    }

    /** One worker of a plan, in order: what it leads now and what the pre-check says of taking it away now. */
    public record PlannedStep(NodeConfig node, long leads, List<BlockingPartition> blocking, List<BlockingPartition> warnings) {}

    /** What a request led to. */
    public sealed interface Outcome {
        /** The request names no worker it can restart, or a worker that is not active; nothing was written. */
        record Invalid(String message) implements Outcome {}

        /** Another rollout runs, or the pre-check refuses a worker now; nothing was written. */
        record Refused(String message, List<PlannedStep> plan) implements Outcome {}

        /** Started, or cancelled (or nothing was running to cancel: {@code changed} false). */
        record Done(Rollout rollout, boolean changed) implements Outcome {}

        /** A dry-run: the order and each worker's pre-check now. Nothing was written. */
        record Planned(List<PlannedStep> plan, boolean allowed) implements Outcome {}
    }

    /** The rollout running or last run, if any. */
    public Optional<Rollout> current() {
        return documents.rollout().map(ControllerDocuments.StoredRollout::rollout);
    }

    public Outcome start(Selection selection, Duration nodeTimeout, String reason, boolean dryRun) {
        if (nodeTimeout.compareTo(Duration.ofSeconds(10)) < 0 || nodeTimeout.compareTo(Rollout.MAX_NODE_TIMEOUT) > 0) {
            return new Outcome.Invalid("the node timeout must be between 10 s and " + Durations.human(Rollout.MAX_NODE_TIMEOUT) + ", got "
                    + Durations.human(nodeTimeout));
        }
        NodesConfiguration nodes = metadata.nodes().current();
        List<NodeConfig> chosen = new ArrayList<>();
        if (!selection.nodes().isEmpty()) {
            for (String reference : selection.nodes()) {
                NodeResolution resolution = nodes.resolve(reference);
                if (!(resolution instanceof NodeResolution.Found found)) {
                    return new Outcome.Invalid(describe(resolution));
                }
                if (chosen.contains(found.node())) {
                    return new Outcome.Invalid(NodeResolution.label(found.node()) + " is named twice");
                }
                chosen.add(found.node());
            }
        } else if (selection.zone() != null) {
            nodes.workers().stream().filter(n -> n.location().toString().equals(selection.zone()) || n.location().zone().equals(selection.zone()))
                    .filter(n -> n.workerState() == WorkerState.ACTIVE).forEach(chosen::add);
            if (chosen.isEmpty()) {
                return new Outcome.Invalid("no active worker is in zone '" + selection.zone() + "'; zones: "
                        + String.join(", ", nodes.workers().stream().map(n -> n.location().toString()).distinct().sorted().toList()));
            }
        } else {
            nodes.workers().stream().filter(n -> n.workerState() == WorkerState.ACTIVE).forEach(chosen::add);
            if (chosen.isEmpty()) {
                return new Outcome.Invalid("the cluster has no active worker to restart");
            }
        }
        for (NodeConfig node : chosen) {
            if (!node.isWorker() || node.workerState() != WorkerState.ACTIVE) {
                return new Outcome.Invalid(NodeResolution.label(node) + " is " + (node.isWorker() ? node.workerState() : "no worker")
                        + "; a rolling restart restarts active workers");
            }
        }
        // Zone by zone, so that a zone's workers go one after another and the others are left alone meanwhile.
        chosen.sort(Comparator.comparing((NodeConfig n) -> n.location().toString()).thenComparing(NodeConfig::nodeId));
        List<PlannedStep> plan = plan(nodes, chosen);
        boolean allowed = plan.stream().allMatch(step -> step.blocking().isEmpty());
        if (dryRun) {
            return new Outcome.Planned(plan, allowed);
        }
        Optional<ControllerDocuments.StoredRollout> stored = documents.rollout();
        if (stored.isPresent() && !stored.get().rollout().state().ended()) {
            Rollout running = stored.get().rollout();
            return new Outcome.Refused("rolling restart " + running.id() + " is running (" + running.done() + " of " + running.steps().size()
                    + " workers restarted); wait for it or cancel it first", List.of());
        }
        if (!allowed) {
            List<String> atRisk = plan.stream().filter(step -> !step.blocking().isEmpty())
                    .map(step -> NodeResolution.label(step.node()) + ": " + BlockingPartition.summary(step.blocking(), 2)).toList();
            return new Outcome.Refused("restarting these workers one at a time would cost partitions their majority: " + String.join("; ", atRisk)
                    + "; bring back the workers that are away first", plan);
        }
        Instant now = clock.instant();
        List<Rollout.Step> steps = chosen.stream().map(n -> Rollout.Step.waiting(n.nodeId(), n.name())).toList();
        Rollout rollout = new Rollout(UUID.randomUUID().toString().substring(0, 8), reason, now, nodeTimeout, steps, Rollout.State.RUNNING, null, null, now);
        ClusterEvent event = ClusterEvent.of(now, EventKind.ROLLOUT_STARTED, null, null, "rolling restart " + rollout.id() + " of "
                + String.join(", ", chosen.stream().map(NodeResolution::label).toList()) + " started" + (reason.isEmpty() ? "" : ": " + reason),
                Map.of("workers", (long) chosen.size()));
        try {
            documents.writeRollout(rollout, stored.map(ControllerDocuments.StoredRollout::version).orElse(0L), List.of(event), null);
        } catch (PreconditionFailedException raced) {
            return new Outcome.Refused("another rolling restart was started at the same moment; look at it with the rollout status", List.of());
        }
        return new Outcome.Done(rollout, true);
    }

    /**
     * Cancels the running rollout: no further worker begins. A worker not yet shut down leaves its maintenance
     * now; one already restarting finishes its restart, and its maintenance ends once it caught up.
     */
    public Outcome cancel() {
        Optional<ControllerDocuments.StoredRollout> stored = documents.rollout();
        if (stored.isEmpty()) {
            return new Outcome.Invalid("no rolling restart has run in this cluster");
        }
        Rollout rollout = stored.get().rollout();
        if (rollout.state().ended()) {
            return new Outcome.Done(rollout, false);
        }
        Instant now = clock.instant();
        Rollout cancelled = rollout.ended(Rollout.State.CANCELLED, "cancelled by the operator", now);
        ClusterEvent event = ClusterEvent.of(now, EventKind.ROLLOUT_ENDED, null, null, "rolling restart " + rollout.id() + " cancelled ("
                + rollout.done() + " of " + rollout.steps().size() + " workers restarted)", Map.of("restarted", rollout.done(), "workers",
                (long) rollout.steps().size()));
        try {
            documents.writeRollout(cancelled, stored.get().version(), List.of(event), null);
        } catch (PreconditionFailedException moved) {
            // The controller stepped it on meanwhile: judge the cancel on what it is now.
            return cancel();
        }
        rollout.current().filter(step -> step.phase() == Rollout.Phase.SHEDDING_LEADERSHIPS).ifPresent(step ->
                metadata.nodes().update(current -> new NodesChange.EndMaintenance(step.node(), Actor.OPERATOR, Maintenance.EndCause.ENDED_BY_OPERATOR,
                        rollout.maintenanceRequestId(step.node()), "the rolling restart was cancelled before it was shut down", now), List.of()));
        return new Outcome.Done(cancelled, true);
    }

    private List<PlannedStep> plan(NodesConfiguration nodes, List<NodeConfig> chosen) {
        SchedulerInput input = lifecycle.schedulerInput(nodes);
        List<PlannedStep> plan = new ArrayList<>();
        for (NodeConfig node : chosen) {
            MaintenancePrecheck.Result precheck = MaintenancePrecheck.check(input, Set.of(node.nodeId()));
            long leads = input.placements().values().stream().map(Placement::leader).filter(node.nodeId()::equals).count();
            plan.add(new PlannedStep(node, leads, precheck.blocking(), precheck.warnings()));
        }
        return plan;
    }

    private static String describe(NodeResolution resolution) {
        return switch (resolution) {
            case NodeResolution.Found found -> throw new IllegalStateException("BUG: a found node is not an error");
            case NodeResolution.Malformed malformed -> malformed.message();
            case NodeResolution.Unknown unknown -> unknown.message();
            case NodeResolution.Stale stale -> stale.message();
        };
    }
}
