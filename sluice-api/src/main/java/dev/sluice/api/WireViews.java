package dev.sluice.api;

import dev.sluice.controller.ControllerStatus;
import dev.sluice.controller.DrainProgress;
import dev.sluice.scheduler.Explanation;
import dev.sluice.scheduler.LeadershipChange;
import dev.sluice.scheduler.Move;
import dev.sluice.wire.ControllerView;
import dev.sluice.wire.DrainView;
import dev.sluice.wire.ExplanationView;
import dev.sluice.wire.LeadershipChangeView;
import dev.sluice.wire.MoveView;
import java.util.function.UnaryOperator;

/**
 * The controller's and the scheduler's values as the admin API's wire records. The wire module cannot see
 * those modules (the CLI reads the records without them), so the API, which sees both, maps between them.
 */
final class WireViews {

    private WireViews() {}

    /**
     * The drain, its sentences passed through {@code nodeNames}, which the API gives the rule events follow
     * ({@code N3} becomes {@code N3 (worker-3)}).
     */
    static DrainView drain(DrainProgress drain, UnaryOperator<String> nodeNames) {
        return new DrainView(drain.node(), drain.incarnation(), drain.name(), drain.state(), drain.startedAt(), drain.completedAt(),
                drain.replicasAtStart(), drain.replicasRemaining(), drain.leadershipsRemaining(), drain.movesInFlight(), drain.movesDone(),
                drain.ratePerMinute(), drain.etaSeconds(), drain.stalled(),
                drain.stalledPartitions().stream().map(stalled -> new DrainView.StalledPartition(stalled.partition(), stalled.worker(),
                        stalled.reason().wireName(), nodeNames.apply(stalled.message()), stalled.since())).toList(),
                drain.waitingFor() == null ? null : nodeNames.apply(drain.waitingFor()), drain.updatedAt(),
                drain.replacedBy() == null ? null : nodeNames.apply(drain.replacedBy().toString()), drain.stalledLeftOut());
    }

    static ControllerView controller(ControllerStatus status) {
        return new ControllerView(status.leader(), status.epoch(), status.updatedAt(), status.passes(), status.lastPassMillis());
    }

    static MoveView move(Move move) {
        return new MoveView(move.partition(), move.from(), move.to());
    }

    static LeadershipChangeView leadershipChange(LeadershipChange change) {
        return new LeadershipChangeView(change.partition(), change.from(), change.to(), change.cause().wireName());
    }

    static ExplanationView explanation(Explanation explanation) {
        return new ExplanationView(explanation.partition(), explanation.reason().wireName(), explanation.message(), explanation.numbers());
    }
}
