package dev.sluice.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.metadata.ZooKeeperTrees;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.PlacementLayout;
import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperIdentity;
import dev.sluice.metadata.ZooKeeperTreeSecurer;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper access control on a whole running cluster (embedded ZooKeeper, nodes with the controller, Raft, a
 * drain): every node the cluster creates — registrations, liveness, the controller's election and fencing keys,
 * placements, events, the audit log — carries only the cluster's ACL; strangers change nothing; and an open
 * cluster is secured while it runs, by the documented steps.
 */
class ZooKeeperAccessClusterTest {

    private static final String CLUSTER = "test";
    private static final String SECRET = "a-cluster-secret-for-this-test-31337";
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path directory;

    private ZooKeeperIdentity identity() throws Exception {
        Path file = directory.resolve("zookeeper-secret");
        Files.writeString(file, SECRET + "\n", UTF_8);
        return ZooKeeperIdentity.fromSecretFile(CLUSTER, file);
    }

    private static LocalTestCluster.Builder cluster() {
        return LocalTestCluster.builder().clusterName(CLUSTER).workers(4).partitions(8).replication(3).sessionTimeout(Duration.ofSeconds(6))
                .controlPlane(ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 16, Duration.ofSeconds(10), 16)), Optional.empty());
    }

    private static void awaitPlaced(LocalTestCluster cluster) {
        cluster.awaitLeaders(Duration.ofMinutes(1));
        await("the controller placed every partition").atMost(Duration.ofMinutes(1)).until(() -> cluster.metadata().placements().readAll().size() == 8
                && cluster.metadata().placements().readAll().values().stream().noneMatch(v -> v.placement().hasNext()));
    }

    private static void drain(LocalTestCluster cluster, TestNode node) {
        Lifecycle lifecycle = new Lifecycle(cluster.metadata(), SchedulerLimits.DEFAULTS, InstantSource.system());
        assertThat(lifecycle.request(node.name(), WorkerState.DRAINING, "zookeeper acl test", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
        NodeId id = node.nodeId();
        await("drained and disabled").atMost(DRAIN_TIMEOUT)
                .until(() -> cluster.metadata().nodes().current().find(id).orElseThrow().workerState() == WorkerState.DISABLED);
    }

    private static CuratorFramework client(LocalTestCluster cluster, String digest) throws InterruptedException {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder().connectString(cluster.zooKeeperConnectString()).retryPolicy(new RetryOneTime(100));
        if (digest != null) {
            builder.authorization("digest", digest.getBytes(UTF_8));
        }
        CuratorFramework client = builder.build();
        client.start();
        assertThat(client.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
        return client;
    }

    private record Snapshot(byte[] data, int version, int childrenVersion) {
        boolean same(Snapshot other) {
            return java.util.Arrays.equals(data, other.data) && version == other.version && childrenVersion == other.childrenVersion;
        }
    }

    private static Snapshot snapshot(CuratorFramework client, String path) throws Exception {
        Stat stat = new Stat();
        byte[] data = client.getData().storingStatIn(stat).forPath(path);
        return new Snapshot(data, stat.getVersion(), stat.getCversion());
    }

    /** Every write and read a stranger might try on the documents that decide who holds what; each must be refused. */
    private static void assertStrangerRefused(CuratorFramework stranger, String root) {
        String nodes = root + "/" + MetadataKeys.NODES;
        String placement = root + "/" + PlacementLayout.BUCKETED.key(PartitionId.of(0));
        List<ThrowingCall> attempts = List.of(
                () -> stranger.create().forPath(root + "/intruder", "x".getBytes(UTF_8)),
                () -> stranger.create().forPath(root + "/" + MetadataKeys.PLACEMENTS + "/P100", "x".getBytes(UTF_8)),
                () -> stranger.setData().forPath(nodes, "{}".getBytes(UTF_8)),
                () -> stranger.setData().forPath(placement, "{}".getBytes(UTF_8)),
                () -> stranger.delete().forPath(placement),
                () -> stranger.getData().forPath(nodes),
                () -> stranger.getData().forPath(placement),
                () -> stranger.getChildren().forPath(root));
        for (ThrowingCall attempt : attempts) {
            assertThatThrownBy(attempt::run).isInstanceOf(KeeperException.NoAuthException.class);
        }
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void everyNodeASecuredClusterCreatesCarriesOnlyItsAclAndStrangersChangeNothing() throws Exception {
        ZooKeeperIdentity identity = identity();
        try (LocalTestCluster cluster = cluster().zooKeeperAccess(ZooKeeperAccess.secured(identity)).start()) {
            awaitPlaced(cluster);
            drain(cluster, cluster.node(3));
            String root = cluster.zooKeeperRoot();
            try (CuratorFramework owner = client(cluster, CLUSTER + ":" + SECRET);
                 CuratorFramework anonymous = client(cluster, null);
                 CuratorFramework wrongSecret = client(cluster, CLUSTER + ":" + SECRET.replace('a', 'b'))) {
                Map<String, List<ACL>> acls = ZooKeeperTrees.aclsUnder(owner, root);
                assertThat(acls.keySet()).contains(root + "/nodes", root + "/partition-table", root + "/" + PlacementLayout.BUCKETED.key(PartitionId.of(0)), root + "/liveness",
                        root + "/controller");
                assertThat(acls.keySet()).anyMatch(path -> path.startsWith(root + "/events/")).anyMatch(path -> path.startsWith(root + "/audit/"))
                        .anyMatch(path -> path.startsWith(root + "/liveness/"));
                assertThat(acls).allSatisfy((path, acl) -> assertThat(acl).as(path).isEqualTo(identity.acl()));

                String nodes = root + "/" + MetadataKeys.NODES;
                String placement = root + "/" + PlacementLayout.BUCKETED.key(PartitionId.of(0));
                Snapshot nodesBefore = snapshot(owner, nodes);
                Snapshot placementBefore = snapshot(owner, placement);
                assertStrangerRefused(anonymous, root);
                assertStrangerRefused(wrongSecret, root);
                assertThat(snapshot(owner, nodes).same(nodesBefore)).as("nodes configuration unchanged").isTrue();
                assertThat(snapshot(owner, placement).data()).isEqualTo(placementBefore.data());
                assertThat(owner.checkExists().forPath(root + "/intruder")).isNull();
                assertThat(owner.checkExists().forPath(root + "/placements/P100")).isNull();
            }
            // The cluster keeps working with its identity: data is served and a recommission is written.
            cluster.client().put("after-strangers", "still-serving");
            assertThat(cluster.client().getString("after-strangers")).contains("still-serving");
            Lifecycle lifecycle = new Lifecycle(cluster.metadata(), SchedulerLimits.DEFAULTS, InstantSource.system());
            assertThat(lifecycle.request(cluster.node(3).name(), WorkerState.ACTIVE, "back", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
        }
    }

    /**
     * The documented migration on a running cluster: restart each node with the secret, then secure the tree. The
     * securer refuses while any node still runs without the secret; afterwards strangers are refused and the
     * cluster drains a worker as before.
     */
    @Test
    void aRunningOpenClusterIsSecuredByRestartingItsNodesWithTheSecretThenSecuringTheTree() throws Exception {
        ZooKeeperIdentity identity = identity();
        try (LocalTestCluster cluster = cluster().start()) {
            awaitPlaced(cluster);
            String root = cluster.zooKeeperRoot();
            cluster.client().put("before-migration", "written-open");

            cluster.useZooKeeperAccess(ZooKeeperAccess.secured(identity));
            for (int index = 0; index < 4; index++) {
                cluster.stop(index);
                cluster.restart(index);
                cluster.awaitAllActive(Duration.ofMinutes(1));
                if (index == 0) {
                    // Three nodes still run without the secret: securing now would lock them out.
                    assertThat(ZooKeeperTreeSecurer.secure(cluster.zooKeeperConnectString(), root, identity, Duration.ofSeconds(10), false))
                            .isInstanceOfSatisfying(ZooKeeperTreeSecurer.Outcome.Refused.class, refused -> assertThat(refused.paths()).isNotEmpty());
                }
            }
            awaitPlaced(cluster);
            // The old sessions' liveness and election nodes go when the stopped processes close them.
            ZooKeeperTreeSecurer.Outcome secured = await("every node runs with the secret").atMost(Duration.ofSeconds(30))
                    .until(() -> ZooKeeperTreeSecurer.secure(cluster.zooKeeperConnectString(), root, identity, Duration.ofSeconds(10), false),
                            ZooKeeperTreeSecurer.Outcome.Secured.class::isInstance);
            assertThat(((ZooKeeperTreeSecurer.Outcome.Secured) secured).changed()).isPositive();
            assertThat(ZooKeeperTreeSecurer.secure(cluster.zooKeeperConnectString(), root, identity, Duration.ofSeconds(10), false))
                    .isInstanceOfSatisfying(ZooKeeperTreeSecurer.Outcome.Secured.class, rerun -> assertThat(rerun.changed()).isZero());

            try (CuratorFramework owner = client(cluster, CLUSTER + ":" + SECRET); CuratorFramework anonymous = client(cluster, null)) {
                assertThat(ZooKeeperTrees.aclsUnder(owner, root)).allSatisfy((path, acl) -> assertThat(acl).as(path).isEqualTo(identity.acl()));
                Snapshot nodesBefore = snapshot(owner, root + "/" + MetadataKeys.NODES);
                assertStrangerRefused(anonymous, root);
                assertThat(snapshot(owner, root + "/" + MetadataKeys.NODES).same(nodesBefore)).isTrue();
                assertThat(anonymous.getACL().forPath("/")).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
            }
            // Still a working cluster: old data is served, and a drain runs to its end.
            assertThat(cluster.client().getString("before-migration")).contains("written-open");
            drain(cluster, cluster.node(2));
        }
    }
}
