package dev.sluice.controller;

import dev.sluice.controller.scenarios.LifecycleScenarios;
import dev.sluice.controller.scenarios.ScenarioCluster;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.model.Location;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.ReplicationProperty;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * The shared lifecycle scenarios against the simulated data plane, pass by pass with a hand-moved clock.
 * Their twin on real nodes is {@code LocalClusterLifecycleScenariosTest} in sluice-testkit.
 */
class SimulatedLifecycleScenariosTest extends LifecycleScenarios {

    /**
     * Calls take two steps to complete, so moves overlap passes and each other as they do on real nodes,
     * where a configuration change takes several passes.
     */
    private static final int CALL_LATENCY_STEPS = 2;

    @Override
    protected ScenarioCluster start(ScenarioCluster.Shape shape) {
        return new Simulated(new ControllerHarness(shape.workers(), shape.partitions(), ReplicationProperty.of(shape.replicas()), shape.controller(),
                CALL_LATENCY_STEPS));
    }

    /** {@link ControllerHarness} seen through the scenarios' interface. */
    private record Simulated(ControllerHarness harness) implements ScenarioCluster {

        @Override
        public String plane() {
            return "simulated";
        }

        @Override
        public ClusterMetadata metadata() {
            return harness.metadata;
        }

        @Override
        public Lifecycle lifecycle() {
            return new Lifecycle(harness.metadata, harness.config.limits(), harness.clock);
        }

        @Override
        public Map<PartitionId, HostedReplica> hosting(NodeId worker) {
            Map<PartitionId, HostedReplica> hosted = new TreeMap<>();
            if (!harness.running(worker)) {
                return hosted;
            }
            for (PartitionId partition : harness.dataPlane.hostedBy(worker)) {
                SimulatedDataPlane.Group group = harness.dataPlane.group(partition);
                hosted.put(partition, new HostedReplica(partition, worker.equals(group.leader), group.configuration));
            }
            return hosted;
        }

        @Override
        public void await(String what, Duration within, BooleanSupplier condition) {
            harness.runUntil(condition, Math.toIntExact(within.toMillis() / ControllerHarness.STEP.toMillis()), what);
        }

        @Override
        public MaintenanceRequests maintenance() {
            return new MaintenanceRequests(harness.metadata, lifecycle(), harness.clock);
        }

        @Override
        public java.time.InstantSource clock() {
            return harness.clock;
        }

        @Override
        public void kill(NodeId worker) {
            harness.kill(worker);
        }

        @Override
        public void restart(NodeId worker) {
            harness.restart(worker);
        }

        @Override
        public NodeId addWorker() {
            return harness.addWorker("worker-" + (harness.names.size() + 1), Location.parse("local.zone-1"));
        }

        /** The simulated controller runs beside the workers, not on one of them. */
        @Override
        public Optional<NodeId> controllerHost() {
            return Optional.empty();
        }

        @Override
        public void close() {
            harness.close();
        }
    }
}
