package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.Actor;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The automatic draining → disabled transition: a draining worker that is {@linkplain Emptiness empty}
 * is disabled under the transition table's emptied-while-draining guard. Judged on placements read in
 * this pass, after the nodes configuration that shows it draining, so no scheduling decision made before
 * the drain can still add it anywhere.
 */
final class DrainedWorkers {

    private static final Logger log = LoggerFactory.getLogger(DrainedWorkers.class);

    private final ClusterMetadata metadata;
    private final InstantSource clock;

    DrainedWorkers(ClusterMetadata metadata, InstantSource clock) {
        this.metadata = metadata;
        this.clock = clock;
    }

    /**
     * Disables every draining worker that holds nothing, up to {@link NodesChange.TransitionWorkers#MAX_MEMBERS} to a write
     * of the nodes configuration (each judged alone: one refused does not hold back the others); returns the nodes
     * configuration after the writes made.
     */
    NodesConfiguration disableEmptied(NodesConfigurationStore.Snapshot nodesSnapshot, Collection<Placement> placements, Function<NodeId, Emptiness> emptiness,
            Fence fence) {
        NodesConfiguration latest = nodesSnapshot.configuration();
        List<NodesChange.TransitionWorker> drained = new ArrayList<>();
        String requestId = UUID.randomUUID().toString();
        for (NodeConfig node : nodesSnapshot.configuration().workers()) {
            if (node.workerState() != WorkerState.DRAINING) {
                continue;
            }
            Emptiness empty = emptiness.apply(node.nodeId());
            if (!empty.holdsNothing()) {
                continue;
            }
            GuardFacts.EmptiedEvidence evidence = new GuardFacts.EmptiedEvidence(empty.named().size(), empty.led().size(),
                    nodesSnapshot.configuration().version());
            drained.add(new NodesChange.TransitionWorker(node.id(), WorkerState.DISABLED, Actor.CONTROLLER,
                    "drained: in no replica set, leads nothing, holds no files", false, GuardFacts.NONE.withEmptied(evidence), requestId,
                    clock.instant()));
        }
        for (int from = 0; from < drained.size(); from += NodesChange.TransitionWorkers.MAX_MEMBERS) {
            List<NodesChange.TransitionWorker> batch = drained.subList(from, Math.min(drained.size(), from + NodesChange.TransitionWorkers.MAX_MEMBERS));
            NodesConfigurationStore.Update update = metadata.nodes().update(config -> new NodesChange.TransitionEach(batch), List.of(fence));
            latest = update.configuration();
            for (NodesChange.TransitionWorker transition : batch) {
                NodeConfig now = latest.find(transition.node().id()).orElse(null);
                if (now != null && now.workerState() == WorkerState.DISABLED && now.lastStateChange().requestId().equals(requestId)) {
                    log.info("{} ({}) drained and disabled", now.id(), now.name());
                } else {
                    // Rare (the drain was cancelled, or the worker restarted, since the pass read the configuration): judged alone
                    // again to say why.
                    String why = latest.apply(transition) instanceof ChangeResult.Refused refused ? refused.refusal().message()
                            : now == null ? "it is gone" : "it is " + now.workerState();
                    log.info("not disabling {}: {}", transition.node(), why);
                }
            }
        }
        return latest;
    }
}
