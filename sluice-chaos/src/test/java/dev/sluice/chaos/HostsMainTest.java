package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The command line of {@code sluice hosts}, and the move count of the drain-rejoin scenario: no hosts needed. */
class HostsMainTest {

    @Test
    void upIsTheDefaultActionWithTheDocumentedDefaults() {
        HostsMain.Options options = HostsMain.parse(new String[0]).orElseThrow();

        assertThat(options).isEqualTo(new HostsMain.Options(false, 4, 24, 3, Optional.empty(), Path.of("target", "hosts")));
    }

    @Test
    void drainRejoinTakesEveryOption() {
        HostsMain.Options options = HostsMain.parse(new String[] {"drain-rejoin", "--workers", "6", "--partitions", "48", "--replication", "2",
                "--seed", "-3837090999662335751", "--output", "/tmp/x"}).orElseThrow();

        assertThat(options).isEqualTo(new HostsMain.Options(true, 6, 48, 2, Optional.of(-3837090999662335751L), Path.of("/tmp/x")));
    }

    @Test
    void helpAsksForTheUsage() {
        assertThat(HostsMain.parse(new String[] {"up", "--help"})).isEmpty();
    }

    @Test
    void refusesWhatCannotRun() {
        assertThatThrownBy(() -> HostsMain.parse(new String[] {"down"})).hasMessage("unknown action 'down' (up or drain-rejoin)");
        assertThatThrownBy(() -> HostsMain.parse(new String[] {"--workers"})).hasMessage("missing value after --workers");
        assertThatThrownBy(() -> HostsMain.parse(new String[] {"--workers", "many"})).hasMessage("--workers takes a number, got 'many'");
        assertThatThrownBy(() -> HostsMain.parse(new String[] {"--zones", "3"})).hasMessage("unknown option --zones");
        assertThatThrownBy(() -> HostsMain.parse(new String[] {"drain-rejoin", "--workers", "3"}))
                .hasMessage("drain-rejoin needs more workers than replicas, so the drained worker's replicas have somewhere to go: 3 workers, replication 3");
        assertThatThrownBy(() -> HostsMain.parse(new String[] {"--workers", "2"})).hasMessage("replication must be from 1 to the node count 2, got 3");
        assertThatThrownBy(() -> HostsMain.parse(new String[] {"--workers", "251", "--replication", "1"})).hasMessage("nodes must be from 1 to 250, got 251");
    }

    @Test
    void aMultiHostClusterRunsAsAcrossMachinesOnItsOwnSubnets() {
        ChaosCluster.Layout layout = HostsMain.layout(5, 24, 3);

        assertThat(layout.access()).isEqualTo(ChaosCluster.Access.SCOPED_CREDENTIALS);
        assertThat(layout.tmpfsDisks()).isFalse();
        assertThat(layout.subnets()).isEqualTo(HostNetwork.Subnets.HOSTS);
        assertThat(layout.startTimeout()).isEqualTo(ChaosCluster.START_TIMEOUT.plus(HostsMain.START_TIMEOUT_PER_NODE.multipliedBy(5)));
        // The chaos runs draw from 10.100-199, the multi-host clusters from 10.200-249: never the same /24.
        HostNetwork.Subnets chaos = HostNetwork.Subnets.CHAOS;
        HostNetwork.Subnets hosts = HostNetwork.Subnets.HOSTS;
        assertThat(chaos.secondOctetMin() + chaos.secondOctetCount()).isLessThanOrEqualTo(hosts.secondOctetMin());
    }

    @Test
    void movesCountTheReplicasThatJoinedAWorker() {
        Map<String, Set<String>> before = Map.of("P0", Set.of("N1", "N2", "N3"), "P1", Set.of("N1", "N2", "N4"));
        Map<String, Set<String>> after = Map.of("P0", Set.of("N4", "N2", "N3"), "P1", Set.of("N3", "N2", "N4"));

        assertThat(DrainRejoin.joined(before, after)).isEqualTo(2);
        assertThat(DrainRejoin.joined(after, after)).isZero();
    }
}
