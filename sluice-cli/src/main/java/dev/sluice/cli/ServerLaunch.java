package dev.sluice.cli;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.WorkerState;
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
     * @param parentPid the process whose exit stops the node, so a crashed launcher leaves no orphans
     */
    public record Node(String name, String cluster, Path dataDirectory, String location, String raftHost, int raftPort,
            String httpHost, int httpPort, String zooKeeper, Path tokenFile, int partitions, int replication, int minZones,
            long parentPid, Path credentialsFile, Path nodeTokenFile) {

        public Node {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(cluster, "cluster");
            Objects.requireNonNull(dataDirectory, "dataDirectory");
            Objects.requireNonNull(zooKeeper, "zooKeeper");
            if (tokenFile == null && credentialsFile == null) {
                throw new IllegalArgumentException("BUG: a launched node checks a token file or a credentials file");
            }
            if ((credentialsFile == null) != (nodeTokenFile == null)) {
                throw new IllegalArgumentException("BUG: a launched node with a credentials file needs a node token file, and only then");
            }
        }

        /** A node whose one token has every scope (an older {@code --token-file}). */
        public Node(String name, String cluster, Path dataDirectory, String location, String raftHost, int raftPort, String httpHost, int httpPort,
                String zooKeeper, Path tokenFile, int partitions, int replication, int minZones, long parentPid) {
            this(name, cluster, dataDirectory, location, raftHost, raftPort, httpHost, httpPort, zooKeeper, Objects.requireNonNull(tokenFile, "tokenFile"),
                    partitions, replication, minZones, parentPid, null, null);
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
            return List.copyOf(arguments);
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
