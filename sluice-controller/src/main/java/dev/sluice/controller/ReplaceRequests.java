package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.Actor;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.CredentialName;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Refusal;
import dev.sluice.model.Replacement;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.DryRunReport;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.scheduler.WhatIf;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Operator-requested replaces of one worker by another ({@link Replacement}): the pre-check on the server (the model's
 * rules on both workers, and {@link Scheduler#replacePrecheck} on every partition the replaced worker holds), the
 * dry-run plan with its ETA under the current throttles, and the write. Any node can serve it; the controller acts on
 * the stored replacement on its next pass, and the drain machinery reports progress ({@link DrainProgress}, with
 * {@code replacedBy}). A cancel is the drain's cancel: the replaced worker back to active.
 */
public final class ReplaceRequests {

    private final ClusterMetadata metadata;
    private final Lifecycle lifecycle;
    private final Supplier<SchedulerLimits> limits;
    private final InstantSource clock;

    /** @param limits the throttles in force now (the operator's runtime settings over the flags), for the plan's ETA */
    public ReplaceRequests(ClusterMetadata metadata, Lifecycle lifecycle, Supplier<SchedulerLimits> limits, InstantSource clock) {
        this.metadata = metadata;
        this.lifecycle = lifecycle;
        this.limits = limits;
        this.clock = clock;
    }

    /**
     * What a replace would do: the moves (each of the replaced worker's replicas to the receiving worker), the
     * leadership changes, what the scheduler could not do, and how long it takes under the throttles: the moves all
     * involve the receiving worker, so at most {@code min(maxChangesPerNode, maxChangesInCluster)} run at once.
     *
     * @param waves rounds of moves the throttles allow
     * @param etaSeconds waves × {@link TransferEstimate#MOVE_ESTIMATE}
     */
    public record Plan(DryRunReport report, int maxChangesPerNode, int maxChangesInCluster, int waves, long etaSeconds) {}

    /** What a request led to. */
    public sealed interface Outcome {
        /** A reference names no current node ({@code which}: {@code old} or {@code replacement}). Nothing was written. */
        record Unresolved(String which, NodeResolution resolution) implements Outcome {}

        /** The replace was written (or found written by this request), with the plan it starts from. */
        record Started(NodeConfig old, NodeConfig replacement, boolean changed, Plan plan) implements Outcome {}

        /** Refused; nothing was written. */
        record Refused(Refusal refusal) implements Outcome {}

        /** A dry-run: whether the replace would be allowed now, and its plan. Nothing was written. */
        record DryRun(NodeConfig old, NodeConfig replacement, Optional<Refusal> wouldRefuse, Plan plan) implements Outcome {}
    }

    /**
     * Replaces the worker {@code oldReference} names by the one {@code replacementReference} names, on behalf of
     * {@code credential}; with {@code dryRun}, judges it and plans it and writes nothing. The write is conditioned on
     * both incarnations resolved here and on the pre-check run again for each attempt.
     */
    public Outcome request(String oldReference, String replacementReference, String reason, boolean dryRun, Optional<CredentialName> credential) {
        NodesConfiguration config = metadata.nodes().current();
        NodeResolution oldResolution = config.resolve(oldReference);
        if (!(oldResolution instanceof NodeResolution.Found oldFound)) {
            return new Outcome.Unresolved("old", oldResolution);
        }
        NodeResolution byResolution = config.resolve(replacementReference);
        if (!(byResolution instanceof NodeResolution.Found byFound)) {
            return new Outcome.Unresolved("replacement", byResolution);
        }
        NodeConfig old = oldFound.node();
        NodeConfig by = byFound.node();
        String requestId = dryRun ? "dry-run" : UUID.randomUUID().toString();
        if (dryRun) {
            ChangeResult decision = config.apply(change(config, old, by, reason, requestId, credential));
            Optional<Refusal> refusal = decision instanceof ChangeResult.Refused refused ? Optional.of(refused.refusal()) : Optional.empty();
            return new Outcome.DryRun(old, by, refusal, plan(config, old, by, reason));
        }
        NodesConfigurationStore.Update update = metadata.nodes().update(current -> change(current, old, by, reason, requestId, credential), List.of());
        return switch (update.result()) {
            case ChangeResult.Changed changed -> new Outcome.Started(changed.node(), by, true, plan(config, old, by, reason));
            case ChangeResult.Unchanged unchanged -> new Outcome.Started(unchanged.node(), by, false, plan(config, old, by, reason));
            case ChangeResult.Refused refused -> new Outcome.Refused(refused.refusal());
        };
    }

    /** The change, with its facts gathered on {@code current}: the receiving worker's liveness and the pre-check. */
    private NodesChange.ReplaceWorker change(NodesConfiguration current, NodeConfig old, NodeConfig by, String reason, String requestId,
            Optional<CredentialName> credential) {
        boolean alive = metadata.liveness().read(by.nodeId()).isPresent();
        List<BlockingPartition> blocking = old.isWorker() && by.isWorker() && current.find(old.nodeId()).isPresent() && current.find(by.nodeId()).isPresent()
                ? Scheduler.replacePrecheck(lifecycle.schedulerInput(current), old.nodeId(), by.nodeId())
                : List.of();
        return new NodesChange.ReplaceWorker(old.id(), by.id(), Actor.OPERATOR, reason, new NodesChange.ReplaceFacts(alive, blocking), requestId,
                clock.instant(), credential.orElse(null));
    }

    /** The plan as if the replace were written now: the scheduler's dry-run on the configuration with it applied. */
    private Plan plan(NodesConfiguration config, NodeConfig old, NodeConfig by, String reason) {
        SchedulerLimits now = limits.get();
        NodesConfiguration replaced = config;
        if (old.isWorker() && by.isWorker() && !old.nodeId().equals(by.nodeId())) {
            NodeConfig replacing = old.withWorkerState(WorkerState.DRAINING, old.lastStateChange())
                    .withReplacement(new Replacement(by.nodeId(), reason, Actor.OPERATOR, clock.instant(), "dry-run", null));
            List<NodeConfig> nodes = config.nodes().stream().map(node -> node.nodeId().equals(old.nodeId()) ? replacing : node).toList();
            replaced = new NodesConfiguration(config.version(), nodes, config.tombstones());
        }
        SchedulerInput input = lifecycle.schedulerInput(replaced).withLimits(now);
        DryRunReport report = Scheduler.dryRun(input, WhatIf.NOTHING);
        int concurrent = Math.max(1, Math.min(now.maxChangesPerNode(), now.maxChangesInCluster()));
        int waves = (report.moves().size() + concurrent - 1) / concurrent;
        return new Plan(report, now.maxChangesPerNode(), now.maxChangesInCluster(), waves, waves * TransferEstimate.MOVE_ESTIMATE.toSeconds());
    }
}
