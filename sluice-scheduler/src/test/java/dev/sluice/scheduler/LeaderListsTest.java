package dev.sluice.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A node's leader list built when the search first walks it must be the list built for every node at once when the search
 * began: on seeded random placements, with partitions this pass touched (leaders changed, some by the free sweep, some
 * moved more than once), chains moving leaderships between and after the lists are built, and ineligible nodes.
 *
 * <p>{@code -Dsluice.scheduler.lists.seed=N -Dsluice.scheduler.lists.cases=1} replays one case.
 */
class LeaderListsTest {

    private static final long FIRST_SEED = Long.getLong("sluice.scheduler.lists.seed", 20261130L);
    private static final int CASES = Integer.getInteger("sluice.scheduler.lists.cases", 200);

    @Test
    void listsBuiltOnFirstUseAreTheListsBuiltAllAtOnce() {
        System.out.println("LeaderListsTest: seeds " + FIRST_SEED + " to " + (FIRST_SEED + CASES - 1)
                + " (-Dsluice.scheduler.lists.seed=N -Dsluice.scheduler.lists.cases=1 replays one)");
        int builtLazily = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + CASES; seed++) {
            builtLazily += check(seed);
        }
        // Not a vacuous comparison: the cases walk lists that were built late, after chains moved leaderships.
        assertThat(builtLazily).as("lists first built after a chain moved a leadership").isGreaterThan(CASES);
    }

    /** One case; how many lists were first built after a chain moved a leadership. */
    private static int check(long seed) {
        Random random = new Random(seed);
        int nodes = 3 + random.nextInt(12);
        int partitions = 1 + random.nextInt(200);
        PartitionTable table = new PartitionTable(partitions, ReplicationProperty.of(3));
        Map<PartitionId, Placement> placements = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            if (random.nextInt(20) == 0) {
                continue;
            }
            List<NodeId> members = new ArrayList<>();
            while (members.size() < Math.min(3, nodes)) {
                NodeId id = NodeId.of(1 + random.nextInt(nodes));
                if (!members.contains(id)) {
                    members.add(id);
                }
            }
            NodeId leader = random.nextInt(10) == 0 ? null : members.get(random.nextInt(members.size()));
            placements.put(PartitionId.of(p), Placement.stable(PartitionId.of(p), members, leader, Version.MIN));
        }
        PlacementIndex index = PlacementIndex.of(table, placements, false);
        NodeId[] ids = new NodeId[nodes];
        for (int i = 0; i < nodes; i++) {
            ids[i] = NodeId.of(i + 1);
        }
        index.syncNodes(ids);
        boolean[] eligible = new boolean[nodes];
        for (int n = 0; n < nodes; n++) {
            eligible[n] = random.nextInt(6) != 0;
        }
        // The pass so far: some partitions touched, their leaders changed (or not); then the free sweep's moves.
        int[] leader = index.originalLeader.clone();
        BitSet touched = new BitSet();
        for (int p = 0; p < partitions; p++) {
            if (random.nextInt(4) == 0) {
                touched.set(p);
                if (index.current[p].length > 0 && random.nextBoolean()) {
                    leader[p] = index.current[p][random.nextInt(index.current[p].length)];
                }
            }
        }
        IntList sweep = new IntList();
        for (int i = random.nextInt(partitions); i > 0; i--) {
            int p = random.nextInt(partitions);
            int to = random.nextInt(nodes);
            if (leader[p] >= 0 && eligible[leader[p]] && eligible[to] && leader[p] != to) {
                sweep.add(p);
                sweep.add(leader[p]);
                sweep.add(to);
                leader[p] = to;
                touched.set(p);
            }
        }
        int[] atStart = leader.clone();
        LeaderLists lazy = LeaderLists.of(leader, eligible, index, touched, sweep, false);
        LeaderLists eager = LeaderLists.of(atStart, eligible, index, touched, sweep, true);
        // Chains: each moves a leadership between eligible nodes, as the search does, in both; lists are walked between.
        int builtLate = 0;
        boolean[] walked = new boolean[nodes];
        boolean chainsMoved = false;
        for (int step = random.nextInt(3 * partitions); step > 0; step--) {
            int node = random.nextInt(nodes);
            if (random.nextBoolean() && eligible[node]) {
                if (!walked[node] && chainsMoved) {
                    builtLate++;
                }
                walked[node] = true;
                assertThat(toList(lazy.of(node))).as("seed %d, node %d", seed, node).isEqualTo(toList(eager.of(node)));
                continue;
            }
            int p = random.nextInt(partitions);
            int from = leader[p];
            if (from >= 0 && eligible[from] && eligible[node] && from != node) {
                leader[p] = node;
                atStart[p] = node;
                lazy.moved(p, from, node);
                eager.moved(p, from, node);
                chainsMoved = true;
            }
        }
        for (int n = 0; n < nodes; n++) {
            if (eligible[n]) {
                assertThat(toList(lazy.of(n))).as("seed %d, node %d at the end", seed, n).isEqualTo(toList(eager.of(n)));
            }
        }
        return builtLate;
    }

    private static List<Integer> toList(IntList list) {
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            values.add(list.get(i));
        }
        return values;
    }
}
