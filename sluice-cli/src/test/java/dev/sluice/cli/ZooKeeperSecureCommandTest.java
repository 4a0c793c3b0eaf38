package dev.sluice.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.EphemeralKey;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperIdentity;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice zookeeper secure}: what it tells an operator, its exit codes, and that a refusal changes nothing. */
class ZooKeeperSecureCommandTest {

    private static final String SECRET = "prod-secret-0123456789abcdef";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    private EmbeddedZooKeeper zooKeeper;
    private Path secretFile;

    @BeforeEach
    void start() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(directory.resolve("zookeeper"), 0);
        secretFile = Files.writeString(directory.resolve("zk-secret"), SECRET + "\n");
    }

    @AfterEach
    void stop() {
        zooKeeper.close();
    }

    private CliRun secure(String... more) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("zookeeper", "secure", "--zookeeper", zooKeeper.connectString()),
                java.util.Arrays.stream(more)).toArray(String[]::new);
        return new CliRun(commandLine.execute(args), out.toString(), err.toString());
    }

    private ZooKeeperMetadataStore store(ZooKeeperAccess access) {
        return ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/prod", TIMEOUT, TIMEOUT, access);
    }

    @Test
    void securesARunningOpenClusterOnceEveryProcessHasTheSecretAndARerunChangesNothing() throws Exception {
        try (ZooKeeperMetadataStore open = store(ZooKeeperAccess.OPEN)) {
            open.put("nodes", "{}".getBytes(UTF_8), Precondition.NONE);
            open.put("placements/P0", "{}".getBytes(UTF_8), Precondition.NONE);
            EphemeralKey liveness = open.putEphemeral("liveness/N1", "alive".getBytes(UTF_8));

            CliRun refused = secure("--cluster", "prod", "--secret-file", secretFile.toString());
            assertThat(refused.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(refused.out()).isEmpty();
            assertThat(refused.err()).startsWith("refused, nothing changed: 1 live node(s) under /sluice/prod belong to ZooKeeper sessions that do not use"
                    + " this secret file").contains("\n  /sluice/prod/liveness/N1");
            liveness.close();
        }
        ZooKeeperIdentity identity = ZooKeeperIdentity.fromSecretFile("prod", secretFile);
        try (ZooKeeperMetadataStore secured = store(ZooKeeperAccess.secured(identity))) {
            secured.putEphemeral("liveness/N1", "alive again".getBytes(UTF_8));

            CliRun dryRun = secure("--cluster", "prod", "--secret-file", secretFile.toString(), "--dry-run");
            assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
            assertThat(dryRun.out().strip()).isEqualTo("dry run: 5 of 6 nodes under /sluice/prod lack the cluster's ACL and would get it; nothing changed");

            CliRun done = secure("--cluster", "prod", "--secret-file", secretFile.toString());
            assertThat(done.exitCode()).as(done.err()).isZero();
            assertThat(done.out().strip()).isEqualTo("secured /sluice/prod: 5 of 6 nodes got the cluster's ACL; only holders of " + secretFile
                    + " may read or change them now");

            CliRun again = secure("--cluster", "prod", "--secret-file", secretFile.toString());
            assertThat(again.exitCode()).isZero();
            assertThat(again.out().strip()).isEqualTo("/sluice/prod was already secured: all 6 nodes carry the cluster's ACL; nothing changed");

            assertThat(secured.get("nodes")).isPresent();
            try (CuratorFramework stranger = CuratorFrameworkFactory.newClient(zooKeeper.connectString(), new RetryOneTime(100))) {
                stranger.start();
                assertThat(stranger.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> stranger.setData().forPath("/sluice/prod/nodes", "forged".getBytes(UTF_8)))
                        .isInstanceOf(KeeperException.NoAuthException.class);
            }
            assertThat(secured.get("nodes").orElseThrow().value()).isEqualTo("{}".getBytes(UTF_8));
        }
        assertThat(secure("--cluster", "prod", "--secret-file", secretFile.toString()).err()).isEmpty();
    }

    @Test
    void aWrongSecretAnUnknownClusterOrABadFileIsRefusedWithItsExitCode() throws Exception {
        store(ZooKeeperAccess.secured(ZooKeeperIdentity.fromSecretFile("prod", secretFile))).close();
        Path wrong = Files.writeString(directory.resolve("wrong"), "not-the-prod-secret-at-all\n");

        CliRun wrongSecret = secure("--cluster", "prod", "--secret-file", wrong.toString());
        assertThat(wrongSecret.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(wrongSecret.err()).startsWith("refused, nothing changed: ZooKeeper refuses digest user 'prod' (1 secret from " + wrong + ") access to"
                + " /sluice/prod: the tree is secured with another secret").doesNotContain("not-the-prod-secret");

        CliRun unknown = secure("--cluster", "staging", "--secret-file", secretFile.toString());
        assertThat(unknown.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(unknown.err()).startsWith("refused, nothing changed: there is no cluster at /sluice/staging: is the cluster name right?");

        Path missing = directory.resolve("missing");
        CliRun noFile = secure("--cluster", "prod", "--secret-file", missing.toString());
        assertThat(noFile.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(noFile.err().strip()).isEqualTo("the ZooKeeper secret file " + missing + " does not exist");

        CliRun badName = secure("--cluster", "Prod!", "--secret-file", secretFile.toString());
        assertThat(badName.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(badName.err().strip()).isEqualTo("invalid cluster name 'Prod!' (from --cluster): use lower-case letters, digits and dashes");
    }
}
