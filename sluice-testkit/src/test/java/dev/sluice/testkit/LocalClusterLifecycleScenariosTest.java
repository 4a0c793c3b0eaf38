package dev.sluice.testkit;

import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.Lifecycle;
import dev.sluice.controller.scenarios.LifecycleScenarios;
import dev.sluice.controller.scenarios.ScenarioCluster;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataUnavailableException;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.worker.Worker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The shared lifecycle scenarios on real nodes: an embedded ZooKeeper, Ratis over gRPC on loopback, every
 * node running the control plane and one of them the controller, all on its own threads. Their twin on the
 * simulated data plane is {@code SimulatedLifecycleScenariosTest} in sluice-controller.
 */
class LocalClusterLifecycleScenariosTest extends LifecycleScenarios {

    /** Often enough to see a move of a few hundred milliseconds, rarely enough not to load the two cores. */
    private static final Duration POLL = Duration.ofMillis(100);
    /**
     * The controller's pass interval while nothing moves. At the default 5 s, what only a pass notices (a Raft
     * leader elected, a removal finished, a drained worker that holds nothing) waited up to 5 s each time a
     * scenario went quiet; at 1 s the class took 207 s instead of 233 s (same sitting, load 8-16). The scenarios'
     * deadlines are unchanged, and {@code SimulatedLifecycleScenariosTest} keeps the default.
     */
    static final Duration IDLE_PASS_INTERVAL = Duration.ofSeconds(1);

    @Override
    protected ScenarioCluster start(ScenarioCluster.Shape shape) {
        try {
            return new Local(LocalTestCluster.builder().workers(shape.workers()).partitions(shape.partitions()).replication(shape.replicas())
                    .controlPlane(withIdlePassInterval(shape.controller(), IDLE_PASS_INTERVAL), Optional.empty())
                    .restartAfterGracefulShutdown(Duration.ofSeconds(1))
                    .start(), shape);
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }

    /** {@code config} with passes {@code idle} apart when nothing moves; every other setting as it was. */
    static ControllerConfig withIdlePassInterval(ControllerConfig config, Duration idle) {
        return new ControllerConfig(config.limits(), idle, config.busyPassInterval(), config.statusPollInterval(),
                config.leadershipTransferTimeout(), config.reconfigurationTimeout(), config.stallAfter(), config.retryBackoff());
    }

    /** {@link LocalTestCluster} seen through the scenarios' interface. */
    private record Local(LocalTestCluster cluster, ScenarioCluster.Shape shape) implements ScenarioCluster {

        @Override
        public String plane() {
            return "real";
        }

        @Override
        public ClusterMetadata metadata() {
            return cluster.metadata();
        }

        @Override
        public Lifecycle lifecycle() {
            return new Lifecycle(cluster.metadata(), shape.controller().limits(), InstantSource.system());
        }

        /** Straight from the worker's Raft divisions, as its status route reports them. */
        @Override
        public Map<PartitionId, HostedReplica> hosting(NodeId worker) {
            Map<PartitionId, HostedReplica> hosted = new TreeMap<>();
            Optional<Worker> running = running(worker);
            if (running.isEmpty()) {
                return hosted;
            }
            for (PartitionId partition : running.get().hostedPartitions()) {
                Optional<ReplicaStatus> status = running.get().replicaStatus(partition);
                status.ifPresent(s -> hosted.put(partition, new HostedReplica(partition, s.role() == ReplicaRole.LEADER, s.configuration())));
            }
            return hosted;
        }

        /** A node stopped between the check and the call is not running either. */
        private Optional<Worker> running(NodeId worker) {
            for (TestNode node : cluster.nodes()) {
                try {
                    if (node.isRunning() && node.nodeId().equals(worker)) {
                        return Optional.of(node.worker());
                    }
                } catch (IllegalStateException stopped) {
                    // Killed while we looked.
                }
            }
            return Optional.empty();
        }

        @Override
        public void await(String what, Duration within, BooleanSupplier condition) {
            try {
                Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(POLL).pollInSameThread()
                        .ignoreExceptionsInstanceOf(MetadataUnavailableException.class)
                        .until(condition::getAsBoolean);
            } catch (ConditionTimeoutException timedOut) {
                throw new AssertionError(timedOut.getMessage() + "\nalive: " + cluster.metadata().liveness().readAll().keySet()
                        + "\nplacements: " + cluster.metadata().placements().readAll().values().stream()
                        .map(v -> v.placement().partition() + "=" + v.placement().current() + "->" + v.placement().next()).toList()
                        + "\ncontroller: " + new ControllerDocuments(cluster.metadata()).status().orElse(null), timedOut);
            }
        }

        @Override
        public dev.sluice.controller.MaintenanceRequests maintenance() {
            return new dev.sluice.controller.MaintenanceRequests(cluster.metadata(), lifecycle(), InstantSource.system());
        }

        @Override
        public InstantSource clock() {
            return InstantSource.system();
        }

        @Override
        public void kill(NodeId worker) {
            cluster.kill(index(worker));
        }

        /** Worker i is Ni and node index i - 1 (the scenarios' naming rule); a stopped node has no id to ask. */
        @Override
        public void restart(NodeId worker) {
            try {
                cluster.restart(worker.value() - 1);
            } catch (IOException failed) {
                throw new UncheckedIOException(failed);
            }
        }

        @Override
        public NodeId addWorker() {
            try {
                return cluster.addNode().nodeId();
            } catch (IOException failed) {
                throw new UncheckedIOException(failed);
            }
        }

        @Override
        public Optional<NodeId> controllerHost() {
            return ControllerDrainTest.controllerLeader(cluster).map(index -> cluster.node(index).nodeId());
        }

        private int index(NodeId worker) {
            return cluster.nodes().stream().filter(n -> n.isRunning() && n.nodeId().equals(worker)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(worker + " does not run")).index();
        }

        @Override
        public void close() {
            cluster.close();
        }
    }
}
