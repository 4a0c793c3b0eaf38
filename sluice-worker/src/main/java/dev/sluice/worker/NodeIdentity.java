package dev.sluice.worker;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EphemeralKey;
import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionTable;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who this worker process is: its registration (plain id and generation), its liveness entry, the
 * cluster's partition table and the nodes configuration as last seen through the watch. It owns soft state
 * only — everything is re-read at the next start — and decides one thing: whether a newer process of this
 * node's name has superseded this one.
 */
final class NodeIdentity {

    private static final Logger log = LoggerFactory.getLogger(NodeIdentity.class);

    /** Waits between registration attempts while the previous process's liveness entry lingers. */
    static final Duration REGISTRATION_RETRY = Duration.ofMillis(250);

    private final WorkerConfig config;
    private final ClusterMetadata metadata;
    /** Orders nodes-configuration updates; not the worker's monitor, which stop() holds while closing watches. */
    private final Object nodesLock = new Object();

    private volatile PartitionTable table;
    private volatile NodesConfiguration nodes = NodesConfiguration.empty();
    private volatile NodeConfig self;
    private volatile EphemeralKey liveness;
    private volatile boolean superseded;

    NodeIdentity(WorkerConfig config, ClusterMetadata metadata) {
        this.config = config;
        this.metadata = metadata;
    }

    /** Waits (bounded by the registration timeout) until the cluster has a partition table, and keeps it. */
    PartitionTable awaitPartitionTable() {
        long deadline = System.nanoTime() + config.registrationTimeout().toNanos();
        while (true) {
            Optional<PartitionTable> found = metadata.partitionTable().read();
            if (found.isPresent()) {
                table = found.get();
                return table;
            }
            if (System.nanoTime() > deadline) {
                throw new MetadataException("cluster '" + config.clusterName() + "' has no partition table after " + config.registrationTimeout()
                        + "; create the cluster first");
            }
            pause(REGISTRATION_RETRY);
        }
    }

    /** Registers, retrying while the previous process of this name still holds its liveness entry. */
    NodeConfig register(NodeAddresses addresses) {
        NodeRegistration registration = new NodeRegistration(metadata, config.clock());
        long deadline = System.nanoTime() + config.registrationTimeout().toNanos();
        int attempt = 0;
        while (true) {
            attempt++;
            try {
                NodeRegistration.Registered registered = registration.register(config.nodeName(), addresses, config.roles(), config.location());
                self = registered.node();
                liveness = registered.liveness();
                log.info("{} ({}) registered as {}, state {}", config.nodeName(), addresses.raft(), self.id(), self.workerState());
                return self;
            } catch (NodeRegistration.RefusedException refused) {
                if (System.nanoTime() > deadline) {
                    throw refused;
                }
                if (attempt == 1 || attempt % 20 == 0) {
                    log.info("{}: registration refused, retrying until {} has passed: {}", config.nodeName(), config.registrationTimeout(), refused.getMessage());
                }
                pause(REGISTRATION_RETRY);
            }
        }
    }

    /**
     * Takes in a nodes configuration from the watch or a re-read; an older one than already seen is ignored.
     *
     * @return whether this process still serves as itself after it (not superseded, still configured)
     */
    boolean onNodes(NodesConfigurationStore.Snapshot snapshot) {
        NodesConfiguration seen = snapshot.configuration();
        synchronized (nodesLock) {
            if (seen.version().compareTo(nodes.version()) < 0) {
                return false;
            }
            nodes = seen;
            NodeConfig mine = self;
            if (mine == null) {
                return false;
            }
            Optional<NodeConfig> now = seen.find(mine.nodeId());
            if (now.isEmpty()) {
                log.warn("{} is no longer in the nodes configuration {}; it serves nothing", mine.id(), seen.version());
                superseded = true;
                return false;
            }
            if (now.get().id().generation() > mine.id().generation()) {
                if (!superseded) {
                    log.error("{} was superseded by {} (another process registered as '{}'); this process stops serving",
                            mine.id(), now.get().id(), config.nodeName());
                }
                superseded = true;
                return false;
            }
            if (now.get().id().equals(mine.id())) {
                self = now.get();
            }
            return true;
        }
    }

    /** Takes in this node's own record as written by its activation, if it is still this incarnation's. */
    void written(NodesConfiguration configuration) {
        NodeConfig mine = self;
        if (mine != null) {
            configuration.find(mine.nodeId()).filter(node -> node.id().equals(mine.id())).ifPresent(node -> self = node);
        }
    }

    NodeConfig self() {
        return self;
    }

    NodesConfiguration nodes() {
        return nodes;
    }

    PartitionTable table() {
        return table;
    }

    boolean superseded() {
        return superseded;
    }

    /** Closes the liveness entry ({@code release}), or leaves it to expire with the session as a crash would. */
    void leave(boolean release) {
        EphemeralKey entry = liveness;
        liveness = null;
        if (entry != null && release) {
            try {
                entry.close();
            } catch (RuntimeException failed) {
                log.debug("{}: the liveness entry goes with the session: {}", config.nodeName(), failed.toString());
            }
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new MetadataException("interrupted while waiting");
        }
    }
}
