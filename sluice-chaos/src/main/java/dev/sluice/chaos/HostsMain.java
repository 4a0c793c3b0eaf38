package dev.sluice.chaos;

import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code sluice hosts}: a Sluice cluster whose nodes are separate hosts on this machine — a three-server ZooKeeper
 * ensemble and N nodes, each process in its own network namespace with its own address — run with what a cluster
 * across machines needs (TLS, scoped credentials, the ZooKeeper secret, a fixed Raft port). {@code up} prints how
 * to reach it and runs until Ctrl-C; {@code drain-rejoin} runs the measured drain and rejoin under load and exits.
 * Exits 0 when done (for {@code drain-rejoin}: no problem found), 1 when the scenario found a problem or the
 * cluster failed, 2 on bad usage, 3 when this machine cannot make hosts (not root, or no {@code ip} /
 * {@code iptables}).
 */
public final class HostsMain {

    static final String CLUSTER_NAME = "hosts";
    static final int DEFAULT_WORKERS = 4;
    static final int DEFAULT_PARTITIONS = 24;
    static final int DEFAULT_REPLICATION = 3;
    /** How often {@code up} looks for a process that died, to say so while the cluster runs. */
    static final Duration WATCH_INTERVAL = Duration.ofSeconds(5);

    static final String USAGE = """
            usage: sluice hosts [up | drain-rejoin] [--workers 4] [--partitions 24] [--replication 3] [--seed N] [--output target/hosts]

            Starts a Sluice cluster whose nodes are separate hosts on this machine: a three-server ZooKeeper ensemble and
            --workers nodes, each process in its own network namespace with its own address on a private 10.2xx.y.0/24,
            joined by a bridge. The nodes run as across real machines: TLS with the run's CA, scoped credentials, the
            cluster's ZooKeeper tree owned by its secret, Raft on port 7000 and HTTPS on 8080 of each node's address.
            Needs root, iproute2 ('ip') and iptables. Everything it made is removed when it ends, also on Ctrl-C.

              up             print the hosts, the connect string, the admin URL and the credentials, then run until Ctrl-C
              drain-rejoin   under client load, drain one worker (seeded) until disabled, restart it on the same address
                             and Raft port, make it active again until balanced; print the times, moves, client errors
                             and lost writes, then stop

            examples:
              sluice hosts up --workers 5 --partitions 24
              sluice hosts drain-rejoin --workers 6 --partitions 48 --seed 7
            """;

    private HostsMain() {}

    /** What the command line asked for. */
    record Options(boolean drainRejoin, int workers, int partitions, int replication, Optional<Long> seed, Path output) {}

    public static void main(String[] args) throws Exception {
        Optional<Options> parsed;
        try {
            parsed = parse(args);
        } catch (IllegalArgumentException bad) {
            System.err.println(bad.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (parsed.isEmpty()) {
            System.out.print(USAGE);
            return;
        }
        Options options = parsed.get();
        Optional<String> unsupported = HostNetwork.unsupported();
        if (unsupported.isPresent()) {
            System.err.println("sluice hosts cannot run here: " + unsupported.get());
            System.exit(3);
        }
        System.exit(run(options, System.out));
    }

    /**
     * Reads the command line; empty for {@code --help}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static Optional<Options> parse(String[] args) {
        boolean drainRejoin = false;
        int workers = DEFAULT_WORKERS;
        int partitions = DEFAULT_PARTITIONS;
        int replication = DEFAULT_REPLICATION;
        Optional<Long> seed = Optional.empty();
        Path output = Path.of("target", "hosts");
        int i = 0;
        if (args.length > 0 && !args[0].startsWith("-")) {
            drainRejoin = switch (args[0]) {
                case "up" -> false;
                case "drain-rejoin" -> true;
                default -> throw new IllegalArgumentException("unknown action '" + args[0] + "' (up or drain-rejoin)");
            };
            i = 1;
        }
        for (; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return Optional.empty();
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + arg);
            }
            String value = args[++i];
            switch (arg) {
                case "--workers" -> workers = number(arg, value);
                case "--partitions" -> partitions = number(arg, value);
                case "--replication" -> replication = number(arg, value);
                case "--seed" -> {
                    try {
                        seed = Optional.of(Long.parseLong(value));
                    } catch (NumberFormatException notNumber) {
                        throw new IllegalArgumentException("--seed takes a number, got '" + value + "'");
                    }
                }
                case "--output" -> output = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        if (drainRejoin && workers <= replication) {
            throw new IllegalArgumentException("drain-rejoin needs more workers than replicas, so the drained worker's replicas have somewhere to go: "
                    + workers + " workers, replication " + replication);
        }
        layout(workers, partitions, replication);
        return Optional.of(new Options(drainRejoin, workers, partitions, replication, seed, output));
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException notNumber) {
            throw new IllegalArgumentException(option + " takes a number, got '" + value + "'");
        }
    }

    /**
     * Start-up allowed per node beyond the chaos cluster's: on the shared two-core machine eight nodes took over three
     * minutes to start and balance 64 partitions (load average 37-54), each JVM competing for the same cores.
     */
    static final Duration START_TIMEOUT_PER_NODE = Duration.ofSeconds(45);

    /** The layout of a multi-host cluster: what a cluster across machines runs with, on plain data directories. */
    static ChaosCluster.Layout layout(int workers, int partitions, int replication) {
        return new ChaosCluster.Layout(CLUSTER_NAME, workers, partitions, replication, ChaosCluster.Access.SCOPED_CREDENTIALS, false,
                HostNetwork.Subnets.HOSTS, ChaosCluster.START_TIMEOUT.plus(START_TIMEOUT_PER_NODE.multipliedBy(workers)));
    }

    /** Starts the cluster and runs {@code options}' action; returns the exit status. */
    static int run(Options options, PrintStream out) throws Exception {
        Path directory = options.output().toAbsolutePath()
                .resolve(LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + CLUSTER_NAME);
        out.println("load before start: " + Shell.run("uptime").output());
        long starting = System.nanoTime();
        try (ChaosCluster cluster = ChaosCluster.start(directory, layout(options.workers(), options.partitions(), options.replication()), out)) {
            out.printf(java.util.Locale.ROOT, "started in %.1f s%n", (System.nanoTime() - starting) / 1e9);
            describe(cluster).forEach(out::println);
            if (!options.drainRejoin()) {
                out.println("Ctrl-C stops every process and removes the hosts; the logs stay in " + directory.resolve("logs"));
                watch(cluster, out);
                return 0;
            }
            long seed = options.seed().orElseGet(() -> new SecureRandom().nextLong());
            DrainRejoin.Result result = DrainRejoin.run(cluster, seed, true, out);
            out.println();
            out.println(String.format(java.util.Locale.ROOT, "cluster         %d workers, %d partitions × %d replicas, on %d hosts",
                    options.workers(), options.partitions(), options.replication(), options.workers() + ChaosCluster.ZOOKEEPERS));
            result.describe().forEach(out::println);
            out.println("load after run: " + Shell.run("uptime").output());
            return result.problems().isEmpty() && result.lostWrites() == 0 ? 0 : 1;
        }
    }

    /** Until the JVM is stopped, says when a process of the cluster exits by itself. */
    private static void watch(ChaosCluster cluster, PrintStream out) throws InterruptedException {
        List<String> reported = new ArrayList<>();
        while (true) {
            for (String exit : cluster.unexpectedExits()) {
                if (!reported.contains(exit)) {
                    reported.add(exit);
                    out.println("exited on its own: " + exit);
                }
            }
            Thread.sleep(WATCH_INTERVAL);
        }
    }

    /** How to reach the cluster: hosts, ports, the connect string, the credentials, one node's command line. */
    static List<String> describe(ChaosCluster cluster) {
        List<String> lines = new ArrayList<>();
        HostNetwork network = cluster.network();
        ChaosCluster.Layout layout = cluster.layout();
        lines.add("");
        lines.add(String.format("Sluice cluster '%s': %d ZooKeeper servers and %d nodes, each on its own host; %d partitions × %d replicas",
                layout.clusterName(), ChaosCluster.ZOOKEEPERS, layout.nodes(), layout.partitions(), layout.replication()));
        lines.add(String.format("run %s, subnet %s, bridge %s at %s (this machine's side)", network.runId(), network.subnet(), network.bridge(),
                network.bridgeAddress()));
        lines.add(String.format("  %-8s %-20s %-15s %s", "HOST", "NAMESPACE", "ADDRESS", "LISTENS ON"));
        for (HostProcess zooKeeper : cluster.zooKeepers()) {
            lines.add(String.format("  %-8s %-20s %-15s %d client, 2888 quorum, 3888 election", zooKeeper.name(), zooKeeper.host().namespace(),
                    zooKeeper.host().address(), ChaosCluster.ZOOKEEPER_CLIENT_PORT));
        }
        for (HostProcess node : cluster.nodes()) {
            lines.add(String.format("  %-8s %-20s %-15s %d Raft (gRPC, mutual TLS), %d HTTPS (API, dashboard, data, metrics)", node.name(),
                    node.host().namespace(), node.host().address(), ChaosCluster.RAFT_PORT, ChaosCluster.HTTP_PORT));
        }
        HostProcess first = cluster.nodes().getFirst();
        lines.add("ZooKeeper connect string: " + cluster.connectString());
        lines.add("admin API and dashboard:  " + cluster.url(first) + "/ (any node)");
        lines.add("CA certificate:           " + cluster.caCertificate());
        cluster.credentials().ifPresent(secrets -> {
            lines.add("operator token:           " + secrets.operatorTokenFile() + "  (credential 'operator': admin, data)");
            lines.add("node token:               " + secrets.nodeTokenFile() + "  (credential 'node': operate)");
            lines.add("credentials file:         " + secrets.credentialsFile());
            lines.add("ZooKeeper secret:         " + secrets.zooKeeperSecretFile());
        });
        lines.add("ZooKeeper configuration:  " + cluster.zooKeeperConfig(cluster.zooKeepers().getFirst()));
        lines.add(first.name() + " runs, inside " + first.host().namespace() + ":");
        lines.add("  " + String.join(" ", cluster.commandOf(first)));
        String reach = "--url " + cluster.url(first) + " --tls-ca " + cluster.caCertificate()
                + cluster.credentials().map(s -> " --token-file " + s.operatorTokenFile()).orElse("");
        lines.add("try:");
        lines.add("  ./sluice nodes list " + reach);
        lines.add("  ./sluice nodes drain " + cluster.nodes().getLast().name() + " --wait " + reach);
        lines.add("  ip netns exec " + first.host().namespace() + " ss -ltn");
        return lines;
    }
}
