package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Emptiness.Index} answers for every worker from one walk over the placements; it must give what
 * the rule says for each worker alone, written out here as the plain walk it replaced.
 */
class EmptinessTest {

    @Test
    void theIndexAnswersEveryWorkerAsTheRuleDoesForThatWorkerAlone() {
        long seed = 20_261_128L;
        SplittableRandom random = new SplittableRandom(seed);
        List<NodeId> nodes = new ArrayList<>();
        for (int i = 1; i <= 9; i++) {
            nodes.add(NodeId.of(i));
        }
        List<Placement> placements = new ArrayList<>();
        Map<PartitionId, NodeId> observed = new HashMap<>();
        for (int p = 0; p < 300; p++) {
            PartitionId partition = new PartitionId(p);
            List<NodeId> shuffled = new ArrayList<>(nodes);
            java.util.Collections.shuffle(shuffled, new java.util.Random(random.nextLong()));
            List<NodeId> current = shuffled.subList(0, 3);
            // Some move (next shares members with current, as a real move does), some lead elsewhere than recorded.
            List<NodeId> next = random.nextBoolean() ? List.of() : List.of(current.get(0), current.get(1), shuffled.get(3 + random.nextInt(6)));
            NodeId recorded = random.nextInt(4) == 0 ? null : current.get(random.nextInt(3));
            placements.add(new Placement(partition, current, next, recorded, PartitionPolicy.DEFAULT, Version.INVALID, null));
            switch (random.nextInt(3)) {
                case 0 -> observed.put(partition, shuffled.get(random.nextInt(9)));
                case 1 -> { }
                default -> {
                    if (recorded != null) {
                        observed.put(partition, recorded);
                    }
                }
            }
        }
        Emptiness.Index index = new Emptiness.Index(placements, observed);
        Emptiness.Holding holding = new Emptiness.Holding.NotRunning();
        for (NodeId node : nodes) {
            assertThat(index.of(node, holding)).as("seed %d, %s", seed, node).isEqualTo(byTheRule(node, placements, observed, holding));
        }
        assertThat(index.of(NodeId.of(99), holding).holdsNothing()).isTrue();
    }

    /**
     * The index as the controller keeps it, one changed placement at a time — moves started, completed and undone, leaders
     * changed and lost, placements removed and put back — must answer as the plain walk over the placements it ends with.
     */
    @Test
    void anIndexKeptThroughChangesAnswersAsTheRuleOverTheLastPlacements() {
        long seed = 20_261_130L;
        SplittableRandom random = new SplittableRandom(seed);
        List<NodeId> nodes = new ArrayList<>();
        for (int i = 1; i <= 9; i++) {
            nodes.add(NodeId.of(i));
        }
        Map<PartitionId, Placement> placements = new java.util.TreeMap<>();
        Map<PartitionId, NodeId> observed = new HashMap<>();
        Emptiness.Index index = new Emptiness.Index();
        for (int step = 0; step < 5_000; step++) {
            PartitionId partition = new PartitionId(random.nextInt(60));
            Placement before = placements.get(partition);
            if (before != null && random.nextInt(20) == 0) {
                placements.remove(partition);
                observed.remove(partition);
                index.remove(partition);
                continue;
            }
            List<NodeId> shuffled = new ArrayList<>(nodes);
            java.util.Collections.shuffle(shuffled, new java.util.Random(random.nextLong()));
            Placement after;
            if (before == null) {
                after = new Placement(partition, shuffled.subList(0, 3), List.of(), shuffled.get(random.nextInt(3)), PartitionPolicy.DEFAULT, Version.INVALID, null);
            } else if (before.hasNext()) {
                after = random.nextBoolean() ? before.completed() : new Placement(partition, before.current(), List.of(), before.leader(), PartitionPolicy.DEFAULT, Version.INVALID, null);
            } else {
                switch (random.nextInt(3)) {
                    case 0 -> {
                        // A move: one member out, one in.
                        List<NodeId> next = new ArrayList<>(before.current());
                        NodeId joining = shuffled.stream().filter(n -> !before.current().contains(n)).findFirst().orElseThrow();
                        next.set(random.nextInt(next.size()), joining);
                        after = before.withNext(next, Version.INVALID, null);
                    }
                    case 1 -> after = before.withLeader(random.nextInt(5) == 0 ? null : before.current().get(random.nextInt(before.current().size())));
                    default -> after = before;
                }
            }
            placements.put(partition, after);
            NodeId leader = switch (random.nextInt(4)) {
                case 0 -> shuffled.get(random.nextInt(9));
                case 1 -> null;
                default -> observed.get(partition);
            };
            if (leader == null) {
                observed.remove(partition);
            } else {
                observed.put(partition, leader);
            }
            index.put(after, leader);
        }
        assertThat(index.size()).isEqualTo(placements.size());
        Emptiness.Holding holding = new Emptiness.Holding.NotRunning();
        for (NodeId node : nodes) {
            Emptiness expected = byTheRule(node, placements.values(), observed, holding);
            assertThat(index.of(node, holding)).as("seed %d, %s", seed, node).isEqualTo(expected);
            assertThat(index.counts(node)).isEqualTo(new ControllerStatus.WorkerCounts(node, expected.named().size(), expected.led().size()));
        }
    }

    /** The rule for one worker alone, as the plain walk over the placements the index replaced. */
    private static Emptiness byTheRule(NodeId node, java.util.Collection<Placement> placements, Map<PartitionId, NodeId> observed, Emptiness.Holding holding) {
        List<PartitionId> named = new ArrayList<>();
        List<PartitionId> led = new ArrayList<>();
        for (Placement placement : placements) {
            if (placement.names(node)) {
                named.add(placement.partition());
            }
            NodeId leader = observed.containsKey(placement.partition()) ? observed.get(placement.partition()) : placement.leader();
            if (node.equals(leader)) {
                led.add(placement.partition());
            }
        }
        return new Emptiness(node, named, led, holding);
    }
}
