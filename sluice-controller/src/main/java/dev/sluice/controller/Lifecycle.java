package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.Actor;
import dev.sluice.model.CredentialName;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Liveness;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.Refusal;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.DryRunReport;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.scheduler.WhatIf;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Operator-requested worker-state transitions, with their guards checked on the server: the drain
 * pre-check (a scheduler dry-run: would every replica of the worker find a compliant target?), liveness
 * for recommissioning, and what a forced disable would drop. The API, the CLI and the dashboard all come
 * through here; any node can serve it, because everything it needs is in the metadata store.
 */
public final class Lifecycle {

    private final ClusterMetadata metadata;
    private final SchedulerLimits limits;
    private final InstantSource clock;

    public Lifecycle(ClusterMetadata metadata, SchedulerLimits limits, InstantSource clock) {
        this.metadata = metadata;
        this.limits = limits;
        this.clock = clock;
    }

    /** The scheduler limits this node was started with (its flags), before any runtime throttle. */
    public SchedulerLimits limits() {
        return limits;
    }

    /** The clock requests are stamped with. */
    public InstantSource clock() {
        return clock;
    }

    /** What a request led to. */
    public sealed interface Outcome {
        /**
         * The reference names no current node: it is malformed or ambiguous, unknown, or a stale incarnation
         * ({@link NodeResolution} says which and why). Nothing was written.
         */
        record Unresolved(NodeResolution resolution) implements Outcome {
            public Unresolved {
                if (resolution instanceof NodeResolution.Found) {
                    throw new IllegalArgumentException("BUG: a found node is not unresolved");
                }
            }
        }

        /** The transition was applied (or found already applied by this request, or already in place). */
        record Done(NodeConfig node, boolean changed, List<String> warnings) implements Outcome {}

        /** Refused; nothing was written. */
        record Refused(Refusal refusal) implements Outcome {}

        /**
         * A dry-run: whether the transition would be allowed now and, for a drain or a disable, the moves it
         * would lead to. Nothing was written.
         */
        record DryRun(NodeConfig node, WorkerState target, Optional<Refusal> wouldRefuse, DryRunReport plan, List<String> warnings)
                implements Outcome {}
    }

    /**
     * Asks for the node {@code nodeReference} names ({@link NodesConfiguration#resolve}) to move to
     * {@code target}. The write is conditioned on the incarnation resolved here, so a node that registers
     * again before it lands is refused as {@code stale-generation}, as a stale {@code N3:7} is at once.
     */
    public Outcome request(String nodeReference, WorkerState target, String reason, boolean force, boolean dryRun) {
        return request(nodeReference, target, reason, force, dryRun, Optional.empty());
    }

    /**
     * {@link #request(String, WorkerState, String, boolean, boolean)} on behalf of {@code credential}, which the
     * transition's audit record and the node's last change name.
     */
    public Outcome request(String nodeReference, WorkerState target, String reason, boolean force, boolean dryRun,
            Optional<CredentialName> credential) {
        NodesConfiguration config = metadata.nodes().current();
        NodeResolution resolution = config.resolve(nodeReference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return new Outcome.Unresolved(resolution);
        }
        NodeConfig node = found.node();
        if (!node.isWorker()) {
            return new Outcome.Refused(Refusal.simple(RefusalKind.INVALID_REQUEST, node.nodeId(),
                    NodeResolution.label(node) + " has no worker role, so it has no worker state"));
        }
        if (dryRun) {
            return dryRun(config, node, target, reason, force);
        }
        String requestId = UUID.randomUUID().toString();
        NodesConfigurationStore.Update update = metadata.nodes().update(current -> new NodesChange.TransitionWorker(node.id(), target,
                Actor.OPERATOR, reason, force, factsFor(current, node.nodeId(), target), requestId, clock.instant(), credential.orElse(null)), List.of());
        return switch (update.result()) {
            case ChangeResult.Changed changed -> new Outcome.Done(changed.node(), true,
                    changed.event().transition() != null && changed.event().transition().forced()
                            ? dropWarnings(update.configuration(), node.nodeId()) : List.of());
            case ChangeResult.Unchanged unchanged -> new Outcome.Done(unchanged.node(), false, List.of());
            case ChangeResult.Refused refused -> new Outcome.Refused(withWhatTheDrainWaitsFor(refused.refusal(), node, target));
        };
    }

    /**
     * A draining worker's disable, refused, also says what the drain still waits for — the actual blocker
     * (a removal pending on the worker, a partition that cannot move), as the controller last published it.
     */
    private Refusal withWhatTheDrainWaitsFor(Refusal refusal, NodeConfig node, WorkerState target) {
        if (target != WorkerState.DISABLED || node.workerState() != WorkerState.DRAINING) {
            return refusal;
        }
        return new ControllerDocuments(metadata).status().flatMap(status -> status.drain(node.nodeId()))
                .filter(drain -> drain.state() == WorkerState.DRAINING)
                .map(drain -> drain.waitingFor() != null ? refusal.withDetail("the drain waits for: " + drain.waitingFor())
                        : drain.stalledPartitions().isEmpty() ? refusal
                        : refusal.withDetail("the drain is stalled: " + drain.stalledPartitions().stream().limit(3)
                                .map(s -> s.partition() + " " + s.reason() + ": " + s.message()).reduce((a, b) -> a + "; " + b).orElse("")))
                .orElse(refusal);
    }

    private Outcome dryRun(NodesConfiguration config, NodeConfig node, WorkerState target, String reason, boolean force) {
        ChangeResult decision = config.apply(new NodesChange.TransitionWorker(node.id(), target, Actor.OPERATOR, reason, force,
                factsFor(config, node.nodeId(), target), "dry-run", clock.instant()));
        Optional<Refusal> refusal = decision instanceof ChangeResult.Refused refused ? Optional.of(refused.refusal()) : Optional.empty();
        WhatIf whatIf = switch (target) {
            case DRAINING -> WhatIf.draining(node.nodeId());
            case DISABLED -> WhatIf.disabling(node.nodeId());
            case ACTIVE, PROVISIONING -> WhatIf.NOTHING;
        };
        DryRunReport plan = Scheduler.dryRun(schedulerInput(config), whatIf);
        List<String> warnings = target == WorkerState.DISABLED && node.workerState() != WorkerState.PROVISIONING
                ? dropWarnings(config, node.nodeId()) : List.of();
        return new Outcome.DryRun(node, target, refusal, plan, warnings);
    }

    /** The facts the transition table's guards need, gathered fresh for each attempt of a write. */
    private GuardFacts factsFor(NodesConfiguration config, NodeId node, WorkerState target) {
        boolean alive = metadata.liveness().read(node).isPresent();
        GuardFacts facts = GuardFacts.alive(alive);
        if (target == WorkerState.DRAINING) {
            facts = facts.withDrainPrecheck(new GuardFacts.DrainPrecheck(Scheduler.drainPrecheck(schedulerInput(config), Set.of(node))));
        }
        if (target == WorkerState.DISABLED) {
            // This node does not observe the workers: the rule falls back to the leaders the placements record,
            // and what the worker still holds comes from the controller's published drain progress.
            List<Placement> placements = metadata.placements().readAll().values().stream().map(VersionedPlacement::placement).toList();
            Emptiness emptiness = Emptiness.of(node, placements, Map.of(), new Emptiness.Holding.NotRunning());
            facts = facts.withEmptied(new GuardFacts.EmptiedEvidence(emptiness.named().size(), emptiness.led().size(), config.version(), stillHeld(node)));
        }
        return facts;
    }

    /**
     * What a draining worker still holds beyond its replica sets, as the controller last published it (the
     * files of groups it is still removing); {@code null} when nothing is known. This node may not be the
     * controller, so it asks the published drain progress rather than the worker.
     */
    private String stillHeld(NodeId node) {
        return new ControllerDocuments(metadata).status().flatMap(status -> status.drain(node))
                .filter(drain -> drain.state() == WorkerState.DRAINING && drain.replicasRemaining() == 0 && drain.leadershipsRemaining() == 0)
                .map(DrainProgress::waitingFor).orElse(null);
    }

    /** The scheduler's view of the cluster now, with liveness read from the liveness entries. */
    public SchedulerInput schedulerInput(NodesConfiguration config) {
        PartitionTable table = metadata.partitionTable().read()
                .orElseThrow(() -> new IllegalStateException("the cluster has no partition table yet"));
        Map<PartitionId, Placement> placements = new TreeMap<>();
        metadata.placements().readAll().forEach((partition, versioned) -> placements.put(partition, versioned.placement()));
        Liveness liveness = Liveness.allAlive(metadata.liveness().readAll().keySet(), clock.instant());
        return new SchedulerInput(config, liveness, table, placements, limits, clock.instant());
    }

    /** What disabling {@code node} now, without a drain, would cost. */
    private List<String> dropWarnings(NodesConfiguration config, NodeId node) {
        Set<NodeId> alive = metadata.liveness().readAll().keySet();
        List<PartitionId> held = new ArrayList<>();
        List<PartitionId> atRisk = new ArrayList<>();
        int led = 0;
        for (VersionedPlacement versioned : metadata.placements().readAll().values()) {
            Placement placement = versioned.placement();
            if (!placement.names(node)) {
                continue;
            }
            held.add(placement.partition());
            if (node.equals(placement.leader())) {
                led++;
            }
            long othersAlive = placement.current().stream().filter(n -> !n.equals(node) && alive.contains(n)).count();
            int quorum = placement.current().size() / 2 + 1;
            if (othersAlive < quorum) {
                atRisk.add(placement.partition());
            }
        }
        List<String> warnings = new ArrayList<>();
        if (!held.isEmpty()) {
            warnings.add(node + " still holds " + held.size() + " replica(s) " + abbreviate(held) + " and leads " + led
                    + "; they are dropped now and re-created on other workers from the remaining replicas");
        }
        if (!atRisk.isEmpty()) {
            warnings.add("partitions " + abbreviate(atRisk) + " keep fewer than a majority of live replicas without " + node
                    + ": they stop accepting writes until enough replicas are back");
        }
        return warnings;
    }

    private static String abbreviate(List<PartitionId> partitions) {
        List<String> shown = partitions.stream().limit(8).map(PartitionId::toString).toList();
        return "(" + String.join(", ", shown) + (partitions.size() > shown.size() ? ", …" : "") + ")";
    }
}
