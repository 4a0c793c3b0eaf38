package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UnaffectedWritesTest {

    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final List<String> NODES = List.of("node-1", "node-2", "node-3", "node-4");

    private static Op write(int id, String key, long invokeNanos, long latencyNanos, Op.Outcome outcome) {
        return new Op(id, 1, Op.Kind.WRITE, key, "v" + id, invokeNanos, invokeNanos + latencyNanos, outcome, null);
    }

    private static Nemesis.Applied applied(int index, FaultKind kind, String target, long startedNanos, long healedNanos) {
        return new Nemesis.Applied(new Schedule.Fault(index, kind, Duration.ofNanos(startedNanos), Duration.ofNanos(healedNanos - startedNanos), 0),
                target, startedNanos, healedNanos, "");
    }

    @Test
    void theNodesAFaultHitAreReadFromItsTargetAsWholeNames() {
        assertThat(ChaosRun.nodesHit(applied(1, FaultKind.PAUSE_NODE, "node-1", 0, S), NODES)).containsExactly("node-1");
        assertThat(ChaosRun.nodesHit(applied(2, FaultKind.SPLIT_MAJORITY_MINORITY, "minority [node-2, node-4, zk1]", 0, S), NODES))
                .containsExactly("node-2", "node-4");
        assertThat(ChaosRun.nodesHit(applied(3, FaultKind.KILL_ZOOKEEPER_LEADER, "zk2", 0, S), NODES)).isEmpty();
        assertThat(ChaosRun.nodesHit(applied(4, FaultKind.KILL_NODE, "node-12", 0, S), NODES)).isEmpty();
    }

    @Test
    void onlyWritesDuringTheFaultToPartitionsLedByNodesItDidNotHitCount() {
        Nemesis.Applied pause = applied(1, FaultKind.PAUSE_NODE, "node-1", 10 * S, 20 * S);
        Nemesis.Applied zooKeeper = applied(2, FaultKind.KILL_ZOOKEEPER_LEADER, "zk2", 30 * S, 40 * S);
        // P0 led by the paused node, P1 by another, P2 by nobody anyone reported (a leaderless moment).
        Leadership leaders = new Leadership(Map.of("P0", Set.of("node-1"), "P1", Set.of("node-2")));
        Map<String, String> keys = Map.of("a", "P0", "b", "P1", "c", "P2");
        List<Op> ops = new ArrayList<>();
        int id = 0;
        for (int ms = 1; ms <= 100; ms++) {
            ops.add(write(id++, "b", 10 * S + ms * 50 * MS, ms * MS, Op.Outcome.OK));
        }
        ops.add(write(id++, "b", 15 * S, 10 * S, Op.Outcome.UNKNOWN));
        ops.add(write(id++, "a", 11 * S, 6 * S, Op.Outcome.OK));
        ops.add(write(id++, "c", 11 * S, 7 * S, Op.Outcome.OK));
        ops.add(write(id++, "b", 9 * S, 8 * S, Op.Outcome.OK));
        ops.add(new Op(id++, 2, Op.Kind.READ, "b", null, 12 * S, 21 * S, Op.Outcome.OK, null));
        // During the ZooKeeper fault no Sluice node was hit: both led partitions count.
        ops.add(write(id++, "a", 31 * S, 40 * MS, Op.Outcome.OK));
        ops.add(write(id++, "b", 32 * S, 20 * MS, Op.Outcome.OK));

        Map<String, String> latencies = ChaosRun.unaffectedWriteLatencies(List.of(pause, zooKeeper), Map.of(1, leaders, 2, leaders), keys, NODES, ops);

        // pause-node: the 100 writes to b inside the window (1..100 ms; p99 is the 99th), the unknown one beside them;
        // a (led by the paused node), c (no known leader) and the write before the fault are left out.
        assertThat(latencies).containsExactly(Map.entry("kill-zookeeper-leader", "40 ms of 2"), Map.entry("pause-node", "99 ms of 100, 1 not acknowledged"));
    }
}
