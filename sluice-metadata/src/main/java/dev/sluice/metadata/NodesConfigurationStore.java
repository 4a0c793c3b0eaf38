package dev.sluice.metadata;

import dev.sluice.model.AuditRecord;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Role;
import dev.sluice.model.WorkerState;
import dev.sluice.model.Actor;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed, concurrency-safe access to the nodes configuration. Every change is a read-modify-write: read
 * the document, run {@link NodesConfiguration#apply} on the change, and write the result together with
 * its event and audit record in one atomic commit conditioned on the version read. A conflict re-reads
 * and re-decides, a bounded number of times with backoff. So concurrent operators, controllers and nodes
 * never lose an update, and no transition is ever applied without its audit record.
 */
public final class NodesConfigurationStore {

    private static final Logger log = LoggerFactory.getLogger(NodesConfigurationStore.class);

    static final int FORMAT = 1;
    public static final int MAX_ATTEMPTS = 32;
    static final Duration FIRST_BACKOFF = Duration.ofMillis(2);
    static final Duration MAX_BACKOFF = Duration.ofMillis(200);

    private static final DocumentCodec<NodesConfiguration> CODEC = new DocumentCodec<>(NodesConfiguration.class, "nodes configuration", FORMAT);

    private final MetadataStore store;
    private final InstantSource clock;
    private final EventLog events;
    private final AuditLog audit;

    NodesConfigurationStore(MetadataStore store, InstantSource clock, EventLog events, AuditLog audit) {
        this.store = store;
        this.clock = clock;
        this.events = events;
        this.audit = audit;
    }

    /** The configuration and the store version it was read at (0 when none was ever written). */
    public record Snapshot(NodesConfiguration configuration, long storeVersion) {}

    /**
     * What an update did: the {@link ChangeResult} and the configuration after it (as read, when nothing
     * was written).
     */
    public record Update(ChangeResult result, NodesConfiguration configuration) {

        public boolean applied() {
            return result instanceof ChangeResult.Changed;
        }

        /** Applied now, or found already applied or already in place: the caller's wish holds. */
        public boolean succeeded() {
            return !(result instanceof ChangeResult.Refused);
        }

        public Optional<dev.sluice.model.Refusal> refusal() {
            return result instanceof ChangeResult.Refused refused ? Optional.of(refused.refusal()) : Optional.empty();
        }
    }

    /**
     * @throws CorruptDocumentException if the stored document is not a valid nodes configuration
     */
    public Snapshot read() {
        return store.get(MetadataKeys.NODES)
                .map(stored -> new Snapshot(CODEC.decode(MetadataKeys.NODES, stored.value()), stored.version()))
                .orElse(new Snapshot(NodesConfiguration.empty(), 0));
    }

    public NodesConfiguration current() {
        return read().configuration();
    }

    /**
     * Read-modify-write: {@code changeFor} builds the change from the configuration as read (it is called
     * again after every conflict, so facts it gathers are fresh), the pure apply decides, and a change is
     * written with its event (and audit record) atomically, conditioned on the version read and on
     * {@code fences}.
     *
     * @throws Fence.LostException if a fence moved
     * @throws MetadataException if conflicts persist after {@link #MAX_ATTEMPTS}
     */
    public Update update(Function<NodesConfiguration, NodesChange> changeFor, List<Fence> fences) {
        return update(changeFor, fences, changed -> List.of());
    }

    /**
     * {@link #update(Function, List)}, also writing {@code alsoWrite}'s operations for the change it applies in the
     * same atomic commit (a group drain's own document, created with it): either all of it is written or none.
     *
     * @throws PreconditionFailedException if one of {@code alsoWrite}'s operations is refused (its document changed)
     */
    public Update update(Function<NodesConfiguration, NodesChange> changeFor, List<Fence> fences,
            Function<ChangeResult.Changed, List<Op>> alsoWrite) {
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Snapshot snapshot = read();
            NodesChange change = changeFor.apply(snapshot.configuration());
            ChangeResult result = snapshot.configuration().apply(change);
            if (!(result instanceof ChangeResult.Changed changed)) {
                return new Update(result, snapshot.configuration());
            }
            if (!changed.next().version().equals(snapshot.configuration().version().next())) {
                throw new IllegalStateException("BUG: apply produced " + changed.next().version() + " from " + snapshot.configuration().version());
            }
            byte[] encoded = CODEC.encode(changed.next());
            if (encoded.length > MetadataStore.MAX_VALUE_BYTES) {
                return new Update(new ChangeResult.Refused(atCapacity(snapshot.configuration(), encoded.length)), snapshot.configuration());
            }
            List<Op> ops = new ArrayList<>();
            ops.add(Op.put(MetadataKeys.NODES, encoded,
                    snapshot.storeVersion() == 0 ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(snapshot.storeVersion())));
            for (dev.sluice.model.ClusterEvent event : changed.events()) {
                ops.add(events.appendOp(event));
            }
            // A change of several workers has one audit record per member, all of the one version it produced.
            for (dev.sluice.model.ClusterEvent event : changed.events()) {
                AuditRecord record = event.transition();
                if (record != null) {
                    ops.add(audit.appendOp(record));
                }
            }
            ops.addAll(alsoWrite.apply(changed));
            fences.forEach(fence -> ops.add(fence.asOp()));
            try {
                store.commit(ops);
                return new Update(result, changed.next());
            } catch (PreconditionFailedException conflict) {
                for (Fence fence : fences) {
                    if (fence.key().equals(conflict.key())) {
                        throw new Fence.LostException(fence);
                    }
                }
                if (conflict.key() != null && !conflict.key().equals(MetadataKeys.NODES)) {
                    // An operation of alsoWrite's lost: only its caller can decide again on that document.
                    throw conflict;
                }
                log.debug("nodes configuration changed under us (attempt {}): {}", attempt, conflict.getMessage());
                backoff(attempt);
            } catch (MetadataUnavailableException unavailable) {
                // The write may or may not have applied: re-read and let the change recognise its own write.
                if (attempt == MAX_ATTEMPTS) {
                    throw unavailable;
                }
                log.info("metadata store unavailable while writing the nodes configuration (attempt {}); retrying", attempt);
                backoff(attempt);
            }
        }
        throw new MetadataException("gave up updating the nodes configuration after " + MAX_ATTEMPTS + " conflicting attempts");
    }

    /**
     * The refusal of a change whose configuration is {@code bytes} long, over the store's limit for one document.
     * The whole configuration is one document so that every transition is one compare-and-set with its guards; a
     * 10,000-worker configuration is about 3.3 MB (measured), so a cluster holds about 3,000 nodes.
     */
    private static dev.sluice.model.Refusal atCapacity(NodesConfiguration current, int bytes) {
        return dev.sluice.model.Refusal.simple(dev.sluice.model.RefusalKind.CLUSTER_AT_CAPACITY, null,
                "the nodes configuration would be " + bytes + " bytes with this change, over the " + MetadataStore.MAX_VALUE_BYTES
                        + " bytes the metadata store keeps in one document; the cluster has " + current.nodes().size()
                        + " nodes and takes no more (remove nodes that are gone with 'sluice nodes remove', or start another cluster)");
    }

    /**
     * Registers a starting node process under {@code name}: a new name gets a fresh id and starts
     * provisioning; a known name keeps its id and state and gets the next generation. A second process
     * registering the same name at the same time is refused ({@link dev.sluice.model.RefusalKind#REGISTRATION_CONFLICT}).
     */
    public Update register(String name, NodeAddresses addresses, Set<Role> roles, Location location) {
        String incarnation = UUID.randomUUID().toString();
        Integer expectedGeneration = read().configuration().findByName(name).map(node -> node.id().generation()).orElse(null);
        return update(config -> new NodesChange.RegisterNode(name, addresses, roles, location, expectedGeneration, incarnation, clock.instant()),
                List.of());
    }

    /**
     * Asks for a worker-state transition of the incarnation {@code node}. {@code factsFor} gathers the
     * guard facts from the configuration as read; it runs again after a conflict.
     */
    public Update transition(GenerationalNodeId node, WorkerState target, Actor actor, String reason, boolean force,
            Function<NodesConfiguration, GuardFacts> factsFor, List<Fence> fences) {
        String requestId = UUID.randomUUID().toString();
        return update(config -> new NodesChange.TransitionWorker(node, target, actor, reason, force, factsFor.apply(config), requestId,
                clock.instant()), fences);
    }

    /**
     * Removes a disabled node for good; its id stays reserved by a tombstone. {@code factsFor} gathers what the
     * removal is judged on (liveness, placements naming the node) from the configuration as read; it runs again
     * after a conflict.
     */
    public Update remove(GenerationalNodeId node, Actor actor, String reason, Function<NodesConfiguration, NodesChange.RemovalFacts> factsFor,
            dev.sluice.model.CredentialName credential) {
        return update(config -> new NodesChange.RemoveNode(node, actor, reason, factsFor.apply(config), clock.instant(), credential), List.of());
    }

    /** Watches the document; the listener gets every new version (and the current one first). */
    public Watch watch(java.util.function.Consumer<Snapshot> listener) {
        return store.watch(MetadataKeys.NODES, false, new WatchListener() {
            @Override
            public void onChange(String key, Optional<Versioned> value) {
                value.ifPresent(stored -> {
                    try {
                        listener.accept(new Snapshot(CODEC.decode(MetadataKeys.NODES, stored.value()), stored.version()));
                    } catch (CorruptDocumentException corrupt) {
                        log.error("ignoring an unreadable nodes configuration: {}", corrupt.getMessage());
                    }
                });
            }

            @Override
            public void onResync() {
                listener.accept(read());
            }
        });
    }

    static void backoff(int attempt) {
        long millis = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt - 1, 16));
        try {
            Thread.sleep(millis);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new MetadataUnavailableException("interrupted while backing off", interrupted);
        }
    }

    static DocumentCodec<NodesConfiguration> codec() {
        return CODEC;
    }
}
