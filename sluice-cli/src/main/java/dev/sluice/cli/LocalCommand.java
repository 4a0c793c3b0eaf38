package dev.sluice.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice local}: a whole cluster on this machine, until Ctrl-C. */
@Command(name = "local", description = "Run a cluster on this machine: an embedded ZooKeeper and one process per worker, until Ctrl-C or SIGTERM.",
        footer = {"", "Worker N serves HTTPS on --http-port + N - 1, with a certificate of the cluster's own CA",
            "(<data-dir>/certs/ca.crt, made on the first start). Its nodes check credentials",
            "(<data-dir>/credentials): the operator's token in <data-dir>/token may do everything, read-token",
            "only look, data-token only read and write keys. The operator's token stays in <data-dir>/token;",
            "'local' records a copy for the cluster's addresses under $SLUICE_HOME/clusters (SLUICE_HOME",
            "defaults to ~/.sluice), with a copy of the CA, and makes it the current cluster",
            "($SLUICE_HOME/current): commands without --url or SLUICE_URL talk to it and trust its CA.",
            "Its ZooKeeper secret stays in <data-dir>/zookeeper-secret: only processes holding it may read",
            "or change the cluster's ZooKeeper tree.",
            "A second 'local' on the same --data-dir resumes the same cluster.", "",
            "Examples:", "  sluice local", "  sluice local --workers 5 --zones 3 --data-dir /tmp/sluice-5"},
        mixinStandardHelpOptions = true)
final class LocalCommand implements Callable<Integer> {

    @Option(names = "--workers", description = "worker processes (default ${DEFAULT-VALUE})", defaultValue = "4") int workers;
    @Option(names = "--partitions", description = "partitions (default ${DEFAULT-VALUE})", defaultValue = "24") int partitions;
    @Option(names = "--replication", description = "replicas per partition (default ${DEFAULT-VALUE})", defaultValue = "3") int replication;
    @Option(names = "--zones", description = "zones the workers are spread over (default ${DEFAULT-VALUE})", defaultValue = "1") int zones;
    @Option(names = "--http-port", description = "HTTP port of worker 1 (default ${DEFAULT-VALUE})", defaultValue = "8080") int httpPort;
    @Option(names = "--raft-port", description = "Raft port of worker 1 (default ${DEFAULT-VALUE})", defaultValue = "9080") int raftPort;
    @Option(names = "--data-dir", description = "where the cluster keeps its data (default ./sluice-local)", defaultValue = "sluice-local") Path dataDir;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean explicit = spec.commandLine().getParseResult().hasMatchedOption("--workers") || spec.commandLine().getParseResult().hasMatchedOption("--partitions")
                || spec.commandLine().getParseResult().hasMatchedOption("--replication") || spec.commandLine().getParseResult().hasMatchedOption("--zones")
                || spec.commandLine().getParseResult().hasMatchedOption("--http-port");
        LocalCluster cluster = LocalCluster.open(dataDir.toAbsolutePath(), new LocalCluster.Layout(workers, partitions, replication, zones, httpPort, raftPort),
                explicit, LocalCluster.Lifetime.UNTIL_STOPPED);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nstopping the local cluster…");
            main.interrupt();
            cluster.close();
            stopped.countDown();
        }, "sluice-local-shutdown"));
        try {
            cluster.start(System.out);
        } catch (CliException | java.io.IOException failed) {
            cluster.close();
            throw failed;
        }
        announce(cluster, SluiceHome.ofEnvironment(), System.out);
        System.out.println("Stop with Ctrl-C.");
        System.out.flush();
        try {
            cluster.watchChildren(System.out);
        } catch (InterruptedException stopping) {
            stopped.await();
        }
        return 0;
    }

    /**
     * Records the started cluster in the CLI's home (its token, for its addresses, and it as the current
     * cluster, so commands without --url talk to it) and prints how to reach it.
     */
    static void announce(LocalCluster cluster, SluiceHome home, PrintStream out) throws IOException {
        SluiceHome.Cluster recorded = home.remember(cluster.urls(), cluster.token(), cluster.tokenFile(), Optional.of(cluster.caFile()));
        LocalCluster.Layout layout = cluster.layout();
        out.println();
        out.println("Sluice local cluster is up: " + layout.workers() + " workers, " + layout.partitions() + " partitions × " + layout.replication());
        for (int worker = 1; worker <= layout.workers(); worker++) {
            out.println("  worker-" + worker + "  " + layout.httpUrl(worker));
        }
        out.println("  dashboard  " + cluster.url() + "/#token=" + cluster.token());
        out.println("  token      " + cluster.tokenFile() + " (admin and data; recorded for this cluster in " + recorded.tokenFile() + ")");
        out.println("  others     " + cluster.directory().resolve(LocalCredentials.READ_TOKEN_FILE) + " (read only), "
                + cluster.directory().resolve(LocalCredentials.DATA_TOKEN_FILE) + " (data only); credentials checked: "
                + cluster.credentials().credentialsFile());
        out.println("  CA         " + cluster.caFile() + " (recorded in " + recorded.caFile().orElseThrow() + ")");
        out.println("  zookeeper  " + cluster.zooKeeperConnectString() + ", secured: only holders of " + cluster.zooKeeperSecretFile() + " may read or change the cluster");
        out.println();
        out.println("The workers serve HTTPS with certificates of the cluster's own CA: a browser warns about the dashboard until you");
        out.println("import " + cluster.caFile() + " as a trusted authority, or accept the exception once.");
        out.println();
        out.println("Commands without --url now talk to this cluster (recorded in " + home.currentFile() + "). From another SLUICE_HOME, or for scripts:");
        out.println("  export SLUICE_URL=" + cluster.url() + " SLUICE_TLS_CA=" + cluster.caFile());
        out.println();
        out.println("Try:  ./sluice nodes list    ./sluice nodes drain worker-2 --wait    ./sluice events --follow");
    }
}
