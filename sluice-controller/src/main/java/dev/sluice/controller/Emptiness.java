package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdMap;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Whether a worker holds nothing any more — the one rule behind the automatic disable, drain progress
 * and the operator's disable guard, so the three can never disagree about what "emptied" means.
 *
 * <p>A worker is empty when
 * <ul>
 *   <li>no placement names it in its current or next replica set,
 *   <li>it leads no partition: the <b>observed</b> leader counts (what a live member reports, highest
 *       term first), and where no member's report is at hand, the leader the placement records — so a
 *       node that serves this rule without observing the workers (any node answering the API) falls back
 *       to the placements, and the controller, which observes, is never fooled by a stale record;
 *   <li>and, if it runs, its own fresh report lists no replica and no removal still under way (its files
 *       are gone). A worker that does not run cannot be asked; it deletes the groups no placement names
 *       when it starts again.
 * </ul>
 */
record Emptiness(NodeId node, List<PartitionId> named, List<PartitionId> led, Holding holding) {

    /** What the worker itself says it holds. */
    sealed interface Holding {
        /** The worker does not run: nothing to ask. */
        record NotRunning() implements Holding {}

        /** It runs but has not answered recently, so what it holds is not known. */
        record Unknown(String why) implements Holding {}

        /** Its fresh report. */
        record Reported(NodeReplicas report) implements Holding {}
    }

    Emptiness {
        Objects.requireNonNull(node, "node");
        named = List.copyOf(named);
        led = List.copyOf(led);
        Objects.requireNonNull(holding, "holding");
    }

    static Emptiness of(NodeId node, Collection<Placement> placements, Map<PartitionId, NodeId> observedLeaders, Holding holding) {
        return new Index(placements, observedLeaders).of(node, holding);
    }

    /**
     * Every node's replica sets and leaderships. Built in one walk over the placements, and then kept: the control loop
     * {@link #put}s each placement whose record or observed leader changed, so a pass pays for what changed instead of
     * walking every replica of every placement (at 1,000 workers × 300,000 partitions that walk was a third of a drain's
     * pass; before it was built once a pass, every worker asked of it walked every placement).
     */
    static final class Index {
        /** What a partition was indexed under: its placement and the leader counted for it. */
        private record Indexed(Placement placement, NodeId leader) {}

        private final Map<PartitionId, Indexed> indexed = new HashMap<>();
        private final Map<NodeId, NodePartitions> named = new NodeIdMap<>();
        private final Map<NodeId, NodePartitions> led = new NodeIdMap<>();

        /**
         * One node's partitions: a hash set for the updates (a new term's first answers change a million leaders at
         * once), listed in partition order when asked and kept so until it changes (every pass asks for each draining
         * worker's, and sorting them again each pass was a few percent of a drain's pass).
         */
        private static final class NodePartitions {
            private final Set<PartitionId> partitions = new HashSet<>();
            private List<PartitionId> sorted;

            void add(PartitionId partition) {
                if (partitions.add(partition)) {
                    sorted = null;
                }
            }

            boolean remove(PartitionId partition) {
                boolean removed = partitions.remove(partition);
                if (removed) {
                    sorted = null;
                }
                return removed;
            }

            boolean isEmpty() {
                return partitions.isEmpty();
            }

            int size() {
                return partitions.size();
            }

            List<PartitionId> sorted() {
                if (sorted == null) {
                    PartitionId[] ordered = partitions.toArray(new PartitionId[0]);
                    java.util.Arrays.sort(ordered);
                    sorted = List.of(ordered);
                }
                return sorted;
            }
        }

        Index() {}

        Index(Collection<Placement> placements, Map<PartitionId, NodeId> observedLeaders) {
            for (Placement placement : placements) {
                put(placement, observedLeaders.get(placement.partition()));
            }
        }

        /** Indexes {@code placement} with the leader observed for it ({@code null}: none, the placement's record counts). */
        void put(Placement placement, NodeId observedLeader) {
            NodeId leader = observedLeader != null ? observedLeader : placement.leader();
            Indexed before = indexed.get(placement.partition());
            if (before != null && before.placement() == placement && Objects.equals(before.leader(), leader)) {
                return;
            }
            PartitionId partition = placement.partition();
            indexed.put(partition, new Indexed(placement, leader));
            // Only the nodes it names now and did not, and those it named and does not: a move's step names the same nodes
            // but one, and taking the partition out of every member's set and putting it back made each member's sorted
            // list stale, so every pass of a drain sorted each draining worker's partitions again. Placement.members()
            // is not used: at a million placements building those sets was most of the time.
            List<NodeId> current = placement.current();
            List<NodeId> next = placement.next();
            List<NodeId> currentBefore = before == null ? List.of() : before.placement().current();
            List<NodeId> nextBefore = before == null ? List.of() : before.placement().next();
            for (NodeId member : currentBefore) {
                if (!current.contains(member) && !next.contains(member)) {
                    forget(named, member, partition);
                }
            }
            for (NodeId member : nextBefore) {
                if (!currentBefore.contains(member) && !current.contains(member) && !next.contains(member)) {
                    forget(named, member, partition);
                }
            }
            for (NodeId member : current) {
                if (!currentBefore.contains(member) && !nextBefore.contains(member)) {
                    named.computeIfAbsent(member, n -> new NodePartitions()).add(partition);
                }
            }
            for (NodeId member : next) {
                if (!current.contains(member) && !currentBefore.contains(member) && !nextBefore.contains(member)) {
                    named.computeIfAbsent(member, n -> new NodePartitions()).add(partition);
                }
            }
            NodeId leaderBefore = before == null ? null : before.leader();
            if (!Objects.equals(leaderBefore, leader)) {
                if (leaderBefore != null) {
                    forget(led, leaderBefore, partition);
                }
                if (leader != null) {
                    led.computeIfAbsent(leader, n -> new NodePartitions()).add(partition);
                }
            }
        }

        /** Forgets {@code partition}'s placement. */
        void remove(PartitionId partition) {
            Indexed before = indexed.remove(partition);
            if (before == null) {
                return;
            }
            for (NodeId member : before.placement().current()) {
                forget(named, member, partition);
            }
            for (NodeId member : before.placement().next()) {
                forget(named, member, partition);
            }
            if (before.leader() != null) {
                forget(led, before.leader(), partition);
            }
        }

        private static void forget(Map<NodeId, NodePartitions> index, NodeId node, PartitionId partition) {
            NodePartitions partitions = index.get(node);
            if (partitions != null && partitions.remove(partition) && partitions.isEmpty()) {
                index.remove(node);
            }
        }

        int size() {
            return indexed.size();
        }

        /** Every node named or leading somewhere. */
        Set<NodeId> nodes() {
            Set<NodeId> nodes = new HashSet<>(named.keySet());
            nodes.addAll(led.keySet());
            return nodes;
        }

        ControllerStatus.WorkerCounts counts(NodeId node) {
            return new ControllerStatus.WorkerCounts(node, sizeOf(named.get(node)), sizeOf(led.get(node)));
        }

        private static int sizeOf(NodePartitions partitions) {
            return partitions == null ? 0 : partitions.size();
        }

        /** The placements that name {@code node}, in either replica set, by partition. */
        List<Placement> naming(NodeId node) {
            return sorted(named.get(node)).stream().map(partition -> indexed.get(partition).placement()).toList();
        }

        Emptiness of(NodeId node, Holding holding) {
            return new Emptiness(node, sorted(named.get(node)), sorted(led.get(node)), holding);
        }

        private static List<PartitionId> sorted(NodePartitions partitions) {
            return partitions == null ? List.of() : partitions.sorted();
        }
    }

    boolean holdsNothing() {
        return named.isEmpty() && led.isEmpty() && switch (holding) {
            case Holding.NotRunning notRunning -> true;
            case Holding.Unknown unknown -> false;
            case Holding.Reported reported -> reported.report().holdsNothing();
        };
    }

    /** Whether placements and leadership are done with the worker, whatever its files. */
    boolean leftEveryReplicaSet() {
        return named.isEmpty() && led.isEmpty();
    }

    /**
     * What keeps the worker from being empty, in one operator-readable line, e.g. {@code N4 still holds
     * P17's files: removal pending for 40 s (Ratis group remove running …)}; empty text when it is empty.
     */
    String blocker(Instant now) {
        if (!named.isEmpty() || !led.isEmpty()) {
            return node + " is still in " + named.size() + " replica set(s) " + abbreviate(named) + " and leads " + led.size() + " partition(s)";
        }
        return switch (holding) {
            case Holding.NotRunning notRunning -> "";
            case Holding.Unknown unknown -> node + " runs but has not reported what it holds: " + unknown.why();
            case Holding.Reported reported -> {
                NodeReplicas report = reported.report();
                if (!report.removals().isEmpty()) {
                    NodeReplicas.Removal oldest = report.removals().stream().min(java.util.Comparator.comparing(NodeReplicas.Removal::since)).orElseThrow();
                    yield node + " still holds " + oldest.partition() + "'s files: removal pending for "
                            + Duration.between(oldest.since(), now).toSeconds() + " s (" + oldest.detail() + ")"
                            + (report.removals().size() > 1 ? " and " + (report.removals().size() - 1) + " more" : "");
                }
                yield report.replicas().isEmpty() ? "" : node + " still hosts " + abbreviate(List.copyOf(report.replicas().keySet()))
                        + " although no placement names it; it removes them";
            }
        };
    }

    static String abbreviate(List<PartitionId> partitions) {
        List<String> shown = partitions.stream().limit(8).map(PartitionId::toString).toList();
        return "(" + String.join(", ", shown) + (partitions.size() > shown.size() ? ", …" : "") + ")";
    }
}
