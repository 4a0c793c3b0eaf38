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
import dev.sluice.model.NodeId;
import dev.sluice.model.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed, concurrency-safe access to the nodes configuration. Every change is a read-modify-write: read
 * the configuration, run {@link NodesConfiguration#apply} on the change, and write the result together with
 * its event and audit record in one atomic commit conditioned on the version read. A conflict re-reads
 * and re-decides, a bounded number of times with backoff. So concurrent operators, controllers and nodes
 * never lose an update, and no transition is ever applied without its audit record.
 *
 * <p>The configuration is stored as a header and one document per node id ({@link NodesLayout}), so a cluster is not
 * limited by what fits in one document; a commit writes the header and the documents of the nodes that changed. This
 * instance keeps the documents it last read and, at the next read, reads only those the header says changed since.
 * A cluster written by an older release holds the whole configuration in one document (format 1): it is read as it
 * is and changed in place while it fits in one document, so older nodes of a rolling upgrade go on reading it; the
 * first change that would not fit converts it (every node must then run this release).
 */
public final class NodesConfigurationStore {

    private static final Logger log = LoggerFactory.getLogger(NodesConfigurationStore.class);

    static final int FORMAT = NodesLayout.HEADER_FORMAT;
    public static final int MAX_ATTEMPTS = 32;
    /** Reads that found the configuration moving under them before one gives up; each re-reads only what moved. */
    static final int READ_ATTEMPTS_MAX = 32;
    static final Duration FIRST_BACKOFF = Duration.ofMillis(2);
    static final Duration MAX_BACKOFF = Duration.ofMillis(200);

    /**
     * The largest document one node may have. A node is ~330 bytes (addresses, location, state and last change); the
     * limit leaves room for long names and reasons and lets a batched read take ~60 documents to a request.
     */
    public static final int NODE_DOCUMENT_BYTES_MAX = 8 * 1024;
    /**
     * What the documents one change writes may add up to: ZooKeeper refuses a request over 1 MiB (its
     * {@code jute.maxbuffer}), and the commit also carries events, audit records and paths. A group change of
     * {@link NodesChange.TransitionWorkers#MAX_MEMBERS} typical workers writes ~100 KB.
     */
    static final int COMMIT_DOCUMENT_BYTES_MAX = 768 * 1024;
    /** What one commit of a conversion or a bulk write carries, well under ZooKeeper's 1 MiB request. */
    static final int BATCH_BYTES_MAX = 256 * 1024;

    private final MetadataStore store;
    private final InstantSource clock;
    private final EventLog events;
    private final AuditLog audit;
    /** The newest consistent configuration this instance read or wrote, with its documents: the base of the next read. */
    private final AtomicReference<Loaded> lastLoaded = new AtomicReference<>();

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
     * A consistent configuration as read.
     *
     * @param header the header it was read from; null for none or a format-1 document
     * @param documents every node document of the configuration, by id; null for none or a format-1 document
     */
    private record Loaded(Snapshot snapshot, NodesLayout.Header header, Map<NodeId, NodesLayout.NodeDocument> documents) {

        static final Loaded NONE = new Loaded(new Snapshot(NodesConfiguration.empty(), 0), null, null);

        boolean perNode() {
            return header != null;
        }

        Version version() {
            return snapshot.configuration().version();
        }
    }

    /**
     * One consistent configuration: never documents of two versions.
     *
     * @throws CorruptDocumentException if a stored document is not what it should be
     * @throws MetadataException if the configuration moved under every one of {@link #READ_ATTEMPTS_MAX} reads
     */
    public Snapshot read() {
        return remember(load(lastLoaded.get(), null)).snapshot();
    }

    public NodesConfiguration current() {
        return read().configuration();
    }

    private Loaded remember(Loaded loaded) {
        if (loaded.perNode()) {
            lastLoaded.accumulateAndGet(loaded, (held, fresh) -> held == null || fresh.snapshot().storeVersion() >= held.snapshot().storeVersion() ? fresh : held);
        }
        return loaded;
    }

    /**
     * Reads the configuration, starting from {@code base} (a consistent earlier read, or null) and from {@code head}
     * (the header as a watch delivered it, or null to read it).
     *
     * <p>Why the result is one version: the header is read first, at version V, and every document after it. A document
     * that says it was written at or before V was not written since V (every write of a document is a commit that
     * moves the header past V), so it holds what it held at V; documents are never deleted, so none of V's is missed,
     * and one created after V says so. If any document was written after V, the header moved while we read: the
     * header is read again, at W, and the documents it lists as changed after V are read again (which includes every
     * document that was newer than V, since it was written before W was read), the rest being as they were at V.
     */
    private Loaded load(Loaded base, Versioned head) {
        Map<NodeId, NodesLayout.NodeDocument> documents = base != null && base.perNode() ? base.documents() : null;
        Version documentsAt = documents == null ? null : base.version();
        Set<NodeId> stale = Set.of();
        for (int attempt = 1; attempt <= READ_ATTEMPTS_MAX; attempt++) {
            if (head == null) {
                head = store.get(MetadataKeys.NODES).orElse(null);
                if (head == null) {
                    return Loaded.NONE;
                }
            }
            if (NodesLayout.HEADER_CODEC.formatOf(MetadataKeys.NODES, head.value()) == NodesLayout.SINGLE_DOCUMENT_FORMAT) {
                return new Loaded(new Snapshot(NodesLayout.SINGLE_DOCUMENT_CODEC.decode(MetadataKeys.NODES, head.value()), head.version()), null, null);
            }
            NodesLayout.Header header = NodesLayout.HEADER_CODEC.decode(MetadataKeys.NODES, head.value());
            if (documents != null && stale.isEmpty() && header.version().equals(documentsAt)) {
                return base.snapshot().storeVersion() == head.version() ? base
                        : new Loaded(new Snapshot(base.snapshot().configuration(), head.version()), header, documents);
            }
            Optional<Set<NodeId>> changed = documents == null || !header.version().isNewerThan(documentsAt) ? Optional.empty()
                    : header.changedSince(documentsAt);
            Map<NodeId, NodesLayout.NodeDocument> read;
            if (changed.isPresent()) {
                Set<NodeId> again = new TreeSet<>(changed.get());
                again.addAll(stale);
                read = new HashMap<>(documents);
                read.putAll(readDocuments(again));
            } else {
                read = readAllDocuments();
            }
            Set<NodeId> newer = new TreeSet<>();
            read.forEach((id, document) -> {
                if (document.writtenAt().isNewerThan(header.version())) {
                    newer.add(id);
                }
            });
            if (newer.isEmpty()) {
                if (read.size() != header.documents()) {
                    throw new CorruptDocumentException("metadata key '" + MetadataKeys.NODES_BY_ID + "' holds " + read.size()
                            + " node documents where the nodes configuration " + header.version() + " has " + header.documents(), null);
                }
                Map<NodeId, NodesLayout.NodeDocument> consistent = Map.copyOf(read);
                return new Loaded(new Snapshot(NodesLayout.assemble(header.version(), consistent), head.version()), header, consistent);
            }
            // The configuration moved while we read: what we have is the version we read the header at, except the
            // newer documents, which the next header lists among its changes.
            log.debug("the nodes configuration moved past {} while it was read (attempt {}); {} documents are newer", header.version(), attempt,
                    newer.size());
            documents = read;
            documentsAt = header.version();
            stale = newer;
            head = null;
            if (attempt < READ_ATTEMPTS_MAX) {
                backoff(attempt);
            }
        }
        throw new MetadataException("the nodes configuration changed under each of " + READ_ATTEMPTS_MAX + " reads of it");
    }

    private Map<NodeId, NodesLayout.NodeDocument> readAllDocuments() {
        Map<NodeId, NodesLayout.NodeDocument> documents = new HashMap<>();
        store.readChildren(MetadataKeys.NODES_BY_ID, NODE_DOCUMENT_BYTES_MAX).forEach((name, stored) -> {
            String key = MetadataKeys.NODES_BY_ID + "/" + name;
            NodesLayout.NodeDocument document = NodesLayout.NODE_CODEC.decode(key, stored.value());
            if (!NodesLayout.key(document.id()).equals(key)) {
                throw new CorruptDocumentException("metadata key '" + key + "' holds the document of " + document.id(), null);
            }
            documents.put(document.id(), document);
        });
        return documents;
    }

    private Map<NodeId, NodesLayout.NodeDocument> readDocuments(Set<NodeId> ids) {
        Map<NodeId, NodesLayout.NodeDocument> documents = new HashMap<>();
        if (ids.isEmpty()) {
            return documents;
        }
        Map<String, Versioned> stored = store.getAll(ids.stream().map(NodesLayout::key).toList(), NODE_DOCUMENT_BYTES_MAX);
        for (NodeId id : ids) {
            Versioned value = stored.get(NodesLayout.key(id));
            if (value == null) {
                throw new CorruptDocumentException("metadata key '" + NodesLayout.key(id) + "' is missing: the nodes configuration's header lists "
                        + id + " as changed, and node documents are never deleted", null);
            }
            NodesLayout.NodeDocument document = NodesLayout.NODE_CODEC.decode(NodesLayout.key(id), value.value());
            if (!document.id().equals(id)) {
                throw new CorruptDocumentException("metadata key '" + NodesLayout.key(id) + "' holds the document of " + document.id(), null);
            }
            documents.put(id, document);
        }
        return documents;
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
     * <p>The commit writes the header, conditioned on the version read, and the documents of the nodes the change
     * touched. On a cluster that still has the whole configuration in one document (format 1), a change is written
     * into that document while it fits there; the first change that does not converts it: every node's document is written first, in commits each conditioned on that document's version
     * (so they describe exactly what it holds; older releases do not look at them), and the change's commit replaces
     * the document with the header, which an older release refuses to read rather than misread.
     *
     * @throws PreconditionFailedException if one of {@code alsoWrite}'s operations is refused (its document changed)
     */
    public Update update(Function<NodesConfiguration, NodesChange> changeFor, List<Fence> fences,
            Function<ChangeResult.Changed, List<Op>> alsoWrite) {
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Loaded loaded;
            try {
                loaded = remember(load(lastLoaded.get(), null));
            } catch (MetadataUnavailableException unavailable) {
                if (attempt == MAX_ATTEMPTS) {
                    throw unavailable;
                }
                backoff(attempt);
                continue;
            }
            Snapshot snapshot = loaded.snapshot();
            NodesChange change = changeFor.apply(snapshot.configuration());
            ChangeResult result = snapshot.configuration().apply(change);
            if (!(result instanceof ChangeResult.Changed changed)) {
                return new Update(result, snapshot.configuration());
            }
            if (!changed.next().version().equals(snapshot.configuration().version().next())) {
                throw new IllegalStateException("BUG: apply produced " + changed.next().version() + " from " + snapshot.configuration().version());
            }
            List<Op> alongside = new ArrayList<>();
            for (dev.sluice.model.ClusterEvent event : changed.events()) {
                alongside.add(events.appendOp(event));
            }
            // A change of several workers has one audit record per member, all of the one version it produced.
            for (dev.sluice.model.ClusterEvent event : changed.events()) {
                AuditRecord record = event.transition();
                if (record != null) {
                    alongside.add(audit.appendOp(record));
                }
            }
            alongside.addAll(alsoWrite.apply(changed));
            fences.forEach(fence -> alongside.add(fence.asOp()));
            byte[] single = !loaded.perNode() && snapshot.storeVersion() > 0 ? NodesLayout.SINGLE_DOCUMENT_CODEC.encode(changed.next()) : null;
            if (single != null && single.length <= MetadataStore.MAX_VALUE_BYTES) {
                // Still one document, as an older release wrote it: converting here would lock out the older nodes of a
                // rolling upgrade (their reads refuse the header), so only a change that no longer fits converts.
                List<Op> ops = new ArrayList<>();
                ops.add(Op.put(MetadataKeys.NODES, single, Precondition.matchesVersion(snapshot.storeVersion())));
                ops.addAll(alongside);
                try {
                    List<Op.Result> results = store.commit(ops);
                    remember(new Loaded(new Snapshot(changed.next(), results.getFirst().version()), null, null));
                    return new Update(result, changed.next());
                } catch (PreconditionFailedException conflict) {
                    rethrowUnlessNodesConflict(conflict, fences);
                    log.debug("nodes configuration changed under us (attempt {}): {}", attempt, conflict.getMessage());
                    backoff(attempt);
                    continue;
                } catch (MetadataUnavailableException unavailable) {
                    if (attempt == MAX_ATTEMPTS) {
                        throw unavailable;
                    }
                    log.info("metadata store unavailable while writing the nodes configuration (attempt {}); retrying", attempt);
                    backoff(attempt);
                    continue;
                }
            }
            Map<NodeId, NodesLayout.NodeDocument> before = loaded.perNode() ? loaded.documents()
                    : NodesLayout.documentsOf(snapshot.configuration());
            Written written = documentsToWrite(before, changed.next());
            Optional<dev.sluice.model.Refusal> tooLarge = tooLarge(snapshot.configuration(), written);
            if (tooLarge.isPresent()) {
                return new Update(new ChangeResult.Refused(tooLarge.get()), snapshot.configuration());
            }
            List<Op> ops = new ArrayList<>();
            NodesLayout.Header header = NodesLayout.Header.after(loaded.header(), changed.next(), written.documents().keySet());
            ops.add(Op.put(MetadataKeys.NODES, NodesLayout.HEADER_CODEC.encode(header),
                    snapshot.storeVersion() == 0 ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(snapshot.storeVersion())));
            written.encoded().forEach((id, bytes) -> ops.add(Op.put(NodesLayout.key(id), bytes,
                    before.containsKey(id) ? Precondition.EXISTS : Precondition.DOES_NOT_EXIST)));
            ops.addAll(alongside);
            try {
                if (!loaded.perNode() && snapshot.storeVersion() > 0) {
                    convert(snapshot);
                }
                List<Op.Result> results = store.commit(ops);
                Map<NodeId, NodesLayout.NodeDocument> after = new HashMap<>(before);
                after.putAll(written.documents());
                remember(new Loaded(new Snapshot(changed.next(), results.getFirst().version()), header, Map.copyOf(after)));
                return new Update(result, changed.next());
            } catch (PreconditionFailedException conflict) {
                rethrowUnlessNodesConflict(conflict, fences);
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

    /** A conflict on a fence or on an operation of the caller's is theirs to decide on; one on the configuration is retried. */
    private static void rethrowUnlessNodesConflict(PreconditionFailedException conflict, List<Fence> fences) {
        for (Fence fence : fences) {
            if (fence.key().equals(conflict.key())) {
                throw new Fence.LostException(fence);
            }
        }
        if (conflict.key() != null && !conflict.key().equals(MetadataKeys.NODES) && !conflict.key().startsWith(MetadataKeys.NODES_BY_ID + "/")) {
            // An operation of alsoWrite's lost: only its caller can decide again on that document.
            throw conflict;
        }
    }

    /** The documents a write of {@code next} changes, each as written at its version, and their bytes. */
    private record Written(Map<NodeId, NodesLayout.NodeDocument> documents, Map<NodeId, byte[]> encoded) {

        int bytes() {
            return encoded.values().stream().mapToInt(value -> value.length).sum();
        }
    }

    private static Written documentsToWrite(Map<NodeId, NodesLayout.NodeDocument> before, NodesConfiguration next) {
        Map<NodeId, NodesLayout.NodeDocument> all = NodesLayout.documentsOf(next);
        for (NodeId id : before.keySet()) {
            if (!all.containsKey(id)) {
                throw new IllegalStateException("BUG: " + id + " is neither a node nor a tombstone in " + next.version());
            }
        }
        Map<NodeId, NodesLayout.NodeDocument> changed = new java.util.TreeMap<>();
        Map<NodeId, byte[]> encoded = new java.util.TreeMap<>();
        all.forEach((id, document) -> {
            if (!document.sameContent(before.get(id))) {
                changed.put(id, document);
                encoded.put(id, NodesLayout.NODE_CODEC.encode(document));
            }
        });
        return new Written(changed, encoded);
    }

    /**
     * The refusal of a change whose writes the store cannot take: a node's document over
     * {@link #NODE_DOCUMENT_BYTES_MAX} (which needs names or reasons of kilobytes) or documents over
     * {@link #COMMIT_DOCUMENT_BYTES_MAX} in one commit.
     */
    private static Optional<dev.sluice.model.Refusal> tooLarge(NodesConfiguration current, Written written) {
        for (Map.Entry<NodeId, byte[]> document : written.encoded().entrySet()) {
            if (document.getValue().length > NODE_DOCUMENT_BYTES_MAX) {
                return Optional.of(dev.sluice.model.Refusal.simple(dev.sluice.model.RefusalKind.CLUSTER_AT_CAPACITY, document.getKey(),
                        "the document of node " + document.getKey() + " would be " + document.getValue().length + " bytes with this change, over the "
                                + NODE_DOCUMENT_BYTES_MAX + " bytes a node's document may have; use shorter names, addresses or reasons"));
            }
        }
        if (written.bytes() > COMMIT_DOCUMENT_BYTES_MAX) {
            return Optional.of(dev.sluice.model.Refusal.simple(dev.sluice.model.RefusalKind.CLUSTER_AT_CAPACITY, null,
                    "this change would write " + written.documents().size() + " node documents of " + written.bytes() + " bytes in one commit, over the "
                            + COMMIT_DOCUMENT_BYTES_MAX + " bytes one commit takes; the cluster has " + current.nodes().size()
                            + " nodes; change fewer nodes at once"));
        }
        return Optional.empty();
    }

    /**
     * Writes the document of every node of a format-1 configuration, in commits of at most {@link #BATCH_BYTES_MAX}
     * each conditioned on the format-1 document being still at {@code legacy}'s version: so once the change's commit
     * replaces it (conditioned on the same version), the documents are exactly what it held. Documents an interrupted
     * conversion left are overwritten.
     *
     * @throws PreconditionFailedException on {@link MetadataKeys#NODES} if the document changed meanwhile
     */
    private void convert(Snapshot legacy) {
        Map<NodeId, byte[]> encoded = new java.util.TreeMap<>();
        NodesLayout.documentsOf(legacy.configuration()).forEach((id, document) -> encoded.put(id, NodesLayout.NODE_CODEC.encode(document)));
        writeInBatches(encoded, Op.check(MetadataKeys.NODES, legacy.storeVersion()), id -> Precondition.NONE);
        log.info("converted the nodes configuration {} of {} nodes to one document per node", legacy.configuration().version(), encoded.size());
    }

    private void writeInBatches(Map<NodeId, byte[]> encoded, Op guard, Function<NodeId, Precondition> precondition) {
        List<Op> batch = new ArrayList<>();
        int bytes = 0;
        for (Map.Entry<NodeId, byte[]> document : encoded.entrySet()) {
            if (!batch.isEmpty() && bytes + document.getValue().length > BATCH_BYTES_MAX) {
                commitBatch(guard, batch);
                batch.clear();
                bytes = 0;
            }
            batch.add(Op.put(NodesLayout.key(document.getKey()), document.getValue(), precondition.apply(document.getKey())));
            bytes += document.getValue().length;
        }
        if (!batch.isEmpty()) {
            commitBatch(guard, batch);
        }
    }

    private void commitBatch(Op guard, List<Op> batch) {
        List<Op> ops = new ArrayList<>(batch.size() + 1);
        if (guard != null) {
            ops.add(guard);
        }
        ops.addAll(batch);
        store.commit(ops);
    }

    /**
     * Writes {@code next}, the version after the current one, without a change value, event or audit record, and
     * <em>not atomically</em>: the changed node documents in commits of at most {@link #BATCH_BYTES_MAX}, then the
     * header. For simulations and benchmarks that set up or change thousands of nodes at once, on a cluster where
     * nobody else writes the configuration meanwhile; until the header is written readers wait for it (they find
     * documents newer than the header), and if a batch fails the configuration is unreadable until it is written
     * again. On a cluster without a configuration the documents must not exist yet.
     *
     * @throws IllegalArgumentException if {@code next} is not the version after the current one
     * @throws PreconditionFailedException if the configuration moved meanwhile
     */
    public Snapshot writeInBatches(NodesConfiguration next) {
        Loaded loaded = load(lastLoaded.get(), null);
        if (!loaded.perNode() && loaded.snapshot().storeVersion() > 0) {
            throw new IllegalStateException("the nodes configuration is still one document (format 1); change it once with update() to convert it");
        }
        if (!next.version().equals(loaded.version().next())) {
            throw new IllegalArgumentException("writing " + next.version() + " on top of " + loaded.version() + "; write " + loaded.version().next());
        }
        Map<NodeId, NodesLayout.NodeDocument> before = loaded.perNode() ? loaded.documents() : Map.of();
        Written written = documentsToWrite(before, next);
        long storeVersion = loaded.snapshot().storeVersion();
        writeInBatches(written.encoded(), storeVersion == 0 ? null : Op.check(MetadataKeys.NODES, storeVersion),
                id -> before.containsKey(id) ? Precondition.EXISTS : Precondition.DOES_NOT_EXIST);
        NodesLayout.Header header = NodesLayout.Header.after(loaded.header(), next, written.documents().keySet());
        long version = store.put(MetadataKeys.NODES, NodesLayout.HEADER_CODEC.encode(header),
                storeVersion == 0 ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(storeVersion));
        Map<NodeId, NodesLayout.NodeDocument> after = new HashMap<>(before);
        after.putAll(written.documents());
        return remember(new Loaded(new Snapshot(next, version), header, Map.copyOf(after))).snapshot();
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

    /**
     * Watches the configuration; the listener gets every new version (and the current one first), on the watch's
     * thread. Versions written in quick succession may reach it as the newest of them only, as with any watch. It
     * watches the header alone and reads, for each new version, only the node documents the header lists as changed
     * since the version it delivered last (all of them after a connection loss the header no longer covers).
     */
    public Watch watch(java.util.function.Consumer<Snapshot> listener) {
        return store.watch(MetadataKeys.NODES, false, new WatchListener() {
            private Loaded delivered;

            @Override
            public void onChange(String key, Optional<Versioned> value) {
                value.ifPresent(head -> deliver(head, false));
            }

            @Override
            public void onResync() {
                deliver(null, true);
            }

            private void deliver(Versioned head, boolean always) {
                Loaded loaded;
                try {
                    loaded = load(delivered, head);
                } catch (CorruptDocumentException corrupt) {
                    log.error("ignoring an unreadable nodes configuration: {}", corrupt.getMessage());
                    return;
                } catch (MetadataException failed) {
                    // The next change or resync reads again, from the last version delivered.
                    log.warn("could not read the nodes configuration after a change: {}", failed.getMessage());
                    return;
                }
                if (always || delivered == null || loaded.snapshot().storeVersion() != delivered.snapshot().storeVersion()) {
                    delivered = loaded;
                    remember(loaded);
                    listener.accept(loaded.snapshot());
                }
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

    /** The codec of the format-1 document, the whole configuration in one. */
    static DocumentCodec<NodesConfiguration> singleDocumentCodec() {
        return NodesLayout.SINGLE_DOCUMENT_CODEC;
    }
}
