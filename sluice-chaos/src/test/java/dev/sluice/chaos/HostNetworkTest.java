package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosts: links that work, cuts that drop, heals that restore, and nothing left behind. Needs root, {@code ip} and {@code iptables}. */
class HostNetworkTest {

    @TempDir Path temp;
    private final PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @BeforeEach
    void needsHosts() {
        assumeTrue(HostNetwork.unsupported().isEmpty(), () -> "skipped: " + HostNetwork.unsupported().orElseThrow());
    }

    /**
     * Whether {@code from} gets an answer from {@code to}: a TCP connect to a closed port is refused at once when
     * the link works, and hangs until the timeout when packets are dropped.
     */
    private static boolean answers(HostNetwork network, HostNetwork.Host from, HostNetwork.Host to) {
        List<String> command = new java.util.ArrayList<>(network.inside(from));
        command.addAll(List.of("timeout", "2", "bash", "-c", "echo > /dev/tcp/" + to.address() + "/9"));
        Shell.Result result = Shell.run(command);
        return result.exitCode() != 124;
    }

    @Test
    void cutsDropPacketsBetweenTheNamedHostsOnlyAndHealRestoresThem() throws Exception {
        try (HostNetwork network = HostNetwork.create(List.of("a", "b", "c"), temp.resolve(ChaosCluster.DATA_DIRECTORY), log)) {
            HostNetwork.Host a = network.host("a");
            HostNetwork.Host b = network.host("b");
            HostNetwork.Host c = network.host("c");
            assertThat(answers(network, a, b)).isTrue();

            network.cut(a, List.of(b), HostNetwork.Direction.BOTH);

            assertThat(answers(network, a, b)).isFalse();
            assertThat(answers(network, b, a)).isFalse();
            assertThat(answers(network, a, c)).isTrue();
            assertThat(answers(network, b, c)).isTrue();

            network.heal(a);

            assertThat(answers(network, a, b)).isTrue();
            assertThat(answers(network, b, a)).isTrue();

            network.cut(a, List.of(b), HostNetwork.Direction.OUTGOING);
            String rules = Shell.require(List.of("ip", "netns", "exec", a.namespace(), "iptables", "-S").toArray(String[]::new));
            assertThat(rules).contains("-A OUTPUT -d " + b.address() + "/32 -j DROP").doesNotContain("-A INPUT");
        }
        assertThat(Shell.run("ip", "netns", "list").output()).doesNotContain(HostNetwork.PREFIX + "-");
    }

    @Test
    void theSweepRemovesWhatADeadRunLeftAndSparesALiveOne() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String deadId = "dead";
        Path deadData = Files.createDirectories(temp.resolve("dead").resolve(ChaosCluster.DATA_DIRECTORY));
        Files.createDirectories(HostNetwork.OWNERS);
        Properties owner = new Properties();
        owner.setProperty("pid", Long.toString(gone.pid()));
        owner.setProperty("data", deadData.toString());
        try (var out = Files.newOutputStream(HostNetwork.OWNERS.resolve(deadId))) {
            owner.store(out, "a run that died");
        }
        String leftover = HostNetwork.PREFIX + "-" + deadId + "-x";
        Shell.require("ip", "netns", "add", leftover);

        try (HostNetwork live = HostNetwork.create(List.of("a"), temp.resolve("live").resolve(ChaosCluster.DATA_DIRECTORY), log)) {
            assertThat(Shell.run("ip", "netns", "list").output()).doesNotContain(leftover).contains(live.host("a").namespace());
            assertThat(deadData).doesNotExist();
            assertThat(HostNetwork.OWNERS.resolve(deadId)).doesNotExist();

            assertThat(HostNetwork.sweep(log)).doesNotContain(live.runId());
            assertThat(Shell.run("ip", "netns", "list").output()).contains(live.host("a").namespace());
        }
    }
}
