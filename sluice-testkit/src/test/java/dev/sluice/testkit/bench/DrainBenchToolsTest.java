package dev.sluice.testkit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.client.Workload;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The pure parts of the drain benchmarks: what the alternating runner reads back, and the baseline's move plan. */
class DrainBenchToolsTest {

    @Test
    void aResultLineReadsBackAsTheSameRun() {
        DrainRun run = new DrainRun("ratis", 10, 4, 42, 8.25, 0.125, 6.5, 1.625, 18, new long[] {150, 225, 271},
                new Workload.Stats("before", 2000, 0, 12.5, 31.25, 50.0, 75.5), new Workload.Stats("during", 1600, 1, 19.5, 66.75, 313.8, 420.25),
                1, 0, true);

        DrainRun read = DrainRun.parse(run.toLine());

        assertThat(read.toLine()).isEqualTo(run.toLine());
        assertThat(read.tableRow()).isEqualTo(run.tableRow());
        assertThat(read.leaderlessMillis()).containsExactly(150, 225, 271);
    }

    @Test
    void aRunWithoutLeadershipMovesReadsBackWithNone() {
        DrainRun run = new DrainRun("sluice", 1, 1, 1, 5, 0.5, 4, 0.5, 18, new long[0],
                new Workload.Stats("before", 1, 0, 1, 1, 1, 1), new Workload.Stats("during", 1, 0, 1, 1, 1, 1), 0, 0, true);

        assertThat(DrainRun.parse(run.toLine()).leaderlessMillis()).isEmpty();
    }

    @Test
    void withFourServersEachReplicaGoesToTheOnlyServerWithoutIt() {
        Map<PartitionId, List<NodeId>> members = roundRobin(24, 4);

        List<RatisDrainBaseline.Drain.Move> moves = RatisDrainBaseline.Drain.plan(members, servers(4), NodeId.of(1));

        assertThat(moves).hasSize(18);
        for (RatisDrainBaseline.Drain.Move move : moves) {
            assertThat(members.get(move.partition())).contains(NodeId.of(1)).doesNotContain(move.target());
        }
        assertThat(replicasAfter(members, moves, 4)).containsEntry(NodeId.of(1), 0)
                .containsEntry(NodeId.of(2), 24).containsEntry(NodeId.of(3), 24).containsEntry(NodeId.of(4), 24);
    }

    private static Map<PartitionId, List<NodeId>> roundRobin(int partitions, int servers) {
        Map<PartitionId, List<NodeId>> members = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            List<NodeId> set = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                set.add(NodeId.of((p + r) % servers + 1));
            }
            members.put(PartitionId.of(p), set);
        }
        return members;
    }

    private static List<NodeId> servers(int count) {
        List<NodeId> servers = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            servers.add(NodeId.of(i));
        }
        return servers;
    }

    private static Map<NodeId, Integer> replicasAfter(Map<PartitionId, List<NodeId>> members, List<RatisDrainBaseline.Drain.Move> moves, int servers) {
        Map<NodeId, Integer> counts = new TreeMap<>();
        servers(servers).forEach(node -> counts.put(node, 0));
        members.values().forEach(set -> set.forEach(node -> counts.merge(node, 1, Integer::sum)));
        for (RatisDrainBaseline.Drain.Move move : moves) {
            counts.merge(NodeId.of(1), -1, Integer::sum);
            counts.merge(move.target(), 1, Integer::sum);
        }
        return counts;
    }
}
