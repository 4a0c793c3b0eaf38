package dev.sluice.metadata;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance suite against ZooKeeper: a three-server ensemble, healthy, then with a follower and
 * then with the leader killed half-way through every test (and restarted after it); and healthy with every node
 * secured for the cluster's identity.
 */
class ZooKeeperMetadataStoreTest {

    private static ZooKeeperEnsemble ensemble;
    private static ZooKeeperIdentity identity;

    @BeforeAll
    static void startEnsemble(@TempDir Path secrets) throws Exception {
        ensemble = ZooKeeperEnsemble.start(3);
        identity = ZooKeeperIdentity.fromSecretFile("conformance", ZooKeeperAccessControlTest.writeSecret(secrets.resolve("secret"), "conformance-secret-0123456789"));
    }

    @AfterAll
    static void stopEnsemble() throws Exception {
        ensemble.close();
    }

    abstract static class AgainstEnsemble extends MetadataStoreConformance {
        private String root;

        /** How the stores of a test reach ZooKeeper. */
        ZooKeeperAccess access() {
            return ZooKeeperAccess.OPEN;
        }

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
            return ZooKeeperMetadataStore.connect(ensemble.connectString(), root, Duration.ofSeconds(10), Duration.ofSeconds(20), access());
        }

        @AfterEach
        void restartKilledServers() throws Exception {
            ensemble.restartKilled();
        }
    }

    @Nested
    class Healthy extends AgainstEnsemble {}

    /** Every operation of the contract also works on a tree only the cluster's identity may use. */
    @Nested
    class HealthySecured extends AgainstEnsemble {
        @Override
        ZooKeeperAccess access() {
            return ZooKeeperAccess.secured(identity);
        }
    }

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
