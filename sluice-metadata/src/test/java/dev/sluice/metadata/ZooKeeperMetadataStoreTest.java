package dev.sluice.metadata;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suite against ZooKeeper: a three-server ensemble, healthy, then with a follower and
 * then with the leader killed half-way through every test (and restarted after it).
 */
class ZooKeeperMetadataStoreTest {

    private static ZooKeeperEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() throws Exception {
        ensemble = ZooKeeperEnsemble.start(3);
    }

    @AfterAll
    static void stopEnsemble() throws Exception {
        ensemble.close();
    }

    abstract static class AgainstEnsemble extends MetadataStoreConformance {
        private String root;

        @Override
        protected MetadataStore newStore() {
            root = "/conformance-" + UUID.randomUUID();
            return connect();
        }

        @Override
        protected MetadataStore secondSession() {
            return connect();
        }

        private MetadataStore connect() {
            return ZooKeeperMetadataStore.connect(ensemble.connectString(), root, Duration.ofSeconds(10), Duration.ofSeconds(20));
        }

        @AfterEach
        void restartKilledServers() throws Exception {
            ensemble.restartKilled();
        }
    }

    @Nested
    class Healthy extends AgainstEnsemble {}

    @Nested
    class FollowerKilledMidTest extends AgainstEnsemble {
        @Override
        protected void disrupt() {
            try {
                ensemble.killFollower();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Nested
    class LeaderKilledMidTest extends AgainstEnsemble {
        @Override
        protected void disrupt() {
            try {
                ensemble.killLeader();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
