package dev.sluice.metadata;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One ephemeral entry per running node process: it exists exactly while the process's metadata session
 * lives, which is what "alive" means to the controller. Soft state; nothing here is intent.
 */
public final class LivenessRegistry {

    static final int FORMAT = 1;
    private static final DocumentCodec<Entry> CODEC = new DocumentCodec<>(Entry.class, "liveness entry", FORMAT);

    private final MetadataStore store;

    static DocumentCodec<Entry> codec() {
        return CODEC;
    }

    LivenessRegistry(MetadataStore store) {
        this.store = store;
    }

    /** What a running process says about itself. */
    public record Entry(GenerationalNodeId node, Instant startedAt) {
        @JsonCreator
        public Entry(@JsonProperty("node") GenerationalNodeId node, @JsonProperty("startedAt") Instant startedAt) {
            this.node = java.util.Objects.requireNonNull(node, "node");
            this.startedAt = java.util.Objects.requireNonNull(startedAt, "startedAt");
        }
    }

    /**
     * Announces that this process runs as {@code entry.node()}, until the returned key is closed or the
     * session ends.
     *
     * @throws PreconditionFailedException if another live process holds the entry for this node
     */
    public EphemeralKey announce(Entry entry) {
        return store.putEphemeral(MetadataKeys.liveness(entry.node().id()), CODEC.encode(entry));
    }

    /** Who is alive now. */
    public Map<NodeId, Entry> readAll() {
        Map<NodeId, Entry> alive = new TreeMap<>();
        for (String child : store.children(MetadataKeys.LIVENESS)) {
            NodeId node;
            try {
                node = NodeId.parse(child);
            } catch (IllegalArgumentException notAnEntry) {
                continue;
            }
            String key = MetadataKeys.liveness(node);
            store.get(key).ifPresent(stored -> alive.put(node, CODEC.decode(key, stored.value())));
        }
        return alive;
    }

    public Optional<Entry> read(NodeId node) {
        String key = MetadataKeys.liveness(node);
        return store.get(key).map(stored -> CODEC.decode(key, stored.value()));
    }

    /** Calls {@code onChange} (with no argument meaning) whenever any node appears or disappears. */
    public Watch watch(Consumer<NodeId> onChange, Runnable onResync) {
        return store.watch(MetadataKeys.LIVENESS, true, new WatchListener() {
            @Override
            public void onChange(String key, Optional<Versioned> value) {
                if (key.startsWith(MetadataKeys.LIVENESS + "/")) {
                    try {
                        onChange.accept(NodeId.parse(key.substring(MetadataKeys.LIVENESS.length() + 1)));
                    } catch (IllegalArgumentException notAnEntry) {
                        // Not ours.
                    }
                }
            }

            @Override
            public void onResync() {
                onResync.run();
            }
        });
    }
}
