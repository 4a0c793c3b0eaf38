package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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

    /** Starts {@link NamespaceEcho} inside {@code host}; its output lines collect in {@code lines}. */
    private static Process echo(HostNetwork network, HostNetwork.Host host, List<String> lines, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(network.inside(host));
        command.addAll(List.of(dev.sluice.cli.ServerLaunch.javaExecutable(), "-cp", System.getProperty("java.class.path"), NamespaceEcho.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread.ofVirtual().start(() -> {
            try (var reader = process.inputReader(StandardCharsets.UTF_8)) {
                reader.lines().forEach(lines::add);
            } catch (java.io.IOException ended) {
                // The process is gone.
            }
        });
        return process;
    }

    /** One short probe from {@code from} to the echo server on {@code to}: its lines once it has ended. */
    private static List<String> probe(HostNetwork network, HostNetwork.Host from, HostNetwork.Host to, int count) throws Exception {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        Process probe = echo(network, from, lines, "probe", to.address(), "7000", Integer.toString(count), "10");
        assertThat(probe.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> lines.size() >= count || lines.stream().anyMatch(l -> l.startsWith("error")));
        return List.copyOf(lines);
    }

    @Test
    void aRedirectSendsNewConnectionsThroughTheProxyResetsTheDirectOnesAndHealingRestoresThem() throws Exception {
        try (HostNetwork network = HostNetwork.create(List.of("a", "b"), temp.resolve(ChaosCluster.DATA_DIRECTORY), log)) {
            HostNetwork.Host a = network.host("a");
            HostNetwork.Host b = network.host("b");
            List<String> served = new java.util.concurrent.CopyOnWriteArrayList<>();
            Process server = echo(network, b, served, "serve", b.address(), "7000");
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> served.contains("serving /" + b.address() + ":7000"));
                List<String> longLived = new java.util.concurrent.CopyOnWriteArrayList<>();
                Process direct = echo(network, a, longLived, "probe", b.address(), "7000", "600", "100");
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> !longLived.isEmpty());
                assertThat(longLived.getFirst()).startsWith("ok ").endsWith(" from " + a.address());

                LinkProxy proxy = network.openProxy(LinkImpairment.slow(), 7);
                network.redirect(a, b, 7000, proxy.route(new java.net.InetSocketAddress(b.address(), 7000)));

                // The connection made before the redirect would bypass the proxy: it is reset instead.
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> longLived.getLast().startsWith("error"));
                assertThat(direct.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                List<String> slowed = probe(network, a, b, 3);
                assertThat(slowed).hasSize(3).allSatisfy(line -> {
                    assertThat(line).endsWith(" from " + network.bridgeAddress());
                    // Both directions through the proxy, each held at least 50 ms.
                    assertThat(Long.parseLong(line.split(" ")[1])).isGreaterThanOrEqualTo(100);
                });
                assertThat(proxy.counts().connections()).isEqualTo(1);
                assertThatThrownBy(() -> network.redirect(a, b, 7000, new java.net.InetSocketAddress("127.0.0.1", 9)))
                        .isInstanceOf(IllegalArgumentException.class);

                network.heal(a);
                proxy.close();

                assertThat(probe(network, a, b, 1)).singleElement().asString().endsWith(" from " + a.address());
                String natRules = Shell.require(List.of("ip", "netns", "exec", a.namespace(), "iptables", "-t", "nat", "-S").toArray(String[]::new));
                assertThat(natRules).doesNotContain("DNAT");
            } finally {
                server.destroyForcibly();
            }
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
