package dev.sluice.controller.scenarios;

import dev.sluice.controller.MaintenanceRequests;
import java.time.InstantSource;

import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.ControllerStatus;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A running cluster with a controller, as {@link LifecycleScenarios} needs it: what an operator can see and
 * ask (the metadata store, {@link Lifecycle}, the controller's published status), what the data plane really
 * hosts, a way to let time pass, and the faults both planes can produce. One implementation drives the
 * controller pass by pass against a simulated data plane; another runs real nodes (ZooKeeper, Ratis, the
 * controller's own thread). A scenario written against this interface means the same on both, so the
 * simulation cannot drift from what real nodes do unnoticed.
 *
 * <p>Workers are named {@code worker-1…} in the order they started, so worker {@code i} is {@code Ni}.
 */
public interface ScenarioCluster extends AutoCloseable {

    /**
     * What a scenario asks for: workers (all Active at the start, one zone), partitions of {@code replicas}
     * replicas each, and the controller's configuration.
     */
    record Shape(int workers, int partitions, int replicas, ControllerConfig controller) {
        public Shape {
            if (replicas > workers) {
                throw new IllegalArgumentException(replicas + " replicas need at least as many workers, got " + workers);
            }
        }
    }

    /**
     * One partition replica as the worker hosting it reports it from its Raft server.
     *
     * @param leads whether this replica is its group's leader now
     * @param configuration the group's voting members as this replica knows them
     */
    record HostedReplica(PartitionId partition, boolean leads, List<NodeId> configuration) {
        public HostedReplica {
            configuration = List.copyOf(configuration);
        }
    }

    /** Which plane this is, for failure messages. */
    String plane();

    /** A metadata session of the test's own, not any node's: placements, nodes, events, audit. */
    ClusterMetadata metadata();

    /** The operator's way to ask for a transition, as the admin API calls it. */
    Lifecycle lifecycle();

    /**
     * The replicas {@code worker}'s Raft server hosts now, by partition, as the worker reports them; empty
     * when the worker does not run. Read from the data plane, never from the placements.
     */
    Map<PartitionId, HostedReplica> hosting(NodeId worker);

    /**
     * Lets the cluster run until {@code condition} holds, for at most {@code within} of cluster time: passes
     * of simulated time in the simulation, wall-clock time on real nodes. The condition is evaluated at
     * least after every controller pass (simulation) or poll (real), and may throw to fail at once.
     *
     * @throws AssertionError naming {@code what} and describing the cluster, if the time runs out
     */
    void await(String what, Duration within, BooleanSupplier condition);

    /** The operator's way to begin and end a maintenance, as the admin API calls it. */
    MaintenanceRequests maintenance();

    /** The cluster's clock: simulated time in the simulation, the wall clock on real nodes. */
    InstantSource clock();

    /** Crashes {@code worker}'s process: its Raft server stops answering and its liveness entry goes. */
    void kill(NodeId worker);

    /** Starts a killed worker's process again, with its data and under its name: it registers a new generation. */
    void restart(NodeId worker);

    /** Starts a new worker (named after the others); it becomes Active as a fresh worker does. */
    NodeId addWorker();

    /**
     * The worker whose process runs the controller leader now, if the controller runs on a worker at all
     * (real nodes); a scenario that kills a worker to stand for a data-plane fault avoids this one, so the
     * fault is the same on both planes.
     */
    Optional<NodeId> controllerHost();

    /** What an operator sees as the controller's status: the document the controller leader last published. */
    default Optional<ControllerStatus> controllerStatus() {
        return new ControllerDocuments(metadata()).status();
    }

    /** Stops everything the cluster started and deletes what it wrote. */
    @Override
    void close();
}
