package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.DocumentCodec;
import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.Op;
import dev.sluice.model.Actor;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The simulation's per-step checkers look only at what changed in a step; each still catches its
 * violation when a step breaks the rule on purpose (and the same run unbroken has no such violation).
 */
class ControllerSimulationCheckersTest {

    /** The first of the build's seeds: 5 workers × 3 replicas of a few dozen partitions. */
    static final long SEED = -8_773_143_425_472_887_485L;
    static final int FAULT_STEPS = 300;
    static final int HEAL_STEPS = 2_500;
    static final int BROKEN_AT = 150;

    private static ControllerSimulation.Outcome run(ControllerSimulation.Sabotage sabotage) {
        ControllerSimulation.Outcome outcome = ControllerSimulation.run(SEED, null, FAULT_STEPS, HEAL_STEPS, sabotage);
        System.out.println(outcome.summary());
        return outcome;
    }

    @Test
    void unbrokenTheRunHasNoViolation() {
        assertThat(run(null).violations()).isEmpty();
    }

    @Test
    void aTransitionTheTableForbidsIsCaughtAmongManyAuditRecords() {
        ControllerSimulation.Outcome outcome = run((step, cluster) -> {
            if (step == BROKEN_AT) {
                // Many records first, so the checker must read on from where it stopped, not from the start.
                NodeConfig node = cluster.metadata.nodes().current().workers().getFirst();
                DocumentCodec<AuditRecord> codec = new DocumentCodec<>(AuditRecord.class, "audit record", 1);
                List<Op> ops = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    ops.add(new Op.Append(MetadataKeys.AUDIT, codec.encode(new AuditRecord(node.id(), node.name(), WorkerState.ACTIVE, WorkerState.ACTIVE,
                            Actor.NODE, "no-op", false, cluster.clock.instant(), node.lastStateChange().version(), ""))));
                }
                ops.add(new Op.Append(MetadataKeys.AUDIT, codec.encode(new AuditRecord(node.id(), node.name(), WorkerState.ACTIVE, WorkerState.DISABLED,
                        Actor.CONTROLLER, "sabotage", false, cluster.clock.instant(), node.lastStateChange().version(), ""))));
                cluster.store.commit(ops);
            }
        });
        assertThat(outcome.violations()).containsOnlyOnce("step " + BROKEN_AT + ": transition active → disabled by controller is not in the transition table");
    }

    @Test
    void aMoveOntoAWorkerThatIsNotActiveIsCaught() {
        List<String> expected = new ArrayList<>();
        ControllerSimulation.Outcome outcome = run((step, cluster) -> {
            if (step == BROKEN_AT) {
                Placement still = cluster.placements().values().stream().filter(p -> !p.hasNext()).findFirst().orElseThrow();
                NodeId outsider = cluster.names.keySet().stream().filter(n -> !still.names(n) && cluster.state(n) == WorkerState.ACTIVE).findFirst()
                        .orElseThrow();
                new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock).request(outsider.toString(), WorkerState.DRAINING, "sabotage",
                        true, false);
                List<NodeId> next = new ArrayList<>(still.current().subList(1, still.current().size()));
                next.add(outsider);
                long version = cluster.metadata.placements().read(still.partition()).orElseThrow().version();
                cluster.metadata.placements().write(new Placement(still.partition(), still.current(), next, still.leader(), still.policy(),
                        still.basedOnNodesVersion(), cluster.clock.instant()), version, null, List.of());
                expected.add("step " + BROKEN_AT + ": " + still.partition() + " was moved onto " + outsider + ", which is draining");
            }
        });
        assertThat(outcome.violations()).contains(expected.getFirst());
    }

    @Test
    void aGroupReconfiguredWithoutALiveMajorityIsCaughtInTheStepItChanged() {
        int killAt = BROKEN_AT - 10;
        List<NodeId> killed = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        ControllerSimulation.Outcome outcome = run((step, cluster) -> {
            List<NodeId> down = cluster.names.keySet().stream().filter(n -> !cluster.running(n)).toList();
            if (step == killAt && down.isEmpty()) {
                NodeId victim = cluster.names.keySet().iterator().next();
                cluster.kill(victim);
                killed.add(victim);
            } else if (step == BROKEN_AT && down.size() == 1) {
                // Nobody died or came back in this step: only the look at reconfigured groups can see it.
                NodeId other = cluster.names.keySet().stream().filter(cluster::running).findFirst().orElseThrow();
                PartitionId partition = cluster.placements().keySet().iterator().next();
                List<NodeId> configuration = List.of(down.getFirst(), other);
                cluster.dataPlane.overwriteConfiguration(partition, configuration);
                expected.add("step " + BROKEN_AT + ": " + partition + "'s group " + configuration + " has only 1 live members");
            } else if (step == BROKEN_AT + 10 && !killed.isEmpty()) {
                cluster.restart(killed.getFirst());
            }
        });
        assertThat(expected).as("the step was broken (one worker down then)").hasSize(1);
        assertThat(outcome.violations()).contains(expected.getFirst());
    }
}
