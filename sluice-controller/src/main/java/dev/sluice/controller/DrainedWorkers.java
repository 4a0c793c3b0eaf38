package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.Actor;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.util.Collection;
import java.util.List;
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

    DrainedWorkers(ClusterMetadata metadata) {
        this.metadata = metadata;
    }

    /** Disables every draining worker that holds nothing; returns the nodes configuration after the transitions made. */
    NodesConfiguration disableEmptied(NodesConfigurationStore.Snapshot nodesSnapshot, Collection<Placement> placements, Function<NodeId, Emptiness> emptiness,
            Fence fence) {
        NodesConfiguration latest = nodesSnapshot.configuration();
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
            NodesConfigurationStore.Update update = metadata.nodes().transition(node.id(), WorkerState.DISABLED, Actor.CONTROLLER,
                    "drained: in no replica set, leads nothing, holds no files", false, config -> GuardFacts.NONE.withEmptied(evidence),
                    List.of(fence));
            if (update.applied()) {
                log.info("{} ({}) drained and disabled", node.id(), node.name());
            } else {
                update.refusal().ifPresent(refusal -> log.info("not disabling {}: {}", node.nodeId(), refusal.message()));
            }
            latest = update.configuration();
        }
        return latest;
    }
}
