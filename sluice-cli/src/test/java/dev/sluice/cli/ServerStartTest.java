package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
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

    @Test
    void everyMissingSettingIsNamedAtOnce() {
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));

        int exitCode = commandLine.execute("server");

        assertThat(exitCode).isEqualTo(CliException.USAGE);
        assertThat(err.toString()).contains("a node needs 3 more settings", "--name", "--data-dir", "--zookeeper HOST:PORT");
    }
}
