package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.Actor;
import dev.sluice.model.CredentialName;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Refusal;
import dev.sluice.model.RefusalKind;
import dev.sluice.scheduler.DryRunReport;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.MaintenancePrecheck;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.WhatIf;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Operator-requested maintenance intents, with the maintenance pre-check run on the server: beginning (or
 * extending) one, ending one, and a dry-run that says what beginning one would do. Like {@link Lifecycle},
 * any node can serve these, because everything they need is in the metadata store; the controller then acts
 * on the stored intent (leaderships leave, nothing is replaced) and ends it ({@link MaintenanceKeeper}).
 */
public final class MaintenanceRequests {

    private final ClusterMetadata metadata;
    private final Lifecycle lifecycle;
    private final InstantSource clock;

    public MaintenanceRequests(ClusterMetadata metadata, Lifecycle lifecycle, InstantSource clock) {
        this.metadata = metadata;
        this.lifecycle = lifecycle;
        this.clock = clock;
    }

    /** What a request led to. */
    public sealed interface Outcome {
        /** The reference names no current node ({@link NodeResolution} says why). Nothing was written. */
        record Unresolved(NodeResolution resolution) implements Outcome {}

        /**
         * Applied, or found already in place.
         *
         * @param warnings what the pre-check warns of but does not refuse (partitions left in one zone)
         */
        record Done(NodeConfig node, boolean changed, List<String> warnings) implements Outcome {}

        /** Refused; nothing was written. */
        record Refused(Refusal refusal) implements Outcome {}

        /**
         * What beginning the maintenance would do now: whether it would be refused, which leaderships would
         * leave the node (no replica moves), and the pre-check's warnings. Nothing was written.
         */
        record DryRun(NodeConfig node, Optional<Refusal> wouldRefuse, List<LeadershipChange> leaderships, List<String> warnings)
                implements Outcome {}
    }

    /**
     * Puts the node {@code nodeReference} names into maintenance for {@code duration} from now, or extends
     * the maintenance it is in.
     */
    public Outcome begin(String nodeReference, String reason, Duration duration, boolean force, boolean dryRun) {
        return begin(nodeReference, reason, duration, force, dryRun, Optional.empty());
    }

    /** {@link #begin(String, String, Duration, boolean, boolean)} on behalf of {@code credential}, which the intent records. */
    public Outcome begin(String nodeReference, String reason, Duration duration, boolean force, boolean dryRun, Optional<CredentialName> credential) {
        NodesConfiguration config = metadata.nodes().current();
        NodeResolution resolution = config.resolve(nodeReference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return new Outcome.Unresolved(resolution);
        }
        NodeConfig node = found.node();
        if (!node.isWorker()) {
            return new Outcome.Refused(Refusal.simple(RefusalKind.INVALID_REQUEST, node.nodeId(),
                    NodeResolution.label(node) + " has no worker role; maintenance is for workers"));
        }
        Instant now = clock.instant();
        // To the second: the limit is printed in messages, readiness and events, where nanoseconds are noise.
        Instant until = now.plus(duration).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        String requestId = dryRun ? "dry-run" : UUID.randomUUID().toString();
        if (dryRun) {
            SchedulerInput input = lifecycle.schedulerInput(config);
            MaintenancePrecheck.Result precheck = MaintenancePrecheck.check(input, Set.of(node.nodeId()));
            NodesChange.StartMaintenance change = new NodesChange.StartMaintenance(node.id(), Actor.OPERATOR, reason, until, force,
                    precheck.blocking(), requestId, now);
            ChangeResult decision = config.apply(change);
            Optional<Refusal> refusal = decision instanceof ChangeResult.Refused refused ? Optional.of(refused.refusal()) : Optional.empty();
            List<LeadershipChange> leaderships = List.of();
            if (decision instanceof ChangeResult.Changed changed) {
                DryRunReport plan = Scheduler.dryRun(lifecycle.schedulerInput(changed.next()), WhatIf.NOTHING);
                leaderships = plan.leadershipChanges().stream().filter(leadership -> node.nodeId().equals(leadership.from())).toList();
            }
            return new Outcome.DryRun(node, refusal, leaderships, warnings(precheck));
        }
        MaintenancePrecheck.Result[] lastPrecheck = new MaintenancePrecheck.Result[1];
        NodesConfigurationStore.Update update = metadata.nodes().update(current -> {
            lastPrecheck[0] = MaintenancePrecheck.check(lifecycle.schedulerInput(current), Set.of(node.nodeId()));
            return new NodesChange.StartMaintenance(node.id(), Actor.OPERATOR, reason, until, force, lastPrecheck[0].blocking(), requestId, now,
                    credential.orElse(null));
        }, List.of());
        List<String> warnings = lastPrecheck[0] == null ? List.of() : warnings(lastPrecheck[0]);
        return switch (update.result()) {
            case ChangeResult.Changed changed -> new Outcome.Done(changed.node(), true, warnings);
            case ChangeResult.Unchanged unchanged -> new Outcome.Done(unchanged.node(), false, List.of());
            case ChangeResult.Refused refused -> new Outcome.Refused(refused.refusal());
        };
    }

    /** Ends the maintenance of the node {@code nodeReference} names; a node in none is a no-op success. */
    public Outcome end(String nodeReference) {
        NodesConfiguration config = metadata.nodes().current();
        NodeResolution resolution = config.resolve(nodeReference);
        if (!(resolution instanceof NodeResolution.Found found)) {
            return new Outcome.Unresolved(resolution);
        }
        NodeConfig node = found.node();
        NodesConfigurationStore.Update update = metadata.nodes().update(current -> new NodesChange.EndMaintenance(node.nodeId(), Actor.OPERATOR,
                Maintenance.EndCause.ENDED_BY_OPERATOR, null, "", clock.instant()), List.of());
        return switch (update.result()) {
            case ChangeResult.Changed changed -> new Outcome.Done(changed.node(), true, List.of());
            case ChangeResult.Unchanged unchanged -> new Outcome.Done(unchanged.node(), false, List.of());
            case ChangeResult.Refused refused -> new Outcome.Refused(refused.refusal());
        };
    }

    private static List<String> warnings(MaintenancePrecheck.Result precheck) {
        return BlockingPartition.grouped(precheck.warnings()).stream().map(BlockingPartition.Group::toString).toList();
    }
}
