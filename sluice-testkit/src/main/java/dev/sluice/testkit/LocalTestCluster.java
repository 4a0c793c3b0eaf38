package dev.sluice.testkit;

import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import java.util.Set;
import dev.sluice.api.CredentialSource;
import dev.sluice.server.ControlPlane;
import dev.sluice.model.Role;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.client.SluiceClient;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.Location;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.security.CertificateAuthority;
import dev.sluice.security.ClusterTrust;
import dev.sluice.security.TlsMaterial;
import dev.sluice.server.NodeComponent;
import dev.sluice.server.SluiceNode;
import dev.sluice.raft.RatisSettings;
import dev.sluice.worker.DiskSpaceRule;
import dev.sluice.worker.WorkerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * An in-process Sluice cluster for tests: an embedded ZooKeeper plus N {@link SluiceNode}s in this JVM,
 * each with its own data directory and free loopback ports, each talking to ZooKeeper through its own
 * relay so a test can cut it off. Owns all of them and the base directory; {@link #close()} stops
 * everything, also after a failed test.
 *
 * <p>{@link #start()} creates the partition table, starts the nodes (named {@code worker-1…}, so with a
 * fresh cluster {@code worker-i} is {@code Ni}), waits until every worker has activated itself, writes
 * the initial placements through the {@link InitialPlacement} hook (round-robin by default; the
 * controller takes this over later) and waits until every partition has a leader.
 */
public final class LocalTestCluster implements AutoCloseable {

    /**
     * The nodes' free-space floor unless a test sets its own: 64 MiB and no percentage, the floor the storage
     * warm-up check had before the disk rule, so the suite still runs on a machine whose disk is more than 95 %
     * full (the production default would keep every node there not ready).
     */
    public static final DiskSpaceRule TEST_DISK_SPACE_RULE = new DiskSpaceRule(64 * DiskSpaceRule.MIB, 0);

    /** Far longer than any test runs; short enough that nobody mistakes these certificates for real ones. */
    static final Duration TEST_CERTIFICATE_VALIDITY = Duration.ofDays(1);

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LocalTestCluster.class);

    private final Builder options;
    /** Set once {@link #close} began: no supervised restart after that. */
    private boolean closing;
    private final Path baseDirectory;
    private final boolean deleteBaseDirectory;
    private final PartitionTable table;
    private final List<TestNode> nodes = new ArrayList<>();
    private final List<SluiceClient> clients = new CopyOnWriteArrayList<>();
    private EmbeddedZooKeeper zooKeeper;
    private ZooKeeperMetadataStore adminStore;
    private volatile ClusterMetadata metadata;
    /** How nodes started from now on, and the test's own store, reach ZooKeeper. */
    private volatile ZooKeeperAccess zooKeeperAccess;
    /** The cluster's CA, made in memory for this cluster only, when the builder asked for TLS. */
    private final Optional<CertificateAuthority> tls;

    private LocalTestCluster(Builder options) throws IOException {
        this.options = options;
        this.tls = options.tls ? Optional.of(CertificateAuthority.create(options.clusterName, TEST_CERTIFICATE_VALIDITY.multipliedBy(2), InstantSource.system()))
                : Optional.empty();
        this.deleteBaseDirectory = options.baseDirectory == null;
        this.baseDirectory = options.baseDirectory != null ? options.baseDirectory : Files.createTempDirectory("sluice-test-");
        this.table = new PartitionTable(options.partitions, new ReplicationProperty(options.replication,
                options.minZones > 0 ? options.minZones : Math.min(options.zones, options.replication)));
        this.zooKeeperAccess = options.zooKeeperAccess;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts ZooKeeper and every node and waits until the cluster serves (see the class comment).
     *
     * @throws IOException if a directory or port cannot be used
     */
    public LocalTestCluster start() throws IOException {
        try {
            zooKeeper = EmbeddedZooKeeper.start(baseDirectory.resolve("zookeeper"), 0);
            connectAdminStore();
            metadata.partitionTable().initialize(table);
            for (int i = 0; i < options.workers; i++) {
                TestNode node = new TestNode(i, "worker-" + (i + 1), baseDirectory.resolve("worker-" + (i + 1)), freePort(), freePort(), tls.isPresent());
                nodes.add(node);
                startNode(node);
            }
            awaitAllActive(options.startTimeout);
            writeInitialPlacements();
            awaitLeaders(options.startTimeout);
            return this;
        } catch (IOException | RuntimeException | Error failed) {
            close();
            throw failed;
        }
    }

    private String root() {
        return "/sluice/" + options.clusterName;
    }

    private void connectAdminStore() {
        adminStore = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), root(), ZooKeeperMetadataStore.DEFAULT_SESSION_TIMEOUT,
                ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT, zooKeeperAccess);
        metadata = new ClusterMetadata(adminStore, InstantSource.system());
    }

    /**
     * Nodes started or restarted from now on reach ZooKeeper with {@code access}, and so does the test's own store
     * ({@link #metadata()}, reconnected at once): how an operator gives a running open cluster its secret, one
     * restart at a time. Running nodes keep the access they started with.
     */
    public synchronized void useZooKeeperAccess(ZooKeeperAccess access) {
        zooKeeperAccess = access;
        adminStore.close();
        connectAdminStore();
    }

    /** The cluster's ZooKeeper root, {@code /sluice/<cluster name>}. */
    public String zooKeeperRoot() {
        return root();
    }

    private void startNode(TestNode node) throws IOException {
        startNode(node, Duration.ZERO);
    }

    private void startNode(TestNode node, Duration metadataUnreachableFor) throws IOException {
        TcpProxy proxy = new TcpProxy(new InetSocketAddress("127.0.0.1", zooKeeper.port()));
        if (metadataUnreachableFor.isPositive()) {
            proxy.blocked(true);
            Thread.ofVirtual().name("reach-metadata-" + node.name()).start(() -> {
                try {
                    Thread.sleep(metadataUnreachableFor);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
                proxy.blocked(false);
            });
        }
        Location location = new Location("local", "zone-" + (node.index() % options.zones + 1));
        WorkerConfig.Builder worker = WorkerConfig.builder(node.name(), options.clusterName, node.dataDirectory())
                .raft("127.0.0.1", node.raftPort())
                .location(location)
                .ratis(options.ratis)
                .registrationTimeout(options.sessionTimeout.multipliedBy(3))
                .diskSpaceRule(TEST_DISK_SPACE_RULE);
        if (tls.isPresent()) {
            // A fresh certificate per start: cheap (one EC key), and every restart is then a node with a valid one.
            worker = worker.tls(TlsMaterial.of(trust().orElseThrow(), tls.get().issue(node.name(), List.of("127.0.0.1", "localhost"),
                    TEST_CERTIFICATE_VALIDITY, InstantSource.system())));
        }
        worker = options.workerCustomizer.apply(node.index(), worker);
        if (options.adminRole) {
            worker = worker.roles(Set.of(Role.WORKER, Role.ADMIN));
        }
        SluiceNode.Config config = SluiceNode.Config.of(worker.build(), proxy.address(), "127.0.0.1", node.httpPort())
                .withMetadataTimeouts(options.sessionTimeout, Duration.ofSeconds(5))
                .withMetadataAccess(zooKeeperAccess);
        SluiceNode process = new SluiceNode(config, options.components.apply(node.index()));
        node.metadataProxy = proxy;
        try {
            process.start();
        } catch (IOException | RuntimeException failed) {
            proxy.close();
            throw failed;
        }
        node.node = process;
        if (options.restartAfterGracefulShutdown.isPresent()) {
            Duration pause = options.restartAfterGracefulShutdown.get();
            process.shutDown().thenRun(() -> Thread.ofPlatform().daemon().name("supervise-" + node.name()).start(() -> superviseRestart(node, process, pause)));
        }
    }

    /**
     * As a supervisor (systemd's {@code Restart=always}, a Kubernetes pod) would: starts a node that shut itself down
     * gracefully again after {@code pause}, unless the cluster is closing or the test already replaced the process.
     */
    private void superviseRestart(TestNode node, SluiceNode stopped, Duration pause) {
        try {
            Thread.sleep(pause);
            synchronized (this) {
                if (closing || node.node != stopped) {
                    return;
                }
                node.node = null;
                node.metadataProxy.close();
                startNode(node);
            }
            log.info("{} shut down gracefully and was started again", node.name());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException failed) {
            log.warn("{} shut down gracefully and could not be started again: {}", node.name(), failed.toString());
        }
    }

    private void writeInitialPlacements() {
        NodesConfiguration configuration = metadata.nodes().current();
        List<NodeConfig> workers = configuration.workers().stream().sorted(Comparator.comparing(NodeConfig::nodeId)).toList();
        Map<PartitionId, List<NodeId>> placements = options.initialPlacement.place(table, workers);
        for (Map.Entry<PartitionId, List<NodeId>> entry : placements.entrySet()) {
            if (metadata.placements().read(entry.getKey()).isPresent()) {
                continue;
            }
            Placement placement = Placement.stable(entry.getKey(), entry.getValue(), entry.getValue().getFirst(), configuration.version());
            ClusterEvent event = ClusterEvent.of(Instant.now(), EventKind.OTHER, null, entry.getKey(),
                    entry.getKey() + " placed on " + entry.getValue() + " by the test cluster", Map.of());
            metadata.placements().write(placement, 0, event, List.of());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Awaiting

    /** Waits until every running node's worker is Active and ready. */
    public void awaitAllActive(Duration timeout) {
        Awaitility.await("every running worker active").atMost(timeout).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> nodes.stream().filter(TestNode::isRunning).allMatch(node -> node.worker().ready()));
    }

    /**
     * Waits until every placed partition has exactly one leader among the running nodes, and every
     * running member of its current set hosts it.
     */
    public void awaitLeaders(Duration timeout) {
        Awaitility.await("a leader for every partition").atMost(timeout).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(this::everyPartitionLed);
    }

    private boolean everyPartitionLed() {
        for (var entry : metadata.placements().readAll().entrySet()) {
            PartitionId partition = entry.getKey();
            Placement placement = entry.getValue().placement();
            if (leaderOf(partition).isEmpty()) {
                return false;
            }
            for (NodeId member : placement.current()) {
                Optional<TestNode> node = node(member);
                if (node.isPresent() && node.get().isRunning() && !node.get().worker().hostedPartitions().contains(partition)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The node whose replica of {@code partition} is leader now, as the replicas report it. */
    public Optional<TestNode> leaderOf(PartitionId partition) {
        for (TestNode node : nodes) {
            if (!node.isRunning()) {
                continue;
            }
            Optional<ReplicaStatus> status = node.worker().replicaStatus(partition);
            if (status.isPresent() && status.get().role() == ReplicaRole.LEADER) {
                return Optional.of(node);
            }
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------------------------------------
    // Access

    public List<TestNode> nodes() {
        return List.copyOf(nodes);
    }

    public TestNode node(int index) {
        return nodes.get(index);
    }

    /** The node registered with plain id {@code id}. */
    public Optional<TestNode> node(NodeId id) {
        return nodes.stream().filter(TestNode::isRunning).filter(node -> node.worker().self().map(self -> self.nodeId().equals(id)).orElse(false))
                .findFirst();
    }

    /** The test's own metadata session (not any node's). */
    public ClusterMetadata metadata() {
        return metadata;
    }

    public PartitionTable table() {
        return table;
    }

    public String clusterName() {
        return options.clusterName;
    }

    public String zooKeeperConnectString() {
        return zooKeeper.connectString();
    }

    /** A new client seeded with every node's URL, trusting the cluster's CA when it has TLS; closed with the cluster. */
    public SluiceClient client() {
        SluiceClient.Builder builder = SluiceClient.builder();
        trust().ifPresent(trust -> builder.tls(trust.sslContext()));
        return client(builder);
    }

    /** The cluster's CA, when it was built {@linkplain Builder#tls() with TLS}: to issue more certificates in a test. */
    public Optional<CertificateAuthority> certificateAuthority() {
        return tls;
    }

    /** What a client of the cluster trusts, when it has TLS: its CA only. */
    public Optional<ClusterTrust> trust() {
        return tls.map(ClusterTrust::of);
    }

    /**
     * A client from {@code builder} (which the caller configured) seeded with every node's URL, with the cluster's data
     * token when its nodes check credentials; closed with the cluster. With TLS the caller chooses what it trusts
     * ({@link #trust()} for the cluster's CA).
     */
    public SluiceClient client(SluiceClient.Builder builder) {
        List<URI> seeds = nodes.stream().map(TestNode::url).toList();
        options.clientToken.ifPresent(builder::token);
        SluiceClient client = builder.seeds(seeds).build();
        clients.add(client);
        return client;
    }

    // ---------------------------------------------------------------------------------------------
    // Faults

    /**
     * Crashes node {@code index}: it is cut off from ZooKeeper, its HTTP and Raft servers stop, and its
     * liveness entry stays until its session expires ({@link Builder#sessionTimeout}). Data stays on disk.
     */
    public void kill(int index) {
        TestNode node = nodes.get(index);
        SluiceNode process = node.node;
        if (process == null) {
            throw new IllegalStateException(node.name() + " is not running");
        }
        node.metadataProxy.blocked(true);
        process.halt();
        node.node = null;
        node.metadataProxy.close();
    }

    /** Stops node {@code index} cleanly (its liveness entry goes at once). */
    public void stop(int index) {
        TestNode node = nodes.get(index);
        SluiceNode process = node.node;
        if (process != null) {
            process.close();
            node.node = null;
            node.metadataProxy.close();
        }
    }

    /**
     * Starts node {@code index} again with the same name, directory and ports. Registration waits while
     * the previous process's liveness entry lingers.
     */
    public void restart(int index) throws IOException {
        restartWhileMetadataUnreachable(index, Duration.ZERO);
    }

    /**
     * Starts node {@code index} again as {@link #restart} does, with ZooKeeper unreachable from it for the
     * first {@code unreachableFor} — a restart during a ZooKeeper outage. Returns once the node started.
     */
    public void restartWhileMetadataUnreachable(int index, Duration unreachableFor) throws IOException {
        TestNode node = nodes.get(index);
        if (node.node != null) {
            throw new IllegalStateException(node.name() + " is still running; kill or stop it first");
        }
        startNode(node, unreachableFor);
    }

    /**
     * Starts one more node, named and placed as {@link #start()} names the others ({@code worker-<n>} in
     * zone {@code n % zones}), with the same components. It registers as a new worker and warms up as a
     * new machine would; this does not wait for it to become Active.
     *
     * @throws IOException if its directory or ports cannot be used
     */
    public TestNode addNode() throws IOException {
        int index = nodes.size();
        TestNode node = new TestNode(index, "worker-" + (index + 1), baseDirectory.resolve("worker-" + (index + 1)), freePort(), freePort(), tls.isPresent());
        nodes.add(node);
        startNode(node);
        return node;
    }

    /** Cuts node {@code index} off from ZooKeeper (its connections drop; it keeps running otherwise). */
    public void isolateFromMetadata(int index) {
        nodes.get(index).metadataProxy.blocked(true);
    }

    /** Lets node {@code index} reach ZooKeeper again. */
    public void healMetadata(int index) {
        nodes.get(index).metadataProxy.blocked(false);
    }

    @Override
    public void close() {
        synchronized (this) {
            closing = true;
        }
        for (SluiceClient client : clients) {
            client.close();
        }
        clients.clear();
        List<Thread> stopping = new ArrayList<>();
        for (TestNode node : nodes) {
            SluiceNode process = node.node;
            if (process != null) {
                stopping.add(Thread.ofPlatform().name("stop-" + node.name()).start(() -> {
                    try {
                        process.close();
                    } catch (RuntimeException ignored) {
                        // Stopping everything anyway.
                    }
                }));
                node.node = null;
            }
        }
        for (Thread thread : stopping) {
            try {
                thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        for (TestNode node : nodes) {
            if (node.metadataProxy != null) {
                node.metadataProxy.close();
            }
        }
        if (adminStore != null) {
            adminStore.close();
            adminStore = null;
        }
        if (zooKeeper != null) {
            zooKeeper.close();
            zooKeeper = null;
        }
        if (deleteBaseDirectory) {
            deleteRecursively(baseDirectory);
        }
    }

    /** Deletes a directory made for a test or a benchmark, and what is in it; what cannot be deleted is left to the OS. */
    public static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // A temporary directory; the OS cleans up what is left.
        }
    }

    /** A free loopback port, chosen once and kept for the node's restarts. */
    static int freePort() {
        return RestartablePorts.choose();
    }

    /** Options of a test cluster, checked as they are set. */
    public static final class Builder {
        private String clusterName = "test";
        private int workers = 4;
        private int partitions = 24;
        private int replication = 3;
        private int zones = 1;
        /** The zones each partition's replicas must span; 0: as many as there are zones, at most the replicas. */
        private int minZones = 0;
        private Path baseDirectory;
        private RatisSettings ratis = RatisSettings.defaults();
        private InitialPlacement initialPlacement = InitialPlacement.roundRobin();
        private ZooKeeperAccess zooKeeperAccess = ZooKeeperAccess.OPEN;
        private Duration sessionTimeout = Duration.ofSeconds(4);
        private Duration startTimeout = Duration.ofSeconds(60);
        private BiFunction<Integer, WorkerConfig.Builder, WorkerConfig.Builder> workerCustomizer = (index, builder) -> builder;
        /** Set by {@link #controlPlane}; applied after the customizer, so the two can be called in any order. */
        private boolean adminRole;
        private IntFunction<List<NodeComponent>> components = index -> List.of();
        private Optional<String> clientToken = Optional.empty();
        private Optional<Duration> restartAfterGracefulShutdown = Optional.empty();
        private boolean tls;

        private Builder() {}

        /**
         * Every node serves HTTPS with a certificate of a CA made for this cluster ({@link #certificateAuthority()}),
         * advertises {@code https://} URLs and calls the others with it; {@link #client()} trusts that CA.
         */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /**
         * Stands for each node's supervisor: a node that shuts itself down gracefully (a rolling restart asks it to)
         * is started again, with the same name, directory and ports, {@code pause} later. A node the test kills or
         * stops stays down.
         */
        public Builder restartAfterGracefulShutdown(Duration pause) {
            this.restartAfterGracefulShutdown = Optional.of(pause);
            return this;
        }

        public Builder clusterName(String name) {
            this.clusterName = name;
            return this;
        }

        public Builder workers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("a cluster needs at least one worker, got " + count);
            }
            this.workers = count;
            return this;
        }

        public Builder partitions(int count) {
            this.partitions = count;
            return this;
        }

        public Builder replication(int replicas) {
            this.replication = replicas;
            return this;
        }

        /** Nodes are spread round-robin over this many zones ({@code local.zone-1…}). */
        public Builder zones(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("zones must be at least 1, got " + count);
            }
            this.zones = count;
            return this;
        }

        /**
         * The zones each partition's replicas must span (default: every zone, at most the replicas). Fewer than the
         * zones lets a whole zone be drained: 3 replicas over 3 zones required cannot lose one.
         */
        public Builder minZones(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("minZones must be at least 1, got " + count);
            }
            this.minZones = count;
            return this;
        }

        /** Where node directories and ZooKeeper's data go; default a temporary directory deleted on close. */
        public Builder baseDirectory(Path directory) {
            this.baseDirectory = directory;
            return this;
        }

        public Builder ratis(RatisSettings settings) {
            this.ratis = settings;
            return this;
        }

        /** The hook that writes the first placements; {@link InitialPlacement#none()} leaves it to a controller. */
        public Builder initialPlacement(InitialPlacement placement) {
            this.initialPlacement = placement;
            return this;
        }

        /** How every node and the test's own store reach ZooKeeper: open (the default) or as the cluster's identity. */
        public Builder zooKeeperAccess(ZooKeeperAccess access) {
            this.zooKeeperAccess = java.util.Objects.requireNonNull(access, "access");
            return this;
        }

        /** The nodes' ZooKeeper session timeout: how long a crashed node's liveness entry lingers. */
        public Builder sessionTimeout(Duration timeout) {
            this.sessionTimeout = timeout;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Adjusts each node's worker configuration (extra warm-up checks, intervals…), by node index. */
        public Builder workerCustomizer(BiFunction<Integer, WorkerConfig.Builder, WorkerConfig.Builder> customizer) {
            this.workerCustomizer = customizer;
            return this;
        }

        /**
         * Every node gets the admin role and a {@link ControlPlane} (admin API, dashboard, metrics,
         * controller), and the controller — not the test cluster — places the partitions.
         */
        public Builder controlPlane(ControllerConfig config, Optional<String> token) {
            this.adminRole = true;
            this.initialPlacement = InitialPlacement.none();
            this.components = index -> List.of(new ControlPlane(config, token, InstantSource.system()));
            this.clientToken = token;
            return this;
        }

        /**
         * {@link #controlPlane(ControllerConfig, Optional)} for nodes that check {@code credentials}: each node calls the
         * others with {@code nodeToken}, and {@link #client()} sends {@code clientToken}.
         */
        public Builder controlPlane(ControllerConfig config, CredentialSource credentials, String nodeToken, String clientToken) {
            this.adminRole = true;
            this.initialPlacement = InitialPlacement.none();
            this.components = index -> List.of(new ControlPlane(config, credentials, Optional.of(nodeToken), InstantSource.system()));
            this.clientToken = Optional.of(clientToken);
            return this;
        }

        /** Extra components (admin API, controller…) for each node, by node index. */
        public Builder components(IntFunction<List<NodeComponent>> perNode) {
            this.components = perNode;
            return this;
        }

        public LocalTestCluster build() throws IOException {
            if (replication > workers) {
                throw new IllegalArgumentException("replication " + replication + " needs at least as many workers, got " + workers);
            }
            return new LocalTestCluster(this);
        }

        /** Builds and starts the cluster. */
        public LocalTestCluster start() throws IOException {
            return build().start();
        }
    }
}
