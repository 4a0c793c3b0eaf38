package dev.sluice.scheduler;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The placements as a pass reads them — member sets as node indices, loads, changes under way per node, leaderships per
 * node — kept up to date one changed partition at a time, so that a pass over a million partitions costs in
 * proportion to what changed and not to the cluster. It also owns the two <em>attention</em> sets, which say which
 * partitions a pass must look at; every other partition is <em>quiet</em>, and a pass may assume what a quiet
 * partition contributes without visiting it.
 *
 * <h2>Invariants (checked by {@code IncrementalSchedulerTest} against an index that visits every partition)</h2>
 * <ul>
 *   <li>For every indexed partition, {@code current}, {@code inFlightNext} and {@code originalLeader} are its placement's
 *       sets and leader as indices into {@link #ids}; {@code baseLoad[n]} counts the partitions whose target (next set
 *       while a change is under way, else current) names node {@code n}; {@code baseChanges[n]} the changes under way
 *       that {@code n} joins or leaves; {@code baseLeads[n]} the partitions {@code n} leads; {@code partitionsOf[n]}
 *       every partition that names {@code n} in its current or next set or as leader.
 *   <li>A partition is <em>repair-quiet</em> (outside {@link #repairAttention}) only if it has a placement, no change
 *       under way, exactly {@code replicas} members, each one alive and keeping its replicas, over at least
 *       {@code minZones} zones. The repair phase leaves such a partition alone and explains nothing about it.
 *   <li>A partition is <em>leader-quiet</em> (outside {@link #leaderAttention}) only if it has a placement and no pinned
 *       leader, and its leader may keep leading ({@code mayKeepLeading}) and is a member of both its current set and
 *       its target. Before any change of this pass, such a partition's only part in placing leaders is one leadership
 *       counted for its leader.
 *   <li>Quietness depends on a partition's placement and on four facts of the nodes it names (keeps, alive, zone,
 *       may keep leading); when a placement changes, or one of those facts of a node, the partitions concerned are
 *       judged again before the pass reads the sets.
 * </ul>
 * Anything that renumbers the nodes — a node added to or removed from the configuration, a placement naming a node the
 * configuration does not know, a new zone — rebuilds the index from the placements: O(P·R), as a pass from nothing.
 *
 * <p>Not thread-safe: one pass at a time, and {@link #put} only between passes.
 */
final class PlacementIndex {

    /** Ids up to this value are looked up in an array; sparser ids fall back to a map. */
    private static final int DENSE_ID_LIMIT = 1 << 22;
    static final int[] NONE = new int[0];

    final int partitionCount;
    final int replicas;
    final int minZones;
    /** Visits every partition in every phase, as the scheduler did before the index: the reference the tests compare with. */
    final boolean visitAll;

    final Placement[] placement;
    /** Indexed member sets; {@code null} until the partition is indexed, {@link #NONE} for a partition without placement. */
    final int[][] current;
    final int[][] inFlightNext;
    final int[] originalLeader;

    /** Partitions put since the last pass, not yet indexed. */
    private final IntList dirty = new IntList();
    private final BitSet dirtyMark = new BitSet();
    private boolean rebuild = true;

    // Nodes: every node of the configuration plus any a placement names that it does not, in id order.
    NodeId[] ids = new NodeId[0];
    private boolean[] known = new boolean[0];
    private NodeLookup lookup = new NodeLookup(ids);
    private int[] references = new int[0];
    int[] baseLoad = new int[0];
    int[] baseChanges = new int[0];
    int[] baseLeads = new int[0];
    int baseInFlight;
    private IntList[] partitionsOf = new IntList[0];

    final BitSet repairAttention = new BitSet();
    final BitSet leaderAttention = new BitSet();
    final BitSet inFlight = new BitSet();
    /** Scratch sets for one pass's phases, cleared before each use. */
    final BitSet visit = new BitSet();
    final BitSet fixedLeader = new BitSet();
    final BitSet freeLeader = new BitSet();
    final BitSet usedPartition = new BitSet();

    // The node facts the attention sets were judged on.
    private boolean[] keeps = new boolean[0];
    private boolean[] alive = new boolean[0];
    private boolean[] mayKeepLeading = new boolean[0];
    private int[] zone = new int[0];
    private String[] zoneNames = new String[0];
    private boolean judgeAll = true;

    /** A pass's working copy of the per-partition decisions; reset at the start of each pass. */
    final PartitionWork work;

    PlacementIndex(PartitionTable table, boolean visitAll) {
        this.partitionCount = table.partitionCount();
        this.replicas = table.replication().replicas();
        this.minZones = table.replication().minZones();
        this.visitAll = visitAll;
        this.placement = new Placement[partitionCount];
        this.current = new int[partitionCount][];
        this.inFlightNext = new int[partitionCount][];
        this.originalLeader = new int[partitionCount];
        this.work = new PartitionWork(partitionCount);
    }

    static PlacementIndex of(PartitionTable table, Map<PartitionId, Placement> placements, boolean visitAll) {
        PlacementIndex index = new PlacementIndex(table, visitAll);
        for (Placement p : placements.values()) {
            index.placement[p.partition().value()] = p;
            index.notePolicy(p.partition().value(), p);
        }
        return index;
    }

    /** Records a partition's new placement ({@code null}: it has none); indexed at the start of the next pass. */
    void put(int p, Placement newPlacement) {
        if (placement[p] == newPlacement) {
            return;
        }
        placement[p] = newPlacement;
        notePolicy(p, newPlacement);
        if (!rebuild && !dirtyMark.get(p)) {
            dirtyMark.set(p);
            dirty.add(p);
        }
    }

    /**
     * The partitions whose placement is frozen, kept with the placements: the leader search asks it of every leadership
     * it looks at, and reading it through each placement's policy was a third of a balancing pass at 2,000 workers
     * (a cache miss or two each).
     */
    final BitSet frozen = new BitSet();
    /**
     * The partitions whose placement pins a leader, kept for the same reason: placing leaders asks it of every partition it
     * visits, and a drain's pass visits every partition waiting to move (tens of thousands at 10,000 workers × 1,000,000
     * partitions).
     */
    final BitSet pinned = new BitSet();

    /** Keeps {@link #frozen} and {@link #pinned} of partition {@code p} to its placement's policy ({@code null}: neither). */
    private void notePolicy(int p, Placement placement) {
        frozen.set(p, placement != null && placement.policy().frozen());
        pinned.set(p, placement != null && placement.policy().pinnedLeader() != null);
    }

    Placement get(int p) {
        return placement[p];
    }

    // ---------------------------------------------------------------- before a pass: the nodes

    /**
     * Brings the node numbering up to date with {@code factIds} (the configuration's nodes, ascending) and indexes the
     * partitions put since the last pass. Returns the nodes in index order: the known ones and, after them in id order
     * among them, those only a placement names.
     */
    NodeId[] syncNodes(NodeId[] factIds) {
        if (!rebuild && !sameKnown(factIds)) {
            rebuild = true;
        }
        if (!rebuild) {
            for (int i = 0; i < dirty.size() && !rebuild; i++) {
                int p = dirty.get(i);
                if (!namesOnlyIndexed(placement[p])) {
                    rebuild = true;
                } else {
                    unindex(p);
                    index(p);
                }
            }
            if (!rebuild) {
                for (int n = 0; n < ids.length; n++) {
                    if (!known[n] && references[n] == 0) {
                        rebuild = true;
                        break;
                    }
                }
            }
        }
        if (rebuild) {
            rebuildAll(factIds);
            work.resetAll(this);
        } else {
            work.reset(this);
            for (int i = 0; i < dirty.size(); i++) {
                if (!judgeAll) {
                    judge(dirty.get(i));
                }
                work.restore(this, dirty.get(i));
            }
        }
        dirty.clear();
        dirtyMark.clear();
        return ids;
    }

    private boolean sameKnown(NodeId[] factIds) {
        int f = 0;
        for (int n = 0; n < ids.length; n++) {
            if (known[n]) {
                if (f >= factIds.length || !factIds[f].equals(ids[n])) {
                    return false;
                }
                f++;
            }
        }
        return f == factIds.length;
    }

    private boolean namesOnlyIndexed(Placement p) {
        if (p == null) {
            return true;
        }
        for (NodeId id : p.current()) {
            if (lookup.index(id) < 0) {
                return false;
            }
        }
        for (NodeId id : p.next()) {
            if (lookup.index(id) < 0) {
                return false;
            }
        }
        return p.leader() == null || lookup.index(p.leader()) >= 0;
    }

    private void rebuildAll(NodeId[] factIds) {
        TreeSet<NodeId> unknown = new TreeSet<>();
        NodeLookup factLookup = new NodeLookup(factIds);
        for (Placement p : placement) {
            if (p != null) {
                collectUnknown(p.current(), factLookup, unknown);
                collectUnknown(p.next(), factLookup, unknown);
                if (p.leader() != null && factLookup.index(p.leader()) < 0) {
                    unknown.add(p.leader());
                }
            }
        }
        NodeId[] all = Arrays.copyOf(factIds, factIds.length + unknown.size());
        int i = factIds.length;
        for (NodeId id : unknown) {
            all[i++] = id;
        }
        Arrays.sort(all);
        ids = all;
        int nodeCount = ids.length;
        known = new boolean[nodeCount];
        lookup = unknown.isEmpty() ? factLookup : new NodeLookup(ids);
        if (unknown.isEmpty()) {
            Arrays.fill(known, true);
        } else {
            for (int n = 0; n < nodeCount; n++) {
                known[n] = factLookup.index(ids[n]) >= 0;
            }
        }
        references = new int[nodeCount];
        baseLoad = new int[nodeCount];
        baseChanges = new int[nodeCount];
        baseLeads = new int[nodeCount];
        baseInFlight = 0;
        partitionsOf = new IntList[nodeCount];
        inFlight.clear();
        // What index gives a partition without placement, for all at once: a first pass has no placements, and on one core
        // a loop over a million partitions runs interpreted for a while before the JIT compiles it.
        Arrays.fill(current, NONE);
        Arrays.fill(inFlightNext, null);
        Arrays.fill(originalLeader, -1);
        for (int p = 0; p < partitionCount; p++) {
            if (placement[p] != null) {
                index(p);
            }
        }
        rebuild = false;
        judgeAll = true;
    }

    private static void collectUnknown(List<NodeId> members, NodeLookup known, TreeSet<NodeId> unknown) {
        for (int i = 0; i < members.size(); i++) {
            if (known.index(members.get(i)) < 0) {
                unknown.add(members.get(i));
            }
        }
    }

    /** Adds partition {@code p}'s placement to the per-node counts. */
    private void index(int p) {
        Placement pl = placement[p];
        if (pl == null) {
            current[p] = NONE;
            inFlightNext[p] = null;
            originalLeader[p] = -1;
            return;
        }
        int[] members = lookup.indices(pl.current());
        int[] next = pl.hasNext() ? lookup.indices(pl.next()) : null;
        int leader = pl.leader() == null ? -1 : lookup.index(pl.leader());
        current[p] = members;
        inFlightNext[p] = next;
        originalLeader[p] = leader;
        for (int member : next != null ? next : members) {
            baseLoad[member]++;
        }
        if (next != null) {
            baseInFlight++;
            inFlight.set(p);
            for (int member : members) {
                if (!IntList.contains(next, member)) {
                    baseChanges[member]++;
                }
            }
            for (int member : next) {
                if (!IntList.contains(members, member)) {
                    baseChanges[member]++;
                }
            }
        }
        if (leader >= 0) {
            baseLeads[leader]++;
        }
        for (int member : members) {
            reference(member, p);
        }
        if (next != null) {
            for (int member : next) {
                if (!IntList.contains(members, member)) {
                    reference(member, p);
                }
            }
        }
        if (leader >= 0 && !IntList.contains(members, leader) && (next == null || !IntList.contains(next, leader))) {
            reference(leader, p);
        }
    }

    /** Takes partition {@code p}'s indexed placement out of the per-node counts: the inverse of {@link #index}. */
    private void unindex(int p) {
        int[] members = current[p];
        if (members == null || members == NONE && originalLeader[p] < 0) {
            return;
        }
        int[] next = inFlightNext[p];
        int leader = originalLeader[p];
        for (int member : next != null ? next : members) {
            baseLoad[member]--;
        }
        if (next != null) {
            baseInFlight--;
            inFlight.clear(p);
            for (int member : members) {
                if (!IntList.contains(next, member)) {
                    baseChanges[member]--;
                }
            }
            for (int member : next) {
                if (!IntList.contains(members, member)) {
                    baseChanges[member]--;
                }
            }
        }
        if (leader >= 0) {
            baseLeads[leader]--;
        }
        for (int member : members) {
            unreference(member, p);
        }
        if (next != null) {
            for (int member : next) {
                if (!IntList.contains(members, member)) {
                    unreference(member, p);
                }
            }
        }
        if (leader >= 0 && !IntList.contains(members, leader) && (next == null || !IntList.contains(next, leader))) {
            unreference(leader, p);
        }
        current[p] = null;
        inFlightNext[p] = null;
        originalLeader[p] = -1;
    }

    private void reference(int node, int p) {
        references[node]++;
        if (partitionsOf[node] == null) {
            partitionsOf[node] = new IntList();
        }
        partitionsOf[node].add(p);
    }

    private void unreference(int node, int p) {
        references[node]--;
        if (!partitionsOf[node].remove(p)) {
            throw new IllegalStateException("BUG: P" + p + " was not listed under node " + ids[node]);
        }
    }

    // ---------------------------------------------------------------- before a pass: what needs attention

    /**
     * Judges again, on this pass's node facts, every partition whose quietness may have changed: those put since the
     * last pass (already judged by {@link #syncNodes} on the last facts) and those naming a node whose facts changed;
     * after a rebuild, every partition.
     */
    void syncFacts(boolean[] newKeeps, boolean[] newAlive, boolean[] newMayKeepLeading, int[] newZone, String[] newZoneNames) {
        if (!Arrays.equals(zoneNames, newZoneNames) || keeps.length != newKeeps.length) {
            judgeAll = true;
        }
        boolean[] oldKeeps = keeps;
        boolean[] oldAlive = alive;
        boolean[] oldLeading = mayKeepLeading;
        int[] oldZone = zone;
        keeps = newKeeps.clone();
        alive = newAlive.clone();
        mayKeepLeading = newMayKeepLeading.clone();
        zone = newZone.clone();
        zoneNames = newZoneNames.clone();
        if (judgeAll) {
            // A partition without placement needs both kinds of attention (judge says so); the others are judged.
            repairAttention.set(0, partitionCount);
            leaderAttention.set(0, partitionCount);
            for (int p = 0; p < partitionCount; p++) {
                if (placement[p] != null) {
                    judge(p);
                }
            }
            judgeAll = false;
            return;
        }
        for (int n = 0; n < ids.length; n++) {
            if ((oldKeeps[n] != keeps[n] || oldAlive[n] != alive[n] || oldLeading[n] != mayKeepLeading[n] || oldZone[n] != zone[n])
                    && partitionsOf[n] != null) {
                IntList named = partitionsOf[n];
                for (int i = 0; i < named.size(); i++) {
                    judge(named.get(i));
                }
            }
        }
    }

    /** Puts {@code p} in or out of the attention sets, on the node facts last given to {@link #syncFacts}. */
    private void judge(int p) {
        repairAttention.set(p, !repairQuiet(p));
        leaderAttention.set(p, !leaderQuiet(p));
    }

    private boolean repairQuiet(int p) {
        int[] members = current[p];
        if (placement[p] == null || inFlightNext[p] != null || members.length != replicas) {
            return false;
        }
        for (int member : members) {
            if (!keeps[member] || !alive[member]) {
                return false;
            }
        }
        int covered = 0;
        for (int i = 0; i < members.length; i++) {
            boolean first = zone[members[i]] >= 0;
            for (int j = 0; j < i && first; j++) {
                first = zone[members[j]] != zone[members[i]];
            }
            if (first) {
                covered++;
            }
        }
        return covered >= minZones;
    }

    private boolean leaderQuiet(int p) {
        Placement pl = placement[p];
        int held = originalLeader[p];
        if (pl == null || pinned.get(p) || held < 0 || !mayKeepLeading[held]) {
            return false;
        }
        int[] target = inFlightNext[p] != null ? inFlightNext[p] : current[p];
        return target.length > 0 && IntList.contains(current[p], held) && IntList.contains(target, held);
    }

    /** The set a pass starts from: the next set while a change is under way, else the current one. */
    int[] baseTarget(int p) {
        return inFlightNext[p] != null ? inFlightNext[p] : current[p];
    }

    int index(NodeId id) {
        return lookup.index(id);
    }

    /** The partitions whose placement names node {@code n} in a set or as leader, in no order; {@code null} if none ever did. */
    IntList named(int n) {
        return partitionsOf[n];
    }

    /** Node id → index, dense when ids are small (they are allocated one by one). */
    static final class NodeLookup {
        private final int[] dense;
        private final Map<NodeId, Integer> sparse;

        NodeLookup(NodeId[] ids) {
            int max = 0;
            for (NodeId id : ids) {
                max = Math.max(max, id.value());
            }
            if (max <= DENSE_ID_LIMIT) {
                dense = new int[max + 1];
                Arrays.fill(dense, -1);
                for (int i = 0; i < ids.length; i++) {
                    dense[ids[i].value()] = i;
                }
                sparse = null;
            } else {
                dense = null;
                sparse = new HashMap<>();
                for (int i = 0; i < ids.length; i++) {
                    sparse.put(ids[i], i);
                }
            }
        }

        int index(NodeId id) {
            if (dense != null) {
                return id.value() < dense.length ? dense[id.value()] : -1;
            }
            return sparse.getOrDefault(id, -1);
        }

        int[] indices(List<NodeId> nodes) {
            int[] result = new int[nodes.size()];
            for (int i = 0; i < result.length; i++) {
                int index = index(nodes.get(i));
                if (index < 0) {
                    throw new IllegalStateException("BUG: " + nodes.get(i) + " was not indexed");
                }
                result[i] = index;
            }
            return result;
        }
    }
}
