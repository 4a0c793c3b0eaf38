package dev.sluice.chaos;

import dev.sluice.cli.ServerLaunch;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.security.CertificateAuthority;
import dev.sluice.security.ClusterTrust;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * A Sluice cluster on network-namespace hosts: a three-server ZooKeeper ensemble ({@code QuorumPeerMain}
 * processes) and {@link #NODES} {@code sluice server} processes, each on its own host, started through
 * {@link ServerLaunch} exactly as {@code sluice local} starts its workers. Owns the hosts, the processes
 * and the data directory; {@link #close()} removes all of them, and a shutdown hook does the same if the
 * JVM is stopped first (Ctrl-C).
 */
final class ChaosCluster implements AutoCloseable {

    static final int ZOOKEEPERS = 3;
    static final int NODES = 4;
    static final int REPLICATION = 3;
    static final String CLUSTER_NAME = "chaos";
    /** The data directory's name, which the sweep checks before deleting a dead run's directory. */
    static final String DATA_DIRECTORY = "chaos-data";
    static final int ZOOKEEPER_CLIENT_PORT = 2181;
    static final int RAFT_PORT = 7000;
    static final int HTTP_PORT = 8080;
    /** Several JVMs start at once on a small machine; the local cluster allows the same. */
    static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    /** The run's certificates outlive any run by far; each run makes its own CA. */
    static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(7);
    /** A loaded two-core machine answered {@code srvr} in over a second during the first runs. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private final Path runDirectory;
    private final Path data;
    private final HostNetwork network;
    private final List<HostProcess> zooKeepers = new ArrayList<>();
    private final List<HostProcess> nodes = new ArrayList<>();
    private final NodeDisks disks;
    private final PrintStream log;
    private final Thread shutdownHook;
    private String token;
    private ClusterTrust trust;
    private boolean closed;

    private ChaosCluster(Path runDirectory, HostNetwork network, PrintStream log) {
        this.runDirectory = runDirectory.toAbsolutePath();
        this.data = this.runDirectory.resolve(DATA_DIRECTORY);
        this.network = network;
        this.log = log;
        this.disks = new NodeDisks(log);
        this.shutdownHook = new Thread(this::close, "sluice-chaos-cleanup");
    }

    /** Makes the hosts and starts the ensemble and the nodes; returns once every node is active and every partition placed. */
    static ChaosCluster start(Path directory, int partitions, PrintStream log) throws IOException {
        Path runDirectory = directory.toAbsolutePath();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= ZOOKEEPERS; i++) {
            names.add("zk" + i);
        }
        for (int i = 1; i <= NODES; i++) {
            names.add("node-" + i);
        }
        Files.createDirectories(runDirectory.resolve("logs"));
        HostNetwork network = HostNetwork.create(names, runDirectory.resolve(DATA_DIRECTORY), log);
        ChaosCluster cluster = new ChaosCluster(runDirectory, network, log);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.startZooKeepers();
            cluster.startNodes(partitions);
            return cluster;
        } catch (IOException | RuntimeException failed) {
            cluster.close();
            throw failed;
        }
    }

    /** Where the children's classes come from: the shaded {@code sluice} jar when built, else this JVM's class path. */
    static String childClassPath(PrintStream log) {
        String configured = System.getProperty("sluice.chaos.jar");
        List<Path> candidates = new ArrayList<>();
        if (configured != null) {
            candidates.add(Path.of(configured));
        }
        Path here = Path.of("").toAbsolutePath();
        candidates.add(here.resolve("sluice-cli/target/sluice.jar"));
        if (here.getParent() != null) {
            candidates.add(here.getParent().resolve("sluice-cli/target/sluice.jar"));
        }
        for (Path jar : candidates) {
            if (Files.isRegularFile(jar)) {
                log.println("node and ZooKeeper processes run " + jar);
                return jar.toString();
            }
        }
        log.println("no shaded sluice jar found (looked at " + candidates + "); node processes run this JVM's class path");
        return System.getProperty("java.class.path");
    }

    private void startZooKeepers() throws IOException {
        String classPath = childClassPath(log);
        StringBuilder servers = new StringBuilder();
        for (int i = 1; i <= ZOOKEEPERS; i++) {
            servers.append("server.").append(i).append('=').append(network.host("zk" + i).address()).append(":2888:3888\n");
        }
        for (int i = 1; i <= ZOOKEEPERS; i++) {
            HostNetwork.Host host = network.host("zk" + i);
            Path directory = data.resolve("zk" + i);
            Files.createDirectories(directory);
            Files.writeString(directory.resolve("myid"), i + "\n", StandardCharsets.UTF_8);
            Path config = directory.resolve("zoo.cfg");
            // ZooKeeper's defaults (tick 2 s) so session and sync timeouts are those of a real deployment.
            Files.writeString(config, String.join("\n",
                    "tickTime=2000",
                    "initLimit=10",
                    "syncLimit=5",
                    "dataDir=" + directory,
                    "clientPortAddress=" + host.address(),
                    "clientPort=" + ZOOKEEPER_CLIENT_PORT,
                    "4lw.commands.whitelist=srvr,ruok",
                    "admin.enableServer=false",
                    servers.toString()), StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of(ServerLaunch.javaExecutable(), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Djava.net.preferIPv4Stack=true", "-Dzookeeper.admin.enableServer=false",
                    "-cp", classPath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", config.toString()));
            HostProcess zooKeeper = new HostProcess("zk" + i, host, network.inside(host), command, runDirectory.resolve("logs/zk" + i + ".log"));
            zooKeeper.start();
            zooKeepers.add(zooKeeper);
        }
        log.println("ZooKeeper ensemble starting on " + connectString());
        awaitUntil("the ZooKeeper ensemble serves (one leader, two followers)", START_TIMEOUT, () -> {
            requireRunning(zooKeepers);
            List<String> modes = zooKeepers.stream().map(z -> zooKeeperMode(z).orElse("down")).toList();
            return modes.stream().filter("leader"::equals).count() == 1 && modes.stream().filter("follower"::equals).count() == ZOOKEEPERS - 1;
        });
    }

    private void startNodes(int partitions) throws IOException {
        String classPath = childClassPath(log);
        Path tokenFile = data.resolve("token");
        Files.createDirectories(data);
        token = ServerLaunch.createOrReadToken(tokenFile);
        // The nodes talk across hosts, as in production, so they run with TLS as production must: a CA for this run, and
        // a certificate per node naming its host's address.
        Path certificates = data.resolve("certs");
        CertificateAuthority authority = CertificateAuthority.create(CLUSTER_NAME, CERTIFICATE_VALIDITY.multipliedBy(2), InstantSource.system());
        authority.write(certificates, true);
        trust = ClusterTrust.of(authority);
        for (int i = 1; i <= NODES; i++) {
            HostNetwork.Host host = network.host("node-" + i);
            authority.issue("node-" + i, List.of(host.address()), CERTIFICATE_VALIDITY, InstantSource.system()).write(certificates, true);
            Path directory = data.resolve("node-" + i);
            Files.createDirectories(directory);
            disks.mount(directory);
            List<String> command = new ArrayList<>();
            command.add(ServerLaunch.javaExecutable());
            command.addAll(ServerLaunch.javaOptions(true));
            command.addAll(List.of("-cp", classPath, ServerLaunch.MAIN_CLASS));
            command.addAll(new ServerLaunch.Node("node-" + i, CLUSTER_NAME, directory, "chaos.zone-1", host.address(), RAFT_PORT, host.address(), HTTP_PORT,
                    connectString(), tokenFile, partitions, REPLICATION, 1, ProcessHandle.current().pid())
                    .withTls(ServerLaunch.NodeTlsFiles.in(certificates, "node-" + i)).arguments());
            command.addAll(NodeDisks.nodeArguments());
            HostProcess node = new HostProcess("node-" + i, host, network.inside(host), command, runDirectory.resolve("logs/node-" + i + ".log"));
            node.start();
            nodes.add(node);
        }
        log.println("started " + NODES + " node processes; waiting until they are active and every partition is placed");
        try (ZooKeeperMetadataStore store = ZooKeeperMetadataStore.connect(connectString(), "/sluice/" + CLUSTER_NAME)) {
            ClusterMetadata metadata = new ClusterMetadata(store, InstantSource.system());
            awaitUntil("every node is active and every partition placed", START_TIMEOUT, () -> {
                requireRunning(nodes);
                return ServerLaunch.ready(metadata, NODES, partitions);
            });
        }
        log.println("cluster ready: " + nodes.stream().map(n -> url(n).toString()).collect(Collectors.joining(" ")));
    }

    private static void requireRunning(List<HostProcess> processes) {
        for (HostProcess process : processes) {
            List<String> exits = process.checkUnexpectedExit();
            if (!exits.isEmpty()) {
                throw new IllegalStateException(process.name() + " exited while starting: " + exits);
            }
        }
    }

    static final Duration POLL_INTERVAL = Duration.ofMillis(500);

    /**
     * Polls {@code condition} until it holds; fails with {@code what} at the deadline. Exceptions from the
     * condition count as "not yet", except {@link IllegalStateException}, which ends the wait at once (a
     * process died). Written out rather than taken from Awaitility so the long form runs from the shaded jar.
     */
    static void awaitUntil(String what, Duration timeout, java.util.concurrent.Callable<Boolean> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (IllegalStateException fatal) {
                throw fatal;
            } catch (Exception notYet) {
                last = notYet;
            }
            if (System.nanoTime() >= deadline) {
                throw new IllegalStateException(what + ": not within " + timeout + (last == null ? "" : " (last error: " + last + ")"));
            }
            try {
                Thread.sleep(POLL_INTERVAL);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(what + ": interrupted");
            }
        }
    }

    /** A ZooKeeper server's mode ({@code leader}, {@code follower}) from its {@code srvr} answer, or empty if it does not serve. */
    static Optional<String> zooKeeperMode(HostProcess zooKeeper) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(zooKeeper.host().address(), ZOOKEEPER_CLIENT_PORT), (int) PROBE_TIMEOUT.toMillis());
            socket.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readNBytes(4096), StandardCharsets.US_ASCII);
            for (String line : answer.split("\n")) {
                if (line.startsWith("Mode: ")) {
                    return Optional.of(line.substring("Mode: ".length()).trim());
                }
            }
            return Optional.empty();
        } catch (IOException notServing) {
            return Optional.empty();
        }
    }

    String connectString() {
        return zooKeepers.isEmpty() && network == null ? "" : java.util.stream.IntStream.rangeClosed(1, ZOOKEEPERS)
                .mapToObj(i -> network.host("zk" + i).address() + ":" + ZOOKEEPER_CLIENT_PORT).collect(Collectors.joining(","));
    }

    List<HostProcess> zooKeepers() {
        return List.copyOf(zooKeepers);
    }

    List<HostProcess> nodes() {
        return List.copyOf(nodes);
    }

    HostNetwork network() {
        return network;
    }

    /** The nodes' disks: one tmpfs per node's data directory. */
    NodeDisks disks() {
        return disks;
    }

    /** A node's data directory (its own tmpfs). */
    Path dataDirectory(HostProcess node) {
        return data.resolve(node.name());
    }

    String token() {
        return token;
    }

    URI url(HostProcess node) {
        return URI.create("https://" + node.host().address() + ":" + HTTP_PORT);
    }

    /** Trusts this run's CA only: for every client of the nodes' HTTPS (the workload, the operator, the observers). */
    SSLContext clientTls() {
        return trust.sslContext();
    }

    List<URI> nodeUrls() {
        return nodes.stream().map(this::url).toList();
    }

    /** Every exit the nemesis did not cause, by process. */
    List<String> unexpectedExits() {
        List<String> exits = new ArrayList<>();
        for (HostProcess process : allProcesses()) {
            process.checkUnexpectedExit().forEach(exit -> exits.add(process.name() + ": " + exit));
        }
        return exits;
    }

    List<HostProcess> allProcesses() {
        List<HostProcess> all = new ArrayList<>(zooKeepers);
        all.addAll(nodes);
        return all;
    }

    /** Kills every process, removes the hosts and the data directory (the logs stay with the report). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (HostProcess process : allProcesses()) {
            process.destroy();
        }
        disks.close();
        network.close();
        HostNetwork.deleteTree(data);
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting; the hook runs close(), which finds everything done.
            }
        }
        log.println("removed hosts, processes and data of run " + network.runId());
    }
}
