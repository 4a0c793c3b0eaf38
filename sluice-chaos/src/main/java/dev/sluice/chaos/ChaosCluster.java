package dev.sluice.chaos;

import dev.sluice.cli.ServerLaunch;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperIdentity;
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
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * A Sluice cluster on network-namespace hosts: a three-server ZooKeeper ensemble ({@code QuorumPeerMain}
 * processes) and {@link Layout#nodes()} {@code sluice server} processes, each on its own host, started through
 * {@link ServerLaunch} exactly as {@code sluice local} starts its workers. Owns the hosts, the processes
 * and the data directory; {@link #close()} removes all of them, and a shutdown hook does the same if the
 * JVM is stopped first (Ctrl-C).
 */
final class ChaosCluster implements AutoCloseable {

    /** How the nodes check callers, and how they reach ZooKeeper. */
    enum Access {
        /**
         * One random token with every scope ({@code --token-file}) and an open ZooKeeper tree: how the
         * fault-injection runs have always started their clusters.
         */
        SHARED_TOKEN,
        /**
         * What docs/security.md asks of a cluster across machines: a credentials file with an operator and a node
         * credential ({@code --credentials-file}, {@code --node-token-file}) and the cluster's ZooKeeper tree owned
         * by its secret ({@code --zookeeper-secret-file}).
         */
        SCOPED_CREDENTIALS
    }

    /**
     * What a cluster is made of. TLS is always on: the nodes talk across hosts, and a node refuses plain text on an
     * address other than loopback.
     *
     * @param tmpfsDisks whether each node's data directory is a tmpfs of its own ({@link NodeDisks}), so the
     *     nemesis can fill one; else a plain directory
     */
    record Layout(String clusterName, int nodes, int partitions, int replication, Access access, boolean tmpfsDisks, HostNetwork.Subnets subnets,
            Duration startTimeout) {

        /** A /24 holds 253 hosts; three are the ensemble's. */
        static final int MAX_NODES = 250;

        Layout {
            if (nodes < 1 || nodes > MAX_NODES) {
                throw new IllegalArgumentException("nodes must be from 1 to " + MAX_NODES + ", got " + nodes);
            }
            if (replication < 1 || replication > nodes) {
                throw new IllegalArgumentException("replication must be from 1 to the node count " + nodes + ", got " + replication);
            }
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
            }
        }

        /** The fault-injection run's cluster: {@link #NODES} nodes, {@link #REPLICATION} replicas, tmpfs disks. */
        static Layout chaos(int partitions) {
            return new Layout(CLUSTER_NAME, NODES, partitions, REPLICATION, Access.SHARED_TOKEN, true, HostNetwork.Subnets.CHAOS, START_TIMEOUT);
        }
    }

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

    private final Layout layout;
    private HostCredentials credentials;
    private Path certificates;

    private ChaosCluster(Path runDirectory, Layout layout, HostNetwork network, PrintStream log) {
        this.layout = layout;
        this.runDirectory = runDirectory.toAbsolutePath();
        this.data = this.runDirectory.resolve(DATA_DIRECTORY);
        this.network = network;
        this.log = log;
        this.disks = new NodeDisks(log);
        this.shutdownHook = new Thread(this::close, "sluice-chaos-cleanup");
    }

    /** Makes the hosts and starts the ensemble and the nodes; returns once every node is active and every partition placed. */
    static ChaosCluster start(Path directory, int partitions, PrintStream log) throws IOException {
        return start(directory, Layout.chaos(partitions), log);
    }

    /** Makes the hosts of {@code layout} and starts its ensemble and nodes; returns once every node is active and every partition placed. */
    static ChaosCluster start(Path directory, Layout layout, PrintStream log) throws IOException {
        Path runDirectory = directory.toAbsolutePath();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= ZOOKEEPERS; i++) {
            names.add("zk" + i);
        }
        for (int i = 1; i <= layout.nodes(); i++) {
            names.add("node-" + i);
        }
        Files.createDirectories(runDirectory.resolve("logs"));
        HostNetwork network = HostNetwork.create(names, runDirectory.resolve(DATA_DIRECTORY), layout.subnets(), log);
        ChaosCluster cluster = new ChaosCluster(runDirectory, layout, network, log);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            // The nodes start once the ensemble serves. They could start at once (each waits for ZooKeeper by itself,
            // --zookeeper-wait), but on two cores six node JVMs starving three ZooKeeper JVMs made the ensemble take
            // 162 s to elect a leader, against 20-46 s when it starts alone.
            long started = System.nanoTime();
            cluster.startZooKeepers();
            cluster.awaitEnsemble(started);
            cluster.startNodes();
            cluster.awaitNodes(started);
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
    }

    private void awaitEnsemble(long startedNanos) {
        awaitUntil("the ZooKeeper ensemble serves (one leader, two followers)", START_TIMEOUT, () -> {
            requireRunning(zooKeepers);
            List<String> modes = zooKeepers.stream().map(z -> zooKeeperMode(z).orElse("down")).toList();
            return modes.stream().filter("leader"::equals).count() == 1 && modes.stream().filter("follower"::equals).count() == ZOOKEEPERS - 1;
        });
        log.println(String.format(java.util.Locale.ROOT, "ZooKeeper ensemble serving %.1f s after the start", (System.nanoTime() - startedNanos) / 1e9));
    }

    private void startNodes() throws IOException {
        String classPath = childClassPath(log);
        Files.createDirectories(data);
        Path tokenFile = null;
        if (layout.access() == Access.SHARED_TOKEN) {
            tokenFile = data.resolve("token");
            token = ServerLaunch.createOrReadToken(tokenFile);
        } else {
            credentials = HostCredentials.write(data.resolve("secrets"));
            token = credentials.operatorToken();
        }
        // The nodes talk across hosts, as in production, so they run with TLS as production must: a CA for this run, and
        // a certificate per node naming its host's address.
        certificates = data.resolve("certs");
        CertificateAuthority authority = CertificateAuthority.create(layout.clusterName(), CERTIFICATE_VALIDITY.multipliedBy(2), InstantSource.system());
        authority.write(certificates, true);
        trust = ClusterTrust.of(authority);
        for (int i = 1; i <= layout.nodes(); i++) {
            HostNetwork.Host host = network.host("node-" + i);
            authority.issue("node-" + i, List.of(host.address()), CERTIFICATE_VALIDITY, InstantSource.system()).write(certificates, true);
            Path directory = data.resolve("node-" + i);
            Files.createDirectories(directory);
            if (layout.tmpfsDisks()) {
                disks.mount(directory);
            }
            List<String> command = new ArrayList<>();
            command.add(ServerLaunch.javaExecutable());
            command.addAll(ServerLaunch.javaOptions(true));
            // A run that finds an anomaly is diagnosed from these logs afterwards, and cannot be replayed exactly.
            command.addAll(List.of("-Dsluice.log.ratisServer=INFO", "-Dsluice.log.moves=DEBUG"));
            command.addAll(List.of("-cp", classPath, ServerLaunch.MAIN_CLASS));
            command.addAll(serverArguments(i, host, directory, tokenFile));
            HostProcess node = new HostProcess("node-" + i, host, network.inside(host), command, runDirectory.resolve("logs/node-" + i + ".log"));
            node.start();
            nodes.add(node);
        }
        log.println("started " + layout.nodes() + " node processes");
    }

    private void awaitNodes(long startedNanos) {
        try (ZooKeeperMetadataStore store = connectMetadata()) {
            ClusterMetadata metadata = new ClusterMetadata(store, InstantSource.system());
            java.util.concurrent.atomic.AtomicReference<String> waiting = new java.util.concurrent.atomic.AtomicReference<>("not read yet");
            try {
                awaitUntil("every node is active and every partition placed", layout.startTimeout(), () -> {
                    requireRunning(nodes);
                    waiting.set(describeStart(metadata));
                    return ServerLaunch.ready(metadata, layout.nodes(), layout.partitions());
                });
            } catch (IllegalStateException notReady) {
                throw new IllegalStateException(notReady.getMessage() + "; at the deadline: " + waiting.get(), notReady);
            }
        }
        log.println(String.format(java.util.Locale.ROOT, "cluster ready %.1f s after the start: ", (System.nanoTime() - startedNanos) / 1e9)
                + nodes.stream().map(n -> url(n).toString()).collect(Collectors.joining(" ")));
    }

    /** Where the start stands, for a start that does not finish: workers by state, partitions placed, moving, leaderless. */
    private static String describeStart(ClusterMetadata metadata) {
        Map<String, Long> states = metadata.nodes().current().workers().stream()
                .collect(Collectors.groupingBy(n -> n.workerState().wireName(), java.util.TreeMap::new, Collectors.counting()));
        var placements = metadata.placements().readAll().values();
        long moving = placements.stream().filter(v -> v.placement().hasNext()).count();
        long leaderless = placements.stream().filter(v -> v.placement().leader() == null).count();
        return "workers " + states + ", " + placements.size() + " partitions placed, " + moving + " moving, " + leaderless + " without a leader";
    }

    /** The {@code sluice server} arguments of node {@code index}: what the recipe for real machines tells each host to run. */
    private List<String> serverArguments(int index, HostNetwork.Host host, Path directory, Path tokenFile) {
        String name = "node-" + index;
        ServerLaunch.Node node = switch (layout.access()) {
            case SHARED_TOKEN -> new ServerLaunch.Node(name, layout.clusterName(), directory, layout.clusterName() + ".zone-1", host.address(), RAFT_PORT,
                    host.address(), HTTP_PORT, connectString(), tokenFile, layout.partitions(), layout.replication(), 1, ProcessHandle.current().pid());
            case SCOPED_CREDENTIALS -> new ServerLaunch.Node(name, layout.clusterName(), directory, layout.clusterName() + ".zone-1", host.address(),
                    RAFT_PORT, host.address(), HTTP_PORT, connectString(), null, layout.partitions(), layout.replication(), 1, ProcessHandle.current().pid(),
                    credentials.zooKeeperSecretFile(), Optional.empty(), false, credentials.credentialsFile(), credentials.nodeTokenFile());
        };
        List<String> arguments = new ArrayList<>(node.withTls(ServerLaunch.NodeTlsFiles.in(certificates, name)).arguments());
        if (layout.tmpfsDisks()) {
            arguments.addAll(NodeDisks.nodeArguments());
        }
        return List.copyOf(arguments);
    }

    /**
     * A metadata store on the cluster's tree, authenticated with its ZooKeeper secret when it has one. The caller
     * closes it.
     */
    ZooKeeperMetadataStore connectMetadata() {
        String root = "/sluice/" + layout.clusterName();
        if (credentials == null) {
            return ZooKeeperMetadataStore.connect(connectString(), root);
        }
        ZooKeeperAccess access = ZooKeeperAccess.secured(ZooKeeperIdentity.fromSecretFile(layout.clusterName(), credentials.zooKeeperSecretFile()));
        return ZooKeeperMetadataStore.connect(connectString(), root, ZooKeeperMetadataStore.DEFAULT_SESSION_TIMEOUT,
                ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT, access);
    }

    Layout layout() {
        return layout;
    }

    /** The run's secrets, when its layout uses {@link Access#SCOPED_CREDENTIALS}. */
    Optional<HostCredentials> credentials() {
        return Optional.ofNullable(credentials);
    }

    /** The {@code zoo.cfg} a ZooKeeper server of the ensemble runs with. */
    Path zooKeeperConfig(HostProcess zooKeeper) {
        return data.resolve(zooKeeper.name()).resolve("zoo.cfg");
    }

    /** The CA certificate every client of the nodes must trust. */
    Path caCertificate() {
        return dev.sluice.security.TlsFiles.caCertificate(certificates);
    }

    /** A node's command line after {@code ip netns exec <namespace>}: the JVM, its options, and the server's arguments. */
    List<String> commandOf(HostProcess node) {
        return node.command().subList(network.inside(node.host()).size(), node.command().size());
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
