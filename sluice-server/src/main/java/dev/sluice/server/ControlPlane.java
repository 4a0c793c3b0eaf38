package dev.sluice.server;

import dev.sluice.api.AdminApi;
import dev.sluice.api.AdminHttp;
import dev.sluice.api.CredentialSource;
import dev.sluice.api.DashboardHttp;
import dev.sluice.api.LocalNode;
import dev.sluice.controller.ClusterController;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.ControllerMetrics;
import dev.sluice.controller.Lifecycle;
import dev.sluice.controller.RatisDataPlane;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.Role;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ShutdownStatus;
import dev.sluice.worker.Worker;
import dev.sluice.security.TlsMaterial;
import io.javalin.config.JavalinConfig;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.InstantSource;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's control plane: the admin API and the dashboard (every node), the cluster controller (nodes
 * with the admin role, one of which leads) and the Prometheus metrics endpoint. Plugged into {@link SluiceNode}.
 */
public final class ControlPlane implements NodeComponent {

    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    /** Room for leadership transfers on top of the cluster's limit on concurrent changes. */
    private static final int EXTRA_RAFT_OPERATIONS = 16;

    private final ControllerConfig controllerConfig;
    private final CredentialSource credentials;
    private final Optional<String> nodeToken;
    private final InstantSource clock;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile AdminApi api;
    private ClusterController controller;
    private RatisDataPlane dataPlane;
    private NodeMetrics nodeMetrics;

    /** A control plane whose node has one token with every scope (an older {@code --token-file}), or none. */
    public ControlPlane(ControllerConfig controllerConfig, Optional<String> token, InstantSource clock) {
        this(controllerConfig, AdminHttp.legacy(token), token, clock);
    }

    /**
     * @param credentials what the node's HTTP routes accept
     * @param nodeToken the token this node presents when it calls another node's routes (the controller's status
     *     polls and shutdown requests): a credential with the {@code operate} scope, needed when nodes check credentials
     */
    public ControlPlane(ControllerConfig controllerConfig, CredentialSource credentials, Optional<String> nodeToken, InstantSource clock) {
        this.controllerConfig = controllerConfig;
        this.credentials = java.util.Objects.requireNonNull(credentials, "credentials");
        this.nodeToken = java.util.Objects.requireNonNull(nodeToken, "nodeToken");
        this.clock = clock;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    @Override
    public String name() {
        return "control plane";
    }

    @Override
    public void routes(JavalinConfig config) {
        AdminHttp.install(config, () -> api, credentials);
        DashboardHttp.install(config);
        config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(registry.scrape()));
    }

    @Override
    public void start(SluiceNode node) {
        String cluster = node.config().worker().clusterName();
        nodeMetrics = new NodeMetrics(registry, node);
        Optional<SSLContext> peerTls = node.config().worker().tls().map(TlsMaterial::sslContext);
        api = new AdminApi(cluster, node.metadata(), new Lifecycle(node.metadata(), controllerConfig.limits(), clock), new NodeProcess(node), peerTls);
        if (node.config().worker().roles().contains(Role.ADMIN)) {
            // The node's token lets the controller read workers' status and ask them to shut down (a rolling restart); its HTTP
            // and Raft calls go out under its own node's certificate, as that node's peers' do.
            dataPlane = new RatisDataPlane(cluster, controllerConfig.limits().maxChangesInCluster() + EXTRA_RAFT_OPERATIONS, clock, nodeToken,
                    node.config().worker().tls());
            controller = new ClusterController(node.metadata(), dataPlane, controllerConfig, clock, node.config().worker().nodeName(),
                    new ControllerMetrics(registry));
            controller.start();
            log.info("{} takes part in the controller election", node.config().worker().nodeName());
        }
    }

    /** The node process this control plane runs in, as the admin API acts on it: its incarnation and its graceful shutdown. */
    private record NodeProcess(SluiceNode node) implements LocalNode {
        @Override
        public long transferRateFlag() {
            return node.config().worker().maxTransferBytesPerSecond();
        }

        @Override
        public Optional<GenerationalNodeId> self() {
            return node.worker().self().map(NodeConfig::id);
        }

        @Override
        public ShutdownBegun shutDown(String cause) {
            Worker worker = node.worker();
            // Counted before the handover starts, which may move some within milliseconds.
            int leaderships = (int) worker.status().replicas().stream().filter(replica -> replica.role() == ReplicaRole.LEADER).count();
            boolean started = node.shutDownGracefully(cause);
            ShutdownStatus shutdown = worker.shutdown().orElseThrow(() -> new IllegalStateException(
                    "BUG: node " + node.config().worker().nodeName() + " shuts down but its worker does not"));
            return new ShutdownBegun(started, shutdown, leaderships);
        }
    }

    /** Wraps a node's metadata store so this control plane's registry times its operations. */
    public dev.sluice.metadata.MetadataStore timed(dev.sluice.metadata.MetadataStore store) {
        return new TimedMetadataStore(store, registry);
    }

    /** The controller of this node, if it has the admin role. */
    public Optional<ClusterController> controller() {
        return Optional.ofNullable(controller);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        if (controller != null) {
            controller.close();
        }
        if (dataPlane != null) {
            dataPlane.close();
        }
        if (nodeMetrics != null) {
            nodeMetrics.close();
        }
        registry.close();
    }
}
