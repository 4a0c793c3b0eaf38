package dev.sluice.cli;

import dev.sluice.api.AdminHttp;
import dev.sluice.api.Credential;
import dev.sluice.api.CredentialSource;
import dev.sluice.api.Credentials;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.MetadataAccessDeniedException;
import dev.sluice.metadata.MetadataUnavailableException;
import dev.sluice.model.Role;
import dev.sluice.model.Scope;
import dev.sluice.server.ControlPlane;
import dev.sluice.server.SluiceNode;
import dev.sluice.raft.RatisSettings;
import dev.sluice.worker.WorkerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice server}: runs one node — worker, admin API, dashboard, metrics and (with the admin role)
 * the controller — until it is told to stop.
 */
@Command(name = "server", description = "Run one Sluice node until stopped: SIGTERM, Ctrl-C or 'sluice nodes shutdown' stop it gracefully.",
        footer = {"", "Settings come from flags, then SLUICE_* environment variables (SLUICE_HTTP_PORT …),",
            "then --config FILE (key = value lines with the flag names as keys), then defaults.", "",
            "On SIGTERM, or when asked through the API ('sluice nodes shutdown NODE'), the node stops reporting",
            "ready, hands its leaderships to other members within --shutdown-timeout, closes and exits with",
            "status 0; a supervisor's stop timeout must be longer (docs/operations.md).", "",
            "Examples:",
            "  sluice server --name node-1 --data-dir /var/lib/sluice \\",
            "      --zookeeper zk1:2181,zk2:2181,zk3:2181 --location eu-west.a",
            "  sluice server --config node.properties --http-port 8081",
            "  sluice server --name solo --data-dir ./solo --embedded-zookeeper --replication 1",
            "  sluice server --config node.properties --http-host 10.0.0.11 --raft-host 10.0.0.11 \\",
            "      --tls-ca certs/ca.crt --tls-cert certs/node-1.crt --tls-key certs/node-1.key", "",
            "Off loopback a node refuses to start without TLS unless --insecure is given; 'sluice certs'",
            "makes the CA and node certificates (docs/security.md)."},
        mixinStandardHelpOptions = true)
final class ServerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServerCommand.class);

    @Spec CommandSpec spec;

    @Option(names = "--config", description = "configuration file (key = value lines)") Path config;
    // Each option's long name is the setting it sets; givenSettings() reads them all through the spec.
    @Option(names = "--name", description = "node name, unique in the cluster (required)") String name;
    @Option(names = "--cluster", description = "cluster name (default sluice)") String cluster;
    @Option(names = "--data-dir", description = "where this node keeps its data (required)") String dataDir;
    @Option(names = "--roles", description = "worker, or worker,admin (default worker,admin)") String roles;
    @Option(names = "--location", description = "region.zone (default local.zone-1)") String location;
    @Option(names = "--raft-host", description = "address to bind and advertise for Raft (default 127.0.0.1)") String raftHost;
    @Option(names = "--raft-port", description = "Raft port; keep it stable across restarts (default 0: a free one)") String raftPort;
    @Option(names = "--raft-election-timeout", description = "shortest Raft election timeout (the longest is twice it; leaders heartbeat every half of it):"
            + " longer saves idle CPU, shorter replaces a crashed leader sooner (default 1s)") String raftElectionTimeout;
    @Option(names = "--http-host", description = "address to bind and advertise for HTTP (default 127.0.0.1)") String httpHost;
    @Option(names = "--http-port", description = "HTTP port for the API, dashboard, data and metrics (default 8080)") String httpPort;
    @Option(names = "--zookeeper", description = "ZooKeeper connect string") String zooKeeper;
    @Option(names = "--embedded-zookeeper", description = "host a single-server ZooKeeper in this process, with its data in the data directory")
    Boolean embeddedZooKeeper;
    @Option(names = "--embedded-zookeeper-port", description = "its port (default 2181)") String embeddedZooKeeperPort;
    @Option(names = "--zookeeper-wait", description = "how long a starting node waits for ZooKeeper before it exits with code 3 (default 2m)")
    String zooKeeperWait;
    @Option(names = "--zookeeper-secret-file", description = "file holding the cluster's ZooKeeper secret: the node authenticates with it and"
            + " creates every node readable and writable by the cluster only (docs/security.md)") String zooKeeperSecretFile;
    @Option(names = "--token-file", description = "file holding one bearer token with every scope (older than --credentials-file, and still"
            + " taken: the credential 'token-file')") String tokenFile;
    @Option(names = "--credentials-file", description = "credentials file: one 'NAME SCOPES sha256:…' line per credential, re-read when it"
            + " changes ('sluice credentials add' makes the lines; docs/security.md)") String credentialsFile;
    @Option(names = "--node-token-file", description = "file holding the token this node presents to other nodes (a credential with the operate"
            + " scope); needed with --credentials-file on a node with the admin role (default: the --token-file token)") String nodeTokenFile;
    @Option(names = "--tls-ca", description = "PEM file of the cluster's CA certificate(s) (during a CA rotation, the old and the new); with --tls-cert"
            + " and --tls-key the node serves HTTPS and trusts only nodes this CA signed") String tlsCa;
    @Option(names = "--tls-cert", description = "this node's PEM certificate, signed by the CA and naming --http-host and --raft-host ('sluice certs node')")
    String tlsCert;
    @Option(names = "--tls-key", description = "this node's PKCS#8 PEM private key") String tlsKey;
    @Option(names = "--insecure", description = "allow plain text (no TLS) on addresses other than loopback, on a network you trust") Boolean insecure;
    @Option(names = "--partitions", description = "partition count, if this node creates the cluster (default 24)") String partitions;
    @Option(names = "--replication", description = "replicas per partition, if this node creates the cluster (default 3)") String replication;
    @Option(names = "--min-zones", description = "zones each partition must span, if this node creates the cluster (default 1)") String minZones;
    @Option(names = "--min-free-space", description = "free space the data directory keeps: below the larger of this and --min-free-space-percent the node "
            + "refuses writes and is not ready; below a quarter of it its Raft server stops until space is freed (default 256MiB)") String minFreeSpace;
    @Option(names = "--min-free-space-percent", description = "the same floor as a percentage of the data directory's filesystem (default 5)")
    String minFreeSpacePercent;
    @Option(names = "--shutdown-timeout", description = "how long a graceful shutdown may spend handing this node's leaderships to other members"
            + " before it stops anyway; 0s hands nothing over (default 20s)") String shutdownTimeout;
    @Option(names = "--max-changes-per-node", description = "the controller's throttle: replica-set changes under way that may involve one worker"
            + " (default 4); 'sluice settings set' changes it at run time for the whole cluster, and a stored value wins") String maxChangesPerNode;
    @Option(names = "--max-changes-in-cluster", description = "the controller's throttle: replica-set changes under way in the cluster (default 16);"
            + " 'sluice settings set' changes it at run time") String maxChangesInCluster;
    @Option(names = "--max-transfer-rate", description = "bytes per second this node's worker takes in to catch up its new replicas (snapshots and"
            + " committed log), such as 32MiB; at least 2MiB, or 0 for no limit (default 0); 'sluice settings set --max-transfer-rate' sets it"
            + " for every node at run time, and a stored value wins") String maxTransferRate;
    @Option(names = "--parent-pid", hidden = true, description = "exit when this process exits (used by 'sluice local')") String parentPid;

    @Override
    public Integer call() throws Exception {
        Map<String, String> flags = givenSettings();
        NodeSettings settings = NodeSettings.resolve(flags, System.getenv(), Optional.ofNullable(config));
        settings.describe().forEach((key, value) -> log.info("setting {} = {}", key, value));
        run(settings);
        return 0;
    }

    /**
     * The settings given as flags, by setting name: each option is named after the setting it sets, so
     * a new setting needs only its {@code @Option} here and its default in {@link NodeSettings}.
     */
    Map<String, String> givenSettings() {
        Map<String, String> flags = new LinkedHashMap<>();
        for (OptionSpec option : spec.options()) {
            String setting = option.longestName().substring("--".length());
            if (NodeSettings.DEFAULTS.containsKey(setting) && option.getValue() != null) {
                flags.put(setting, option.getValue().toString());
            }
        }
        return flags;
    }

    static void run(NodeSettings settings) throws IOException, InterruptedException {
        Files.createDirectories(settings.dataDirectory());
        Optional<String> token = readToken(settings.tokenFile());
        CredentialSource credentials = credentials(settings, token);
        Optional<String> nodeToken = settings.nodeTokenFile().isPresent() ? readToken(settings.nodeTokenFile()) : token;
        checkNodeToken(settings, credentials.current(), nodeToken);
        EmbeddedZooKeeper zooKeeper = null;
        SluiceNode node = null;
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            String connect;
            if (settings.embeddedZooKeeper()) {
                zooKeeper = EmbeddedZooKeeper.start(settings.dataDirectory().resolve("zookeeper"), settings.port("embedded-zookeeper-port"));
                connect = zooKeeper.connectString();
                log.info("embedded ZooKeeper serves {}", connect);
            } else {
                connect = settings.zooKeeper().orElseThrow();
            }
            WorkerConfig.Builder worker = WorkerConfig.builder(settings.name(), settings.cluster(), settings.dataDirectory())
                    .raft(settings.raftHost(), settings.port("raft-port"))
                    .ratis(RatisSettings.defaults().withRpcTimeouts(settings.raftElectionTimeout(), settings.raftElectionTimeout().multipliedBy(2)))
                    .location(settings.location())
                    .roles(settings.roles())
                    .diskSpaceRule(settings.diskSpaceRule())
                    .shutdownTimeout(settings.shutdownTimeout())
                    .maxTransferBytesPerSecond(settings.maxTransferRate());
            settings.tls().ifPresent(tls -> {
                worker.tls(tls);
                log.info("TLS on: serving HTTPS as {}, trusting {}", tls.certificate().getSubjectX500Principal().getName(), tls.trust());
            });
            if (settings.tls().isEmpty() && settings.insecure()) {
                log.warn("TLS off (--insecure): HTTP and Raft traffic is plain text on {} and {}", settings.httpHost(), settings.raftHost());
            }
            SluiceNode.Config nodeConfig = SluiceNode.Config.of(worker.build(), connect, settings.httpHost(), settings.port("http-port"))
                    .withCreateTable(settings.table())
                    .withMetadataStartWait(settings.zooKeeperWait())
                    .withMetadataAccess(settings.zooKeeperAccess());
            ControlPlane controlPlane = new ControlPlane(ControllerConfig.DEFAULTS.withLimits(settings.limits()), credentials, nodeToken,
                    InstantSource.system());
            node = new SluiceNode(nodeConfig, List.of(controlPlane), controlPlane::timed);
            try {
                node.start();
            } catch (MetadataUnavailableException unreachable) {
                // Expected when ZooKeeper is down or the connect string is wrong: one line, not a trace.
                throw new CliException(CliException.UNREACHABLE, "cannot start node " + settings.name() + ": " + unreachable.getMessage()
                        + ". Is ZooKeeper running, and is --zookeeper right?");
            } catch (MetadataAccessDeniedException denied) {
                // Its message names the setting to check; the secret itself is in no message.
                throw new CliException(CliException.FAILED, "cannot start node " + settings.name() + ": " + denied.getMessage());
            }
            SluiceNode running = node;
            EmbeddedZooKeeper runningZooKeeper = zooKeeper;
            // However the process ends — SIGTERM, Ctrl-C, its parent's exit, or the end of a shutdown asked for
            // through the API — the node shuts down gracefully first, unless it already has.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (running.shutDownGracefully("the process is exiting")) {
                    log.info("stopping node {}", settings.name());
                }
                running.shutDown().join();
                if (runningZooKeeper != null) {
                    runningZooKeeper.close();
                }
                stopped.countDown();
            }, "sluice-shutdown"));
            exitWithZeroOnSigterm(running);
            // A shutdown asked for through the API ends the process with status 0, for a supervisor to start it again.
            running.shutDown().thenRun(stopped::countDown);
            settings.parentPid().flatMap(ProcessHandle::of).ifPresent(parent -> parent.onExit().thenRun(() -> {
                log.info("the process that started this node ({}) is gone; stopping", parent.pid());
                running.shutDownGracefully("the process that started it (" + parent.pid() + ") exited");
                System.exit(0);
            }));
            System.out.println("node " + settings.name() + " is up: http " + node.httpUrl() + ", dashboard " + node.httpUrl() + "/");
            System.out.flush();
            stopped.await();
        } catch (IOException | RuntimeException failed) {
            if (node != null) {
                node.close();
            }
            if (zooKeeper != null) {
                zooKeeper.close();
            }
            throw failed;
        }
    }

    /**
     * SIGTERM is how supervisors (systemd, Kubernetes, {@code sluice local}) ask a service to stop, and a node stopped
     * that way stops gracefully: so the process exits with status 0, a success, instead of the JVM's 143. The
     * shutdown hook carries the shutdown out, as for any other exit.
     */
    private static void exitWithZeroOnSigterm(SluiceNode node) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
                node.shutDownGracefully("SIGTERM");
                System.exit(0);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException taken) {
            log.warn("cannot handle SIGTERM itself ({}); a SIGTERM still shuts the node down gracefully, but the process exits with status 143",
                    taken.toString());
        }
    }

    /**
     * What the node's routes accept: the credentials file, followed for changes, with the {@code --token-file} token
     * as one more credential; the token alone; or nothing. A file that cannot be read or parsed stops the start, with
     * the line that is wrong.
     */
    static CredentialSource credentials(NodeSettings settings, Optional<String> token) {
        Optional<Credential> legacy = token.map(t -> Credentials.legacyToken(t, new SecureRandom()));
        if (settings.credentialsFile().isEmpty()) {
            return AdminHttp.legacy(token);
        }
        try {
            return CredentialSource.watching(settings.credentialsFile().get(), legacy, InstantSource.system());
        } catch (IllegalArgumentException invalid) {
            throw new CliException(CliException.USAGE, "the node does not start: " + invalid.getMessage()
                    + " (" + settings.source("credentials-file") + ")");
        }
    }

    /**
     * A node whose controller calls other nodes needs a token they accept, with the {@code operate} scope (status polls
     * and the shutdowns of a rolling restart); checked against the node's own credentials, which every node of a
     * cluster shares, so a wrong one stops the start instead of every poll failing.
     */
    static void checkNodeToken(NodeSettings settings, Credentials credentials, Optional<String> nodeToken) {
        if (!credentials.enforced() || !settings.roles().contains(Role.ADMIN)) {
            return;
        }
        if (nodeToken.isEmpty()) {
            throw new CliException(CliException.USAGE, "a node with the admin role and --credentials-file needs --node-token-file: the token its"
                    + " controller shows other nodes, of a credential with the operate scope ('sluice credentials add node --scopes operate')");
        }
        Optional<Credential> credential = credentials.authenticate(nodeToken.get());
        String origin = settings.nodeTokenFile().map(file -> file + " (" + settings.source("node-token-file") + ")")
                .orElse(settings.tokenFile().map(Path::toString).orElse("the node token"));
        if (credential.isEmpty()) {
            throw new CliException(CliException.USAGE, "the token in " + origin + " is none of the node's credentials: add its line to the"
                    + " credentials file");
        }
        if (!credential.get().grants(Scope.OPERATE)) {
            throw new CliException(CliException.USAGE, "the token in " + origin + " is credential " + credential.get()
                    + ", which lacks the operate scope the controller needs to poll and restart workers");
        }
    }

    static Optional<String> readToken(Optional<Path> file) {
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            String token = Files.readString(file.get(), StandardCharsets.UTF_8).trim();
            if (token.isEmpty()) {
                throw new CliException(CliException.USAGE, "the token file " + file.get() + " is empty");
            }
            return Optional.of(token);
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, "cannot read the token file " + file.get() + ": " + e.getMessage());
        }
    }

}
