package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;

/**
 * An ephemeral key outlives a loss of the ensemble's quorum that is longer than the session timeout.
 * The client gives up on its session after the timeout and opens a new one, but the ensemble, once it has
 * a quorum again, restarts every session's clock: the old session's node is still there when the new
 * session connects, and goes a session timeout later. The key must then be re-created by the new session.
 * Found by the chaos run's {@code kill-zookeeper-majority} (docs/reliability.md, finding 2): every node's
 * liveness entry vanished for good, and the admin API reported no node alive.
 */
class EphemeralAfterQuorumLossTest {

    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(3);

    @Test
    void anEphemeralKeyHeldByTheExpiredSessionIsReCreatedWhenZooKeeperRemovesIt() throws Exception {
        try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start(3);
             ZooKeeperMetadataStore store = ZooKeeperMetadataStore.connect(ensemble.connectString(), "/quorum", SESSION_TIMEOUT, SESSION_TIMEOUT);
             CuratorFramework observer = CuratorFrameworkFactory.newClient(ensemble.connectString(), 30_000, 10_000, new RetryOneTime(200))) {
            observer.start();
            store.putEphemeral("liveness/N1", "N1:1".getBytes(StandardCharsets.UTF_8));
            // Another session may be connected to a follower that has not applied the create yet: ZooKeeper orders each
            // client's own view only (a bare read here failed a build with a missing node).
            long createdBy = await("the key visible to another session").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> observer.checkExists().forPath("/quorum/liveness/N1"), java.util.Objects::nonNull).getCzxid();

            ensemble.killFollower();
            ensemble.killLeader();
            // The fault itself: no quorum for longer than the session timeout, so the store's client gives its session up.
            Thread.sleep(SESSION_TIMEOUT.multipliedBy(2).toMillis());
            ensemble.restartKilled();

            await("the key re-created by the store's new session").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        Stat stat = observer.checkExists().forPath("/quorum/liveness/N1");
                        return stat != null && stat.getCzxid() != createdBy;
                    });
            // Re-created by the live session, it stays: the old session's expiry cannot take it away again.
            await().during(SESSION_TIMEOUT.multipliedBy(2)).atMost(SESSION_TIMEOUT.multipliedBy(3))
                    .until(() -> observer.checkExists().forPath("/quorum/liveness/N1") != null);
            assertThat(store.get("liveness/N1")).map(v -> new String(v.value(), StandardCharsets.UTF_8)).contains("N1:1");
        }
    }
}
