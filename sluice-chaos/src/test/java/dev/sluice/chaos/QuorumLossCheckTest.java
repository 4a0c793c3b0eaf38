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

    private static Op ackAt(int id, long completeNanos) {
        return new Op(id, 1, Op.Kind.WRITE, "k", "v" + id, completeNanos - S / 10, completeNanos, Op.Outcome.OK, null);
    }

    private static Admin.Exchange sent(long atNanos, Admin.Exchange.Outcome outcome) {
        return new Admin.Exchange(atNanos, S / 100, "GET", "/api/v1/cluster", outcome);
    }

    private static Nemesis.Applied lossFrom10To35() {
        return new Nemesis.Applied(new Schedule.Fault(1, FaultKind.KILL_ZOOKEEPER_MAJORITY, Duration.ofSeconds(10), Duration.ofSeconds(25), 0),
                "zk1+zk2", 10 * S, 35 * S, "");
    }

    @Test
    void writesThatGoOnAndLateRequestsThatAreAnsweredPass() {
        List<String> anomalies = new ArrayList<>();
        Map<String, String> summary = new LinkedHashMap<>();

        ChaosRun.quorumLoss(List.of(lossFrom10To35()), List.of(ackAt(1, 15 * S), ackAt(2, 24 * S), ackAt(3, 33 * S)),
                List.of(sent(12 * S, Admin.Exchange.Outcome.TIMED_OUT), sent(28 * S, Admin.Exchange.Outcome.UNAVAILABLE),
                        sent(30 * S, Admin.Exchange.Outcome.OK)), summary, anomalies);

        // The request 2 s into the loss may wait for ZooKeeper; those sent 17 s in or later must be answered.
        assertThat(anomalies).isEmpty();
        assertThat(summary.get("quorum losses")).isEqualTo("#1: longest write pause 9.0 s, admin requests sent after 17 s: 1 ok, 1 unavailable");
    }

    @Test
    void aLongWritePauseAndAnUnansweredLateRequestAreAnomalies() {
        List<String> anomalies = new ArrayList<>();

        ChaosRun.quorumLoss(List.of(lossFrom10To35()), List.of(ackAt(1, 11 * S), ackAt(2, 34 * S)),
                List.of(sent(29 * S, Admin.Exchange.Outcome.TIMED_OUT), sent(31 * S, Admin.Exchange.Outcome.UNAVAILABLE)),
                new LinkedHashMap<>(), anomalies);

        assertThat(anomalies).hasSize(2);
        assertThat(anomalies.get(0)).startsWith("no write was acknowledged for 23.0 s during the ZooKeeper quorum loss #1");
        assertThat(anomalies.get(1)).startsWith("the admin API did not answer GET /api/v1/cluster, sent 19.0 s into the ZooKeeper quorum loss #1");
    }
}
