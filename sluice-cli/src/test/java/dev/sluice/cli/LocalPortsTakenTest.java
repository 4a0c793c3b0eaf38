package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second {@code sluice local} on ports another cluster holds once said "a port from 8080 or 9080 up to the
 * worker count is in use", printed "stopping the local cluster…" and left a local.properties in the new
 * directory, which then tied that directory to the taken ports.
 */
@ExtendWith(TemporarySluiceHome.class)
class LocalPortsTakenTest {

    @TempDir
    Path temp;

    @Test
    void aLocalClusterOnATakenPortNamesThePortAndWritesNothing() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            Path dataDir = temp.resolve("second");

            CliEndToEndIT.Run run = CliEndToEndIT.sluice("local", "--http-port", Integer.toString(port), "--raft-port",
                    Integer.toString(LocalCluster.freeBase(20_000, 3)), "--workers", "3", "--data-dir", dataDir.toString());

            assertThat(run.exitCode()).as(run.err()).isEqualTo(CliException.FAILED);
            assertThat(run.err()).contains("port " + port + " (HTTP of worker-1) is in use on 127.0.0.1").contains("--http-port");
            assertThat(dataDir).as("nothing written for a cluster that did not start").doesNotExist();
        }
    }

    @Test
    void aResumedClusterIsCheckedOnThePortsItWasCreatedWith() throws Exception {
        Path dataDir = temp.resolve("first");
        int base = LocalCluster.freeBase(21_000, 3);
        LocalCluster.open(dataDir, new LocalCluster.Layout(3, 6, 3, 1, base, base + 1000), true, LocalCluster.Lifetime.MINUTES);
        assertThat(Files.exists(dataDir.resolve("local.properties"))).isTrue();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", base + 1000 + 1));
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("local", "--data-dir", dataDir.toString());
            assertThat(run.exitCode()).as(run.err()).isEqualTo(CliException.FAILED);
            assertThat(run.err()).contains("port " + (base + 1001) + " (Raft of worker-2) is in use");
        }
    }
}
