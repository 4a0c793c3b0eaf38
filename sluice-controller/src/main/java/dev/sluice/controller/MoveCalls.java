package dev.sluice.controller;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.RatisFailures;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Starts the data-plane call an action step asks for, and turns its completion into a
 * {@link ControllerEvent} for the controller's thread. Holds nothing but the call-id counter: what is
 * under way is in each partition's {@link MoveMemory}.
 */
final class MoveCalls {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MoveCalls.class);

    private final DataPlane dataPlane;
    private final ControllerEvent.Inbox inbox;
    private final InstantSource clock;
    private long nextId = 1;

    MoveCalls(DataPlane dataPlane, ControllerEvent.Inbox inbox, InstantSource clock) {
        this.dataPlane = dataPlane;
        this.inbox = inbox;
        this.clock = clock;
    }

    /**
     * Starts the call for {@code action} on {@code partition}'s group.
     *
     * @param members every node that may host the group now (current ∪ next)
     * @param leader the member believed to lead, or {@code null}
     * @return the call, for the partition's memory
     */
    MoveMemory.Call start(PartitionId partition, MoveStep action, NodesConfiguration nodes, Collection<NodeId> members, NodeId leader,
            Duration deadline) {
        long id = nextId++;
        List<NodeConfig> memberConfigs = configs(nodes, members);
        CompletableFuture<Void> call = switch (action) {
            case MoveStep.StepDown stepDown -> dataPlane.stepDown(partition, memberConfigs, stepDown.leader(), deadline);
            case MoveStep.ShedLeadership shed -> dataPlane.transferLeadership(partition, memberConfigs, leader, shed.to(), deadline);
            case MoveStep.ChangeConfiguration change -> dataPlane.setConfiguration(partition, memberConfigs, leader, configs(nodes, change.to()), deadline);
            case MoveStep.Confirm confirm -> dataPlane.setConfiguration(partition, memberConfigs, leader, configs(nodes, confirm.configuration()), deadline);
            case MoveStep.AwaitJoiner a -> throw notACall(action);
            case MoveStep.AwaitLeader a -> throw notACall(action);
            case MoveStep.InFlight a -> throw notACall(action);
            case MoveStep.BackOff a -> throw notACall(action);
            case MoveStep.Complete a -> throw notACall(action);
        };
        // The call's own start, not the pass's: a pass that wrote placements first may have begun a while ago.
        Instant started = clock.instant();
        log.debug("{}: call {} started: {} (via {})", partition, id, action.describe(), leader);
        call.whenComplete((ok, failure) -> {
            Instant ended = clock.instant();
            log.debug("{}: call {} {} in {} ms", partition, id, failure == null ? "succeeded" : "failed: " + failure, Duration.between(started, ended).toMillis());
            inbox.post(failure == null
                    ? new ControllerEvent.CallSucceeded(partition, id, ended)
                    : new ControllerEvent.CallFailed(partition, id, RatisFailures.classify(failure, leader, action.describe(), deadline), ended));
        });
        return new MoveMemory.Call(id, action, leader, started, started.plus(deadline));
    }

    private static IllegalArgumentException notACall(MoveStep step) {
        return new IllegalArgumentException("BUG: " + step.kind() + " starts no data-plane call");
    }

    private static List<NodeConfig> configs(NodesConfiguration nodes, Collection<NodeId> ids) {
        List<NodeConfig> result = new ArrayList<>();
        for (NodeId id : ids.stream().sorted().toList()) {
            nodes.find(id).ifPresent(result::add);
        }
        return result;
    }
}
