package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.Actor;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.Role;
import dev.sluice.model.StateChange;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.ClientImpactView;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ClientWindow.LatencyBucket;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClientImpactTest {

    private static final Instant NOW = Instant.parse("2026-11-28T10:00:15Z");
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);
    private static final NodeId N4 = NodeId.of(4);
    private static final List<NodeConfig> WORKERS = List.of(worker(3), worker(1), worker(2), worker(4));

    private static NodeConfig worker(int id) {
        return new NodeConfig("worker-" + id, new GenerationalNodeId(NodeId.of(id), 1),
                NodeAddresses.of("127.0.0.1:" + (9000 + id), "http://127.0.0.1:" + (8000 + id)), Set.of(Role.WORKER), Location.DEFAULT,
                WorkerState.ACTIVE, new StateChange(NOW.minusSeconds(3600), Actor.OPERATOR, "test", Version.MIN, ""), "inc-" + id, null);
    }

    /**
     * N1 answered 1,000 requests over 10 s, ten of them failed and slow; N2, started 5 s ago, ten requests, all very
     * slow. The cluster's p99 is the 1,000th of 1,010 answers: one of N1's slow ones (45.3 ms), not N2's p99 (861 ms),
     * which taking the worst worker's p99 would have shown.
     */
    @Test
    void ratesAddUpAndTheClusterP99ComesFromTheMergedHistograms() {
        ClientWindow n1 = new ClientWindow(NOW.minusSeconds(10), NOW, 1_000, 10, List.of(new LatencyBucket(1.0, 990), new LatencyBucket(45.3, 10)));
        ClientWindow n2 = new ClientWindow(NOW.minusSeconds(5), NOW.minusSeconds(1), 10, 0, List.of(new LatencyBucket(861.0, 10)));

        ClientImpactView impact = ClientImpact.of(WORKERS, Set.of(N1, N2, N3), Map.of(N1, n1, N2, n2), NOW);

        assertThat(impact.at()).isEqualTo(NOW);
        assertThat(impact.windowSeconds()).isEqualTo(10.0);
        assertThat(impact.nodes()).containsExactly(
                new ClientImpactView.NodeRates("N1", "worker-1", new ClientImpactView.Rates(100.0, 1.0, 1_000, 10, 0.01, 1.0)),
                new ClientImpactView.NodeRates("N2", "worker-2", new ClientImpactView.Rates(2.5, 0.0, 10, 0, 0.0, 861.0)));
        assertThat(impact.total()).isEqualTo(new ClientImpactView.Rates(102.5, 1.0, 1_010, 10, 10 / 1_010.0, 45.3));
        assertThat(impact.notReporting()).as("N3 is alive without a window; N4 is dead").containsExactly("N3");
    }

    /** Nothing known is not the same as nothing wrong: without a window there is no total, not a total of zeros. */
    @Test
    void withoutAnyWindowThereIsNoTotalAndEveryAliveWorkerIsNotReporting() {
        ClientImpactView impact = ClientImpact.of(WORKERS, Set.of(N1, N2, N4), Map.of(), NOW);

        assertThat(impact.total()).isNull();
        assertThat(impact.windowSeconds()).isNull();
        assertThat(impact.nodes()).isEmpty();
        assertThat(impact.notReporting()).containsExactly("N1", "N2", "N4");
    }

    /** A quiet cluster is known to be quiet: zero requests per second, and no percentile or failure ratio to speak of. */
    @Test
    void aWindowWithoutRequestsCountsZeroAndHasNoRatioOrPercentile() {
        ClientImpactView impact = ClientImpact.of(WORKERS, Set.of(N1), Map.of(N1, new ClientWindow(NOW.minusSeconds(10), NOW, 0, 0, List.of())), NOW);

        assertThat(impact.total()).isEqualTo(new ClientImpactView.Rates(0.0, 0.0, 0, 0, null, null));
    }
}
