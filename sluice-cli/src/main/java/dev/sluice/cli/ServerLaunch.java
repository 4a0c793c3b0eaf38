package dev.sluice.cli;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.WorkerState;
import dev.sluice.security.TlsFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a cluster of {@code sluice server} child processes is made: the JVM options and arguments of each
 * node, its credentials (a credentials file, or an older shared bearer token), and when the cluster counts as ready. {@code sluice local} and the
 * fault-injection harness ({@code sluice-chaos}) both start their nodes through this class, so a cluster
 * on network-namespace hosts is created exactly as a local one: every node is a worker with the admin role,
 * and the first node to reach an empty metadata store creates the partition table from its flags.
 */
public final class ServerLaunch {

    /** The class whose {@code main} is the {@code sluice} command (the shaded jar's entry point). */
    public static final String MAIN_CLASS = SluiceCommand.class.getName();
    /** Every node of a launched cluster can run the controller, so losing one never leaves it without one. */
    public static final String ROLES = "worker,admin";

    private ServerLaunch() {}

    /**
     * One node's settings, turned into {@code sluice server} arguments by {@link #arguments()}.
     *
     * @param tokenFile the one token with every scope (an older {@code --token-file}), or {@code null} with a credentials file
     * @param parentPid the process whose exit stops the node, so a crashed launcher leaves no orphans
     * @param zooKeeperSecretFile the cluster's ZooKeeper secret, or {@code null} for an open tree
     * @param tls the node's TLS files, if it serves HTTPS
     * @param insecure whether it may run in plain text on addresses other than loopback
     * @param credentialsFile the credentials the node checks, or {@code null} with a token file
     * @param nodeTokenFile the token the node shows other nodes, with a credentials file only
     */
    public record Node(String name, String cluster, Path dataDirectory, String location, String raftHost, int raftPort,
            String httpHost, int httpPort, String zooKeeper, Path tokenFile, int partitions, int replication, int minZones,
            long parentPid, Path zooKeeperSecretFile, Optional<NodeTlsFiles> tls, boolean insecure, Path credentialsFile, Path nodeTokenFile) {

        public Node {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(cluster, "cluster");
            Objects.requireNonNull(dataDirectory, "dataDirectory");
            Objects.requireNonNull(zooKeeper, "zooKeeper");
            Objects.requireNonNull(tls, "tls");
            if (tokenFile == null && credentialsFile == null) {
                throw new IllegalArgumentException("BUG: a launched node checks a token file or a credentials file");
            }
            if ((credentialsFile == null) != (nodeTokenFile == null)) {
                throw new IllegalArgumentException("BUG: a launched node with a credentials file needs a node token file, and only then");
            }
        }

        /** A node of a cluster whose ZooKeeper tree is secured by {@code zooKeeperSecretFile}, in plain text, whose one token has every scope. */
        public Node(String name, String cluster, Path dataDirectory, String location, String raftHost, int raftPort,
                String httpHost, int httpPort, String zooKeeper, Path tokenFile, int partitions, int replication, int minZones,
                long parentPid, Path zooKeeperSecretFile) {
            this(name, cluster, dataDirectory, location, raftHost, raftPort, httpHost, httpPort, zooKeeper, tokenFile, partitions, replication, minZones,
                    parentPid, zooKeeperSecretFile, Optional.empty(), false, null, null);
        }

        /**
         * A node in plain text with an open ZooKeeper tree, whose one token has every scope, which refuses to start unless its
         * hosts are loopback addresses.
         */
        public Node(String name, String cluster, Path dataDirectory, String location, String raftHost, int raftPort,
                String httpHost, int httpPort, String zooKeeper, Path tokenFile, int partitions, int replication, int minZones,
                long parentPid) {
            this(name, cluster, dataDirectory, location, raftHost, raftPort, httpHost, httpPort, zooKeeper, Objects.requireNonNull(tokenFile, "tokenFile"),
                    partitions, replication, minZones, parentPid, null);
        }

        public Node withTls(NodeTlsFiles files) {
            return new Node(name, cluster, dataDirectory, location, raftHost, raftPort, httpHost, httpPort, zooKeeper, tokenFile, partitions, replication,
                    minZones, parentPid, zooKeeperSecretFile, Optional.of(files), insecure, credentialsFile, nodeTokenFile);
        }

        public Node withInsecure() {
            return new Node(name, cluster, dataDirectory, location, raftHost, raftPort, httpHost, httpPort, zooKeeper, tokenFile, partitions, replication,
                    minZones, parentPid, zooKeeperSecretFile, tls, true, credentialsFile, nodeTokenFile);
        }

        public List<String> arguments() {
            List<String> arguments = new ArrayList<>(List.of("server",
                    "--name", name,
                    "--cluster", cluster,
                    "--data-dir", dataDirectory.toString(),
                    "--roles", ROLES,
                    "--location", location,
                    "--raft-host", raftHost,
                    "--raft-port", Integer.toString(raftPort),
                    "--http-host", httpHost,
                    "--http-port", Integer.toString(httpPort),
                    "--zookeeper", zooKeeper,
                    "--partitions", Integer.toString(partitions),
                    "--replication", Integer.toString(replication),
                    "--min-zones", Integer.toString(minZones),
                    "--parent-pid", Long.toString(parentPid)));
            if (tokenFile != null) {
                arguments.addAll(List.of("--token-file", tokenFile.toString()));
            }
            if (credentialsFile != null) {
                arguments.addAll(List.of("--credentials-file", credentialsFile.toString(), "--node-token-file", nodeTokenFile.toString()));
            }
            if (zooKeeperSecretFile != null) {
                arguments.addAll(List.of("--zookeeper-secret-file", zooKeeperSecretFile.toString()));
            }
            tls.ifPresent(files -> arguments.addAll(List.of("--tls-ca", files.ca().toString(), "--tls-cert", files.certificate().toString(),
                    "--tls-key", files.key().toString())));
            if (insecure) {
                arguments.add("--insecure");
            }
            return List.copyOf(arguments);
        }
    }

    /** The files a node's {@code --tls-ca}, {@code --tls-cert} and {@code --tls-key} name. */
    public record NodeTlsFiles(Path ca, Path certificate, Path key) {
        public NodeTlsFiles {
            Objects.requireNonNull(ca, "ca");
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }

        /** A node's files in a certificate directory as {@code sluice certs} writes it. */
        public static NodeTlsFiles in(Path directory, String node) {
            return new NodeTlsFiles(TlsFiles.caCertificate(directory), TlsFiles.nodeCertificate(directory, node), TlsFiles.nodeKey(directory, node));
        }
    }

    /**
     * The JVM options of a node process. {@code startFast} limits compilation to C1, which suits a cluster
     * that lives for minutes on a small machine (see {@link LocalCluster.Lifetime}).
     */
    public static List<String> javaOptions(boolean startFast) {
        List<String> options = new ArrayList<>(List.of("-Xmx384m", "-XX:+UseSerialGC",
                "-Djava.net.preferIPv4Stack=true", "--enable-native-access=ALL-UNNAMED"));
        if (startFast) {
            options.add("-XX:TieredStopAtLevel=1");
        }
        if (Runtime.version().feature() >= 24) {
            // Ratis's shaded Netty still uses sun.misc.Unsafe; allow it quietly (JEP 498).
            options.add("--sun-misc-unsafe-memory-access=allow");
        }
        return List.copyOf(options);
    }

    /** The java executable of this JVM, which the children run too. */
    public static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** The token in {@code file}, after writing a fresh random one (readable by the owner only) if there is none. */
    public static String createOrReadToken(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            Files.writeString(file, HexFormat.of().formatHex(random) + "\n", StandardCharsets.UTF_8);
            restrict(file);
        }
        return Files.readString(file, StandardCharsets.UTF_8).trim();
    }

    /**
     * The ZooKeeper secret in {@code file}, after writing a fresh random one if there is none: 32 random bytes as
     * hex, created readable by the owner only (never, even for a moment, by anyone else).
     */
    public static void createZooKeeperSecret(Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        Files.writeString(file, HexFormat.of().formatHex(random) + "\n", StandardCharsets.UTF_8);
    }

    static void restrict(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException notPosix) {
            // Best effort on file systems without POSIX permissions.
        }
    }

    /**
     * Whether a launched cluster is ready: {@code workers} workers registered and none still
     * provisioning, and all {@code partitions} placed with a leader and no move in flight.
     */
    public static boolean ready(ClusterMetadata metadata, int workers, int partitions) {
        List<NodeConfig> registered = metadata.nodes().current().workers();
        boolean settled = registered.size() >= workers && registered.stream().noneMatch(n -> n.workerState() == WorkerState.PROVISIONING);
        var placements = metadata.placements().readAll();
        boolean placed = placements.size() == partitions
                && placements.values().stream().allMatch(v -> !v.placement().hasNext() && v.placement().leader() != null);
        return settled && placed;
    }
}
