package dev.sluice.metadata;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingZooKeeperServer;

/**
 * A real three-server ZooKeeper ensemble inside the test JVM, on loopback and free ports, with the means
 * to kill and restart its leader or a follower.
 */
public final class ZooKeeperEnsemble implements AutoCloseable {

    private final TestingCluster cluster;
    private final List<InstanceSpec> killed = new ArrayList<>();

    private ZooKeeperEnsemble(TestingCluster cluster) {
        this.cluster = cluster;
    }

    public static ZooKeeperEnsemble start(int servers) throws Exception {
        System.setProperty("zookeeper.admin.enableServer", "false");
        TestingCluster cluster = new TestingCluster(distinctPorts(servers));
        cluster.start();
        ZooKeeperEnsemble ensemble = new ZooKeeperEnsemble(cluster);
        ensemble.awaitLeader();
        return ensemble;
    }

    /**
     * Specifications of {@code servers} servers whose client, election and quorum ports all differ. Curator picks each
     * port by opening and closing a socket on port 0, so two picks can be the same port; its own {@code TestingCluster(int)}
     * then refused to start ("Multiple entries with same key": two servers given port 35033, in a full build on
     * 2026-11-30). Picks again until the ports differ.
     */
    private static List<InstanceSpec> distinctPorts(int servers) throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<InstanceSpec> specs = new ArrayList<>();
            Set<Integer> ports = new HashSet<>();
            for (int id = 1; id <= servers; id++) {
                InstanceSpec picked = InstanceSpec.newInstanceSpec();
                InstanceSpec spec = new InstanceSpec(picked.getDataDirectory(), picked.getPort(), picked.getElectionPort(), picked.getQuorumPort(),
                        true, id);
                specs.add(spec);
                ports.add(spec.getPort());
                ports.add(spec.getElectionPort());
                ports.add(spec.getQuorumPort());
            }
            if (ports.size() == servers * 3) {
                return specs;
            }
            for (InstanceSpec discarded : specs) {
                Files.deleteIfExists(discarded.getDataDirectory().toPath());
            }
            if (attempt == 20) {
                throw new IllegalStateException("no " + servers * 3 + " different free ports in 20 picks");
            }
        }
    }

    public String connectString() {
        return cluster.getConnectString();
    }

    /** The servers' specifications: client port, data directory, server id. */
    public List<InstanceSpec> instances() {
        return List.copyOf(cluster.getInstances());
    }

    /** Kills the current leader and returns which one it was. */
    public synchronized InstanceSpec killLeader() throws Exception {
        return kill(true);
    }

    /** Kills one follower. */
    public synchronized InstanceSpec killFollower() throws Exception {
        return kill(false);
    }

    /** Kills {@code spec}, leader or follower: a client that knows only this server loses its connection until it restarts. */
    public synchronized void kill(InstanceSpec spec) throws Exception {
        if (!cluster.killServer(spec)) {
            throw new IllegalStateException("could not kill " + spec);
        }
        killed.add(spec);
    }

    private InstanceSpec kill(boolean leader) throws Exception {
        TestingZooKeeperServer victim = awaitServer(leader);
        InstanceSpec spec = victim.getInstanceSpec();
        if (!cluster.killServer(spec)) {
            throw new IllegalStateException("could not kill " + spec);
        }
        killed.add(spec);
        return spec;
    }

    /** Restarts every server killed so far and waits until the ensemble has a leader again. */
    public synchronized void restartKilled() throws Exception {
        for (InstanceSpec spec : killed) {
            cluster.restartServer(spec);
        }
        killed.clear();
        awaitLeader();
    }

    private void awaitLeader() throws InterruptedException {
        awaitServer(true);
    }

    private TestingZooKeeperServer awaitServer(boolean leader) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (TestingZooKeeperServer server : cluster.getServers()) {
                if (killed.contains(server.getInstanceSpec())) {
                    continue;
                }
                String mode = mode(server.getInstanceSpec().getPort());
                if (leader ? "leader".equals(mode) : "follower".equals(mode)) {
                    return server;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no " + (leader ? "leader" : "follower") + " within 30 s");
    }

    /** The server's role as its {@code srvr} command reports it, or {@code null} if it does not answer. */
    private static String mode(int clientPort) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), clientPort)) {
            socket.setSoTimeout(2_000);
            socket.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            for (String line : reply.split("\n")) {
                if (line.startsWith("Mode: ")) {
                    return line.substring("Mode: ".length()).trim();
                }
            }
            return null;
        } catch (IOException notAnswering) {
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            cluster.close();
        } finally {
            deleteConfigurationFiles();
        }
    }

    /**
     * Curator's test servers write each server's configuration to a temporary file at every start and never
     * delete it: a few hundred per build were left in the temporary directory. Only this ensemble's files
     * (named by its client ports) are deleted, since another test JVM may be starting its own.
     */
    private void deleteConfigurationFiles() throws IOException {
        Set<String> ours = new HashSet<>();
        cluster.getInstances().forEach(spec -> ours.add("clientPort=" + spec.getPort()));
        Path temporary = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(temporary, "zookeeper.configuration*.properties")) {
            for (Path file : files) {
                try {
                    if (Files.readAllLines(file, StandardCharsets.ISO_8859_1).stream().anyMatch(ours::contains)) {
                        Files.deleteIfExists(file);
                    }
                } catch (IOException goneOrUnreadable) {
                    // Another JVM's file, or already deleted: not ours to worry about.
                }
            }
        }
    }
}
