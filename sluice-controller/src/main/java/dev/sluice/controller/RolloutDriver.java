package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.Actor;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.Durations;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.scheduler.MaintenancePrecheck;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps the stored {@link Rollout} on, one worker at a time, in each controller pass:
 * <ol>
 *   <li>{@code waiting} → the worker goes into maintenance (the pre-check decides; a refusal stops the
 *       rollout and says why) → {@code shedding-leaderships};
 *   <li>once it leads nothing (or after {@link Rollout#SHED_TIMEOUT}; its own shutdown hands the rest over)
 *       → {@code shutting-down}, and the worker is asked to shut down gracefully;
 *   <li>once its process is gone → {@code restarting}; once it runs a newer generation → {@code catching-up};
 *   <li>once its maintenance ended because it caught up → {@code done}, and the next worker begins.
 * </ol>
 * Every phase is written (under the controller's fence, compare-and-set on the document) before it is acted
 * on, and every action can be repeated, so a new controller leader resumes where the last one stood. A worker
 * that takes longer than the rollout's node timeout to shut down, come back or catch up stops the rollout,
 * which says so; its maintenance then lasts until its own limit.
 */
final class RolloutDriver {

    private static final Logger log = LoggerFactory.getLogger(RolloutDriver.class);
    /** How often a worker that still runs in {@code shutting-down} is asked again (the first answer may have been lost). */
    static final Duration SHUTDOWN_RETRY = Duration.ofSeconds(10);

    private final ClusterMetadata metadata;
    private final ControllerDocuments documents;
    private final DataPlane dataPlane;
    private final ControllerMetrics metrics;
    private final MaintenanceKeeper maintenance;
    private final Map<NodeId, Instant> shutdownAskedAt = new HashMap<>();

    /** The maintenance pre-check of one worker, on the pass's view of the cluster with {@code nodes} as read at write time. */
    interface Precheck {
        MaintenancePrecheck.Result check(NodesConfiguration nodes, NodeId node);
    }

    RolloutDriver(ClusterMetadata metadata, DataPlane dataPlane, MaintenanceKeeper maintenance, ControllerMetrics metrics) {
        this.maintenance = maintenance;
        this.metadata = metadata;
        this.documents = new ControllerDocuments(metadata);
        this.dataPlane = dataPlane;
        this.metrics = metrics;
    }

    /** Takes the running rollout, if any, one phase further where it can; returns whether one runs. */
    boolean step(NodesConfiguration nodes, Set<NodeId> registered, Observer observed, Map<PartitionId, NodeId> leaders, Precheck precheck, Fence fence,
            Instant now) {
        Optional<ControllerDocuments.StoredRollout> stored = documents.rollout();
        boolean running = stored.isPresent() && !stored.get().rollout().state().ended();
        metrics.rolloutRunning(running);
        if (!running) {
            shutdownAskedAt.clear();
            return false;
        }
        Rollout rollout = stored.get().rollout();
        long version = stored.get().version();
        Optional<Rollout.Step> current = rollout.current();
        if (current.isEmpty()) {
            Rollout completed = rollout.ended(Rollout.State.COMPLETED, null, now);
            write(completed, version, List.of(ended(completed, "completed")), fence, now);
            return false;
        }
        Rollout.Step step = current.get();
        Optional<NodeConfig> found = nodes.find(step.node());
        if (found.isEmpty()) {
            stop(rollout, version, step.node() + " (" + step.name() + ") is no longer in the cluster", fence, now);
            return false;
        }
        NodeConfig node = found.get();
        boolean alive = registered.contains(node.nodeId());
        Duration inPhase = step.phaseSince() == null ? Duration.ZERO : Duration.between(step.phaseSince(), now);
        switch (step.phase()) {
            case WAITING -> begin(rollout, version, step, node, precheck, fence, now);
            case SHEDDING_LEADERSHIPS -> {
                // Judged on a report the worker sent after its maintenance began, never on an older one.
                boolean reportedSince = observed.lastAnswer(node.nodeId()).filter(at -> at.isAfter(step.phaseSince())).isPresent();
                boolean leadsNothing = reportedSince && observed.leaderships(node.nodeId()) == 0 && leaders.values().stream().noneMatch(node.nodeId()::equals);
                if (leadsNothing || inPhase.compareTo(Rollout.SHED_TIMEOUT) >= 0 || !alive) {
                    advance(rollout, version, step.entering(Rollout.Phase.SHUTTING_DOWN, now), fence, now);
                } else {
                    note(rollout, version, step, !reportedSince ? "a status report from it sent since its maintenance began"
                            : "its " + Math.max(observed.leaderships(node.nodeId()), leaders.values().stream().filter(node.nodeId()::equals).count())
                                    + " leaderships to move to other members", fence, now);
                }
            }
            case SHUTTING_DOWN -> {
                if (!alive || node.id().generation() > step.generationBefore()) {
                    advance(rollout, version, step.entering(Rollout.Phase.RESTARTING, now), fence, now);
                } else if (inPhase.compareTo(rollout.nodeTimeout()) > 0) {
                    stop(rollout, version, NodeResolution.label(node) + " did not shut down within " + Durations.human(rollout.nodeTimeout()), fence, now);
                } else {
                    if (!observed.shuttingDown(node.nodeId())) {
                        // Asked again only while it has not said it is shutting down: one that has may have closed its
                        // port already, and asking it again was logged as a failure although it was on its way out.
                        askToShutDown(node, now);
                    }
                    note(rollout, version, step, "its process to hand over what it still leads and exit (asked to shut down gracefully)", fence, now);
                }
            }
            case RESTARTING -> {
                if (alive && node.id().generation() > step.generationBefore()) {
                    advance(rollout, version, step.entering(Rollout.Phase.CATCHING_UP, now), fence, now);
                } else if (inPhase.compareTo(rollout.nodeTimeout()) > 0) {
                    stop(rollout, version, NodeResolution.label(node) + " did not come back within " + Durations.human(rollout.nodeTimeout())
                            + (node.maintenance() != null ? "; it stays in maintenance until " + node.maintenance().until() : ""), fence, now);
                } else {
                    note(rollout, version, step, "its supervisor to start it again (a newer generation than " + step.generationBefore() + ")", fence, now);
                }
            }
            case CATCHING_UP -> {
                boolean ended = node.maintenance() == null || !node.maintenance().requestId().equals(rollout.maintenanceRequestId(node.nodeId()))
                        || node.maintenance().end() != null;
                if (ended) {
                    Rollout.Step done = step.entering(Rollout.Phase.DONE, now);
                    Duration took = step.startedAt() == null ? Duration.ZERO : Duration.between(step.startedAt(), now);
                    ClusterEvent event = ClusterEvent.of(now, EventKind.ROLLOUT_NODE_RESTARTED, node.nodeId(), null,
                            NodeResolution.label(node) + " restarted and caught up in " + Durations.human(took.withNanos(0)) + " (" + (rollout.done() + 1)
                                    + " of " + rollout.steps().size() + ")", Map.of("durationMillis", took.toMillis()));
                    Rollout next = rollout.withStep(done, now);
                    write(next, version, next.state() == Rollout.State.COMPLETED ? List.of(event, ended(next, "completed")) : List.of(event), fence, now);
                } else if (inPhase.compareTo(rollout.nodeTimeout()) > 0) {
                    stop(rollout, version, NodeResolution.label(node) + " did not catch up within " + Durations.human(rollout.nodeTimeout())
                            + maintenance.waitingFor(node.nodeId()).map(what -> ": its maintenance ends once it has " + what).orElse(""), fence, now);
                } else {
                    note(rollout, version, step, "its maintenance to end, once it has " + maintenance.waitingFor(node.nodeId())
                            .orElse("answered a status poll from its new process"), fence, now);
                }
            }
            case DONE -> throw new IllegalStateException("BUG: a done step is not current");
        }
        return true;
    }

    private void begin(Rollout rollout, long version, Rollout.Step step, NodeConfig node, Precheck precheck, Fence fence, Instant now) {
        // The maintenance lasts long enough for a slow shutdown and a slow return, and then some: the rollout's
        // own timeouts decide when to give up on the worker, and the maintenance keeps its replicas meanwhile.
        Instant until = now.plus(rollout.nodeTimeout().multipliedBy(3)).plus(Rollout.SHED_TIMEOUT).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        String requestId = rollout.maintenanceRequestId(node.nodeId());
        NodesConfigurationStore.Update update = metadata.nodes().update(current -> {
            List<dev.sluice.model.BlockingPartition> blocking = precheck.check(current, node.nodeId()).blocking();
            return new NodesChange.StartMaintenance(node.id(), Actor.CONTROLLER, "rolling restart " + rollout.id(), until, false, blocking, requestId, now);
        }, List.of(fence));
        switch (update.result()) {
            case ChangeResult.Changed changed -> advance(rollout, version, step.begun(node.id().generation(), now), fence, now);
            case ChangeResult.Unchanged unchanged -> advance(rollout, version, step.begun(node.id().generation(), now), fence, now);
            case ChangeResult.Refused refused -> stop(rollout, version, "before restarting " + NodeResolution.label(node) + ": " + refused.refusal().message(), fence, now);
        }
    }

    /** Records what {@code step} waits for, when that changed: surfaces show it, and a stuck rollout says why. */
    private void note(Rollout rollout, long version, Rollout.Step step, String waitingFor, Fence fence, Instant now) {
        if (!waitingFor.equals(step.waitingFor())) {
            write(rollout.withStep(step.waitingFor(waitingFor), now), version, List.of(), fence, now);
        }
    }

    private void askToShutDown(NodeConfig node, Instant now) {
        Instant asked = shutdownAskedAt.get(node.nodeId());
        if (asked != null && asked.plus(SHUTDOWN_RETRY).isAfter(now)) {
            return;
        }
        shutdownAskedAt.put(node.nodeId(), now);
        dataPlane.shutDown(node).whenComplete((ok, failure) -> {
            if (failure != null) {
                log.info("asking {} to shut down for the rollout failed ({}); asking again in {}", NodeResolution.label(node), failure.getMessage(),
                        Durations.human(SHUTDOWN_RETRY));
            }
        });
    }

    private void advance(Rollout rollout, long version, Rollout.Step step, Fence fence, Instant now) {
        Rollout next = rollout.withStep(step, now);
        write(next, version, next.state() == Rollout.State.COMPLETED ? List.of(ended(next, "completed")) : List.of(), fence, now);
    }

    private void stop(Rollout rollout, long version, String because, Fence fence, Instant now) {
        Rollout stopped = rollout.ended(Rollout.State.STOPPED, because, now);
        write(stopped, version, List.of(ended(stopped, "stopped: " + because)), fence, now);
    }

    private ClusterEvent ended(Rollout rollout, String how) {
        return ClusterEvent.of(rollout.updatedAt(), EventKind.ROLLOUT_ENDED, null, null,
                "rolling restart " + rollout.id() + " " + how + " (" + rollout.done() + " of " + rollout.steps().size() + " workers restarted)",
                Map.of("restarted", rollout.done(), "workers", (long) rollout.steps().size()));
    }

    private void write(Rollout next, long version, List<ClusterEvent> events, Fence fence, Instant now) {
        try {
            documents.writeRollout(next, version, events, fence);
            if (next.state().ended()) {
                metrics.rolloutEnded(next.state());
                log.info("rolling restart {} {}{}", next.id(), next.state(), next.stoppedBecause() == null ? "" : ": " + next.stoppedBecause());
            }
        } catch (PreconditionFailedException changed) {
            if (changed.key().equals(fence.key())) {
                throw new Fence.LostException(fence);
            }
            // An operator cancelled it (or a previous leader's write landed late): the next pass reads it again.
            log.debug("the rollout changed under this pass; reading it again next pass");
        }
    }
}
