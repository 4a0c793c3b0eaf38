package dev.sluice.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.ZooKeeperIdentity;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local cluster whose data directory holds a ZooKeeper tree an older Sluice left open: {@code sluice local}
 * makes a secret, starts its worker with it, and secures the tree once the worker runs, as an operator migrates a
 * cluster.
 */
class LocalClusterOpenTreeIT {

    @TempDir
    Path directory;

    @Test
    void aLocalClusterLeftOpenBySomeEarlierVersionIsSecuredAtItsNextStart() throws Exception {
        Path data = directory.resolve("cluster");
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(data.resolve("zookeeper"), 0);
             ZooKeeperMetadataStore open = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/" + LocalCluster.CLUSTER_NAME)) {
            open.put("made-before-secrets", "open".getBytes(UTF_8), Precondition.NONE);
        }
        int base = LocalCluster.freeBase(23080, 1);
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        try (LocalCluster cluster = LocalCluster.open(data, new LocalCluster.Layout(1, 2, 1, 1, base, base + 1000), true, LocalCluster.Lifetime.MINUTES)) {
            cluster.start(new PrintStream(progress, true, UTF_8));
            assertThat(progress.toString(UTF_8)).containsPattern("secured the cluster's ZooKeeper tree, which was open: [1-9][0-9]* of [1-9][0-9]* nodes now"
                    + " readable and writable only with " + java.util.regex.Pattern.quote(cluster.zooKeeperSecretFile().toString()));
            ZooKeeperIdentity identity = ZooKeeperIdentity.fromSecretFile(LocalCluster.CLUSTER_NAME, cluster.zooKeeperSecretFile());
            try (CuratorFramework anonymous = CuratorFrameworkFactory.newClient(cluster.zooKeeperConnectString(), new RetryOneTime(100))) {
                anonymous.start();
                assertThat(anonymous.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> anonymous.getData().forPath("/sluice/local/made-before-secrets"))
                        .isInstanceOf(org.apache.zookeeper.KeeperException.NoAuthException.class);
            }
            assertThat(dev.sluice.metadata.ZooKeeperTreeSecurer.secure(cluster.zooKeeperConnectString(), "/sluice/local", identity, ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT,
                    true)).isInstanceOfSatisfying(dev.sluice.metadata.ZooKeeperTreeSecurer.Outcome.Secured.class, done -> assertThat(done.changed()).isZero());
        }
    }
}
