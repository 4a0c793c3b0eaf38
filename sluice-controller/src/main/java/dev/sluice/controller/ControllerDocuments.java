package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.CorruptDocumentException;
import dev.sluice.metadata.DocumentCodec;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.metadata.Versioned;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.NodeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The controller's own documents in the metadata store: the fencing epoch, the published
 * {@link ControllerStatus}, one {@link DrainRecord} per worker that was ever drained and the published
 * {@link DrainProgress} of each drain the status shows or counts.
 */
public final class ControllerDocuments {

    public static final String ELECTION = MetadataKeys.CONTROLLER + "/election";
    public static final String EPOCH = MetadataKeys.CONTROLLER + "/epoch";
    public static final String STATUS = MetadataKeys.CONTROLLER + "/status";
    public static final String DRAINS = MetadataKeys.CONTROLLER + "/drains";
    /** Each drain's published progress, one document per worker ({@link DrainProgress}), written off the pass with the status. */
    public static final String DRAIN_PROGRESS = MetadataKeys.CONTROLLER + "/drain-progress";
    public static final String ROLLOUT = MetadataKeys.CONTROLLER + "/rollout";
    public static final String DRAIN_GROUPS = MetadataKeys.CONTROLLER + "/drain-groups";
    /** The operator's runtime throttles ({@link Throttles}), absent until one changes them. */
    public static final String SETTINGS = MetadataKeys.CONTROLLER + "/settings";

    static final DocumentCodec<ControllerStatus> STATUS_CODEC = new DocumentCodec<>(ControllerStatus.class, "controller status", 1);
    static final DocumentCodec<DrainProgress> DRAIN_PROGRESS_CODEC = new DocumentCodec<>(DrainProgress.class, "drain progress", 1);
    /**
     * The most a drain's document takes: its numbers, {@link DrainProgress#MAX_STALLED_LISTED} stalls of a few hundred bytes
     * and its one-line wait. Readers read many of them to a request on this bound.
     */
    static final int DRAIN_PROGRESS_BYTES_MAX = 64 * 1024;
    private static final DocumentCodec<DrainRecord> DRAIN_CODEC = new DocumentCodec<>(DrainRecord.class, "drain record", 1);
    private static final DocumentCodec<Rollout> ROLLOUT_CODEC = new DocumentCodec<>(Rollout.class, "rollout", 1);
    private static final DocumentCodec<DrainGroup> DRAIN_GROUP_CODEC = new DocumentCodec<>(DrainGroup.class, "drain group", 1);

    /** A drain group's document and the store version it was read at, for a compare-and-set. */
    public record StoredDrainGroup(DrainGroup group, long version) {}

    /** The rollout document and the store version it was read at, for a compare-and-set. */
    public record StoredRollout(Rollout rollout, long version) {}

    private final ClusterMetadata metadata;

    public ControllerDocuments(ClusterMetadata metadata) {
        this.metadata = metadata;
    }

    /**
     * Takes a new fencing epoch: every write of the new leader is conditioned on it, so writes of a leader
     * that lost its leadership without noticing fail.
     */
    Fence takeEpoch(String leader) {
        long version = metadata.store().put(EPOCH, leader.getBytes(java.nio.charset.StandardCharsets.UTF_8), Precondition.NONE);
        return new Fence(EPOCH, version);
    }

    /** The status the controller leader last published, if any. */
    public Optional<ControllerStatus> status() {
        return metadata.store().get(STATUS).map(stored -> STATUS_CODEC.decode(STATUS, stored.value()));
    }

    /**
     * Writes {@code status} over the version this leader last wrote ({@code knownVersion}; 0 when it has not
     * written one yet), which spares the store's existence check of an unconditional write: one round trip
     * per publish instead of two. If someone else wrote it since, it is overwritten unconditionally.
     *
     * @return the version written
     */
    long publishStatus(ControllerStatus status, long knownVersion, List<ClusterEvent> events, Fence fence) {
        byte[] encoded = fitting(status);
        if (knownVersion > 0) {
            try {
                return metadata.store().commit(withEvents(Op.put(STATUS, encoded, Precondition.matchesVersion(knownVersion)), events, fence)).getFirst().version();
            } catch (PreconditionFailedException otherWriter) {
                if (!otherWriter.key().equals(STATUS)) {
                    throw otherWriter;
                }
            }
        }
        return metadata.store().commit(withEvents(Op.put(STATUS, encoded, Precondition.NONE), events, fence)).getFirst().version();
    }

    /**
     * The status's bytes within {@link #STATUS_BYTES_MAX}: when everything listed does not fit, fewer moves,
     * explanations and drains are listed (halved until it fits), the rest counted as left out (each drain has its own
     * document). Every worker's counts stay, since the API answers from them.
     *
     * @throws IllegalStateException if it does not fit with no move, explanation or drain listed
     */
    static byte[] fitting(ControllerStatus status) {
        byte[] encoded = STATUS_CODEC.encode(status);
        ControllerStatus listed = status;
        while (encoded.length > STATUS_BYTES_MAX && (!listed.moves().isEmpty() || !listed.explanations().isEmpty() || !listed.drains().isEmpty())) {
            listed = listed.listingAtMost(listed.moves().size() / 2, listed.explanations().size() / 2, listed.drains().size() / 2);
            encoded = STATUS_CODEC.encode(listed);
        }
        if (encoded.length > STATUS_BYTES_MAX) {
            throw new IllegalStateException("the controller's status is " + encoded.length + " bytes with no move, explanation or drain listed ("
                    + status.workers().size() + " workers, " + status.drainGroups().size()
                    + " group drains); at most " + STATUS_BYTES_MAX + " fit in one commit with its events");
        }
        return encoded;
    }

    /**
     * The most a status takes of a commit: the store keeps {@link dev.sluice.metadata.MetadataStore#MAX_VALUE_BYTES} in a
     * value, and the commit carries up to {@link StatusWriter#EVENTS_PER_COMMIT} events besides.
     */
    static final int STATUS_BYTES_MAX = 900_000;

    private List<Op> withEvents(Op first, List<ClusterEvent> events, Fence fence) {
        List<Op> ops = new ArrayList<>();
        ops.add(first);
        events.forEach(event -> ops.add(metadata.events().appendOp(event)));
        ops.add(fence.asOp());
        return ops;
    }

    /** {@code node}'s drain as the controller last published it, if it published one. */
    public Optional<DrainProgress> drainProgress(NodeId node) {
        String key = DRAIN_PROGRESS + "/" + node;
        return metadata.store().get(key).flatMap(stored -> decodeDrainProgress(key, stored.value()));
    }

    /**
     * The drains of {@code nodes} as {@code status} was published with them, by node: from the status when it lists every
     * drain (or was published before drain documents), from the drains' documents when it leaves some out.
     */
    public Map<NodeId, DrainProgress> drainsOf(Optional<ControllerStatus> status, java.util.Collection<NodeId> nodes) {
        return status.isEmpty() ? Map.of() : status.get().drainsLeftOut() == 0 ? listed(status.get(), nodes::contains) : drainProgress(nodes);
    }

    /** Every drain as {@code status} was published with it, by node: see {@link #drainsOf(Optional, java.util.Collection)}. */
    public Map<NodeId, DrainProgress> everyDrainOf(Optional<ControllerStatus> status) {
        return status.isEmpty() ? Map.of() : status.get().drainsLeftOut() == 0 ? listed(status.get(), node -> true) : drainProgress();
    }

    private static Map<NodeId, DrainProgress> listed(ControllerStatus status, java.util.function.Predicate<NodeId> wanted) {
        Map<NodeId, DrainProgress> listed = new TreeMap<>();
        status.drains().stream().filter(drain -> wanted.test(drain.node())).forEach(drain -> listed.put(drain.node(), drain));
        return listed;
    }

    /** The published drains of those of {@code nodes} that have one, by node. */
    public Map<NodeId, DrainProgress> drainProgress(java.util.Collection<NodeId> nodes) {
        Map<NodeId, DrainProgress> drains = new TreeMap<>();
        List<String> keys = nodes.stream().map(node -> DRAIN_PROGRESS + "/" + node).toList();
        metadata.store().getAll(keys, DRAIN_PROGRESS_BYTES_MAX)
                .forEach((key, stored) -> decodeDrainProgress(key, stored.value()).ifPresent(drain -> drains.put(drain.node(), drain)));
        return drains;
    }

    /** Every published drain, by node. */
    public Map<NodeId, DrainProgress> drainProgress() {
        Map<NodeId, DrainProgress> drains = new TreeMap<>();
        metadata.store().readChildren(DRAIN_PROGRESS, DRAIN_PROGRESS_BYTES_MAX)
                .forEach((child, stored) -> decodeDrainProgress(DRAIN_PROGRESS + "/" + child, stored.value()).ifPresent(drain -> drains.put(drain.node(), drain)));
        return drains;
    }

    private static Optional<DrainProgress> decodeDrainProgress(String key, byte[] value) {
        try {
            return Optional.of(DRAIN_PROGRESS_CODEC.decode(key, value));
        } catch (CorruptDocumentException corrupt) {
            org.slf4j.LoggerFactory.getLogger(ControllerDocuments.class).error("ignoring {}", corrupt.getMessage());
            return Optional.empty();
        }
    }

    /** The workers whose drain has a published document. */
    java.util.Set<NodeId> publishedDrains() {
        java.util.Set<NodeId> nodes = new java.util.HashSet<>();
        for (String child : metadata.store().children(DRAIN_PROGRESS)) {
            try {
                nodes.add(NodeId.parse(child));
            } catch (IllegalArgumentException notANode) {
                org.slf4j.LoggerFactory.getLogger(ControllerDocuments.class).warn("ignoring {}/{}: not a node id", DRAIN_PROGRESS, child);
            }
        }
        return nodes;
    }

    /**
     * Writes {@code changed} drains' documents and deletes those of {@code gone} (which exist), in commits of at most
     * {@link #DRAIN_PROGRESS_BYTES_PER_COMMIT} under {@code fence}; a commit carries the fence, so a deposed leader
     * writes none.
     */
    void publishDrains(List<DrainProgress> changed, java.util.Collection<NodeId> gone, Fence fence) {
        List<Op> ops = new ArrayList<>();
        int bytes = 0;
        for (DrainProgress drain : changed) {
            byte[] encoded = DRAIN_PROGRESS_CODEC.encode(drain);
            if (encoded.length > DRAIN_PROGRESS_BYTES_MAX) {
                throw new IllegalStateException("BUG: " + drain.node() + "'s drain document is " + encoded.length + " bytes; at most "
                        + DRAIN_PROGRESS_BYTES_MAX + " are read");
            }
            if (bytes + encoded.length > DRAIN_PROGRESS_BYTES_PER_COMMIT) {
                commitFenced(ops, fence);
                ops = new ArrayList<>();
                bytes = 0;
            }
            ops.add(Op.put(DRAIN_PROGRESS + "/" + drain.node(), encoded, Precondition.NONE));
            bytes += encoded.length;
        }
        for (NodeId node : gone) {
            if (ops.size() >= DELETES_PER_COMMIT) {
                commitFenced(ops, fence);
                ops = new ArrayList<>();
            }
            ops.add(Op.delete(DRAIN_PROGRESS + "/" + node, Precondition.NONE));
        }
        if (!ops.isEmpty()) {
            commitFenced(ops, fence);
        }
    }

    /** Half of ZooKeeper's 1 MB request: a commit of drain documents leaves room for paths and the fence. */
    static final int DRAIN_PROGRESS_BYTES_PER_COMMIT = 512 * 1024;
    private static final int DELETES_PER_COMMIT = 1_000;

    private void commitFenced(List<Op> ops, Fence fence) {
        List<Op> fenced = new ArrayList<>(ops);
        fenced.add(fence.asOp());
        metadata.store().commit(fenced);
    }

    /** Every drain record, by node. */
    public Map<NodeId, DrainRecord> drains() {
        Map<NodeId, DrainRecord> records = new TreeMap<>();
        for (String child : metadata.store().children(DRAINS)) {
            String key = DRAINS + "/" + child;
            Optional<Versioned> stored = metadata.store().get(key);
            if (stored.isPresent()) {
                try {
                    DrainRecord record = DRAIN_CODEC.decode(key, stored.get().value());
                    records.put(record.node(), record);
                } catch (CorruptDocumentException corrupt) {
                    org.slf4j.LoggerFactory.getLogger(ControllerDocuments.class).error("ignoring {}", corrupt.getMessage());
                }
            }
        }
        return records;
    }

    /** Writes {@code records}, each with its event (the same index of {@code events}), in one commit under {@code fence}. */
    void writeDrains(List<DrainRecord> records, List<ClusterEvent> events, Fence fence) {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            ops.add(Op.put(DRAINS + "/" + records.get(i).node(), DRAIN_CODEC.encode(records.get(i)), Precondition.NONE));
            ops.add(metadata.events().appendOp(events.get(i)));
        }
        ops.add(fence.asOp());
        metadata.store().commit(ops);
    }

    /** A drain record and its event take under a kilobyte: this many keep a commit far under ZooKeeper's 1 MB. */
    static final int DRAIN_RECORDS_PER_COMMIT = 100;

    /** Every drain group ever started, running or ended, by id (the store keeps them; each is a few hundred bytes). */
    public Map<String, StoredDrainGroup> drainGroups() {
        Map<String, StoredDrainGroup> groups = new TreeMap<>();
        for (String child : metadata.store().children(DRAIN_GROUPS)) {
            drainGroup(child).ifPresent(stored -> groups.put(stored.group().id(), stored));
        }
        return groups;
    }

    /** One drain group, if it exists. */
    public Optional<StoredDrainGroup> drainGroup(String id) {
        if (!id.matches("[a-z0-9-]{1,40}")) {
            return Optional.empty();
        }
        String key = DRAIN_GROUPS + "/" + id;
        try {
            return metadata.store().get(key).map(stored -> new StoredDrainGroup(DRAIN_GROUP_CODEC.decode(key, stored.value()), stored.version()));
        } catch (CorruptDocumentException corrupt) {
            org.slf4j.LoggerFactory.getLogger(ControllerDocuments.class).error("ignoring {}", corrupt.getMessage());
            return Optional.empty();
        }
    }

    /** The operation that creates {@code group}'s document, for the commit that makes its members draining. */
    Op createDrainGroup(DrainGroup group) {
        return Op.put(DRAIN_GROUPS + "/" + group.id(), DRAIN_GROUP_CODEC.encode(group), Precondition.DOES_NOT_EXIST);
    }

    /** How many bytes {@code group}'s document takes in the store. */
    static int drainGroupBytes(DrainGroup group) {
        return DRAIN_GROUP_CODEC.encode(group).length;
    }

    /** The operation that overwrites {@code group}'s document read at {@code readVersion}. */
    Op updateDrainGroup(DrainGroup group, long readVersion) {
        return Op.put(DRAIN_GROUPS + "/" + group.id(), DRAIN_GROUP_CODEC.encode(group), Precondition.matchesVersion(readVersion));
    }

    /**
     * Writes {@code group} over the version read, with {@code events}, under {@code fence} if not null; returns the version written.
     *
     * @throws PreconditionFailedException if someone else (a cancel) wrote it since
     */
    long writeDrainGroup(DrainGroup group, long readVersion, List<ClusterEvent> events, Fence fence) {
        List<Op> ops = new ArrayList<>();
        ops.add(updateDrainGroup(group, readVersion));
        events.forEach(event -> ops.add(metadata.events().appendOp(event)));
        if (fence != null) {
            ops.add(fence.asOp());
        }
        return metadata.store().commit(ops).getFirst().version();
    }

    /**
     * Deletes the documents of {@code ended} groups, each at the version read, under {@code fence} if not null, in one commit.
     *
     * @throws PreconditionFailedException if one of them changed since it was read
     */
    void deleteDrainGroups(List<StoredDrainGroup> ended, Fence fence) {
        List<Op> ops = new ArrayList<>();
        ended.forEach(stored -> ops.add(Op.delete(DRAIN_GROUPS + "/" + stored.group().id(), Precondition.matchesVersion(stored.version()))));
        if (fence != null) {
            ops.add(fence.asOp());
        }
        metadata.store().commit(ops);
    }

    /** The latest rollout, running or ended, if there ever was one. */
    public Optional<StoredRollout> rollout() {
        return metadata.store().get(ROLLOUT).map(stored -> new StoredRollout(ROLLOUT_CODEC.decode(ROLLOUT, stored.value()), stored.version()));
    }

    /**
     * Writes {@code rollout} over the version read ({@code 0}: none was there), with {@code events} in order,
     * under {@code fence} if not null.
     *
     * @throws dev.sluice.metadata.PreconditionFailedException if someone else wrote it since
     */
    long writeRollout(Rollout rollout, long readVersion, List<ClusterEvent> events, Fence fence) {
        List<Op> ops = new ArrayList<>();
        ops.add(Op.put(ROLLOUT, ROLLOUT_CODEC.encode(rollout), readVersion == 0 ? Precondition.DOES_NOT_EXIST : Precondition.matchesVersion(readVersion)));
        events.forEach(event -> ops.add(metadata.events().appendOp(event)));
        if (fence != null) {
            ops.add(fence.asOp());
        }
        return metadata.store().commit(ops).getFirst().version();
    }

    /** Appends {@code events}, in order, in one commit. */
    void logEvents(List<ClusterEvent> events, Fence fence) {
        List<Op> ops = new ArrayList<>();
        events.forEach(event -> ops.add(metadata.events().appendOp(event)));
        ops.add(fence.asOp());
        metadata.store().commit(ops);
    }
}
