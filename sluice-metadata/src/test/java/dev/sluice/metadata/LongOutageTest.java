package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An operation waits up to the connection timeout for ZooKeeper to come back, which rides out a leader
 * election; once the store has been cut off for longer than that, operations fail at once instead of each
 * waiting the whole timeout again. Found by the chaos run's {@code kill-zookeeper-majority}
 * (docs/reliability.md, finding 3): through a 20-s quorum loss every admin request took 15-17.5 s to
 * answer its 503, so the dashboard (4-s timeout) showed the cluster as unreachable.
 */
class LongOutageTest {

    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(3);

    private static Duration timed(Runnable operation) {
        long start = System.nanoTime();
        operation.run();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    void afterTheConnectionTimeoutHasPassedInAnOutageOperationsFailAtOnce() throws Exception {
        try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start(3);
             ZooKeeperMetadataStore store = ZooKeeperMetadataStore.connect(ensemble.connectString(), "/outage", Duration.ofSeconds(30), CONNECTION_TIMEOUT)) {
            store.put("k", new byte[] {1}, Precondition.NONE);
            ensemble.killFollower();
            ensemble.killLeader();

            long failedAfter = System.nanoTime();
            assertThatThrownBy(() -> store.get("k")).isInstanceOf(MetadataUnavailableException.class);
            // The first operation of the outage waits for the connection as before: an election is over by then.
            assertThat(Duration.ofNanos(System.nanoTime() - failedAfter)).isGreaterThanOrEqualTo(CONNECTION_TIMEOUT.minusMillis(500));

            Duration second = timed(() -> assertThatThrownBy(() -> store.get("k")).isInstanceOf(MetadataUnavailableException.class)
                    .hasMessageContaining("has been unreachable for"));
            assertThat(second).isLessThan(CONNECTION_TIMEOUT.dividedBy(3));

            ensemble.restartKilled();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreException(MetadataUnavailableException.class)
                    .until(() -> store.get("k").isPresent());
        }
    }
}
