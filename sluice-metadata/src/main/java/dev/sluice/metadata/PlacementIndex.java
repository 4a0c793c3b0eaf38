package dev.sluice.metadata;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The per-node index of placements: {@code placements-by-node/N<k>/P<n>} exists exactly while the placement of
 * {@code P<n>} names {@code N<k>} in its current or next replica set, and holds the version that placement was
 * written at. {@link PlacementStore} writes an index's entries in the same commit as the placement they index,
 * conditioned on the placement's version, so a committed placement and its entries never disagree; a worker watches
 * its own node's entries and reads only the placements they list.
 *
 * <p>An entry holds the version so that every write of a placement touches the entries of the nodes it names: a
 * worker learns of a change to its placement that keeps naming it (a leader, the other members) from its own index,
 * and need not watch the placements. An entry per (node, partition) rather than one document per node and bucket
 * needs no read before a write: which entries a write creates, touches and deletes follows from the placement it
 * replaces and the one it writes, and two writes of different partitions never meet on one key.
 *
 * <p>The index key itself holds {@link State}: a cluster has a usable index once it says complete. Clusters created
 * by this release get it complete with their partition table; an older cluster gets it from the first controller of
 * this release to lead ({@link PlacementStore#ensureIndex}).
 */
public final class PlacementIndex {

    /** The largest entry: a version's digits. */
    static final int ENTRY_BYTES_MAX = 20;
    static final int FORMAT = 1;
    private static final DocumentCodec<State> CODEC = new DocumentCodec<>(State.class, "placement index", FORMAT);

    private PlacementIndex() {}

    /**
     * What the index key holds.
     *
     * @param complete whether every placement's entries are written; writers keep a complete index, readers use only one
     * @param since when it became complete
     * @param by who built it ({@code partition-table} for a cluster created with it, else the controller's participant id)
     * @param placements how many placements were indexed when it was built
     */
    public record State(boolean complete, Instant since, String by, long placements) {}

    static byte[] encode(State state) {
        return CODEC.encode(state);
    }

    /** The state stored at the index key, or empty if it holds none (absent, or created empty as a parent). */
    static Optional<State> decode(Optional<Versioned> stored) {
        if (stored.isEmpty() || stored.get().value().length == 0) {
            return Optional.empty();
        }
        return Optional.of(CODEC.decode(MetadataKeys.PLACEMENTS_BY_NODE, stored.get().value()));
    }

    /** The parent of {@code node}'s entries. */
    public static String nodeKey(NodeId node) {
        return MetadataKeys.PLACEMENTS_BY_NODE + "/" + node;
    }

    public static String entryKey(NodeId node, PartitionId partition) {
        return nodeKey(node) + "/" + partition;
    }

    /** The partition an entry key of {@code node} names; empty for any other key. */
    static Optional<PartitionId> partitionOf(NodeId node, String key) {
        String prefix = nodeKey(node) + "/";
        if (!key.startsWith(prefix) || key.indexOf('/', prefix.length()) >= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(PartitionId.parse(key.substring(prefix.length())));
        } catch (IllegalArgumentException notAnEntry) {
            return Optional.empty();
        }
    }

    static byte[] entryValue(long version) {
        return Long.toString(version).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The entry operations of writing {@code written} at {@code version} over {@code replaced} (empty if the placement is
     * new): create for the nodes it newly names, set for those it still names, delete for those it no longer names.
     * Each is conditioned on the entry's existence, so an index that disagreed would fail the commit, never be papered over.
     */
    static List<Op> ops(Optional<Placement> replaced, Placement written, long version) {
        Set<NodeId> before = new LinkedHashSet<>(replaced.map(Placement::members).orElse(List.of()));
        List<Op> ops = new ArrayList<>();
        byte[] value = entryValue(version);
        for (NodeId node : written.members()) {
            ops.add(Op.put(entryKey(node, written.partition()), value, before.remove(node) ? Precondition.EXISTS : Precondition.DOES_NOT_EXIST));
        }
        for (NodeId gone : before) {
            ops.add(Op.delete(entryKey(gone, written.partition()), Precondition.EXISTS));
        }
        return ops;
    }

    static boolean isEntryKey(String key) {
        return key.startsWith(MetadataKeys.PLACEMENTS_BY_NODE + "/");
    }
}
