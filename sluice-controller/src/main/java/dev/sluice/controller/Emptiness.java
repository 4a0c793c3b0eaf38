package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
     * Every node's replica sets and leaderships, found in one walk over the placements. A pass that asks
     * about every worker asks this instead of walking every placement once per worker: at 1,000 workers ×
     * 100,000 partitions that walk was 10⁸ membership checks a pass and took most of the pass's time.
     */
    static final class Index {
        private final Map<NodeId, List<PartitionId>> named = new HashMap<>();
        private final Map<NodeId, List<PartitionId>> led = new HashMap<>();

        Index(Collection<Placement> placements, Map<PartitionId, NodeId> observedLeaders) {
            for (Placement placement : placements) {
                // Placement.members() without its copies (current, then the joiners), in the same order: at a million
                // placements building those sets was most of the index's time.
                for (NodeId member : placement.current()) {
                    named.computeIfAbsent(member, n -> new ArrayList<>()).add(placement.partition());
                }
                for (NodeId member : placement.next()) {
                    if (!placement.current().contains(member)) {
                        named.computeIfAbsent(member, n -> new ArrayList<>()).add(placement.partition());
                    }
                }
                NodeId observed = observedLeaders.get(placement.partition());
                NodeId leader = observed != null ? observed : placement.leader();
                if (leader != null) {
                    led.computeIfAbsent(leader, n -> new ArrayList<>()).add(placement.partition());
                }
            }
        }

        ControllerStatus.WorkerCounts counts(NodeId node) {
            return new ControllerStatus.WorkerCounts(node, named.getOrDefault(node, List.of()).size(), led.getOrDefault(node, List.of()).size());
        }

        Emptiness of(NodeId node, Holding holding) {
            return new Emptiness(node, named.getOrDefault(node, List.of()), led.getOrDefault(node, List.of()), holding);
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
