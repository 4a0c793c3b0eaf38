package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperIdentity;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.api.Credential;
import dev.sluice.api.TokenHash;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What {@code sluice server} tells an operator when it cannot start. */
class ServerStartTest {

    @TempDir
    Path dataDir;

    /** A ZooKeeper that is not there is one line with human durations and exit code 3, not a Java trace. */
    @Test
    void anUnreachableZooKeeperIsOneLineAndExitCodeThree() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));

        int exitCode = commandLine.execute("server", "--name", "lonely", "--data-dir", dataDir.toString(), "--zookeeper", "127.0.0.1:" + closedPort,
                "--zookeeper-wait", "1s", "--http-port", "0");

        assertThat(exitCode).isEqualTo(CliException.UNREACHABLE);
        assertThat(err.toString().strip())
                .doesNotContain("\n")
                .doesNotContain("Exception")
                .matches("cannot start node lonely: no ZooKeeper server at 127\\.0\\.0\\.1:" + closedPort
                        + " answered within 15 s; gave up after 1 attempt over 1[5-9] s\\. Is ZooKeeper running, and is --zookeeper right\\?");
    }

    /**
     * A node without the cluster's ZooKeeper secret, or with another one, is refused at start with one line that
     * says which setting to check and exit code 1; the secret is in no line.
     */
    @Test
    void aNodeWithoutTheClusterSecretOrWithAnotherIsRefusedInOneLine() throws Exception {
        String secret = "the-right-secret-0123456789";
        String wrong = "the-wrong-secret-9876543210";
        Path secretFile = Files.writeString(dataDir.resolve("secret"), secret + "\n");
        Path wrongFile = Files.writeString(dataDir.resolve("wrong"), wrong + "\n");
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(dataDir.resolve("zookeeper"), 0)) {
            ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/sluice", ZooKeeperMetadataStore.DEFAULT_SESSION_TIMEOUT,
                    ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT, ZooKeeperAccess.secured(ZooKeeperIdentity.fromSecretFile("sluice", secretFile))).close();

            StringWriter err = new StringWriter();
            CommandLine commandLine = SluiceCommand.newCommandLine();
            commandLine.setErr(new PrintWriter(err, true));
            int exitCode = commandLine.execute("server", "--name", "lonely", "--data-dir", dataDir.resolve("node").toString(), "--zookeeper",
                    zooKeeper.connectString(), "--http-port", "0");
            assertThat(exitCode).isEqualTo(CliException.FAILED);
            assertThat(err.toString().strip()).isEqualTo("cannot start node lonely: ZooKeeper refuses this process access to /sluice/sluice: the cluster's"
                    + " tree is secured: give this process the cluster's secret (--zookeeper-secret-file)");

            StringWriter wrongErr = new StringWriter();
            CommandLine withWrongSecret = SluiceCommand.newCommandLine();
            withWrongSecret.setErr(new PrintWriter(wrongErr, true));
            exitCode = withWrongSecret.execute("server", "--name", "lonely", "--data-dir", dataDir.resolve("node").toString(), "--zookeeper",
                    zooKeeper.connectString(), "--http-port", "0", "--zookeeper-secret-file", wrongFile.toString());
            assertThat(exitCode).isEqualTo(CliException.FAILED);
            assertThat(wrongErr.toString().strip()).isEqualTo("cannot start node lonely: ZooKeeper refuses this process access to /sluice/sluice: the"
                    + " cluster's tree grants another identity: is " + wrongFile + " the cluster's secret file, and is the cluster name right?")
                    .doesNotContain(wrong).doesNotContain(secret);
        }
    }

    @Test
    void everyMissingSettingIsNamedAtOnce() {
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));

        int exitCode = commandLine.execute("server");

        assertThat(exitCode).isEqualTo(CliException.USAGE);
        assertThat(err.toString()).contains("a node needs 3 more settings", "--name", "--data-dir", "--zookeeper HOST:PORT");
    }

    /** A credentials file with a bad line stops the start with the file and the line, before anything is reached. */
    @Test
    void aBrokenCredentialsFileStopsTheStartNamingTheLine() throws IOException {
        Path credentials = dataDir.resolve("credentials");
        Files.writeString(credentials, "# ops\nalice admin sha256:00:11\n");
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));

        int exitCode = commandLine.execute("server", "--name", "node-a", "--data-dir", dataDir.resolve("data").toString(), "--zookeeper", "127.0.0.1:1",
                "--http-port", "0", "--credentials-file", credentials.toString());

        assertThat(exitCode).isEqualTo(CliException.USAGE);
        assertThat(err.toString()).contains("the node does not start: " + credentials + " line 2 (alice): a token hash is sha256:")
                .contains("(--credentials-file)");
    }

    /** The controller's token must be one of the node's credentials, with operate: else every poll would fail later. */
    @Test
    void aNodeTokenThatIsNoCredentialWithOperateStopsTheStart() throws IOException {
        SecureRandom random = new SecureRandom();
        String reader = TokenHash.newToken(random);
        Path credentials = dataDir.resolve("credentials");
        Files.writeString(credentials, new Credential(CredentialName.of("grafana"),
                EnumSet.of(Scope.READ), TokenHash.of(reader, random)).line() + "\n");
        Path nodeToken = dataDir.resolve("node-token");
        Files.writeString(nodeToken, reader + "\n");
        String[] common = {"server", "--name", "node-a", "--data-dir", dataDir.resolve("data").toString(), "--zookeeper", "127.0.0.1:1", "--http-port", "0",
            "--credentials-file", credentials.toString()};

        CliRun missing = run(common);
        assertThat(missing.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(missing.err()).contains("a node with the admin role and --credentials-file needs --node-token-file");

        CliRun readOnly = run(Stream.concat(Arrays.stream(common), Stream.of("--node-token-file",
                nodeToken.toString())).toArray(String[]::new));
        assertThat(readOnly.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(readOnly.err()).contains("is credential grafana (read), which lacks the operate scope").doesNotContain(reader);
    }

    private static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return new CliRun(commandLine.execute(args), out.toString(), err.toString());
    }
}
