package dev.sluice.cli;

import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperIdentity;
import dev.sluice.model.Location;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.security.TlsFileException;
import dev.sluice.security.TlsMaterial;
import dev.sluice.worker.DiskSpaceRule;
import dev.sluice.worker.WorkerConfig;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;

/**
 * The settings of one {@code sluice server}, resolved from, in order of precedence: command-line flags,
 * {@code SLUICE_*} environment variables ({@code http-port} → {@code SLUICE_HTTP_PORT}), the
 * configuration file ({@code key = value} lines), and defaults. Every value is checked here, once, with
 * an error that names the setting and where it came from.
 */
final class NodeSettings {

    /** Ratis' own floor; a node with hundreds of groups already needs about 1 s (see RatisSettings). */
    static final Duration MIN_ELECTION_TIMEOUT = Duration.ofMillis(100);
    /** Above this a crashed leader leaves its partitions unavailable for longer than any client deadline. */
    static final Duration MAX_ELECTION_TIMEOUT = Duration.ofSeconds(30);

    /** Every setting a server understands, with its default ({@code null}: required or absent). */
    static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("name", null);
        defaults.put("cluster", "sluice");
        defaults.put("data-dir", null);
        defaults.put("roles", "worker,admin");
        defaults.put("location", Location.DEFAULT.toString());
        defaults.put("raft-host", "127.0.0.1");
        defaults.put("raft-port", "0");
        defaults.put("raft-election-timeout", "1s");
        defaults.put("http-host", "127.0.0.1");
        defaults.put("http-port", "8080");
        defaults.put("zookeeper", null);
        defaults.put("embedded-zookeeper", "false");
        defaults.put("embedded-zookeeper-port", "2181");
        defaults.put("zookeeper-wait", "2m");
        defaults.put("zookeeper-secret-file", null);
        defaults.put("token-file", null);
        defaults.put("tls-ca", null);
        defaults.put("tls-cert", null);
        defaults.put("tls-key", null);
        defaults.put("insecure", "false");
        defaults.put("credentials-file", null);
        defaults.put("node-token-file", null);
        defaults.put("partitions", "24");
        defaults.put("replication", "3");
        defaults.put("min-zones", "1");
        defaults.put("parent-pid", null);
        defaults.put("min-free-space", DiskSpaceRule.DEFAULT_MIN_FREE_BYTES / DiskSpaceRule.MIB + "MiB");
        defaults.put("min-free-space-percent", Integer.toString(DiskSpaceRule.DEFAULT_MIN_FREE_PERCENT));
        defaults.put("shutdown-timeout", WorkerConfig.DEFAULT_SHUTDOWN_TIMEOUT.toSeconds() + "s");
        defaults.put("max-changes-per-node", Integer.toString(dev.sluice.scheduler.SchedulerLimits.DEFAULT_MAX_CHANGES_PER_NODE));
        defaults.put("max-changes-in-cluster", Integer.toString(dev.sluice.scheduler.SchedulerLimits.DEFAULT_MAX_CHANGES_IN_CLUSTER));
        defaults.put("max-transfer-rate", "0");
        return java.util.Collections.unmodifiableMap(defaults);
    }

    /** The three TLS settings, which come together or not at all. */
    static final List<String> TLS_SETTINGS = List.of("tls-ca", "tls-cert", "tls-key");

    private final Map<String, String> values;
    private final Map<String, String> sources;
    /** Read once by {@link #validate()}; the files are not read again when the node starts. */
    private Optional<TlsMaterial> tls;

    private NodeSettings(Map<String, String> values, Map<String, String> sources) {
        this.values = values;
        this.sources = sources;
    }

    /**
     * @param flags values given on the command line (absent keys were not given)
     * @param environment the process environment
     * @param file the configuration file, if any
     */
    static NodeSettings resolve(Map<String, String> flags, Map<String, String> environment, Optional<Path> file) {
        Map<String, String> fromFile = new LinkedHashMap<>();
        if (file.isPresent()) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new CliException(CliException.USAGE, "cannot read the configuration file " + file.get() + ": " + e.getMessage());
            }
            for (String key : properties.stringPropertyNames()) {
                if (!DEFAULTS.containsKey(key)) {
                    throw new CliException(CliException.USAGE, file.get() + ": unknown setting '" + key + "' (known: " + String.join(", ", DEFAULTS.keySet()) + ")");
                }
                fromFile.put(key, properties.getProperty(key).trim());
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (Map.Entry<String, String> setting : DEFAULTS.entrySet()) {
            String key = setting.getKey();
            String env = "SLUICE_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
            if (flags.get(key) != null) {
                values.put(key, flags.get(key));
                sources.put(key, "--" + key);
            } else if (environment.get(env) != null && !environment.get(env).isBlank()) {
                values.put(key, environment.get(env).trim());
                sources.put(key, env);
            } else if (fromFile.containsKey(key)) {
                values.put(key, fromFile.get(key));
                sources.put(key, file.get() + ": " + key);
            } else if (setting.getValue() != null) {
                values.put(key, setting.getValue());
                sources.put(key, "default");
            }
        }
        NodeSettings settings = new NodeSettings(values, sources);
        settings.validate();
        return settings;
    }

    private void validate() {
        List<String> missing = new ArrayList<>();
        if (!values.containsKey("name")) {
            missing.add("a name: --name (or SLUICE_NAME, or name = … in the file)");
        }
        if (!values.containsKey("data-dir")) {
            missing.add("a data directory: --data-dir (or SLUICE_DATA_DIR, or data-dir = … in the file)");
        }
        if (!embeddedZooKeeper() && !values.containsKey("zookeeper")) {
            missing.add("a metadata store: --zookeeper HOST:PORT[,HOST:PORT…] (or SLUICE_ZOOKEEPER) or --embedded-zookeeper");
        }
        if (!missing.isEmpty()) {
            // All at once: an operator writing a unit file should not learn them one failed start at a time.
            throw new CliException(CliException.USAGE, "a node needs " + missing.size() + " more setting" + (missing.size() == 1 ? "" : "s") + ":\n  "
                    + String.join("\n  ", missing));
        }
        name();
        dataDirectory();
        roles();
        location();
        port("raft-port");
        raftElectionTimeout();
        zooKeeperWait();
        zooKeeperAccess();
        port("http-port");
        port("embedded-zookeeper-port");
        table();
        diskSpaceRule();
        shutdownTimeout();
        limits();
        maxTransferRate();
        tls();
        requireTlsOrLoopback();
    }

    /**
     * The node's TLS material, from {@code tls-ca} (one or more PEM CA certificates: the cluster's CA, or the old and
     * the new one during a rotation), {@code tls-cert} and {@code tls-key} (the node's certificate and PKCS#8 key, as
     * {@code sluice certs} writes them): all three or none. With it the node serves HTTPS and calls its peers with its
     * certificate.
     */
    Optional<TlsMaterial> tls() {
        if (tls != null) {
            return tls;
        }
        List<String> given = TLS_SETTINGS.stream().filter(values::containsKey).toList();
        if (given.isEmpty()) {
            tls = Optional.empty();
            return tls;
        }
        if (given.size() < TLS_SETTINGS.size()) {
            List<String> missing = TLS_SETTINGS.stream().filter(key -> !values.containsKey(key)).map(key -> "--" + key).toList();
            throw new CliException(CliException.USAGE, "TLS needs all three of --tls-ca, --tls-cert and --tls-key, or none; got "
                    + String.join(" and ", given.stream().map(key -> key + " (from " + sources.get(key) + ")").toList()) + " but not "
                    + String.join(" or ", missing) + " (or their SLUICE_TLS_* variables or file settings)");
        }
        Map<Path, String> settingOfFile = new LinkedHashMap<>();
        for (String key : TLS_SETTINGS) {
            settingOfFile.putIfAbsent(Path.of(values.get(key)), key);
        }
        try {
            tls = Optional.of(TlsMaterial.load(Path.of(values.get("tls-ca")), Path.of(values.get("tls-cert")), Path.of(values.get("tls-key")),
                    InstantSource.system()));
            return tls;
        } catch (TlsFileException unusable) {
            String key = settingOfFile.getOrDefault(unusable.file(), "tls-ca");
            throw new CliException(CliException.USAGE, "invalid " + key + " (from " + sources.get(key) + "): " + unusable.getMessage());
        }
    }

    /** Whether the operator chose to run without TLS on addresses others can reach. */
    boolean insecure() {
        return Boolean.parseBoolean(values.get("insecure"));
    }

    /**
     * Refuses plain text on an address other machines can reach: without TLS anyone on the network can read the
     * cluster's traffic and, with a stolen token, change it. Loopback stays open, so a single machine needs no setup.
     */
    private void requireTlsOrLoopback() {
        if (tls().isPresent() || insecure()) {
            return;
        }
        List<String> exposed = new ArrayList<>();
        for (String key : List.of("http-host", "raft-host")) {
            if (!isLoopback(values.get(key))) {
                exposed.add(key + " " + values.get(key) + " (from " + sources.get(key) + ")");
            }
        }
        if (!exposed.isEmpty()) {
            throw new CliException(CliException.USAGE, "refusing to start without TLS on an address other machines can reach: " + String.join(", ", exposed)
                    + ". Either give the node a certificate with --tls-ca, --tls-cert and --tls-key (make them with 'sluice certs'; see docs/security.md),"
                    + " or pass --insecure to run in plain text on a network you trust");
        }
    }

    /** Whether {@code host} names this machine's loopback interface; the wildcard address and unknown names do not. */
    static boolean isLoopback(String host) {
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (literal.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException unknown) {
            return false;
        }
    }

    private CliException invalid(String key, String why) {
        return new CliException(CliException.USAGE, "invalid " + key + " '" + values.get(key) + "' (from " + sources.get(key) + "): " + why);
    }

    String name() {
        String name = values.get("name");
        if (name == null) {
            throw new CliException(CliException.USAGE, "a node needs a name: give --name (or SLUICE_NAME, or name = … in the file)");
        }
        try {
            return NodeConfig.requireValidName(name);
        } catch (IllegalArgumentException e) {
            throw invalid("name", e.getMessage());
        }
    }

    String cluster() {
        String cluster = values.get("cluster");
        if (!isValidCluster(cluster)) {
            throw invalid("cluster", "use lower-case letters, digits and dashes");
        }
        return cluster;
    }

    private static boolean isValidCluster(String cluster) {
        return cluster.matches("[a-z0-9][a-z0-9-]{0,62}");
    }

    /** {@code cluster}, if it is a valid cluster name; otherwise a usage error naming {@code source}. */
    static String requireValidCluster(String cluster, String source) {
        if (!isValidCluster(cluster)) {
            throw new CliException(CliException.USAGE, "invalid cluster name '" + cluster + "' (from " + source + "): use lower-case letters, digits and dashes");
        }
        return cluster;
    }

    Path dataDirectory() {
        String directory = values.get("data-dir");
        if (directory == null) {
            throw new CliException(CliException.USAGE, "a node needs a data directory: give --data-dir (or SLUICE_DATA_DIR, or data-dir = … in the file)");
        }
        return Path.of(directory).toAbsolutePath();
    }

    Set<Role> roles() {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        try {
            for (String role : values.get("roles").split(",")) {
                if (!role.isBlank()) {
                    roles.add(Role.parse(role.trim()));
                }
            }
        } catch (IllegalArgumentException e) {
            throw invalid("roles", e.getMessage());
        }
        if (!roles.contains(Role.WORKER)) {
            throw invalid("roles", "every node is a worker; add 'worker'");
        }
        return roles;
    }

    Location location() {
        try {
            return Location.parse(values.get("location"));
        } catch (IllegalArgumentException e) {
            throw invalid("location", e.getMessage());
        }
    }

    String raftHost() {
        return values.get("raft-host");
    }

    /**
     * The floor of the Raft election timeout. Ratis picks each timeout between it and twice it, and a
     * leader heartbeats every half of it, so it trades idle CPU (heartbeats) against how fast a crashed
     * leader is replaced; planned moves do not wait for it, they transfer leadership explicitly.
     */
    Duration raftElectionTimeout() {
        Duration timeout = duration("raft-election-timeout");
        if (timeout.compareTo(MIN_ELECTION_TIMEOUT) < 0 || timeout.compareTo(MAX_ELECTION_TIMEOUT) > 0) {
            throw invalid("raft-election-timeout", "must be between " + MIN_ELECTION_TIMEOUT.toMillis() + "ms and "
                    + MAX_ELECTION_TIMEOUT.toSeconds() + "s");
        }
        return timeout;
    }

    private Duration duration(String key) {
        try {
            return DurationConverter.parse(values.get(key));
        } catch (CommandLine.TypeConversionException e) {
            throw invalid(key, e.getMessage());
        }
    }

    /** How long a starting node waits for ZooKeeper before it gives up (exit code 3). */
    Duration zooKeeperWait() {
        Duration wait = duration("zookeeper-wait");
        if (wait.isZero() || wait.isNegative()) {
            throw invalid("zookeeper-wait", "must be positive");
        }
        return wait;
    }

    /**
     * How the node reaches ZooKeeper: with {@code zookeeper-secret-file}, authenticated as the cluster's digest
     * identity (user: the cluster's name), every node it creates readable and writable by that identity only;
     * without, open, as clusters were before it existed (docs/security.md, "ZooKeeper").
     */
    ZooKeeperAccess zooKeeperAccess() {
        String file = values.get("zookeeper-secret-file");
        if (file == null) {
            return ZooKeeperAccess.OPEN;
        }
        try {
            return ZooKeeperAccess.secured(ZooKeeperIdentity.fromSecretFile(cluster(), Path.of(file).toAbsolutePath()));
        } catch (IllegalArgumentException e) {
            throw invalid("zookeeper-secret-file", e.getMessage());
        }
    }

    String httpHost() {
        return values.get("http-host");
    }

    int port(String key) {
        try {
            int port = Integer.parseInt(values.get(key));
            if (port < 0 || port > 65535) {
                throw invalid(key, "a port is between 0 and 65535 (0 picks a free one)");
            }
            return port;
        } catch (NumberFormatException e) {
            throw invalid(key, "not a number");
        }
    }

    boolean embeddedZooKeeper() {
        return Boolean.parseBoolean(values.get("embedded-zookeeper"));
    }

    Optional<String> zooKeeper() {
        return Optional.ofNullable(values.get("zookeeper"));
    }

    Optional<Path> tokenFile() {
        return Optional.ofNullable(values.get("token-file")).map(Path::of);
    }

    /** The credentials file the node checks requests against and follows for changes (docs/security.md). */
    Optional<Path> credentialsFile() {
        return Optional.ofNullable(values.get("credentials-file")).map(Path::of);
    }

    /** The file holding the token this node presents when it calls other nodes. */
    Optional<Path> nodeTokenFile() {
        return Optional.ofNullable(values.get("node-token-file")).map(Path::of);
    }

    /** Where a setting's value came from ({@code --token-file}, {@code SLUICE_TOKEN_FILE}, the config file), for messages. */
    String source(String key) {
        return sources.getOrDefault(key, "--" + key);
    }

    Optional<Long> parentPid() {
        try {
            return Optional.ofNullable(values.get("parent-pid")).map(Long::parseLong);
        } catch (NumberFormatException e) {
            throw invalid("parent-pid", "not a process id");
        }
    }

    /** The partition table the node creates if the cluster has none (the first node of a new cluster). */
    PartitionTable table() {
        try {
            return new PartitionTable(Integer.parseInt(values.get("partitions")),
                    new ReplicationProperty(Integer.parseInt(values.get("replication")), Integer.parseInt(values.get("min-zones"))));
        } catch (NumberFormatException e) {
            throw new CliException(CliException.USAGE, "partitions, replication and min-zones must be numbers");
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, "invalid partition table settings: " + e.getMessage());
        }
    }

    /**
     * The free space the data directory must keep: the larger of {@code min-free-space} (a size) and
     * {@code min-free-space-percent} of the filesystem. Below it the node refuses writes and reports itself not
     * ready; below a quarter of it its Raft server stops (docs/worker.md, "Disk space").
     */
    DiskSpaceRule diskSpaceRule() {
        long bytes;
        try {
            bytes = DiskSpaceRule.parseBytes(values.get("min-free-space"));
        } catch (IllegalArgumentException e) {
            throw invalid("min-free-space", e.getMessage());
        }
        int percent;
        try {
            percent = Integer.parseInt(values.get("min-free-space-percent").trim().replaceFirst("%$", ""));
        } catch (NumberFormatException e) {
            throw invalid("min-free-space-percent", "not a whole number of percent");
        }
        try {
            new DiskSpaceRule(bytes, DiskSpaceRule.DEFAULT_MIN_FREE_PERCENT);
        } catch (IllegalArgumentException e) {
            throw invalid("min-free-space", e.getMessage());
        }
        try {
            return new DiskSpaceRule(bytes, percent);
        } catch (IllegalArgumentException e) {
            throw invalid("min-free-space-percent", e.getMessage());
        }
    }

    /**
     * How long a graceful shutdown (SIGTERM, or the admin API's shutdown route) may spend handing this node's
     * leaderships to other members before it stops anyway; 0 hands nothing over. A supervisor's stop timeout
     * ({@code TimeoutStopSec}, {@code terminationGracePeriodSeconds}) must be above it (docs/operations.md).
     */
    Duration shutdownTimeout() {
        Duration timeout = duration("shutdown-timeout");
        try {
            return WorkerConfig.requireValidShutdownTimeout(timeout);
        } catch (IllegalArgumentException e) {
            throw invalid("shutdown-timeout", "must be from 0s (hand no leadership over) to " + WorkerConfig.SHUTDOWN_TIMEOUT_MAX.toMinutes() + "m");
        }
    }

    /**
     * The controller's throttles this node starts with, from {@code max-changes-per-node} and {@code max-changes-in-cluster}:
     * they apply while no operator has stored others at run time ({@code sluice settings set}), which then win on every node.
     */
    dev.sluice.scheduler.SchedulerLimits limits() {
        int perNode = wholeNumber("max-changes-per-node", dev.sluice.controller.Throttles.MAX_CHANGES_PER_NODE_LIMIT);
        int inCluster = wholeNumber("max-changes-in-cluster", dev.sluice.controller.Throttles.MAX_CHANGES_IN_CLUSTER_LIMIT);
        return dev.sluice.scheduler.SchedulerLimits.DEFAULTS.withMaxChangesPerNode(perNode).withMaxChangesInCluster(inCluster);
    }

    /**
     * The byte rate at which this node's worker takes in catch-up traffic until an operator stores one for the cluster
     * ({@code max-transfer-rate}: a size per second, {@code 32MiB}; {@code 0} for no limit).
     */
    long maxTransferRate() {
        String text = values.get("max-transfer-rate").trim().replaceFirst("(?i)/s$", "");
        try {
            return dev.sluice.raft.TransferRate.validate(dev.sluice.model.ByteSizes.parse(text));
        } catch (IllegalArgumentException e) {
            throw invalid("max-transfer-rate", e.getMessage());
        }
    }

    private int wholeNumber(String key, int max) {
        try {
            int value = Integer.parseInt(values.get(key).trim());
            if (value >= 1 && value <= max) {
                return value;
            }
        } catch (NumberFormatException notANumber) {
            // Said below, with the range.
        }
        throw invalid(key, "must be a whole number from 1 to " + max);
    }

    /** Where each setting came from, for the start-up log. */
    Map<String, String> describe() {
        Map<String, String> description = new LinkedHashMap<>();
        values.forEach((key, value) -> description.put(key, (key.contains("token") ? "(set)" : value) + " [" + sources.get(key) + "]"));
        return description;
    }
}
