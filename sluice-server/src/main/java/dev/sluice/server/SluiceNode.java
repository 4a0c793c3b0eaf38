package dev.sluice.server;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataUnavailableException;
import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.model.Durations;
import dev.sluice.model.PartitionTable;
import dev.sluice.worker.HandoverReport;
import dev.sluice.worker.Worker;
import dev.sluice.worker.WorkerConfig;
import dev.sluice.worker.WorkerHttp;
import dev.sluice.security.TlsMaterial;
import io.javalin.Javalin;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import dev.sluice.metadata.MetadataStore;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Sluice node process: it owns a metadata-store session, the {@link Worker} and one HTTP server
 * (Javalin) that carries every route of the node — the worker's data, routing, health and status routes,
 * and whatever the plugged-in {@link NodeComponent}s add.
 *
 * <p>Start order: metadata session → (partition table, when this node is told to create the cluster) →
 * HTTP server, HTTPS when the worker's configuration carries TLS material (so the worker can record its URL) → worker (registration, liveness, Raft) → components.
 * {@link #close()} stops them in reverse order; {@link #shutDownGracefully} first hands the worker's leaderships to
 * other members, then closes; {@link #halt()} imitates a crash for tests.
 */
public final class SluiceNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SluiceNode.class);

    /** How long a starting node keeps trying to reach the metadata store before it gives up. */
    public static final Duration METADATA_START_WAIT = Duration.ofMinutes(2);
    /** The pause between two attempts, each of which waits up to the connection timeout. */
    static final Duration METADATA_RETRY = Duration.ofSeconds(1);

    /**
     * @param metadataConnect the ZooKeeper connect string
     * @param metadataStartWait how long {@link #start()} keeps trying to reach the metadata store
     * @param httpHost the interface the HTTP server binds and advertises
     * @param httpPort the HTTP port; 0 picks a free one
     * @param createTable the partition table to create if the cluster has none, or {@code null} to expect one
     * @param metadataAccess the ZooKeeper credentials and the ACL of the nodes the node creates
     */
    public record Config(
            WorkerConfig worker,
            String metadataConnect,
            Duration metadataSessionTimeout,
            Duration metadataConnectionTimeout,
            Duration metadataStartWait,
            String httpHost,
            int httpPort,
            PartitionTable createTable,
            ZooKeeperAccess metadataAccess) {

        public Config {
            Objects.requireNonNull(worker, "worker");
            Objects.requireNonNull(metadataConnect, "metadataConnect");
            Objects.requireNonNull(metadataSessionTimeout, "metadataSessionTimeout");
            Objects.requireNonNull(metadataConnectionTimeout, "metadataConnectionTimeout");
            Objects.requireNonNull(metadataStartWait, "metadataStartWait");
            Objects.requireNonNull(httpHost, "httpHost");
            Objects.requireNonNull(metadataAccess, "metadataAccess");
            if (httpPort < 0 || httpPort > 65535) {
                throw new IllegalArgumentException("http port must be 0..65535, got " + httpPort);
            }
        }

        public static Config of(WorkerConfig worker, String metadataConnect, String httpHost, int httpPort) {
            return new Config(worker, metadataConnect, ZooKeeperMetadataStore.DEFAULT_SESSION_TIMEOUT,
                    ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT, METADATA_START_WAIT, httpHost, httpPort, null, ZooKeeperAccess.OPEN);
        }

        public Config withCreateTable(PartitionTable table) {
            return new Config(worker, metadataConnect, metadataSessionTimeout, metadataConnectionTimeout, metadataStartWait, httpHost, httpPort, table,
                    metadataAccess);
        }

        public Config withMetadataTimeouts(Duration session, Duration connection) {
            return new Config(worker, metadataConnect, session, connection, metadataStartWait, httpHost, httpPort, createTable, metadataAccess);
        }

        public Config withMetadataStartWait(Duration wait) {
            return new Config(worker, metadataConnect, metadataSessionTimeout, metadataConnectionTimeout, wait, httpHost, httpPort, createTable,
                    metadataAccess);
        }

        /** Authenticates to ZooKeeper as the cluster's identity and secures what the node creates (docs/security.md, "ZooKeeper"). */
        public Config withMetadataAccess(ZooKeeperAccess access) {
            return new Config(worker, metadataConnect, metadataSessionTimeout, metadataConnectionTimeout, metadataStartWait, httpHost, httpPort, createTable,
                    access);
        }
    }

    private final Config config;
    private final List<NodeComponent> components;
    private ZooKeeperMetadataStore store;
    private ClusterMetadata metadata;
    private Worker worker;
    private CatchUpRateSetting catchUpRate;
    private Javalin http;
    private URI httpUrl;
    private final List<NodeComponent> started = new ArrayList<>();
    private final UnaryOperator<MetadataStore> storeDecorator;
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final CompletableFuture<HandoverReport> shutDown = new CompletableFuture<>();

    public SluiceNode(Config config, List<NodeComponent> components) {
        this(config, components, UnaryOperator.identity());
    }

    /**
     * @param storeDecorator wraps the metadata store every part of the node uses (to time its operations,
     *     say); the node still closes the store it opened
     */
    public SluiceNode(Config config, List<NodeComponent> components, UnaryOperator<MetadataStore> storeDecorator) {
        this.config = config;
        this.components = List.copyOf(components);
        this.storeDecorator = storeDecorator;
    }

    public SluiceNode(Config config) {
        this(config, List.of());
    }

    /**
     * Starts the node; on failure everything started so far is closed again.
     *
     * @throws IOException if the data directory or a port cannot be used
     */
    /**
     * Connects to the metadata store, trying again until the configured start wait ({@link #METADATA_START_WAIT} by default) has passed: a node
     * started while ZooKeeper has no quorum (an operator restarting it during an outage, or a chaos run's
     * restart overlapping a quorum loss) waits for it instead of exiting after one connection timeout.
     */
    private ZooKeeperMetadataStore connectToMetadata() {
        long started = System.nanoTime();
        long deadline = started + config.metadataStartWait().toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return ZooKeeperMetadataStore.connect(config.metadataConnect(), "/sluice/" + config.worker().clusterName(),
                        config.metadataSessionTimeout(), config.metadataConnectionTimeout(), config.metadataAccess());
            } catch (MetadataUnavailableException unavailable) {
                if (System.nanoTime() >= deadline) {
                    throw new MetadataUnavailableException(unavailable.getMessage() + "; gave up after " + attempt + (attempt == 1 ? " attempt" : " attempts") + " over "
                            + Durations.human(Duration.ofNanos(System.nanoTime() - started)), unavailable);
                }
                log.warn("{}: {} (attempt {}); trying again until {} after the start", config.worker().nodeName(), unavailable.getMessage(), attempt,
                        Durations.human(config.metadataStartWait()));
                try {
                    Thread.sleep(METADATA_RETRY.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new MetadataUnavailableException("interrupted while waiting for the metadata store", interrupted);
                }
            }
        }
    }

    public synchronized SluiceNode start() throws IOException {
        if (store != null) {
            throw new IllegalStateException("node " + config.worker().nodeName() + " is already started");
        }
        try {
            store = connectToMetadata();
            metadata = new ClusterMetadata(storeDecorator.apply(store), InstantSource.system());
            if (config.createTable() != null) {
                metadata.partitionTable().initialize(config.createTable());
            }
            worker = new Worker(config.worker(), metadata);
            catchUpRate = CatchUpRateSetting.follow(config.worker().nodeName(), metadata, worker.transferRate(), config.worker().maxTransferBytesPerSecond());
            Worker routesWorker = worker;
            http = Javalin.create(javalin -> {
                javalin.jetty.host = config.httpHost();
                javalin.jetty.port = config.httpPort();
                config.worker().tls().ifPresent(tls -> javalin.jetty.addConnector((server, httpConfiguration) -> httpsConnector(server, httpConfiguration, tls)));
                javalin.startup.showJavalinBanner = false;
                javalin.startup.showOldJavalinVersionWarning = false;
                // Requests wait on Raft commits; virtual threads keep that from costing a platform thread each.
                javalin.concurrency.useVirtualThreads = true;
                WorkerHttp.install(javalin, routesWorker);
                components.forEach(component -> component.routes(javalin));
            }).start();
            // Every client of the worker's URL (peers, the controller, SluiceClient's routing) reads the scheme from here.
            httpUrl = URI.create((config.worker().tls().isPresent() ? "https://" : "http://") + config.httpHost() + ":" + http.port());
            worker.start(httpUrl);
            for (NodeComponent component : components) {
                component.start(this);
                started.add(component);
            }
            log.info("node {} started: http {}, worker {}", config.worker().nodeName(), httpUrl, worker.self().map(n -> n.id().toString()).orElse("?"));
            return this;
        } catch (IOException | RuntimeException failed) {
            close();
            throw failed;
        } catch (Exception componentFailed) {
            close();
            throw new IOException("a component of node " + config.worker().nodeName() + " failed to start: " + componentFailed.getMessage(), componentFailed);
        }
    }

    /**
     * The HTTPS connector that replaces Javalin's plain one when the node has TLS material. It asks a client for a
     * certificate but does not require one: other nodes present theirs, while the CLI, browsers and data clients have
     * none, and the admin API's token, not the certificate, authorizes a change. The server does not compare the
     * request's host with its certificate (Jetty's SNI host check): the client already checked the certificate against
     * the host it dialled, and a node has one certificate for all its names.
     */
    private ServerConnector httpsConnector(Server server, HttpConfiguration httpConfiguration, TlsMaterial tls) {
        httpConfiguration.addCustomizer(new SecureRequestCustomizer(false, false, -1, false));
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setSslContext(tls.sslContext());
        ssl.setWantClientAuth(true);
        ServerConnector connector = new ServerConnector(server, ssl, new HttpConnectionFactory(httpConfiguration));
        connector.setHost(config.httpHost());
        connector.setPort(config.httpPort());
        return connector;
    }

    public Config config() {
        return config;
    }

    /** The components plugged into this node, in start order. */
    public List<NodeComponent> components() {
        return components;
    }

    public ClusterMetadata metadata() {
        return metadata;
    }

    public Worker worker() {
        return worker;
    }

    /**
     * Every route this node's HTTP server serves, as {@code "GET /api/v1/nodes/{node}"} (Javalin's path
     * syntax), sorted; empty when the server is not running. The API contract test compares them with
     * the OpenAPI document, so a route cannot be added without being described.
     */
    public synchronized List<String> httpRoutes() {
        if (http == null) {
            return List.of();
        }
        // Only routes: the credential check that runs before each of them is a handler, not a route.
        return http.unsafe.internalRouter.allHttpHandlers().stream()
                .filter(route -> route.endpoint.method.isHttpMethod())
                .map(route -> route.endpoint.method + " " + route.endpoint.path)
                .sorted()
                .toList();
    }

    /** The base URL of this node's HTTP server, once started. */
    public URI httpUrl() {
        return httpUrl;
    }

    /**
     * Shuts the node down gracefully: its worker reports not ready at once (before this returns), hands every
     * leadership it holds to another member of that partition's group until it leads nothing or its shutdown
     * timeout passes, and then the node closes as {@link #close()} does — components, worker, HTTP server and
     * metadata session, so its liveness entry goes. The handover and the close run on a thread of their own;
     * {@link #shutDown()} completes when the node is closed. Asking again while it runs changes nothing.
     *
     * @param cause what asked for it, in words, for the worker's status and the log
     * @return whether this call began it
     */
    public boolean shutDownGracefully(String cause) {
        if (!shuttingDown.compareAndSet(false, true)) {
            return false;
        }
        Worker current;
        synchronized (this) {
            current = worker;
        }
        boolean handsOver = current != null && current.running();
        if (handsOver) {
            current.beginShutdown(cause);
        }
        // Not a daemon: a shutdown asked for through the API must finish before the process may exit.
        Thread.ofPlatform().name("sluice-shutdown-" + config.worker().nodeName()).start(() -> {
            HandoverReport report = new HandoverReport(Set.of(), Set.of(), Map.of(), Duration.ZERO);
            try {
                if (handsOver) {
                    report = current.handOverLeaderships();
                }
            } catch (RuntimeException failed) {
                log.warn("{}: handing the leaderships over failed; closing anyway", config.worker().nodeName(), failed);
            } finally {
                try {
                    close();
                    log.info("node {} stopped gracefully ({}): {}", config.worker().nodeName(), cause, report.summary());
                } finally {
                    shutDown.complete(report);
                }
            }
        });
        return true;
    }

    /**
     * Completes once a {@linkplain #shutDownGracefully graceful shutdown} has closed the node, with how its handover
     * went; never completes for a node closed otherwise.
     */
    public CompletableFuture<HandoverReport> shutDown() {
        return shutDown;
    }

    /** Stops components, the worker (its data stays), the HTTP server and the metadata session. Idempotent. */
    @Override
    public synchronized void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        started.clear();
        closeCatchUpRate();
        if (worker != null) {
            worker.close();
        }
        if (http != null) {
            http.stop();
            http = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
    }

    /**
     * Stops the process's work as a crash would: components, HTTP server and Raft server stop, and the
     * metadata session is abandoned without deleting this node's liveness entry. The caller must first cut
     * this node off from the metadata store (so the session cannot announce anything again); the entry then
     * expires with the session, as after a real crash. For tests.
     */
    public synchronized void halt() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        started.clear();
        closeCatchUpRate();
        if (http != null) {
            http.stop();
            http = null;
        }
        if (worker != null) {
            worker.halt();
        }
        ZooKeeperMetadataStore abandoned = store;
        store = null;
        if (abandoned != null) {
            // Closing a session that can no longer reach ZooKeeper waits for the connection timeout: do it aside.
            Thread.ofPlatform().daemon().name("sluice-halt-" + config.worker().nodeName()).start(abandoned::close);
        }
    }

    private void closeCatchUpRate() {
        if (catchUpRate != null) {
            catchUpRate.close();
            catchUpRate = null;
        }
    }
}
