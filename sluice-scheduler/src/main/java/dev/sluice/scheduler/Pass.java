package dev.sluice.scheduler;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One scheduling pass over one input: the working state (who holds what, loads, changes under way per
 * node) and the phases that change it, in the order {@link Scheduler} documents. Single use; nodes and
 * partitions are addressed by dense int indices (nodes in id order), so the hot loops touch arrays
 * only and iteration order never depends on a hash map.
 */
final class Pass {

    private static final int[] NONE = PlacementIndex.NONE;
    /** Salts for picks of one partition are {@code partition × this + slot}; more than any set's picks. */
    private static final long SALT_SLOTS_PER_PARTITION = 64;
    /**
     * Candidate checks one pass may spend searching chains of free re-targetings. Far above what a
     * drain of one worker needs (its replicas × workers); it only bounds pathological inputs, where the
     * paid balancing then does the rest.
     */
    private static final long MAX_CHAIN_SEARCH_WORK = 20_000_000;
    /** Rounds of the free direct leadership sweep; each is one pass over the partitions. */
    private static final int FREE_LEADER_SWEEPS = 4;

    private final SchedulerLimits limits;
    private final Instant now;
    private final int partitionCount;
    private final int replicas;
    private final int minZones;

    // Nodes, by index in id order.
    private final int nodeCount;
    private final NodeId[] ids;
    private final WorkerState[] state;
    private final int[] zone;
    private final String[] zoneNames;
    private final boolean[] alive;
    private final boolean[] eligible;
    private final boolean[] keeps;
    private final Instant[] deadSince;
    private final boolean[] inMaintenance;
    /**
     * Fit to lead a partition it already leads (or is pinned to): a candidate, or a cordoned worker that would be
     * one but for its cordon. A cordon keeps new leaderships off a worker, not the ones it holds.
     */
    private final boolean[] mayKeepLeading;
    /**
     * For a worker being replaced (draining, with a replacement), the index of the worker that receives its replicas,
     * else -1. Its replicas go there and nowhere else.
     */
    private final int[] replacementOf;
    /**
     * Fit to receive a replaced worker's replicas: Active, alive and not in maintenance — a candidate but for the
     * reservation, and but for a cordon: the operator named it, as a pod's {@code nodeName} in Kubernetes bypasses a
     * cordon, and cordoning it is how an operator keeps a new worker empty until the replace. A receiving worker is no
     * candidate for anything else while the replace lasts, so the balancer does not fill it and no repair picks it.
     */
    private final boolean[] replaceFit;
    private final int eligibleCount;
    /** Workers that would be candidates but for their cordon, for the explanations. */
    private final int cordonedCount;
    private final int[] zoneMark;
    private int zoneStamp;

    // Partitions, by partition number: the placements as indexed, and this pass's decisions (PartitionWork).
    private final PlacementIndex index;
    private final PartitionWork work;
    private final boolean visitAll;
    /**
     * Whether leader balancing may search chains of transfers. The controller turns it off while replica sets change:
     * it holds balancing transfers back until they stop changing, and at 1,000 × 1,000,000 a one-worker drain spent
     * minutes a pass searching for transfers it would not make.
     */
    private boolean leaderChains = true;
    /** Leader balancing searches once per chain, as it did before {@link LeaderPaths#augment} (for tests to compare with). */
    private boolean oneChainPerSearch;
    private final Placement[] placement;
    private final int[][] current;
    private final int[][] inFlightNext;
    private final int[][] target;
    private final ChangeKind[] kind;
    private final boolean[] holdFill;
    private final int[] originalLeader;
    private final int[] leader;
    private final LeadershipChange.Cause[] leaderCause;

    // Loads (replicas each node holds once every decided change is done) and throttles.
    private final int[] load;
    private final LoadIndex all;
    private final LoadIndex[] byZone;
    private final int[] changesOnNode;
    private int changesInCluster;
    private int inFlight;
    private int throttled;

    private final List<Explanation> explanations = new ArrayList<>();
    /** Leaderships the free sweep moved, as (partition, from, to) triples in order, for the {@link LeaderLists} after it. */
    private final IntList evenOutMoves = new IntList();
    /** Partitions each eligible node holds, for balancing; built on first need. */
    private IntList[] partitionsOf;
    /** Partitions added to a node's list of {@link #partitionsOf} before that list was built. */
    private IntList[] addedAfterSnapshot;
    /** The target and movability, at the snapshot of {@link #partitionsOf}, of each partition written since. */
    private final Map<Integer, int[]> snapshotTarget = new HashMap<>();
    private final java.util.BitSet snapshotMovable = new java.util.BitSet();
    /**
     * Set once replica sets are decided: no balancing reads the snapshot after that, and the leader phase touches every
     * partition of a placement from nothing (a million boxed keys in {@link #snapshotTarget} it would never read).
     */
    private boolean snapshotClosed;
    private final IntList skipScratch = new IntList();
    private final IntList usableScratch = new IntList();
    private final IntList pickChosenScratch = new IntList();
    private final IntList pickSkipScratch = new IntList();
    /** Required changes decided by {@link #repair}, most urgent first, waiting for {@link #admit}. */
    private final IntList awaitingAdmission = new IntList();

    /** A pass from nothing: indexes {@code placements} first (O(P·R)). */
    Pass(List<NodeFacts> facts, PartitionTable table, Map<PartitionId, Placement> placements, SchedulerLimits limits, Instant now) {
        this(facts, PlacementIndex.of(table, placements, false), limits, now);
    }

    /**
     * A pass over {@code index}, which it brings up to date with the placements put since the last pass and with
     * {@code facts}; it then visits only the partitions the index says need attention, and those it changes.
     */
    Pass(List<NodeFacts> facts, PlacementIndex index, SchedulerLimits limits, Instant now) {
        this.limits = limits;
        this.now = now;
        this.index = index;
        this.work = index.work;
        this.visitAll = index.visitAll;
        this.partitionCount = index.partitionCount;
        this.replicas = index.replicas;
        this.minZones = index.minZones;

        // Every node the configuration knows, plus any a placement names that it does not (removed nodes).
        List<NodeFacts> sorted = new ArrayList<>(facts);
        sorted.sort(Comparator.comparing(NodeFacts::id));
        NodeId[] factIds = new NodeId[sorted.size()];
        for (int i = 0; i < factIds.length; i++) {
            factIds[i] = sorted.get(i).id();
            if (i > 0 && factIds[i].equals(factIds[i - 1])) {
                throw new IllegalArgumentException("BUG: node " + factIds[i] + " listed twice");
            }
        }
        this.ids = index.syncNodes(factIds);
        this.placement = index.placement;
        this.current = index.current;
        this.inFlightNext = index.inFlightNext;
        this.originalLeader = index.originalLeader;
        this.target = work.target;
        this.kind = work.kind;
        this.holdFill = work.holdFill;
        this.leader = work.leader;
        this.leaderCause = work.leaderCause;
        List<NodeFacts> everyone = new ArrayList<>(ids.length);
        for (int n = 0, f = 0; n < ids.length; n++) {
            if (f < sorted.size() && sorted.get(f).id().equals(ids[n])) {
                everyone.add(sorted.get(f++));
            } else {
                everyone.add(new NodeFacts(ids[n], null, null, false, null, false));
            }
        }
        this.nodeCount = everyone.size();
        this.state = new WorkerState[nodeCount];
        this.zone = new int[nodeCount];
        this.alive = new boolean[nodeCount];
        this.eligible = new boolean[nodeCount];
        this.keeps = new boolean[nodeCount];
        this.deadSince = new Instant[nodeCount];
        this.inMaintenance = new boolean[nodeCount];
        this.mayKeepLeading = new boolean[nodeCount];
        TreeSet<String> zones = new TreeSet<>();
        for (NodeFacts fact : everyone) {
            if (fact.zone() != null) {
                zones.add(fact.zone());
            }
        }
        this.zoneNames = zones.toArray(String[]::new);
        Map<String, Integer> zoneIndex = new HashMap<>();
        for (int z = 0; z < zoneNames.length; z++) {
            zoneIndex.put(zoneNames[z], z);
        }
        this.zoneMark = new int[zoneNames.length];
        int eligibleSeen = 0;
        int cordonedSeen = 0;
        for (int n = 0; n < nodeCount; n++) {
            NodeFacts fact = everyone.get(n);
            state[n] = fact.state();
            zone[n] = fact.zone() == null ? -1 : zoneIndex.get(fact.zone());
            alive[n] = fact.alive();
            deadSince[n] = fact.deadSince();
            boolean deadTooLong = !fact.alive()
                    && (fact.deadSince() == null || Duration.between(fact.deadSince(), now).compareTo(limits.deadNodeGrace()) > 0);
            // The one definition of a candidate: Active (WorkerState decides), alive, not in maintenance, and not cordoned.
            // Every placement path (first sets, repair, drain targets, balancing, leaderships) picks only candidates.
            boolean fit = fact.state() != null && fact.state().mayReceiveReplicas() && fact.alive() && !fact.inMaintenance();
            eligible[n] = fit && !fact.cordoned();
            mayKeepLeading[n] = fit;
            if (fit && fact.cordoned()) {
                cordonedSeen++;
            }
            // A node in maintenance keeps its replicas however long it is away: that is what the intent is for.
            keeps[n] = fact.state() != null && fact.state().keepsReplicas() && (!deadTooLong || fact.inMaintenance());
            inMaintenance[n] = fact.inMaintenance();
            if (eligible[n]) {
                eligibleSeen++;
            }
        }
        this.replacementOf = new int[nodeCount];
        this.replaceFit = new boolean[nodeCount];
        Arrays.fill(replacementOf, -1);
        for (int n = 0; n < nodeCount; n++) {
            NodeId by = everyone.get(n).replacedBy();
            int receiver = by == null ? -1 : index.index(by);
            if (receiver < 0 || receiver == n || state[n] != WorkerState.DRAINING) {
                continue;
            }
            replacementOf[n] = receiver;
            replaceFit[receiver] = mayKeepLeading[receiver];
            if (eligible[receiver]) {
                eligible[receiver] = false;
                eligibleSeen--;
            }
        }
        this.eligibleCount = eligibleSeen;
        this.cordonedCount = cordonedSeen;
        index.syncFacts(keeps, alive, mayKeepLeading, zone, zoneNames);

        this.load = index.baseLoad.clone();
        this.changesOnNode = index.baseChanges.clone();
        this.inFlight = index.baseInFlight;
        this.changesInCluster = index.baseInFlight;

        int[] eligibleNodes = new int[eligibleCount];
        int[] perZone = new int[zoneNames.length];
        for (int n = 0, i = 0; n < nodeCount; n++) {
            if (eligible[n]) {
                eligibleNodes[i++] = n;
                perZone[zone[n]]++;
            }
        }
        this.all = new LoadIndex(load, eligibleNodes, nodeCount);
        this.byZone = new LoadIndex[zoneNames.length];
        int[][] zoneMembers = new int[zoneNames.length][];
        for (int z = 0; z < zoneNames.length; z++) {
            zoneMembers[z] = new int[perZone[z]];
            perZone[z] = 0;
        }
        for (int n = 0; n < nodeCount; n++) {
            if (eligible[n]) {
                zoneMembers[zone[n]][perZone[zone[n]]++] = n;
            }
        }
        for (int z = 0; z < zoneNames.length; z++) {
            byZone[z] = new LoadIndex(load, zoneMembers[z], nodeCount);
        }
    }

    /** The next partition from {@code from} on in {@code set}, or every partition when the index visits all; -1 at the end. */
    private int nextIn(java.util.BitSet set, int from) {
        if (visitAll) {
            return from < partitionCount ? from : -1;
        }
        return from >= partitionCount ? -1 : set.nextSetBit(from);
    }

    /** This pass without the chain search of leader balancing ({@link #leaderChains}); the cheap sweep of free leaderships still runs. */
    Pass withoutLeaderChains() {
        leaderChains = false;
        return this;
    }

    /** This pass with the leader search as it was before it applied many chains per search (for tests). */
    Pass withOneChainPerSearch() {
        oneChainPerSearch = true;
        return this;
    }

    Plan run() {
        reviseInFlight();
        repair();
        balanceReplicas(0);
        chainFreeMoves();
        admit();
        balanceReplicas(1);
        placeLeaders();
        return plan();
    }

    // ---------------------------------------------------------------- phase 1: changes under way

    /** A joining member of a change under way that became unusable is replaced; nothing else is touched. */
    private void reviseInFlight() {
        IntList kept = new IntList();
        IntList bad = new IntList();
        IntList excluded = new IntList();
        for (int p = nextIn(index.inFlight, 0); p >= 0; p = nextIn(index.inFlight, p + 1)) {
            int[] next = inFlightNext[p];
            if (next == null || frozen(p)) {
                continue;
            }
            kept.clear();
            bad.clear();
            for (int member : next) {
                if (!keeps[member] && !IntList.contains(current[p], member) && !receivesReplacedReplica(p, member)) {
                    bad.add(member);
                } else {
                    kept.add(member);
                }
            }
            if (bad.isEmpty()) {
                continue;
            }
            excluded.clear();
            for (int member : current[p]) {
                excluded.add(member);
            }
            for (int member : next) {
                excluded.add(member);
            }
            IntList adds = pickAdditions(p, kept, bad.size(), excluded);
            int fresh = adds.size();
            // With no other candidate, a member the move takes away is taken back while it keeps replicas: it holds the
            // data, and the move, then naming no joiner, ends at once (found by ControllerDrainTest: a balancing move
            // kept naming a dead joiner while the worker it moved away from was fine, and its drain waited for good).
            for (int member : current[p]) {
                if (adds.size() < bad.size() && keeps[member] && !IntList.contains(next, member)) {
                    adds.add(member);
                }
            }
            if (adds.size() < bad.size()) {
                explainNotEnough(p, kept.size() + adds.size(), bad.size() - adds.size());
            }
            if (adds.isEmpty()) {
                continue;
            }
            int[] revised = next.clone();
            for (int i = 0; i < adds.size(); i++) {
                int gone = bad.get(i);
                int in = adds.get(i);
                for (int k = 0; k < revised.length; k++) {
                    if (revised[k] == gone) {
                        revised[k] = in;
                    }
                }
                decrement(gone);
                increment(in);
                changesOnNode[gone]--;
                // A member taken back stops leaving: one change fewer on it, not one more.
                changesOnNode[in] += i < fresh ? 1 : -1;
            }
            touch(p);
            target[p] = revised;
            kind[p] = ChangeKind.REVISE;
        }
    }

    // ---------------------------------------------------------------- phase 2: required changes

    /**
     * Partitions whose replica set breaks a rule get a next set, most urgent first (new partitions,
     * then lost redundancy, then members that must leave, then spread and surplus). Throttles are not
     * looked at here: every required change is planned, so the plan as a whole is balanced, and
     * {@link #admit} then decides which may start now.
     */
    private void repair() {
        IntList[] byUrgency = {new IntList(), new IntList(), new IntList(), new IntList()};
        // A repair-quiet partition (PlacementIndex) would reach the "continue" below with nothing explained.
        for (int p = nextIn(index.repairAttention, 0); p >= 0; p = nextIn(index.repairAttention, p + 1)) {
            if (inFlightNext[p] != null) {
                continue;
            }
            int[] members = current[p];
            boolean lostOrMissing = false;
            boolean mustLeave = false;
            int usable = 0;
            for (int member : members) {
                if (keeps[member]) {
                    usable++;
                    if (!alive[member]) {
                        explainWaiting(p, member);
                        touch(p);
                        holdFill[p] = true;
                    }
                } else if (waitsForReplacement(p, member)) {
                    usable++;
                    explainReplacementUnavailable(p, member);
                    touch(p);
                    holdFill[p] = true;
                } else if (alive[member] && state[member] != null) {
                    mustLeave = true;
                } else {
                    lostOrMissing = true;
                }
            }
            int urgency;
            if (members.length == 0) {
                urgency = 0;
            } else if (lostOrMissing || usable < replicas && !mustLeave) {
                urgency = 1;
            } else if (mustLeave) {
                urgency = 2;
            } else if (usable > replicas || spreadImprovable(members)) {
                urgency = 3;
            } else {
                continue;
            }
            touch(p);
            holdFill[p] = true;
            if (frozen(p)) {
                explainFrozen(p, members.length - usable, usable);
                continue;
            }
            byUrgency[urgency].add(p);
        }
        Scratch scratch = new Scratch();
        IntList unplaced = byUrgency[0];
        for (int i = 0; i < unplaced.size(); i++) {
            placeInitial(unplaced.get(i), scratch);
        }
        for (int urgency = 1; urgency < byUrgency.length; urgency++) {
            IntList partitions = byUrgency[urgency];
            for (int i = 0; i < partitions.size(); i++) {
                repairOne(partitions.get(i), scratch);
            }
        }
    }

    /**
     * A partition without members, as {@link #repairOne} would place it when its picks fill the set over enough zones,
     * which they do unless candidates run short — and then {@link #repairOne} places it. A placement from nothing makes a
     * million of these in a row: on one core the JIT spends about half a second compiling {@link #repairOne}, time the
     * pass spends running it slowly meanwhile, and this short method is compiled in a fraction of that.
     */
    private void placeInitial(int p, Scratch s) {
        s.keep.clear();
        s.excluded.clear();
        // Picked into a reused list: a fresh one per partition was a quarter of what a placement from nothing allocated.
        IntList picked = pickAdditions(p, s.keep, replicas, s.excluded, s.picked);
        if (picked.size() < replicas || zonesOf(picked) < minZones) {
            repairOne(p, s);
            return;
        }
        commit(p, NONE, picked.toArray(), ChangeKind.INITIAL);
    }

    /** Reusable lists for {@link #repairOne}, so a pass over 100,000 partitions allocates little. */
    private static final class Scratch {
        final IntList keep = new IntList();
        final IntList drop = new IntList();
        final IntList trimmed = new IntList();
        final IntList swappedOut = new IntList();
        final IntList excluded = new IntList();
        final IntList chosen = new IntList();
        final IntList picked = new IntList();
    }

    private void repairOne(int p, Scratch s) {
        int[] members = current[p];
        boolean initial = members.length == 0;
        s.keep.clear();
        s.drop.clear();
        s.trimmed.clear();
        s.swappedOut.clear();
        for (int member : members) {
            (keeps[member] || waitsForReplacement(p, member) ? s.keep : s.drop).add(member);
        }
        while (s.keep.size() > replicas) {
            s.trimmed.add(s.keep.removeAt(trimVictim(p, s.keep)));
        }
        s.excluded.clear();
        for (int member : members) {
            s.excluded.add(member);
        }
        // A replaced worker's replica goes to its replacement and nowhere else; other missing members are picked as usual.
        IntList replacing = new IntList();
        for (int i = 0; i < s.drop.size() && s.keep.size() + replacing.size() < replicas; i++) {
            int receiver = replacementOf[s.drop.get(i)];
            if (receiver >= 0 && replaceFit[receiver] && !IntList.contains(members, receiver) && !replacing.contains(receiver)) {
                replacing.add(receiver);
                s.excluded.add(receiver);
            }
        }
        IntList base = s.keep;
        if (!replacing.isEmpty()) {
            base = new IntList();
            for (int i = 0; i < s.keep.size(); i++) {
                base.add(s.keep.get(i));
            }
            for (int i = 0; i < replacing.size(); i++) {
                base.add(replacing.get(i));
            }
        }
        IntList picked = pickAdditions(p, base, replicas - base.size(), s.excluded);
        IntList adds = replacing;
        for (int i = 0; i < picked.size(); i++) {
            adds.add(picked.get(i));
        }

        // Spread: if the usable members cover too few zones, trade a member of a crowded zone for a
        // candidate in a missing one (a just-picked addition first, it costs no extra move).
        s.chosen.clear();
        for (int i = 0; i < s.keep.size(); i++) {
            s.chosen.add(s.keep.get(i));
        }
        for (int i = 0; i < adds.size(); i++) {
            s.chosen.add(adds.get(i));
            s.excluded.add(adds.get(i));
        }
        for (int guard = 0; guard < replicas && zonesOf(s.chosen) < minZones; guard++) {
            int in = pickInNewZone(s.chosen, s.excluded, salt(p, replicas + guard));
            int out = in < 0 ? -1 : spreadVictim(p, s.chosen, adds);
            if (out < 0) {
                break;
            }
            s.chosen.remove(out);
            if (!adds.remove(out)) {
                s.keep.remove(out);
                s.swappedOut.add(out);
            }
            adds.add(in);
            s.chosen.add(in);
            s.excluded.add(in);
        }

        int usable = s.keep.size() + adds.size();
        if (usable < replicas) {
            explainNotEnough(p, usable, replicas - usable);
        }
        int zonesCovered = zonesOf(s.chosen);
        if (zonesCovered < minZones) {
            explainSpread(p, zonesCovered);
        }

        // Make-before-break: a member that must leave stays until a replacement is in the set; alive
        // ones are kept in preference to dead ones, since they still serve the group.
        int room = Math.max(0, replicas - usable);
        IntList staying = new IntList();
        for (int pass = 0; pass < 2 && staying.size() < room; pass++) {
            for (int i = 0; i < s.drop.size() && staying.size() < room; i++) {
                int member = s.drop.get(i);
                if (alive[member] == (pass == 0)) {
                    staying.add(member);
                }
            }
        }
        int[] next = new int[s.keep.size() + adds.size() + staying.size()];
        int filled = 0;
        int nextAdd = 0;
        for (int member : members) {
            if (s.keep.contains(member) || staying.contains(member)) {
                next[filled++] = member;
            } else if (nextAdd < adds.size()) {
                next[filled++] = adds.get(nextAdd++);
            }
        }
        while (nextAdd < adds.size()) {
            next[filled++] = adds.get(nextAdd++);
        }
        if (filled != next.length) {
            throw new IllegalStateException("BUG: " + partitionId(p) + " next set has " + filled + " of " + next.length + " members");
        }
        if (next.length == 0 || sameMembers(members, next)) {
            return;
        }
        ChangeKind changeKind = initial ? ChangeKind.INITIAL
                : !s.drop.isEmpty() && members.length >= replicas && allDraining(s.drop) ? ChangeKind.DRAIN
                : !s.drop.isEmpty() || s.keep.size() + s.trimmed.size() + s.swappedOut.size() < replicas ? ChangeKind.REPAIR
                : !s.swappedOut.isEmpty() ? ChangeKind.SPREAD
                : ChangeKind.TRIM;
        commit(p, members, next, changeKind);
        if (!initial) {
            awaitingAdmission.add(p);
        }
    }

    /**
     * Lets the required changes start, most urgent first, while each node they involve (joining or
     * leaving) and the cluster have a free slot. A change that must wait is explained and not emitted,
     * but its loads stay counted: the paid balancing that follows works towards the placement the
     * cluster will have once everything waiting is done, so a throttled drain never causes extra moves.
     */
    private void admit() {
        for (int i = 0; i < awaitingAdmission.size(); i++) {
            int p = awaitingAdmission.get(i);
            int[] members = current[p];
            int[] next = target[p];
            int blockedBy = -1;
            for (int member : members) {
                if (blockedBy < 0 && !IntList.contains(next, member) && changesOnNode[member] >= limits.maxChangesPerNode()) {
                    blockedBy = member;
                }
            }
            for (int member : next) {
                if (blockedBy < 0 && !IntList.contains(members, member) && changesOnNode[member] >= limits.maxChangesPerNode()) {
                    blockedBy = member;
                }
            }
            if (blockedBy < 0 && changesInCluster < limits.maxChangesInCluster()) {
                countChange(members, next);
                continue;
            }
            throttled++;
            touch(p);
            target[p] = members;
            kind[p] = null;
            holdFill[p] = true;
            Map<String, Long> numbers = new LinkedHashMap<>();
            numbers.put("changesInCluster", (long) changesInCluster);
            numbers.put("maxChangesInCluster", (long) limits.maxChangesInCluster());
            String message;
            if (blockedBy >= 0) {
                numbers.put("node", (long) ids[blockedBy].value());
                numbers.put("changesOnNode", (long) changesOnNode[blockedBy]);
                numbers.put("maxChangesPerNode", (long) limits.maxChangesPerNode());
                message = "waits for a slot: " + ids[blockedBy] + " is in " + changesOnNode[blockedBy] + " changes under way (limit "
                        + limits.maxChangesPerNode() + " per node)";
            } else {
                message = "waits for a slot: " + changesInCluster + " changes under way in the cluster (limit "
                        + limits.maxChangesInCluster() + ")";
            }
            explain(p, Reason.THROTTLED, message, numbers);
        }
    }

    private void countChange(int[] members, int[] next) {
        for (int member : next) {
            if (!IntList.contains(members, member)) {
                changesOnNode[member]++;
            }
        }
        for (int member : members) {
            if (!IntList.contains(next, member)) {
                changesOnNode[member]++;
            }
        }
        changesInCluster++;
    }

    /** Records a decided change; its loads count from now on, its throttle slots once admitted. */
    private void commit(int p, int[] members, int[] next, ChangeKind changeKind) {
        for (int member : next) {
            if (!IntList.contains(members, member)) {
                increment(member);
            }
        }
        for (int member : members) {
            if (!IntList.contains(next, member)) {
                decrement(member);
            }
        }
        touch(p);
        target[p] = next;
        kind[p] = changeKind;
    }

    /**
     * Picks up to {@code need} eligible nodes to join {@code kept}, never one of {@code excluded}: each
     * is the least loaded candidate, from a zone the set lacks when the remaining picks could otherwise
     * not reach the zone spread. Returns fewer when candidates run out.
     */
    private IntList pickAdditions(int p, IntList kept, int need, IntList excluded) {
        return pickAdditions(p, kept, need, excluded, new IntList(Math.max(1, need)));
    }

    /** {@link #pickAdditions(int, IntList, int, IntList)} into {@code picked}, which is cleared first and returned. */
    private IntList pickAdditions(int p, IntList kept, int need, IntList excluded, IntList picked) {
        picked.clear();
        if (need <= 0) {
            return picked;
        }
        IntList chosen = pickChosenScratch;
        chosen.clear();
        for (int i = 0; i < kept.size(); i++) {
            chosen.add(kept.get(i));
        }
        IntList skip = pickSkipScratch;
        skip.clear();
        for (int i = 0; i < excluded.size(); i++) {
            skip.add(excluded.get(i));
        }
        for (int i = 0; i < kept.size(); i++) {
            skip.add(kept.get(i));
        }
        for (int slot = 0; slot < need; slot++) {
            int covered = zonesOf(chosen);
            int remaining = need - slot;
            int node = -1;
            if (covered < minZones && minZones - covered >= remaining) {
                node = pickInNewZone(chosen, skip, salt(p, slot));
            }
            if (node < 0) {
                node = leastLoaded(all, skip, Integer.MAX_VALUE, false, salt(p, slot));
            }
            if (node < 0) {
                break;
            }
            picked.add(node);
            chosen.add(node);
            skip.add(node);
        }
        return picked;
    }

    /** The least loaded eligible node in a zone that {@code chosen} does not cover, or -1. */
    private int pickInNewZone(IntList chosen, IntList skip, long salt) {
        markZones(chosen, -1);
        int best = -1;
        // Zones tied on load take turns too: the scan starts at a zone derived from the salt.
        int zones = byZone.length;
        int first = zones == 0 ? 0 : (int) Long.remainderUnsigned(mix(~salt), zones);
        // A zone's pick has its least load unless skip holds every node of that load. So when the pick of the first zone
        // (in scan order) of the lowest least load has that load, no other zone's pick can beat it, and the scan below
        // would choose it: one pick instead of one per missing zone, a third of the picks of a placement from nothing.
        int lowestZone = -1;
        int lowestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < zones; i++) {
            int z = first + i < zones ? first + i : first + i - zones;
            if (zoneMark[z] != zoneStamp && byZone[z].size() > 0 && load[byZone[z].at(0)] < lowestLoad) {
                lowestZone = z;
                lowestLoad = load[byZone[z].at(0)];
            }
        }
        if (lowestZone >= 0) {
            int node = leastLoaded(byZone[lowestZone], skip, Integer.MAX_VALUE, false, salt);
            if (node >= 0 && load[node] == lowestLoad) {
                return node;
            }
        }
        for (int i = 0; i < zones; i++) {
            int z = first + i < zones ? first + i : first + i - zones;
            if (zoneMark[z] == zoneStamp) {
                continue;
            }
            int node = leastLoaded(byZone[z], skip, Integer.MAX_VALUE, false, salt);
            if (node >= 0 && (best < 0 || load[node] < load[best])) {
                best = node;
            }
        }
        return best;
    }

    private static long salt(int p, int slot) {
        return (long) p * SALT_SLOTS_PER_PARTITION + slot;
    }

    /** No scatter: take the least loaded nodes in index order. */
    private static final long IN_ORDER = -1;

    /**
     * The least loaded node of {@code index} not in {@code skip}, with load at most {@code maxLoad}, or
     * -1. With a {@code salt}, the pick among the equally least loaded nodes starts at a position derived
     * from it (the partition and slot), so that partitions placed one after another do not all get the
     * same neighbours: co-members are scattered, and a drained worker's replicas find room on every other
     * worker rather than only on a few. Deterministic: the salt comes from the input.
     */
    private int leastLoaded(LoadIndex index, IntList skip, int maxLoad, boolean respectNodeThrottle, long salt) {
        int size = index.size();
        if (size == 0 || load[index.at(0)] > maxLoad) {
            return -1;
        }
        int tied = salt == IN_ORDER ? 0 : index.leastLoadedCount();
        // Divisions are most of a pick's cost: none where there is one choice, and the walk wraps around without one.
        int start = tied <= 1 ? 0 : (int) Long.remainderUnsigned(mix(salt), tied);
        for (int i = 0; i < tied; i++) {
            int rank = start + i < tied ? start + i : start + i - tied;
            int node = index.at(rank);
            if (!skip.contains(node) && !(respectNodeThrottle && changesOnNode[node] >= limits.maxChangesPerNode())) {
                return node;
            }
        }
        for (int rank = tied; rank < size; rank++) {
            int node = index.at(rank);
            if (load[node] > maxLoad) {
                return -1;
            }
            if (skip.contains(node) || respectNodeThrottle && changesOnNode[node] >= limits.maxChangesPerNode()) {
                continue;
            }
            return node;
        }
        return -1;
    }

    /** SplitMix64's finaliser: spreads consecutive salts over the whole range. */
    private static long mix(long value) {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Which of a too-large usable set leaves: from the most crowded zone, dead before alive, not the leader, most loaded. */
    private int trimVictim(int p, IntList keep) {
        int best = -1;
        long bestScore = Long.MIN_VALUE;
        for (int i = 0; i < keep.size(); i++) {
            int node = keep.get(i);
            long score = (long) countInZone(keep, zone[node]) << 40
                    | (alive[node] ? 0L : 1L << 39)
                    | (node == originalLeader[p] ? 0L : 1L << 38)
                    | (long) load[node] << 20 | node;
            if (score > bestScore) {
                bestScore = score;
                best = i;
            }
        }
        return best;
    }

    /** Which member of {@code chosen} gives its place to a missing zone: one whose zone keeps another member. */
    private int spreadVictim(int p, IntList chosen, IntList adds) {
        int best = -1;
        long bestScore = Long.MIN_VALUE;
        for (int i = 0; i < chosen.size(); i++) {
            int node = chosen.get(i);
            if (countInZone(chosen, zone[node]) < 2) {
                continue;
            }
            long score = (adds.contains(node) ? 1L << 40 : 0L)
                    | (node == originalLeader[p] ? 0L : 1L << 39)
                    | (long) load[node] << 20 | node;
            if (score > bestScore) {
                bestScore = score;
                best = node;
            }
        }
        return best;
    }

    private boolean spreadImprovable(int[] members) {
        IntList usable = new IntList(members.length);
        for (int member : members) {
            if (keeps[member]) {
                usable.add(member);
            }
        }
        int covered = zonesOf(usable);
        if (covered >= minZones) {
            return false;
        }
        markZones(usable, -1);
        for (int z = 0; z < byZone.length; z++) {
            if (zoneMark[z] != zoneStamp && byZone[z].size() > 0) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- phase 3: balance (fill)

    /**
     * Moves replicas from the most loaded eligible workers to the least loaded, each move taking the
     * donor and the receiver closer to each other. First at no cost (re-targeting a replica that joins
     * in this pass anyway), then with real moves, at most {@code maxFillMovesPerPass} of them.
     */
    private void balanceReplicas(int cost) {
        if (eligibleCount < 2 || cost == 1 && limits.maxFillMovesPerPass() == 0
                || load[all.at(all.size() - 1)] - load[all.at(0)] < 2) {
            return;
        }
        if (partitionsOf == null) {
            // As of now (the snapshot), each eligible node's movable partitions in partition order; entries go stale as
            // replicas move and are checked on use. Visiting every partition builds them all at once, O(P); otherwise a
            // node's list is built from the index when a donor first needs it (heldBy), as it would have been now.
            partitionsOf = new IntList[nodeCount];
            addedAfterSnapshot = new IntList[nodeCount];
            if (visitAll) {
                for (int n = 0; n < nodeCount; n++) {
                    if (eligible[n]) {
                        partitionsOf[n] = new IntList(Math.max(1, load[n]));
                    }
                }
                for (int p = 0; p < partitionCount; p++) {
                    if (!movable(p)) {
                        continue;
                    }
                    for (int member : target[p]) {
                        if (eligible[member]) {
                            partitionsOf[member].add(p);
                        }
                    }
                }
            }
        }
        int budget = limits.maxFillMovesPerPass();
        boolean[] stuck = new boolean[nodeCount];
        // Every move lowers the sum of squared loads, so this ends; the cap only guards against bugs.
        long guard = (long) partitionCount * replicas + nodeCount;
        while (guard-- > 0) {
            if (cost == 1 && budget <= 0) {
                return;
            }
            int minLoad = load[all.at(0)];
            boolean moved = false;
            for (int rank = all.size() - 1; rank >= 0; rank--) {
                int donor = all.at(rank);
                if (load[donor] - minLoad < 2) {
                    break;
                }
                if (stuck[donor]) {
                    continue;
                }
                if (tryMoveFrom(donor, cost)) {
                    moved = true;
                    break;
                }
                stuck[donor] = true;
            }
            if (!moved) {
                return;
            }
            if (cost == 1) {
                budget--;
            }
        }
    }

    /**
     * When a direct free move cannot even out the replicas that join in this pass (the least loaded
     * worker is already a member of every partition that could give it one), looks for a chain: the
     * joining replica of q1 moves from u0 to u1, that of q2 from u1 to u2, …, to an under-loaded worker.
     * Intermediate workers keep their count and no chain adds a move, since only replicas that join in
     * this pass are re-targeted. Breadth-first, so the chain is as short as possible.
     */
    private void chainFreeMoves() {
        if (eligibleCount < 2) {
            return;
        }
        IntList[] joiningOn = new IntList[nodeCount];
        int joining = 0;
        // Only a partition this pass touched has a kind.
        for (int p = nextIn(work.touched, 0); p >= 0; p = nextIn(work.touched, p + 1)) {
            if (kind[p] == null || kind[p] == ChangeKind.INITIAL || inFlightNext[p] != null) {
                continue;
            }
            for (int member : target[p]) {
                if (eligible[member] && !IntList.contains(current[p], member)) {
                    if (joiningOn[member] == null) {
                        joiningOn[member] = new IntList();
                    }
                    joiningOn[member].add(p);
                    joining++;
                }
            }
        }
        if (joining == 0) {
            return;
        }
        long[] work = {0};
        for (int guard = joining + nodeCount; guard > 0; guard--) {
            int max = load[all.at(all.size() - 1)];
            int min = load[all.at(0)];
            if (max - min <= 1) {
                return;
            }
            boolean found = false;
            for (int threshold = max; threshold - 2 >= min && !found; threshold--) {
                found = chain(threshold, threshold - 2, joiningOn, work);
            }
            if (!found) {
                return;
            }
        }
    }

    private boolean chain(int sourceAtLeast, int targetAtMost, IntList[] joiningOn, long[] work) {
        int[] viaNode = new int[nodeCount];
        int[] viaPartition = new int[nodeCount];
        boolean[] seen = new boolean[nodeCount];
        // A partition lends edges from one worker only, so no chain re-targets it twice.
        java.util.BitSet usedPartition = index.usedPartition;
        usedPartition.clear();
        int[] queue = new int[nodeCount];
        int head = 0;
        int tail = 0;
        for (int rank = all.size() - 1; rank >= 0 && load[all.at(rank)] >= sourceAtLeast; rank--) {
            int source = all.at(rank);
            seen[source] = true;
            viaNode[source] = -1;
            queue[tail++] = source;
        }
        IntList usable = new IntList();
        while (head < tail) {
            int u = queue[head++];
            IntList held = joiningOn[u];
            if (held == null) {
                continue;
            }
            for (int i = 0; i < held.size(); i++) {
                int q = held.get(i);
                if (usedPartition.get(q) || !IntList.contains(target[q], u) || IntList.contains(current[q], u)) {
                    continue;
                }
                usedPartition.set(q);
                usable.clear();
                int sameZone = 0;
                for (int member : target[q]) {
                    if (keeps[member]) {
                        usable.add(member);
                        if (zone[member] == zone[u]) {
                            sameZone++;
                        }
                    }
                }
                boolean spreadAtStake = sameZone == 1 && zonesOf(usable) - 1 < minZones;
                markZones(usable, u);
                for (int rank = 0; rank < all.size(); rank++) {
                    int v = all.at(rank);
                    if (++work[0] > MAX_CHAIN_SEARCH_WORK) {
                        return false;
                    }
                    if (seen[v] || IntList.contains(target[q], v) || IntList.contains(current[q], v)
                            || spreadAtStake && zoneMark[zone[v]] == zoneStamp) {
                        continue;
                    }
                    seen[v] = true;
                    viaNode[v] = u;
                    viaPartition[v] = q;
                    if (load[v] <= targetAtMost) {
                        for (int w = v; viaNode[w] >= 0; w = viaNode[w]) {
                            int from = viaNode[w];
                            int p = viaPartition[w];
                            int[] set = target[p].clone();
                            for (int k = 0; k < set.length; k++) {
                                if (set[k] == from) {
                                    set[k] = w;
                                }
                            }
                            touch(p);
                            target[p] = set;
                            if (joiningOn[w] == null) {
                                joiningOn[w] = new IntList();
                            }
                            joiningOn[w].add(p);
                            decrement(from);
                            increment(w);
                        }
                        return true;
                    }
                    queue[tail++] = v;
                }
            }
        }
        return false;
    }

    /**
     * Records that this pass writes partition {@code p}'s decisions; once the snapshot of {@link #partitionsOf} is taken,
     * first saves what {@code p} looked like then, so a list built later is the one the snapshot would have had.
     */
    private void touch(int p) {
        if (partitionsOf != null && !visitAll && !snapshotClosed && !snapshotTarget.containsKey(p)) {
            snapshotTarget.put(p, target[p]);
            if (movable(p)) {
                snapshotMovable.set(p);
            }
        }
        work.touch(p);
    }

    /** {@code node}'s list of {@link #partitionsOf}, built on first use as of the snapshot, then what was added since. */
    private IntList heldBy(int node) {
        IntList held = partitionsOf[node];
        if (held != null) {
            return held;
        }
        IntList candidates = new IntList();
        IntList named = index.named(node);
        for (int i = 0; named != null && i < named.size(); i++) {
            candidates.add(named.get(i));
        }
        // A partition this pass changed may name the node in its set without the placement naming it.
        for (int p = work.touched.nextSetBit(0); p >= 0; p = work.touched.nextSetBit(p + 1)) {
            candidates.add(p);
        }
        int[] sorted = candidates.toArray();
        Arrays.sort(sorted);
        held = new IntList(Math.max(1, sorted.length));
        for (int i = 0; i < sorted.length; i++) {
            int p = sorted[i];
            if (i > 0 && sorted[i - 1] == p) {
                continue;
            }
            int[] then = snapshotTarget.containsKey(p) ? snapshotTarget.get(p) : target[p];
            boolean movableThen = snapshotTarget.containsKey(p) ? snapshotMovable.get(p) : movable(p);
            if (movableThen && IntList.contains(then, node)) {
                held.add(p);
            }
        }
        IntList added = addedAfterSnapshot[node];
        for (int i = 0; added != null && i < added.size(); i++) {
            held.add(added.get(i));
        }
        partitionsOf[node] = held;
        return held;
    }

    private void addHeld(int node, int p) {
        if (partitionsOf[node] != null) {
            partitionsOf[node].add(p);
        } else {
            if (addedAfterSnapshot[node] == null) {
                addedAfterSnapshot[node] = new IntList();
            }
            addedAfterSnapshot[node].add(p);
        }
    }

    private boolean movable(int p) {
        return inFlightNext[p] == null && !frozen(p) && target[p].length > 0 && (!holdFill[p] || kind[p] != null);
    }

    private boolean allDraining(IntList nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            if (state[nodes.get(i)] != WorkerState.DRAINING) {
                return false;
            }
        }
        return true;
    }

    /** 0 if moving {@code donor}'s replica of {@code p} costs no extra move, 1 if it is a new move, -1 if not allowed. */
    private int moveCost(int p, int donor) {
        if (kind[p] == null) {
            return holdFill[p] ? -1 : 1;
        }
        return switch (kind[p]) {
            case INITIAL -> 0;
            case REPAIR, DRAIN, SPREAD, TRIM, FILL -> IntList.contains(current[p], donor) ? -1 : 0;
            case REVISE -> -1;
        };
    }

    private boolean tryMoveFrom(int donor, int cost) {
        if (cost == 1 && (changesOnNode[donor] >= limits.maxChangesPerNode() || changesInCluster >= limits.maxChangesInCluster())) {
            return false;
        }
        if (onlyWithinZones() && load[byZone[zone[donor]].at(0)] > load[donor] - 2) {
            return false;
        }
        IntList held = heldBy(donor);
        // A partition the donor leads costs a leadership transfer too, so those go last.
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < held.size(); i++) {
                int p = held.get(i);
                if ((originalLeader[p] == donor) != (round == 1) || !IntList.contains(target[p], donor) || moveCost(p, donor) != cost) {
                    continue;
                }
                int receiver = receiverFor(p, donor, cost);
                if (receiver >= 0) {
                    move(p, donor, receiver, cost);
                    addHeld(receiver, p);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether every replica set must use every zone that has candidates exactly once (as many replicas
     * as zones are required): then a replica can only ever move within its zone, and a donor whose zone
     * has no receiver light enough need not be looked at partition by partition.
     */
    private boolean onlyWithinZones() {
        int zonesWithCandidates = 0;
        for (LoadIndex index : byZone) {
            if (index.size() > 0) {
                zonesWithCandidates++;
            }
        }
        return replicas == minZones && zonesWithCandidates == minZones;
    }

    /** The least loaded eligible node that may take {@code donor}'s replica of {@code p} and end below the donor. */
    private int receiverFor(int p, int donor, int cost) {
        int[] set = target[p];
        int maxLoad = load[donor] - 2;
        boolean throttle = cost == 1;
        IntList skip = skipScratch;
        skip.clear();
        for (int member : set) {
            skip.add(member);
        }
        for (int member : current[p]) {
            skip.add(member);
        }
        int sameZone = 0;
        IntList usable = usableScratch;
        usable.clear();
        for (int member : set) {
            if (keeps[member]) {
                usable.add(member);
                if (zone[member] == zone[donor]) {
                    sameZone++;
                }
            }
        }
        int covered = zonesOf(usable);
        boolean spreadAtStake = sameZone == 1 && covered - 1 < minZones;
        if (!spreadAtStake) {
            return leastLoaded(all, skip, maxLoad, throttle, IN_ORDER);
        }
        // Leaving would lose a zone the spread needs: the receiver must bring a zone the rest lacks.
        markZones(usable, donor);
        int best = -1;
        for (int z = 0; z < byZone.length; z++) {
            if (zoneMark[z] == zoneStamp) {
                continue;
            }
            int node = leastLoaded(byZone[z], skip, maxLoad, throttle, IN_ORDER);
            if (node >= 0 && (best < 0 || load[node] < load[best])) {
                best = node;
            }
        }
        return best;
    }

    private void move(int p, int donor, int receiver, int cost) {
        int[] set = target[p].clone();
        for (int i = 0; i < set.length; i++) {
            if (set[i] == donor) {
                set[i] = receiver;
            }
        }
        touch(p);
        if (cost == 1) {
            kind[p] = ChangeKind.FILL;
            countChange(current[p], set);
        }
        target[p] = set;
        decrement(donor);
        increment(receiver);
    }

    // ---------------------------------------------------------------- phase 4: leaders

    /**
     * Leaders: a pinned leader where it may lead; a fit leader (Active, alive, member that stays) keeps
     * its partitions; the others go to the fit member with the fewest leaderships; then leaderships are
     * balanced along shortest chains of transfers (re-routing a leadership that moves anyway is free).
     */
    private void placeLeaders() {
        snapshotClosed = true;
        java.util.BitSet fixed = index.fixedLeader;
        java.util.BitSet free = index.freeLeader;
        fixed.clear();
        free.clear();
        IntList pending = new IntList();
        // A leader-quiet partition (PlacementIndex) that this pass did not touch only counts one leadership for its leader:
        // the counts start from every placement's leader, less the partitions visited here, which count themselves.
        java.util.BitSet visit = index.visit;
        int[] count;
        if (visitAll) {
            count = new int[nodeCount];
        } else {
            count = index.baseLeads.clone();
            visit.clear();
            visit.or(index.leaderAttention);
            visit.or(work.touched);
            for (int p = visit.nextSetBit(0); p >= 0; p = visit.nextSetBit(p + 1)) {
                if (originalLeader[p] >= 0) {
                    count[originalLeader[p]]--;
                }
            }
        }
        for (int p = nextIn(visit, 0); p >= 0; p = nextIn(visit, p + 1)) {
            if (target[p].length == 0) {
                continue;
            }
            NodeId pinnedId = index.pinned.get(p) ? placement[p].policy().pinnedLeader() : null;
            if (pinnedId != null) {
                int pinned = indexOf(pinnedId);
                if (pinned >= 0 && mayLead(p, pinned)) {
                    setLeader(p, pinned, LeadershipChange.Cause.PINNED, count);
                    fixed.set(p);
                    continue;
                }
                explainPinned(p, pinnedId, pinned);
            }
            int held = originalLeader[p];
            if (held >= 0 && mayLead(p, held)) {
                count[held]++;
            } else {
                pending.add(p);
            }
        }
        for (int i = 0; i < pending.size(); i++) {
            int p = pending.get(i);
            if (placeLeader(p, count)) {
                free.set(p);
            }
        }
        balanceLeaders(count, fixed, free);
    }

    /**
     * A leader for {@code p}, whose leader cannot stay: the fit member with the fewest leaderships, else a live member
     * that stays. Whether the leadership went to a fit member (free for balancing to move again).
     */
    private boolean placeLeader(int p, int[] count) {
        int best = -1;
        for (int member : target[p]) {
            if (memberMayLead(p, member) && (best < 0 || count[member] < count[best])) {
                best = member;
            }
        }
        if (best >= 0) {
            setLeader(p, best, causeOfMove(p), count);
            return true;
        }
        int held = originalLeader[p];
        if (held >= 0 && alive[held] && staysMember(p, held)) {
            return false;
        }
        // No candidate may lead: a partition still needs a leader, and a cordoned member (active, alive, fit but for its
        // cordon) leads before any other live one. A cordon keeps new load off a worker, not a partition's only way to serve.
        int fallback = -1;
        for (int member : target[p]) {
            if (alive[member] && staysMember(p, member) && (fallback < 0 || mayKeepLeading[member] && !mayKeepLeading[fallback])) {
                fallback = member;
            }
        }
        if (fallback >= 0) {
            setLeader(p, fallback, causeOfMove(p), count);
        } else if (held < 0 || !alive[held]) {
            explainNoLeader(p);
        }
        return false;
    }

    private void setLeader(int p, int node, LeadershipChange.Cause cause, int[] count) {
        if (leader[p] != node) {
            touch(p);
            leader[p] = node;
            if (node != originalLeader[p] && leaderCause[p] == null) {
                leaderCause[p] = cause;
            }
        }
        if (eligible[node]) {
            count[node]++;
        }
    }

    /** Why the leader named by the placement cannot keep leading {@code p}. */
    private LeadershipChange.Cause causeOfMove(int p) {
        int held = originalLeader[p];
        if (held < 0 || !IntList.contains(current[p], held) && !IntList.contains(target[p], held)) {
            return LeadershipChange.Cause.NO_LEADER;
        }
        if (!alive[held]) {
            return LeadershipChange.Cause.LEADER_DEAD;
        }
        if (inMaintenance[held] && state[held] == WorkerState.ACTIVE) {
            return LeadershipChange.Cause.LEADER_IN_MAINTENANCE;
        }
        if (state[held] == null) {
            return LeadershipChange.Cause.LEADER_NOT_ACTIVE;
        }
        return switch (state[held]) {
            case DRAINING -> LeadershipChange.Cause.LEADER_DRAINING;
            case PROVISIONING, DISABLED -> LeadershipChange.Cause.LEADER_NOT_ACTIVE;
            case ACTIVE -> LeadershipChange.Cause.LEADER_LEAVING;
        };
    }

    /** {@link #mayLead} for a node known to be in {@code target[p]}: skips the membership test. */
    private boolean memberMayLead(int p, int member) {
        if (!eligible[member]) {
            return false;
        }
        return kind[p] == ChangeKind.INITIAL || kind[p] == null && inFlightNext[p] == null || IntList.contains(current[p], member);
    }

    /**
     * Whether {@code node} may keep leading {@code p} (or lead it as its pinned leader) after this pass: a member with
     * data that stays, and a candidate or cordoned. New leaderships go to candidates only ({@link #memberMayLead}).
     */
    private boolean mayLead(int p, int node) {
        return mayKeepLeading[node] && staysMember(p, node);
    }

    /** A member both before and after the change (any member of an initial set). */
    private boolean staysMember(int p, int node) {
        if (!IntList.contains(target[p], node)) {
            return false;
        }
        return kind[p] == ChangeKind.INITIAL || IntList.contains(current[p], node);
    }

    private void balanceLeaders(int[] count, java.util.BitSet fixed, java.util.BitSet free) {
        if (eligibleCount < 2) {
            return;
        }
        int[] budget = {limits.maxFillMovesPerPass()};
        evenOutFreeLeaderships(count, fixed, free);
        if (!leaderChains) {
            return;
        }
        LeaderPaths paths = null;
        LeaderPaths freePaths = null;
        // Each round applies a chain, which lowers the sum of squared counts unless the budget cut it short; the cap guards
        // against bugs.
        for (int guard = partitionCount + nodeCount; guard > 0; guard--) {
            int max = mostLeaderships(count);
            int min = fewestLeaderships(count);
            if (max - min <= 1) {
                return;
            }
            LeaderPaths search;
            if (budget[0] > 0 || oneChainPerSearch) {
                if (paths == null) {
                    paths = new LeaderPaths(count, fixed, free, LeaderLists.of(leader, eligible, index, work.touched, evenOutMoves));
                }
                search = paths;
            } else {
                // With the budget spent only chains of free transfers can be applied: searched over the free leaderships
                // alone. Searched over all of them, each threshold from the most leaderships down walked every
                // leadership of every node above it to find the one free transfer, or none: a pass balancing the
                // leaderships elections left at 10,000 × 1,000,000 took 0.45 s, 86 % of it there.
                if (freePaths == null) {
                    freePaths = new LeaderPaths(count, fixed, free, LeaderLists.ofFree(leader, eligible, free));
                }
                search = freePaths;
            }
            boolean found = false;
            for (int threshold = max; threshold - 2 >= min && !found; threshold--) {
                // With the budget spent, a chain applies only if its first transfer is free: without a free first hop
                // there is nothing to search. Skipping it changes no plan, which IncrementalSchedulerTest checks against
                // visitAll, the algorithm as it was, which searches every time.
                found = (budget[0] > 0 || visitAll || search.mayStartFree(threshold))
                        && (oneChainPerSearch ? search.augmentOneChain(threshold, threshold - 2, budget) : search.augment(threshold, threshold - 2, budget));
            }
            if (!found) {
                return;
            }
        }
    }

    // The scans over the nodes are methods of their own so that the loop above is not compiled in place (OSR) with the
    // whole chain search inlined: a placement from nothing at 10,000 workers makes six rounds, 60,000 iterations of a
    // scan inside it, and on one core that compile took the JIT about a third of a second while the search ran in
    // slower code.
    private int mostLeaderships(int[] count) {
        int max = Integer.MIN_VALUE;
        for (int n = 0; n < nodeCount; n++) {
            if (eligible[n]) {
                max = Math.max(max, count[n]);
            }
        }
        return max;
    }

    private int fewestLeaderships(int[] count) {
        int min = Integer.MAX_VALUE;
        for (int n = 0; n < nodeCount; n++) {
            if (eligible[n]) {
                min = Math.min(min, count[n]);
            }
        }
        return min;
    }

    /**
     * A cheap first round before the chain search: a leadership that moves anyway in this pass (a new
     * partition's, a shed one) goes straight to its least loaded fit member when that is at least two
     * below its current holder. Costs no extra change; usually leaves little for the search.
     */
    private void evenOutFreeLeaderships(int[] count, java.util.BitSet fixed, java.util.BitSet free) {
        for (int round = 0; round < FREE_LEADER_SWEEPS; round++) {
            boolean moved = false;
            for (int p = nextIn(free, 0); p >= 0; p = nextIn(free, p + 1)) {
                if (free.get(p) && !fixed.get(p)) {
                    moved |= evenOutFreeLeadership(p, count);
                }
            }
            if (!moved) {
                return;
            }
        }
    }

    /**
     * One partition of {@link #evenOutFreeLeaderships}; whether its leadership moved. A method of its own, as are the
     * bodies of the other loops over every partition of a placement from nothing: the JIT compiles a short method soon,
     * and once for every pass, where a loop compiled in place is compiled late on one core and again in the next pass.
     */
    private boolean evenOutFreeLeadership(int p, int[] count) {
        int held = leader[p];
        if (held < 0 || !eligible[held]) {
            return false;
        }
        int best = -1;
        for (int member : target[p]) {
            if (member != held && memberMayLead(p, member) && (best < 0 || count[member] < count[best])) {
                best = member;
            }
        }
        if (best < 0 || count[held] - count[best] < 2) {
            return false;
        }
        touch(p);
        evenOutMoves.add(p);
        evenOutMoves.add(held);
        evenOutMoves.add(best);
        leader[p] = best;
        if (leaderCause[p] == null) {
            leaderCause[p] = LeadershipChange.Cause.BALANCE;
        }
        count[held]--;
        count[best]++;
        return true;
    }

    /**
     * Shortest (fewest paid transfers) chains of leadership moves from a node with too many leaderships to one with too
     * few: node u → v when u leads a partition v may lead; a transfer through a partition whose leadership moves anyway
     * (free) costs nothing, any other one transfer of the budget.
     *
     * <p>One search finds many chains, as Dinic's and Hopcroft and Karp's algorithms do for flows and matchings. A 0-1
     * breadth-first search from every source, level by level (each level's free transfers first, then the paid ones out
     * of it, one node after the other; first in first out, so the fewest hops come first), settles the nodes up to the
     * nearest target, and stops once the targets met could take what the sources have to give or what the budget pays
     * for. The chains it found are applied first, those to the targets with the fewest leaderships
     * first, each while still intact; then a depth-first walk finds others over the edges that keep to the distances
     * ({@code dist[v] == dist[u] + cost}, one hop more), each node's edges walked once per search ({@link #nextLed}) and
     * a node that leads nowhere marked dead. Each chain so applied is as cheap as any chain then: applying one only adds edges from the nodes that
     * received a partition (now free) to nodes no farther from the sources than they are, and takes sources and targets
     * out, so no distance shrinks. The search as it was ({@link #augmentOneChain}) searched once per chain: a drain of 100
     * workers at 10,000 × 1,000,000 shed 10,000 leaderships at once and its first pass spent 73 s searching.
     */
    private final class LeaderPaths {
        private final int[] count;
        private final java.util.BitSet fixed;
        private final java.util.BitSet free;
        private final LeaderLists ledBy;
        private final int[] dist = new int[nodeCount];
        /** Transfers on the chain that set {@link #dist}: among chains of the least cost the search meets the shortest first. */
        private final int[] hops = new int[nodeCount];
        private final int[] viaNode = new int[nodeCount];
        private final int[] viaPartition = new int[nodeCount];
        /** A node is settled (its distance final) in the search numbered {@link #search} when this holds that number. */
        private final int[] settledIn = new int[nodeCount];
        private final int[] reachedIn = new int[nodeCount];
        /**
         * A target in that search. One a chain has filled is not walked through either, as the search did not: what lies
         * beyond it was not searched from it.
         */
        private final int[] targetIn = new int[nodeCount];
        /** Dead in that search: no chain from it reaches a target along the layering. */
        private final int[] deadIn = new int[nodeCount];
        private final boolean[] onPath = new boolean[nodeCount];
        /** Position in {@code ledBy[u]} of the next leadership whose edges the depth-first walk tries. */
        private final int[] nextLed = new int[nodeCount];
        private final int[] pathStack = new int[nodeCount];
        /** The old search's double-ended queue ({@link #augmentOneChain}). */
        private final int[] deque = new int[4 * nodeCount + 4];
        /** Nodes reached at the search's current distance, to settle; each at most once. */
        private final int[] now = new int[nodeCount];
        /** Nodes the search settled at its current distance, whose paid transfers lead to the next. */
        private final IntList settledAtLevel = new IntList();
        private int nowSize;
        /** What the sources of the last search have over its threshold, or the targets' room if less. */
        private long wanted;
        /** Room (leaderships up to the threshold less one) of the targets met so far. */
        private long room;
        private final IntList sources = new IntList();
        /** Targets settled by the last {@link #layer}, in the order it reached them. */
        private final IntList targets = new IntList();
        private int search;

        LeaderPaths(int[] count, java.util.BitSet fixed, java.util.BitSet free, LeaderLists ledBy) {
            this.count = count;
            this.fixed = fixed;
            this.free = free;
            this.ledBy = ledBy;
        }

        /**
         * Whether some node leading at least {@code sourceAtLeast} could hand a free leadership (one that moves anyway in
         * this pass) to another member: the first step of any chain {@link #augment} can apply with no budget left. A
         * necessary condition only; {@code false} means such an augment would change nothing.
         */
        boolean mayStartFree(int sourceAtLeast) {
            for (int q = free.nextSetBit(0); q >= 0; q = free.nextSetBit(q + 1)) {
                int u = leader[q];
                if (u < 0 || !eligible[u] || count[u] < sourceAtLeast || fixed.get(q)) {
                    continue;
                }
                for (int v : target[q]) {
                    if (v != u && memberMayLead(q, v)) {
                        return true;
                    }
                }
            }
            return false;
        }

        /**
         * Applies chains from nodes leading at least {@code sourceAtLeast} to nodes leading at most {@code targetAtMost},
         * each as short as any then, until none is left at the distance of the nearest target or the budget is short of
         * one; whether any leadership moved. A chain longer than the budget left is applied as far as it lasts, and then
         * the search ends, since the node where it stopped now has a leadership too many and is nearer the targets than
         * its distance says.
         */
        boolean augment(int sourceAtLeast, int targetAtMost, int[] budget) {
            int reach = layer(sourceAtLeast, targetAtMost, budget[0]);
            if (reach < 0) {
                return false;
            }
            boolean moved = false;
            // First the chains the search itself found, to the targets in the order it reached them (the first is the
            // one the search as it was applied), each while still intact: they are the fewest transfers long.
            int[] byCount = targets.toArray();
            sortByCount(byCount);
            for (int end : byCount) {
                if (count[end] <= targetAtMost && searchedChainIntact(end, sourceAtLeast)) {
                    if (reach > budget[0]) {
                        return apply(end, budget) || moved;
                    }
                    apply(end, budget);
                    moved = true;
                }
            }
            // Then any other chain along the distances: applying chains cut the others through the same leaderships.
            for (int i = 0; i < sources.size(); i++) {
                int source = sources.get(i);
                while (count[source] >= sourceAtLeast) {
                    int end = chainFrom(source, targetAtMost);
                    if (end < 0) {
                        break;
                    }
                    if (reach > budget[0]) {
                        return apply(end, budget) || moved;
                    }
                    apply(end, budget);
                    moved = true;
                }
            }
            return moved;
        }

        /** Sorts {@code nodes} by leaderships held, fewest first, keeping the order of equals (few nodes: insertion sort). */
        private void sortByCount(int[] nodes) {
            for (int i = 1; i < nodes.length; i++) {
                int node = nodes[i];
                int j = i - 1;
                while (j >= 0 && count[nodes[j]] > count[node]) {
                    nodes[j + 1] = nodes[j];
                    j--;
                }
                nodes[j + 1] = node;
            }
        }

        /** Whether the chain {@link #layer} found to {@code end} can still be applied as it was found, at the cost it had. */
        private boolean searchedChainIntact(int end, int sourceAtLeast) {
            int v = end;
            for (int hops = 0; viaNode[v] >= 0; hops++) {
                if (hops > nodeCount) {
                    throw new IllegalStateException("BUG: the chain to node " + end + " loops");
                }
                int u = viaNode[v];
                int q = viaPartition[v];
                if (!mayPass(q, u) || dist[v] - dist[u] != (free.get(q) ? 0 : 1)) {
                    return false;
                }
                v = u;
            }
            return count[v] >= sourceAtLeast;
        }

        /**
         * The search as it was before {@link #augment}, kept for tests to compare plans with: one 0-1 breadth-first search
         * per chain, from every source to the nearest target, that chain applied.
         */
        boolean augmentOneChain(int sourceAtLeast, int targetAtMost, int[] budget) {
            Arrays.fill(dist, Integer.MAX_VALUE);
            boolean[] done = new boolean[nodeCount];
            int head = deque.length / 2;
            int tail = head;
            for (int n = 0; n < nodeCount; n++) {
                if (eligible[n] && count[n] >= sourceAtLeast) {
                    dist[n] = 0;
                    viaNode[n] = -1;
                    deque[tail++] = n;
                }
            }
            int capacity = deque.length;
            int size = tail - head;
            while (size > 0) {
                int u = deque[head];
                head = (head + 1) % capacity;
                size--;
                if (done[u]) {
                    continue;
                }
                done[u] = true;
                if (count[u] <= targetAtMost) {
                    return apply(u, budget);
                }
                IntList led = ledBy.of(u);
                for (int i = 0; i < led.size(); i++) {
                    int q = led.get(i);
                    if (!mayPass(q, u)) {
                        continue;
                    }
                    int weight = free.get(q) ? 0 : 1;
                    for (int v : target[q]) {
                        if (v == u || done[v] || !memberMayLead(q, v) || dist[u] + weight >= dist[v]) {
                            continue;
                        }
                        dist[v] = dist[u] + weight;
                        viaNode[v] = u;
                        viaPartition[v] = q;
                        if (weight == 0) {
                            head = (head - 1 + capacity) % capacity;
                            deque[head] = v;
                        } else {
                            deque[(head + size) % capacity] = v;
                        }
                        size++;
                    }
                }
            }
            return false;
        }

        /**
         * The 0-1 breadth-first search of {@link #augment}: settles the nodes no farther from a source than the nearest
         * target, until the targets settled could take all the sources have to give or all {@code budget} pays for, and
         * returns that distance, or -1 when no target is reachable. Targets are not walked through: a chain ends at the
         * first one.
         */
        private int layer(int sourceAtLeast, int targetAtMost, int budget) {
            search++;
            sources.clear();
            targets.clear();
            nowSize = 0;
            // Leaderships the sources have over what the search asks of them, and room the targets have: no more chains than
            // the smaller can be applied, so the search stops once its targets have that much room, instead of walking every
            // node as near as the nearest target (from nothing every leadership is free, and that is the whole cluster).
            long excess = 0;
            long deficit = 0;
            for (int n = 0; n < nodeCount; n++) {
                if (!eligible[n]) {
                    continue;
                }
                if (count[n] >= sourceAtLeast) {
                    dist[n] = 0;
                    hops[n] = 0;
                    reachedIn[n] = search;
                    viaNode[n] = -1;
                    now[nowSize++] = n;
                    sources.add(n);
                    excess += count[n] - sourceAtLeast + 1;
                } else if (count[n] <= targetAtMost) {
                    deficit += targetAtMost + 1 - count[n];
                }
            }
            wanted = Math.min(excess, deficit);
            room = 0;
            // Level by level, first in first out within a level so that among chains of one cost the fewest hops come first:
            // first every node free transfers reach at this level, then the paid transfers out of the level one node after
            // the other, so that a paid search stops at the first targets enough for the budget instead of walking every
            // transfer out of every source first.
            for (int level = 0; nowSize > 0; level++) {
                settledAtLevel.clear();
                for (int head = 0; head < nowSize; head++) {
                    int u = now[head];
                    if (settledIn[u] == search) {
                        continue;
                    }
                    settledIn[u] = search;
                    nextLed[u] = 0;
                    settledAtLevel.add(u);
                    IntList led = ledBy.of(u);
                    for (int i = 0; i < led.size(); i++) {
                        int q = led.get(i);
                        if (free.get(q) && mayPass(q, u) && reachFrom(u, q, level, targetAtMost) && enough(budget, level)) {
                            return level;
                        }
                    }
                }
                if (!targets.isEmpty()) {
                    return level;
                }
                nowSize = 0;
                for (int k = 0; k < settledAtLevel.size(); k++) {
                    int u = settledAtLevel.get(k);
                    IntList led = ledBy.of(u);
                    for (int i = 0; i < led.size(); i++) {
                        int q = led.get(i);
                        if (!free.get(q) && mayPass(q, u) && reachFrom(u, q, level + 1, targetAtMost) && enough(budget, level + 1)) {
                            return level + 1;
                        }
                    }
                }
                if (nowSize == 0 && !targets.isEmpty()) {
                    return level + 1;
                }
            }
            return -1;
        }

        /**
         * Reaches the other members of {@code q} from its leader {@code u} at distance {@code at}; whether a target was
         * met. Every distance below {@code at} is settled, so a target met is settled at once and ends the chain; another
         * node waits in {@link #now} to be settled and walked at that distance.
         */
        private boolean reachFrom(int u, int q, int at, int targetAtMost) {
            boolean met = false;
            for (int v : target[q]) {
                if (v == u || settledIn[v] == search || reachedIn[v] == search && dist[v] <= at || !memberMayLead(q, v)) {
                    continue;
                }
                dist[v] = at;
                hops[v] = hops[u] + 1;
                reachedIn[v] = search;
                viaNode[v] = u;
                viaPartition[v] = q;
                if (count[v] <= targetAtMost) {
                    settleTarget(v, targetAtMost);
                    met = true;
                } else {
                    now[nowSize++] = v;
                }
            }
            return met;
        }

        /** Settles target {@code u} (its distance final): chains end there. */
        private void settleTarget(int u, int targetAtMost) {
            settledIn[u] = search;
            nextLed[u] = 0;
            targetIn[u] = search;
            targets.add(u);
            room += targetAtMost + 1 - count[u];
        }

        /**
         * Whether the targets met so far, at distance {@code reach}, are enough: they could take all the sources have to
         * give, or every chain of that cost that {@code budget} pays for and the one it pays for in part. Without the second
         * a paid search walked every node at distance one to apply sixteen chains.
         */
        private boolean enough(int budget, int reach) {
            return room >= wanted || reach > 0 && targets.size() > budget / reach;
        }

        /** Whether {@code u}'s leadership of {@code q} may be handed on by a chain. */
        private boolean mayPass(int q, int u) {
            return leader[q] == u && !fixed.get(q) && (free.get(q) || !frozen(q));
        }

        /**
         * A chain from {@code source} to a target along the layering of the last {@link #layer}, found depth first; its
         * end (with {@link #viaNode} and {@link #viaPartition} set back to {@code source}), or -1. Each node's edges are
         * tried once per search: an edge passed over leads nowhere now, and applying a chain adds none that keep to the
         * layering except from nodes on that chain, whose walk then resumes where it stopped.
         */
        private int chainFrom(int source, int targetAtMost) {
            if (deadIn[source] == search) {
                return -1;
            }
            int depth = 0;
            pathStack[depth++] = source;
            onPath[source] = true;
            int found = -1;
            while (depth > 0 && found < 0) {
                int u = pathStack[depth - 1];
                int next = -1;
                IntList led = ledBy.of(u);
                while (next < 0 && nextLed[u] < led.size()) {
                    int q = led.get(nextLed[u]);
                    if (mayPass(q, u)) {
                        int weight = free.get(q) ? 0 : 1;
                        for (int v : target[q]) {
                            if (v != u && settledIn[v] == search && deadIn[v] != search && !onPath[v]
                                    && (targetIn[v] != search || count[v] <= targetAtMost)
                                    && dist[v] == dist[u] + weight && hops[v] == hops[u] + 1 && memberMayLead(q, v)) {
                                next = v;
                                viaNode[v] = u;
                                viaPartition[v] = q;
                                break;
                            }
                        }
                    }
                    if (next < 0) {
                        nextLed[u]++;
                    }
                }
                if (next < 0) {
                    deadIn[u] = search;
                    onPath[u] = false;
                    depth--;
                } else if (count[next] <= targetAtMost) {
                    found = next;
                } else {
                    pathStack[depth++] = next;
                    onPath[next] = true;
                }
            }
            for (int i = 0; i < depth; i++) {
                onPath[pathStack[i]] = false;
            }
            if (found >= 0) {
                viaNode[source] = -1;
            }
            return found;
        }

        /**
         * Moves the leaderships along the chain ending at {@code end}, from its source on. A chain with
         * more paid transfers than the budget left is applied only that far: the worker where it stops
         * holds one leadership more, and the next pass continues from there, so long chains still
         * converge while each pass stays within its budget.
         */
        private boolean apply(int end, int[] budget) {
            IntList path = new IntList();
            for (int v = end; viaNode[v] >= 0; v = viaNode[v]) {
                path.add(v);
            }
            boolean applied = false;
            for (int i = path.size() - 1; i >= 0; i--) {
                int v = path.get(i);
                int u = viaNode[v];
                int q = viaPartition[v];
                if (!free.get(q)) {
                    if (budget[0] <= 0) {
                        break;
                    }
                    budget[0]--;
                    free.set(q);
                }
                touch(q);
                leader[q] = v;
                if (leaderCause[q] == null) {
                    leaderCause[q] = LeadershipChange.Cause.BALANCE;
                }
                ledBy.moved(q, u, v);
                count[u]--;
                count[v]++;
                applied = true;
            }
            return applied;
        }
    }

    // ---------------------------------------------------------------- the plan

    private Plan plan() {
        List<ReplicaSetChange> changes = new ArrayList<>();
        List<LeadershipChange> leaderships = new ArrayList<>();
        int newChanges = 0;
        // A partition with a change or a new leader was touched.
        for (int p = nextIn(work.touched, 0); p >= 0; p = nextIn(work.touched, p + 1)) {
            if (kind[p] != null) {
                changes.add(replicaSetChange(p));
                if (kind[p] != ChangeKind.REVISE) {
                    newChanges++;
                }
            }
            if (leader[p] >= 0 && leader[p] != originalLeader[p] && kind[p] != ChangeKind.INITIAL) {
                leaderships.add(leadershipChange(p));
            }
        }
        explanations.sort(Comparator.comparing(Explanation::partition).thenComparing(Explanation::reason).thenComparing(Explanation::message));
        int[] leaders = visitAll ? new int[nodeCount] : index.baseLeads.clone();
        for (int p = nextIn(work.touched, 0); p >= 0; p = nextIn(work.touched, p + 1)) {
            if (!visitAll && originalLeader[p] >= 0) {
                leaders[originalLeader[p]]--;
            }
            if (leader[p] >= 0) {
                leaders[leader[p]]++;
            }
        }
        int minLoad = Integer.MAX_VALUE;
        int maxLoad = Integer.MIN_VALUE;
        int minLeaders = Integer.MAX_VALUE;
        int maxLeaders = Integer.MIN_VALUE;
        for (int n = 0; n < nodeCount; n++) {
            if (eligible[n]) {
                minLoad = Math.min(minLoad, load[n]);
                maxLoad = Math.max(maxLoad, load[n]);
                minLeaders = Math.min(minLeaders, leaders[n]);
                maxLeaders = Math.max(maxLeaders, leaders[n]);
            }
        }
        Plan.Summary summary = eligibleCount == 0
                ? new Plan.Summary(0, partitionCount, inFlight, newChanges, throttled, 0, 0, 0, 0)
                : new Plan.Summary(eligibleCount, partitionCount, inFlight, newChanges, throttled, minLoad, maxLoad, minLeaders, maxLeaders);
        return new Plan(changes, leaderships, explanations, summary);
    }

    private ReplicaSetChange replicaSetChange(int p) {
        int chosen = leader[p] >= 0 && IntList.contains(target[p], leader[p]) ? leader[p] : -1;
        return new ReplicaSetChange(partitionId(p), nodeIds(current[p]), nodeIds(target[p]), chosen < 0 ? null : ids[chosen], kind[p]);
    }

    private LeadershipChange leadershipChange(int p) {
        LeadershipChange.Cause cause = leaderCause[p] == null ? LeadershipChange.Cause.BALANCE : leaderCause[p];
        return new LeadershipChange(partitionId(p), originalLeader[p] < 0 ? null : ids[originalLeader[p]], ids[leader[p]], cause);
    }

    // ---------------------------------------------------------------- explanations

    private void explain(int p, Reason reason, String message, Map<String, Long> numbers) {
        explanations.add(new Explanation(partitionId(p), reason, message, numbers));
    }

    private void explainNotEnough(int p, int usable, int missing) {
        explain(p, Reason.NOT_ENOUGH_CANDIDATES,
                "needs " + replicas + " replicas, can place " + usable + ": " + missing + " missing, " + eligibleCount
                        + " active and alive worker(s) in the cluster" + cordonedNote(),
                cordonedCount == 0
                        ? Map.of("replicas", (long) replicas, "placeable", (long) usable, "missing", (long) missing, "eligibleWorkers", (long) eligibleCount)
                        : Map.of("replicas", (long) replicas, "placeable", (long) usable, "missing", (long) missing, "eligibleWorkers", (long) eligibleCount,
                                "cordonedWorkers", (long) cordonedCount));
    }

    /** Cordoned workers are active and alive but take nothing: a stall they cause must say so, or it reads as a missing worker. */
    private String cordonedNote() {
        return cordonedCount == 0 ? "" : " (" + cordonedCount + " more cordoned, which receive no new replicas)";
    }

    private void explainSpread(int p, int covered) {
        int zonesWithCandidates = 0;
        for (LoadIndex index : byZone) {
            if (index.size() > 0) {
                zonesWithCandidates++;
            }
        }
        explain(p, Reason.ZONE_SPREAD_UNSATISFIABLE,
                "needs " + replicas + " replicas in " + minZones + " zones, only " + zonesWithCandidates
                        + (zonesWithCandidates == 1 ? " zone has" : " zones have") + " an active worker; the set covers " + covered + cordonedNote(),
                Map.of("replicas", (long) replicas, "minZones", (long) minZones, "zonesWithCandidates", (long) zonesWithCandidates,
                        "zonesCovered", (long) covered));
    }

    /**
     * Whether {@code member}, a replaced worker in {@code p}'s set, keeps its replica for now because its replacement
     * cannot receive it (and does not hold one already): the replace moves it there and nowhere else.
     */
    private boolean waitsForReplacement(int p, int member) {
        int receiver = replacementOf[member];
        return receiver >= 0 && !replaceFit[receiver] && !IntList.contains(current[p], receiver);
    }

    /**
     * Whether {@code member} joins {@code p} under way as the replacement of a member that leaves: such a joiner is not
     * swapped for another worker when it becomes unusable (the replace waits for it, and says so).
     */
    private boolean receivesReplacedReplica(int p, int member) {
        for (int leaving : current[p]) {
            if (replacementOf[leaving] == member && !IntList.contains(inFlightNext[p], leaving)) {
                if (!replaceFit[member]) {
                    explainReplacementUnavailable(p, leaving);
                }
                return true;
            }
        }
        return false;
    }

    private void explainReplacementUnavailable(int p, int member) {
        int receiver = replacementOf[member];
        String why = !alive[receiver] ? "dead"
                : state[receiver] != WorkerState.ACTIVE ? String.valueOf(state[receiver])
                : inMaintenance[receiver] ? "in maintenance" : "not a candidate";
        explain(p, Reason.REPLACEMENT_UNAVAILABLE, ids[member] + "'s replica waits for its replacement " + ids[receiver] + ", which is " + why
                        + "; a replace moves it there and nowhere else (cancel the replace to let the scheduler place it)",
                Map.of("node", (long) ids[receiver].value(), "replaced", (long) ids[member].value()));
    }

    private void explainWaiting(int p, int member) {
        if (inMaintenance[member]) {
            explain(p, Reason.WAITING_FOR_MAINTENANCE, ids[member] + " is away in maintenance; its replica is kept until the maintenance ends",
                    Map.of("node", (long) ids[member].value()));
            return;
        }
        Instant since = deadSince[member];
        long deadMillis = since == null ? 0 : Math.max(0, Duration.between(since, now).toMillis());
        long graceMillis = limits.deadNodeGrace().toMillis();
        explain(p, Reason.WAITING_FOR_GRACE_PERIOD,
                ids[member] + " has been dead for " + seconds(deadMillis) + "; its replica is replaced after the grace period of "
                        + seconds(graceMillis) + " (in " + seconds(Math.max(0, graceMillis - deadMillis)) + ")",
                Map.of("node", (long) ids[member].value(), "deadMillis", deadMillis, "graceMillis", graceMillis));
    }

    private void explainFrozen(int p, int leaving, int usable) {
        explain(p, Reason.FROZEN,
                "placement is frozen: " + leaving + " replica(s) on workers that must leave are not replaced, " + usable + " of "
                        + replicas + " replicas usable",
                Map.of("mustLeave", (long) leaving, "usable", (long) usable, "replicas", (long) replicas));
    }

    private void explainPinned(int p, NodeId pinned, int index) {
        String why = index < 0 ? "not in the configuration"
                : !alive[index] ? "dead"
                : state[index] == null ? "not a worker"
                : !state[index].mayReceiveReplicas() ? state[index].wireName()
                : "not a member that stays";
        explain(p, Reason.PINNED_LEADER_UNAVAILABLE, "leader is pinned to " + pinned + ", which is " + why + "; another member leads",
                Map.of("pinnedNode", (long) pinned.value()));
    }

    private void explainNoLeader(int p) {
        explain(p, Reason.NO_LEADER_CANDIDATE, "no alive member of " + nodeIds(target[p]) + " can lead",
                Map.of("members", (long) target[p].length, "aliveMembers", 0L));
    }

    private static String seconds(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    // ---------------------------------------------------------------- small helpers

    private boolean frozen(int p) {
        return index.frozen.get(p);
    }

    private void increment(int node) {
        if (eligible[node]) {
            all.beforeIncrement(node);
            byZone[zone[node]].beforeIncrement(node);
        }
        load[node]++;
    }

    private void decrement(int node) {
        if (eligible[node]) {
            all.beforeDecrement(node);
            byZone[zone[node]].beforeDecrement(node);
        }
        load[node]--;
    }

    /** Distinct zones of the usable (may-keep) members of {@code members}. */
    private int zonesOf(IntList members) {
        zoneStamp++;
        int covered = 0;
        for (int i = 0; i < members.size(); i++) {
            int node = members.get(i);
            if (keeps[node] && zone[node] >= 0 && zoneMark[zone[node]] != zoneStamp) {
                zoneMark[zone[node]] = zoneStamp;
                covered++;
            }
        }
        return covered;
    }

    /** Marks the zones of {@code members} (except {@code without}) with a fresh stamp. */
    private void markZones(IntList members, int without) {
        zoneStamp++;
        for (int i = 0; i < members.size(); i++) {
            int node = members.get(i);
            if (node != without && zone[node] >= 0) {
                zoneMark[zone[node]] = zoneStamp;
            }
        }
    }

    private int countInZone(IntList members, int z) {
        int count = 0;
        for (int i = 0; i < members.size(); i++) {
            if (zone[members.get(i)] == z) {
                count++;
            }
        }
        return count;
    }

    private static boolean sameMembers(int[] a, int[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int node : a) {
            if (!IntList.contains(b, node)) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(NodeId id) {
        int index = Arrays.binarySearch(ids, id);
        return index >= 0 ? index : -1;
    }

    private List<NodeId> nodeIds(int[] nodes) {
        // List.of over an array copies it; with up to three elements it takes them as they are (a full placement makes a
        // million sets of three).
        switch (nodes.length) {
            case 0:
                return List.of();
            case 1:
                return List.of(ids[nodes[0]]);
            case 2:
                return List.of(ids[nodes[0]], ids[nodes[1]]);
            case 3:
                return List.of(ids[nodes[0]], ids[nodes[1]], ids[nodes[2]]);
            default:
                break;
        }
        NodeId[] result = new NodeId[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            result[i] = ids[nodes[i]];
        }
        return List.of(result);
    }

    private static PartitionId partitionId(int p) {
        return new PartitionId(p);
    }
}
