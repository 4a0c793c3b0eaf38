package dev.sluice.metadata;

import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.Role;
import java.time.InstantSource;
import java.util.Optional;
import java.util.Set;

/**
 * How a starting node process takes its identity: exactly one process runs as a given node name. The
 * process must both win the registration write (which bumps the generation) and hold the node's liveness
 * entry; a second process using the same name, at the same time or while the first still runs, is refused
 * with a message that says which process holds the name.
 *
 * <p>For a known name the liveness entry is claimed first, so a running process is never made stale by a
 * newcomer; for a new name the id only exists after registration, so the claim follows it, and a process
 * that loses the claim gives up.
 */
public final class NodeRegistration {

    private final ClusterMetadata metadata;
    private final InstantSource clock;

    public NodeRegistration(ClusterMetadata metadata, InstantSource clock) {
        this.metadata = metadata;
        this.clock = clock;
    }

    /** A registered process: its configuration and the liveness entry it must keep open while it runs. */
    public record Registered(NodeConfig node, EphemeralKey liveness) {}

    /** The name is held by another process, or the registration was refused. Nothing was taken. */
    public static final class RefusedException extends MetadataException {
        public RefusedException(String message) {
            super(message);
        }
    }

    /**
     * Registers this process as {@code name} and announces it alive.
     *
     * @throws RefusedException if another process holds the name, or the registration was refused
     */
    public Registered register(String name, NodeAddresses addresses, Set<Role> roles, Location location) {
        Optional<NodeConfig> known = metadata.nodes().current().findByName(name);
        if (known.isPresent()) {
            GenerationalNodeId expected = known.get().id().nextGeneration();
            EphemeralKey claim = claim(name, expected);
            try {
                NodesConfigurationStore.Update update = metadata.nodes().register(name, addresses, roles, location);
                NodeConfig node = requireRegistered(name, update);
                if (!node.id().equals(expected)) {
                    claim.update(entryBytes(node.id()));
                }
                return new Registered(node, claim);
            } catch (RuntimeException failed) {
                claim.close();
                throw failed;
            }
        }
        NodesConfigurationStore.Update update = metadata.nodes().register(name, addresses, roles, location);
        NodeConfig node = requireRegistered(name, update);
        return new Registered(node, claim(name, node.id()));
    }

    private EphemeralKey claim(String name, GenerationalNodeId id) {
        try {
            return metadata.liveness().announce(new LivenessRegistry.Entry(id, clock.instant()));
        } catch (PreconditionFailedException held) {
            String holder = metadata.liveness().read(id.id())
                    .map(entry -> entry.node() + " (alive since " + entry.startedAt() + ")")
                    .orElse("another process");
            throw new RefusedException("node name '" + name + "' is held by a running process: " + holder
                    + ". Stop that process first; if it crashed, its entry expires within the metadata session timeout");
        }
    }

    private byte[] entryBytes(GenerationalNodeId id) {
        return LivenessRegistry.codec().encode(new LivenessRegistry.Entry(id, clock.instant()));
    }

    private static NodeConfig requireRegistered(String name, NodesConfigurationStore.Update update) {
        return switch (update.result()) {
            case dev.sluice.model.ChangeResult.Changed changed -> changed.node();
            case dev.sluice.model.ChangeResult.Unchanged unchanged -> unchanged.node();
            case dev.sluice.model.ChangeResult.Refused refused -> throw new RefusedException(
                    "registration of '" + name + "' refused: " + refused.refusal().message());
        };
    }
}
