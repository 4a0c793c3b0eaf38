package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WritePausesTest {

    private static final long S = 1_000_000_000L;

    private static Op ackAt(int id, long completeNanos) {
        return new Op(id, 1, Op.Kind.WRITE, "k", "v" + id, completeNanos - S / 10, completeNanos, Op.Outcome.OK, null);
    }

    @Test
    void theLongestStretchWithoutAnAcknowledgedWriteCountsFromTheFaultsStartToItsHeal() {
        Schedule.Fault pause = new Schedule.Fault(1, FaultKind.PAUSE_NODE, Duration.ofSeconds(10), Duration.ofSeconds(10), 0);
        Schedule.Fault kill = new Schedule.Fault(2, FaultKind.KILL_NODE, Duration.ofSeconds(30), Duration.ofSeconds(10), 0);
        List<Nemesis.Applied> applied = List.of(
                new Nemesis.Applied(pause, "node-1", 10 * S, 20 * S, ""),
                new Nemesis.Applied(kill, "node-2", 30 * S, 40 * S, ""));
        Op unknown = new Op(9, 2, Op.Kind.WRITE, "k", "u", 31 * S, 39 * S, Op.Outcome.UNKNOWN, "deadline-exceeded");
        List<Op> ops = List.of(ackAt(0, 5 * S), ackAt(1, 11 * S), ackAt(2, 12 * S), ackAt(3, 17 * S), ackAt(4, 33 * S), unknown, ackAt(5, 45 * S));

        Map<String, String> pauses = ChaosRun.longestWritePauses(applied, ops);

        // pause-node: 10→11→12→17→20, longest 5 s; kill-node: 30→33→40 (the unknown write does not count), longest 7 s.
        assertThat(pauses).containsExactly(Map.entry("kill-node", "7.0 s"), Map.entry("pause-node", "5.0 s"));
    }
}
