package dev.sluice.scheduler;

import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides which workers hold each partition's replicas and which member leads it. A pure function: the
 * same {@link SchedulerInput} always gives an equal {@link Plan}; it reads no clock, store or unseeded
 * randomness, and never depends on the iteration order of a map. The controller, the drain pre-check
 * and dry-runs all call it.
 *
 * <h2>Goals</h2>
 * <ol>
 *   <li>Every partition has {@code replicas} members on <em>candidates</em> — workers that are Active
 *       ({@link WorkerState#mayReceiveReplicas()}), alive, not in maintenance and not cordoned — spread
 *       over at least {@code minZones} zones ({@code region.zone}).
 *   <li>Balance: every candidate holds ⌊R/N⌋ or ⌈R/N⌉ of the R replicas (N candidates) unless the zone
 *       spread forbids it, and ⌊P/N⌋ or ⌈P/N⌉ of the P leaderships.
 *   <li>Minimal movement: a next set differs from the current one by as few members as the goals allow;
 *       draining a worker that holds k replicas moves exactly k replicas and nothing between other
 *       workers; its leaderships move once each.
 * </ol>
 *
 * <h2>Constraints</h2>
 * <ul>
 *   <li>Provisioning, Draining and Disabled workers never receive a replica. Replicas on Draining,
 *       Disabled or Provisioning workers, on workers dead for longer than
 *       {@link SchedulerLimits#deadNodeGrace()}, or on nodes the configuration no longer has, are
 *       replaced. A worker dead for less than the grace period keeps its replicas (a restart must not
 *       reshuffle the cluster) — but never its leaderships.
 *   <li>Make-before-break: a member leaves only in the change that brings its replacement; with no
 *       replacement it stays, and the partition is explained ({@link Reason#NOT_ENOUGH_CANDIDATES}).
 *   <li>A placement that already has a next set is left alone (and counts against the throttles),
 *       except that a joining member which became unusable is replaced by another candidate. Leaving
 *       members are never re-added.
 *   <li>Throttles: a new change starts only while each node it involves (joining or leaving) is in fewer
 *       than {@link SchedulerLimits#maxChangesPerNode()} changes and the cluster in fewer than
 *       {@link SchedulerLimits#maxChangesInCluster()}; balancing moves are also capped per pass by
 *       {@link SchedulerLimits#maxFillMovesPerPass()}. Initial sets of new partitions and leadership
 *       moves are not throttled (there is no data to copy).
 *   <li>A cordoned Active worker ({@link dev.sluice.model.Cordon}) is no candidate: no first set,
 *       repair, drain target or balancing move picks it, and no leadership moves to it. It keeps its
 *       replicas (it is not a donor for balancing either) and the leaderships it holds, and may lead as a
 *       pinned leader, or as the last resort of a partition whose staying members include no candidate; a
 *       partition that cannot be placed without it is explained with the cordoned count.
 *   <li>Frozen placements keep their replica set ({@link Reason#FROZEN}); a pinned leader leads whenever
 *       it is a live Active member that stays.
 *   <li>A replace ({@link dev.sluice.model.Replacement}): the replaced worker drains, and each of its replicas
 *       goes to the receiving worker and nowhere else — in repair, and when the receiving worker joins under way
 *       and becomes unusable (no revise). While the replace lasts the receiving worker is no candidate for
 *       anything else (no first set, repair, balancing or leadership picks it), so nothing but the replaced
 *       worker's replicas moves. When it cannot receive (dead, not Active, in maintenance, cordoned), the
 *       replica stays and the partition is explained ({@link Reason#REPLACEMENT_UNAVAILABLE}).
 * </ul>
 *
 * <h2>Algorithm (one pass)</h2>
 * <ol>
 *   <li><b>Index.</b> Nodes get dense indices in id order; each candidate's load is the number of
 *       replica sets naming it once every decided change is done (the next set if one is under way).
 *       Candidates sit in load-sorted indexes, one over all and one per zone, kept sorted with one swap
 *       per load change, so "least loaded candidate outside this set" is a scan of a few entries.
 *   <li><b>Revise changes under way</b> whose joining member became unusable: that member is swapped
 *       for the least loaded candidate that keeps the spread.
 *   <li><b>Repair</b>, most urgent first (new partitions; lost redundancy — dead past grace, unknown
 *       nodes, too few members; members that must leave; then spread and surplus), each in partition
 *       order. Members that may stay are kept; each missing member is the least loaded candidate
 *       outside the set, taken from a zone the set lacks when the remaining slots could not otherwise
 *       reach {@code minZones}; ties between equally loaded candidates are broken by a hash of the
 *       partition, which scatters each worker's partners over the cluster. If the kept members crowd
 *       too few zones, one from a crowded zone is traded for a candidate from a missing zone. Leaving
 *       members are paired with their replacements in place. Throttles are not looked at yet: every
 *       required change is planned, so the loads describe where the cluster is heading.
 *   <li><b>Free re-targeting.</b> While some candidate holds at least two more than another, a replica
 *       that joins in this pass anyway is re-targeted from the most loaded to a less loaded candidate
 *       — directly, or along the shortest chain (the joining replica of q1 moves from u0 to u1, that of
 *       q2 from u1 to u2, …) found breadth-first. No move is added; this is what makes a drain move
 *       exactly the replicas the drained worker held.
 *   <li><b>Admission.</b> In the order above, a change starts if every node it involves and the
 *       cluster have a free throttle slot; otherwise it is explained ({@link Reason#THROTTLED}) and not
 *       emitted, but its loads stay counted, so the next step does not mistake a throttled drain for
 *       imbalance.
 *   <li><b>Balance replicas.</b> While some candidate holds at least two more than another, the most
 *       loaded donor that can give moves one replica (partitions it does not lead first) to the least
 *       loaded candidate that is not in the set and keeps the spread: at most
 *       {@code maxFillMovesPerPass} moves, within the throttles. A donor with no legal move is skipped
 *       for the rest of the pass; that is how zone rules that forbid balance show.
 *   <li><b>Leaders.</b> A pinned leader leads where it may; a leader that is Active, alive and stays a
 *       member keeps leading; every other partition's leadership goes to its fit member with the
 *       fewest leaderships (a draining or dead leader's go first, not throttled). Then leaderships that
 *       move anyway are evened out directly, and the rest is balanced along the cheapest chains of
 *       transfers, found by a 0-1 breadth-first search over "u leads a partition v could lead" where
 *       re-routing a leadership that moves anyway is free; paid transfers are capped by
 *       {@code maxFillMovesPerPass} (a longer chain is applied that far and continued next pass).
 * </ol>
 * A pass from nothing costs O(P·R) plus a constant per load change (the searches are bounded by named
 * limits); a full placement of 100,000 partitions × 3 over 1,000 workers takes tens of milliseconds of one
 * core. {@link IncrementalScheduler} keeps the index between passes, so that a pass costs in proportion to
 * what changed, with equal plans (see {@code docs/scheduler.md} and {@code docs/benchmarks.md}).
 *
 * <h2>Worked example</h2>
 * Workers N1, N2 in zone {@code r.a} and N3, N4 in {@code r.b}, all Active and alive; 4 partitions of
 * 2 replicas in at least 2 zones; no placements yet ({@code SchedulerRulesTest.WorkedExample} checks
 * every statement below).
 * <ol>
 *   <li>Pass 1, repair. For P0 every worker holds 0 replicas, so its first member is one of the least
 *       loaded (ties are broken by a hash of the partition id), say N1; one slot is left and one zone
 *       is missing, so the second member comes from r.b. Every later partition again takes the least
 *       loaded workers that keep the spread, so each partition gets one r.a and one r.b member and
 *       every worker ends with 8 / 4 = 2 replicas. Each leadership goes to the member with the fewest
 *       so far: 1 each. The plan has 4 {@code initial} changes.
 *   <li>N1 drains. Pass 2: N1 leads one partition, say P0 = [N1 N3]; the leadership moves to N3, the
 *       member that stays ({@code leader-draining}, not throttled). Each of N1's two partitions needs
 *       an r.a member in N1's place (else the set would cover one zone), and N2 is the only r.a
 *       candidate: [N1 N3] → [N2 N3], and the other likewise — 2 moves for the 2 replicas N1 held, none
 *       between other workers. N2 then holds 4 replicas and N3, N4 2 each: the zone rule (every
 *       partition needs its r.a replica, and r.a has one Active worker left) forbids a better balance,
 *       and no move is tried. Leaders: 4 over 3 workers, one of them leads 2 — balanced.
 *   <li>Pass 3 changes nothing. N1 is in no replica set and leads nothing, so the controller may make
 *       it Disabled.
 * </ol>
 */
public final class Scheduler {

    /** A dry-run stops after this many passes; with throttles lifted it converges in two or three. */
    public static final int MAX_DRY_RUN_PASSES = 32;

    private Scheduler() {}

    /** One pass: see the class documentation. */
    public static Plan schedule(SchedulerInput input) {
        return new Pass(NodeFacts.of(input.nodes(), input.liveness(), input.now()), input.table(), input.placements(), input.limits(), input.now()).run();
    }

    /**
     * What the cluster would do if the named workers were drained, disabled or added: passes with
     * throttles lifted, each one's changes taken as completed (changes already under way too), until a
     * pass changes nothing. Nothing is stored.
     *
     * @throws IllegalArgumentException if a drained or disabled node is not a worker of the
     *     configuration, or an added node's id is already used (by a live or a removed node)
     */
    public static DryRunReport dryRun(SchedulerInput input, WhatIf whatIf) {
        List<NodeFacts> facts = applyWhatIf(input, whatIf);
        SchedulerLimits lifted = input.limits().unthrottled();
        Map<PartitionId, Placement> placements = completeChangesUnderWay(input.placements());
        Simulated simulated = simulate(facts, input, placements, lifted);
        List<Move> moves = new ArrayList<>();
        simulated.changes().forEach(change -> moves.addAll(movesOf(change)));
        Map<NodeId, Integer> replicasPerWorker = new TreeMap<>();
        Map<NodeId, Integer> leadersPerWorker = new TreeMap<>();
        for (NodeFacts fact : facts) {
            if (fact.state() != null && fact.state().mayReceiveReplicas() && fact.alive()) {
                replicasPerWorker.put(fact.id(), 0);
                leadersPerWorker.put(fact.id(), 0);
            }
        }
        for (Placement placement : placements.values()) {
            for (NodeId member : placement.current()) {
                replicasPerWorker.computeIfPresent(member, (id, count) -> count + 1);
            }
            if (placement.leader() != null) {
                leadersPerWorker.computeIfPresent(placement.leader(), (id, count) -> count + 1);
            }
        }
        return new DryRunReport(moves, simulated.leaderships(), simulated.last().explanations(), simulated.passes(), simulated.converged(),
                replicasPerWorker, leadersPerWorker);
    }

    /** What {@link #simulate} decided: every change of every pass, in order, and the last pass. */
    private record Simulated(List<ReplicaSetChange> changes, List<LeadershipChange> leaderships, Plan last, int passes, boolean converged) {}

    /**
     * Passes under {@code limits} over {@code placements} (which it changes), each one's changes taken as completed, until
     * one changes nothing or {@link #MAX_DRY_RUN_PASSES} ran. One index serves every pass, each pass's changes put into
     * it, so a pass costs what the last one changed.
     */
    private static Simulated simulate(List<NodeFacts> facts, SchedulerInput input, Map<PartitionId, Placement> placements, SchedulerLimits limits) {
        PlacementIndex index = PlacementIndex.of(input.table(), placements, false);
        List<ReplicaSetChange> changes = new ArrayList<>();
        List<LeadershipChange> leaderships = new ArrayList<>();
        Plan last = null;
        int passes = 0;
        while (passes < MAX_DRY_RUN_PASSES) {
            last = new Pass(facts, index, limits, input.now()).run();
            passes++;
            if (last.hasNoChanges()) {
                return new Simulated(changes, leaderships, last, passes, true);
            }
            for (ReplicaSetChange change : last.replicaSetChanges()) {
                changes.add(change);
                completed(placements, index, change);
            }
            for (LeadershipChange change : last.leadershipChanges()) {
                leaderships.add(change);
                led(placements, index, change);
            }
        }
        return new Simulated(changes, leaderships, last, passes, false);
    }

    /**
     * The partitions that would block draining {@code toDrain}: those with a replica on one of them that
     * would find no compliant replacement ({@link Reason#blocksDrain()}), judged on one pass with
     * throttles lifted and changes under way taken as completed. Empty means the drain is safe.
     *
     * @throws IllegalArgumentException if a node is not a worker of the configuration
     */
    public static List<BlockingPartition> drainPrecheck(SchedulerInput input, Set<NodeId> toDrain) {
        Map<PartitionId, Placement> placements = completeChangesUnderWay(input.placements());
        return blocking(input, toDrain, placements, PlacementIndex.of(input.table(), placements, false));
    }

    /**
     * {@link #drainPrecheck} of each of {@code nodes} alone, in one index: a set of a thousand workers over a million
     * partitions was a thousand passes from nothing (a zone's dry-run took minutes); over one index each costs the
     * partitions of the worker it drains and of the one before.
     *
     * @return each node's blocking partitions, in the order of {@code nodes}
     * @throws IllegalArgumentException if a node is not a worker of the configuration
     */
    public static Map<NodeId, List<BlockingPartition>> drainPrecheckEach(SchedulerInput input, java.util.Collection<NodeId> nodes) {
        Map<PartitionId, Placement> placements = completeChangesUnderWay(input.placements());
        PlacementIndex index = PlacementIndex.of(input.table(), placements, false);
        Map<NodeId, List<BlockingPartition>> each = new java.util.LinkedHashMap<>();
        for (NodeId node : nodes) {
            each.put(node, blocking(input, Set.of(node), placements, index));
        }
        return each;
    }

    /** One pass with throttles lifted over {@code index} (of {@code placements}) with {@code toDrain} draining: what blocks them. */
    private static List<BlockingPartition> blocking(SchedulerInput input, Set<NodeId> toDrain, Map<PartitionId, Placement> placements,
            PlacementIndex index) {
        List<NodeFacts> facts = applyWhatIf(input, new WhatIf(toDrain, Set.of(), List.of()));
        Plan plan = new Pass(facts, index, input.limits().unthrottled(), input.now()).run();
        List<BlockingPartition> blocking = new ArrayList<>();
        for (Explanation explanation : plan.explanations()) {
            Placement placement = placements.get(explanation.partition());
            if (explanation.reason().blocksDrain() && placement != null
                    && placement.current().stream().anyMatch(toDrain::contains)) {
                blocking.add(explanation.toBlockingPartition());
            }
        }
        return List.copyOf(blocking);
    }

    /**
     * {@link #drainWaves} lists at most this many waves (and counts the rest): what an operator reads of a plan, and a
     * bound on its size — a zone of a large cluster has tens of thousands of waves at the default throttles.
     */
    public static final int MAX_WAVES = 64;

    /**
     * In which waves draining {@code toDrain} would move, within the throttles of {@code input}'s limits. The moves are
     * the drain's own, without balancing: passes with throttles lifted and no fill moves, each one's changes taken as
     * completed, until one changes nothing (changes already under way are taken as completed first). They are then
     * packed, in the order the passes decided them, each into the first wave where the cluster
     * ({@link SchedulerLimits#maxChangesInCluster()}) and every worker it leaves or joins
     * ({@link SchedulerLimits#maxChangesPerNode()}) have room. A set that can move at once has one wave. A real drain
     * overlaps the waves (a freed slot is used at once), so this is the order and grouping, not a schedule.
     *
     * <p>Waves are simulated with the pass's own throttles no more: each such pass visited every partition still waiting
     * for its turn, so a zone of 500 workers over 200,000 partitions took minutes to plan (512 waves of 16 moves).
     *
     * @return the first {@link #MAX_WAVES} waves, and how many there are in all (at least, when some are not listed)
     * @throws IllegalArgumentException if a node is not a worker of the configuration
     */
    public static DrainWaves drainWaves(SchedulerInput input, Set<NodeId> toDrain) {
        List<NodeFacts> facts = applyWhatIf(input, new WhatIf(toDrain, Set.of(), List.of()));
        SchedulerLimits lifted = input.limits().unthrottled().withMaxFillMovesPerPass(0);
        List<ReplicaSetChange> changes = simulate(facts, input, completeChangesUnderWay(input.placements()), lifted).changes();
        return pack(changes, input.limits().maxChangesPerNode(), input.limits().maxChangesInCluster());
    }

    /** {@code changes} in the waves {@code perNode} and {@code inCluster} allow, each in the first with room for it. */
    static DrainWaves pack(List<ReplicaSetChange> changes, int perNode, int inCluster) {
        List<List<Move>> waves = new ArrayList<>();
        List<Integer> changesInWave = new ArrayList<>();
        Map<NodeId, List<Integer>> changesOfNode = new HashMap<>();
        Map<NodeId, Integer> allChangesOfNode = new HashMap<>();
        // Waves before this one are full in the cluster: a change starts looking here.
        int firstWithRoom = 0;
        int notListed = 0;
        int changesNotListed = 0;
        for (ReplicaSetChange change : changes) {
            List<NodeId> involved = new ArrayList<>(change.leaving());
            involved.addAll(change.joining());
            involved.forEach(node -> allChangesOfNode.merge(node, 1, Integer::sum));
            while (firstWithRoom < changesInWave.size() && changesInWave.get(firstWithRoom) >= inCluster) {
                firstWithRoom++;
            }
            int wave = firstWithRoom;
            while (wave < MAX_WAVES && !fits(wave, involved, changesInWave, changesOfNode, perNode, inCluster)) {
                wave++;
            }
            if (wave == MAX_WAVES) {
                List<Move> moves = movesOf(change);
                notListed += moves.size();
                changesNotListed++;
                continue;
            }
            while (waves.size() <= wave) {
                waves.add(new ArrayList<>());
                changesInWave.add(0);
            }
            waves.get(wave).addAll(movesOf(change));
            changesInWave.set(wave, changesInWave.get(wave) + 1);
            for (NodeId node : involved) {
                List<Integer> counts = changesOfNode.computeIfAbsent(node, n -> new ArrayList<>());
                while (counts.size() <= wave) {
                    counts.add(0);
                }
                counts.set(wave, counts.get(wave) + 1);
            }
        }
        List<DrainWave> listed = new ArrayList<>();
        for (int w = 0; w < waves.size(); w++) {
            listed.add(new DrainWave(w + 1, waves.get(w)));
        }
        int count = listed.size();
        if (changesNotListed > 0) {
            // At least the waves the cluster's limit needs for the rest, and those the busiest worker's own changes need.
            int busiest = allChangesOfNode.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            count = Math.max(MAX_WAVES + ceilDiv(changesNotListed, inCluster), ceilDiv(busiest, perNode));
        }
        return new DrainWaves(listed, count, notListed);
    }

    private static boolean fits(int wave, List<NodeId> involved, List<Integer> changesInWave, Map<NodeId, List<Integer>> changesOfNode, int perNode,
            int inCluster) {
        if (wave < changesInWave.size() && changesInWave.get(wave) >= inCluster) {
            return false;
        }
        for (NodeId node : involved) {
            List<Integer> counts = changesOfNode.get(node);
            if (counts != null && wave < counts.size() && counts.get(wave) >= perNode) {
                return false;
            }
        }
        return true;
    }

    private static int ceilDiv(int dividend, int divisor) {
        return (int) Math.ceilDiv((long) dividend, (long) Math.max(1, divisor));
    }

    /** {@code change} taken as completed, in the plan's copy of the placements and in its index. */
    private static void completed(Map<PartitionId, Placement> placements, PlacementIndex index, ReplicaSetChange change) {
        Placement before = placements.get(change.partition());
        PartitionPolicy policy = before == null ? PartitionPolicy.DEFAULT : before.policy();
        Version basedOn = before == null ? Version.INVALID : before.basedOnNodesVersion();
        Placement after = new Placement(change.partition(), change.next(), List.of(), change.preferredLeader(), policy, basedOn, null);
        placements.put(change.partition(), after);
        index.put(change.partition().value(), after);
    }

    /** {@code change} taken as done, in the plan's copy of the placements and in its index. */
    private static void led(Map<PartitionId, Placement> placements, PlacementIndex index, LeadershipChange change) {
        Placement after = placements.get(change.partition()).withLeader(change.to());
        placements.put(change.partition(), after);
        index.put(change.partition().value(), after);
    }

    /**
     * The partitions that would block replacing {@code old} by {@code replacement}: for every placement naming
     * {@code old}, a change under way that involves either worker ({@code move-under-way}: decided before the replace,
     * it would move replicas the replace did not ask for), {@code replacement} holding a replica already
     * ({@code replacement-holds-replica}), a frozen placement ({@code frozen}), or a set that would span fewer zones
     * than the replication property asks, when it spans them now ({@code zone-spread-unsatisfiable}). Empty means every
     * replica of {@code old} can move to {@code replacement}, and only those move.
     *
     * @throws IllegalArgumentException if either node is not a worker of the configuration
     */
    public static List<BlockingPartition> replacePrecheck(SchedulerInput input, NodeId old, NodeId replacement) {
        NodesConfiguration nodes = input.nodes();
        Map<NodeId, String> zones = new HashMap<>();
        for (NodeId id : List.of(old, replacement)) {
            if (nodes.find(id).filter(node -> node.isWorker()).isEmpty()) {
                throw new IllegalArgumentException(id + " is not a worker of the nodes configuration " + nodes.version());
            }
        }
        nodes.nodes().forEach(node -> zones.put(node.nodeId(), node.location().toString()));
        int minZones = input.table().replication().minZones();
        List<BlockingPartition> blocking = new ArrayList<>();
        for (Placement placement : new TreeMap<>(input.placements()).values()) {
            if (!placement.names(old)) {
                continue;
            }
            PartitionId partition = placement.partition();
            if (placement.hasNext()) {
                blocking.add(new BlockingPartition(partition, "move-under-way", "a replica-set change " + placement.current() + " → "
                        + placement.next() + " is under way; wait for it to finish"));
            } else if (placement.current().contains(replacement)) {
                blocking.add(new BlockingPartition(partition, "replacement-holds-replica", replacement + " already holds a replica of "
                        + partition + ", so " + old + "'s cannot move there"));
            } else if (placement.policy().frozen()) {
                blocking.add(new BlockingPartition(partition, Reason.FROZEN.wireName(), "the placement is frozen; unfreeze it first"));
            } else {
                Set<String> before = new HashSet<>();
                Set<String> after = new HashSet<>();
                for (NodeId member : placement.current()) {
                    before.add(zones.getOrDefault(member, "?" + member));
                    after.add(zones.getOrDefault(member.equals(old) ? replacement : member, "?" + member));
                }
                if (after.size() < Math.min(minZones, before.size())) {
                    blocking.add(new BlockingPartition(partition, Reason.ZONE_SPREAD_UNSATISFIABLE.wireName(), "with " + replacement + " (zone "
                            + zones.get(replacement) + ") in place of " + old + " (zone " + zones.get(old) + ") the set would span " + after.size()
                            + " zone(s); it needs " + minZones));
                }
            }
        }
        return List.copyOf(blocking);
    }

    /** The replica moves a change makes: leaving members paired with the joining ones, in order. */
    static List<Move> movesOf(ReplicaSetChange change) {
        List<NodeId> leaving = change.leaving();
        List<NodeId> joining = change.joining();
        List<Move> moves = new ArrayList<>();
        for (int i = 0; i < Math.max(leaving.size(), joining.size()); i++) {
            moves.add(new Move(change.partition(), i < leaving.size() ? leaving.get(i) : null, i < joining.size() ? joining.get(i) : null));
        }
        return moves;
    }

    private static Map<PartitionId, Placement> completeChangesUnderWay(Map<PartitionId, Placement> placements) {
        Map<PartitionId, Placement> completed = new HashMap<>(placements.size() * 2);
        for (Placement placement : placements.values()) {
            Placement done = placement.hasNext() ? placement.completed() : placement;
            if (done.leader() != null && !done.current().contains(done.leader())) {
                done = done.withLeader(null);
            }
            completed.put(done.partition(), done);
        }
        return completed;
    }

    private static List<NodeFacts> applyWhatIf(SchedulerInput input, WhatIf whatIf) {
        NodesConfiguration nodes = input.nodes();
        Set<NodeId> named = new HashSet<>(whatIf.drain());
        named.addAll(whatIf.disable());
        for (NodeId id : named) {
            if (nodes.find(id).filter(node -> node.isWorker()).isEmpty()) {
                throw new IllegalArgumentException(id + " is not a worker of the nodes configuration " + nodes.version());
            }
        }
        List<NodeFacts> facts = new ArrayList<>();
        for (NodeFacts fact : NodeFacts.of(nodes, input.liveness(), input.now())) {
            if (whatIf.drain().contains(fact.id())) {
                facts.add(fact.withState(WorkerState.DRAINING));
            } else if (whatIf.disable().contains(fact.id())) {
                facts.add(fact.withState(WorkerState.DISABLED));
            } else {
                facts.add(fact);
            }
        }
        for (WhatIf.NewWorker worker : whatIf.add()) {
            if (nodes.find(worker.id()).isPresent() || nodes.isRemoved(worker.id())) {
                throw new IllegalArgumentException(worker.id() + " is already used in the nodes configuration " + nodes.version());
            }
            facts.add(new NodeFacts(worker.id(), worker.location().toString(), WorkerState.ACTIVE, true, null, false));
        }
        return facts;
    }
}
