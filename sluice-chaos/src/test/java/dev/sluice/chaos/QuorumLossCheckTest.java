package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuorumLossCheckTest {

    private static final long S = 1_000_000_000L;

    private static Op write(int id, String key, long invokeNanos, long completeNanos, Op.Outcome outcome) {
        return new Op(id, 1, Op.Kind.WRITE, key, "v" + id, invokeNanos, completeNanos, outcome, outcome == Op.Outcome.OK ? null : "deadline-exceeded");
    }

    private static Admin.Exchange sent(long atNanos, Admin.Exchange.Outcome outcome) {
        return new Admin.Exchange(atNanos, S / 100, "GET", "/api/v1/cluster", outcome);
    }

    private static Nemesis.Applied lossFrom10To35() {
        return new Nemesis.Applied(new Schedule.Fault(1, FaultKind.KILL_ZOOKEEPER_MAJORITY, Duration.ofSeconds(10), Duration.ofSeconds(25), 0),
                "zk1+zk2", 10 * S, 35 * S, "");
    }

    @Test
    void writesToServingKeysThatGoOnAndLateRequestsThatAreAnsweredPass() {
        List<String> anomalies = new ArrayList<>();
        Map<String, String> summary = new LinkedHashMap<>();

        // k had a leader just before the loss and keeps taking writes; dead's partition had none (its last write failed), so
        // its unacknowledged write during the loss is not the loss's doing, though it stalls the clients for 10 s.
        ChaosRun.quorumLoss(List.of(lossFrom10To35()),
                List.of(write(1, "k", 7 * S, 8 * S, Op.Outcome.OK), write(2, "dead", 1 * S, 11 * S, Op.Outcome.UNKNOWN),
                        write(3, "k", 14 * S, 15 * S, Op.Outcome.OK), write(4, "dead", 14 * S, 24 * S, Op.Outcome.UNKNOWN),
                        write(5, "k", 24 * S, 26 * S, Op.Outcome.OK)),
                List.of(sent(12 * S, Admin.Exchange.Outcome.TIMED_OUT), sent(28 * S, Admin.Exchange.Outcome.UNAVAILABLE),
                        sent(30 * S, Admin.Exchange.Outcome.OK)), summary, anomalies);

        // The request 2 s into the loss may wait for ZooKeeper; those sent 17 s in or later must be answered.
        assertThat(anomalies).isEmpty();
        assertThat(summary.get("quorum losses")).isEqualTo(
                "#1: 1 key(s) serving, 0 write(s) to them not acknowledged, longest write pause 11.0 s, admin requests sent after 17 s: 1 ok, 1 unavailable");
    }

    @Test
    void anUnacknowledgedWriteToAServingKeyAndAnUnansweredLateRequestAreAnomalies() {
        List<String> anomalies = new ArrayList<>();

        ChaosRun.quorumLoss(List.of(lossFrom10To35()),
                List.of(write(1, "k", 6 * S, 9 * S, Op.Outcome.OK), write(2, "k", 12 * S, 22 * S, Op.Outcome.UNKNOWN),
                        write(3, "early", 2 * S, 3 * S, Op.Outcome.OK), write(4, "early", 12 * S, 22 * S, Op.Outcome.UNKNOWN)),
                List.of(sent(29 * S, Admin.Exchange.Outcome.TIMED_OUT), sent(31 * S, Admin.Exchange.Outcome.UNAVAILABLE)),
                new LinkedHashMap<>(), anomalies);

        assertThat(anomalies).hasSize(2);
        assertThat(anomalies.get(0)).startsWith("a write to k, which took writes just before the ZooKeeper quorum loss #1").contains("#2 p1 write k=v2 unknown");
        assertThat(anomalies.get(1)).startsWith("the admin API did not answer GET /api/v1/cluster, sent 19.0 s into the ZooKeeper quorum loss #1");
    }
}
