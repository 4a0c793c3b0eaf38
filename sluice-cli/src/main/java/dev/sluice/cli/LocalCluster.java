package dev.sluice.cli;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EmbeddedZooKeeper;
import dev.sluice.metadata.ZooKeeperAccess;
import dev.sluice.metadata.ZooKeeperIdentity;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.metadata.ZooKeeperTreeSecurer;
import dev.sluice.security.CertificateAuthority;
import dev.sluice.security.ClusterTrust;
import dev.sluice.security.TlsFileException;
import dev.sluice.security.TlsFiles;
import dev.sluice.security.TlsMaterial;
import dev.sluice.worker.WorkerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.IntStream;

/**
 * A cluster on this machine: an embedded ZooKeeper in this process and one child process per worker
 * (each a {@code sluice server}), all on loopback, all admin-capable, with their data under one
 * directory. Every worker serves HTTPS with a certificate of the cluster's own CA ({@code <data-dir>/certs}). The directory remembers the layout
 * (ports, sizes, credentials, ZooKeeper secret), so a second start on the same
 * directory resumes the same cluster. Worker N serves HTTP on {@code httpPort + N - 1}. While it runs it
 * supervises its workers ({@link WorkerProcesses}): one that shuts down gracefully (exit status 0) is started
 * again, one that crashes stays down.
 */
final class LocalCluster implements AutoCloseable {

    static final String CLUSTER_NAME = "local";
    static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    /**
     * How long closing waits for the workers' graceful shutdowns before it kills them: longer than their shutdown
     * timeout plus the time to close (as a supervisor's stop timeout must be). Closing stops every worker at once, so
     * none finds a ready member to hand a leadership to, and they usually stop within a second or two.
     */
    static final Duration STOP_TIMEOUT = WorkerConfig.DEFAULT_SHUTDOWN_TIMEOUT.plusSeconds(15);
    /** How long the supervision loop waits for a worker to exit before it looks at all of them again. */
    static final Duration SUPERVISION_INTERVAL = Duration.ofMillis(500);
    /** How often a start looks whether the previous worker has registered; registering is one metadata write. */
    static final Duration REGISTRATION_POLL = Duration.ofMillis(50);
    private static final String LAYOUT_FILE = "local.properties";
    static final String CERTIFICATES_DIRECTORY = "certs";
    /** Every address a local worker binds or is reached at: its certificate names them all. */
    static final List<String> WORKER_HOSTS = List.of("127.0.0.1", "localhost");

    /** The shape of a local cluster, as given on the command line or remembered in its directory. */
    record Layout(int workers, int partitions, int replication, int zones, int httpPort, int raftPort) {
        Layout {
            if (workers < 1 || workers > 32) {
                throw new CliException(CliException.USAGE, "--workers must be between 1 and 32, got " + workers);
            }
            if (replication < 1 || replication > workers) {
                throw new CliException(CliException.USAGE, "--replication must be between 1 and the worker count " + workers + ", got " + replication);
            }
            if (zones < 1 || zones > workers) {
                throw new CliException(CliException.USAGE, "--zones must be between 1 and the worker count, got " + zones);
            }
            if (partitions < 1 || partitions > 10_000) {
                throw new CliException(CliException.USAGE, "--partitions must be between 1 and 10000 for a local cluster, got " + partitions);
            }
            if (httpPort < 1024 || httpPort + workers > 65535 || raftPort < 1024 || raftPort + workers > 65535) {
                throw new CliException(CliException.USAGE, "ports must leave room for " + workers + " workers between 1024 and 65535");
            }
        }

        /** A local cluster always serves HTTPS, with the certificates in its {@code certs} directory. */
        URI httpUrl(int worker) {
            return URI.create("https://127.0.0.1:" + (httpPort + worker - 1));
        }
    }

    /**
     * How long the cluster is meant to run, which decides how its worker JVMs compile. On a small machine
     * four JVMs compiling with C2 at once made the demo take 105 s instead of 66-70 s (9 s of it a since-fixed
     * drain tail) and the end-to-end test 35 s instead of 26 s; a cluster left running
     * is the other way round: C1-only code made an idle worker with 72 replicas burn 16-18 % of a core on
     * heartbeats instead of 11-12 % (docs/benchmarks.md, "Worker").
     */
    enum Lifetime {
        /** Minutes, like the demo: start fast (C1 only). */
        MINUTES,
        /** Until stopped, like {@code sluice local}: full tiered compilation. */
        UNTIL_STOPPED
    }

    private final Path directory;
    private final Layout layout;
    private final List<String> javaCommand;
    private final WorkerProcesses workers = new WorkerProcesses();
    private EmbeddedZooKeeper zooKeeper;
    private LocalCredentials credentials;
    private ZooKeeperAccess zooKeeperAccess;

    private LocalCluster(Path directory, Layout layout, List<String> javaCommand) {
        this.directory = directory;
        this.layout = layout;
        this.javaCommand = javaCommand;
    }

    /**
     * Prepares {@code directory}: a new one gets {@code wanted}'s layout (and its credentials at {@link #start}); an
     * existing one keeps its own layout (a different request is refused rather than silently ignored).
     */
    static LocalCluster open(Path directory, Layout wanted, boolean explicitLayout, Lifetime lifetime) throws IOException {
        Path layoutFile = directory.resolve(LAYOUT_FILE);
        boolean resumed = Files.exists(layoutFile);
        Layout layout = wanted;
        if (resumed) {
            Properties stored = new Properties();
            try (InputStream in = Files.newInputStream(layoutFile)) {
                stored.load(in);
            }
            layout = new Layout(Integer.parseInt(stored.getProperty("workers")), Integer.parseInt(stored.getProperty("partitions")),
                    Integer.parseInt(stored.getProperty("replication")), Integer.parseInt(stored.getProperty("zones")),
                    Integer.parseInt(stored.getProperty("http-port")), Integer.parseInt(stored.getProperty("raft-port")));
            if (explicitLayout && !layout.equals(wanted)) {
                throw new CliException(CliException.USAGE, directory + " holds a local cluster of " + layout.workers() + " workers, "
                        + layout.partitions() + " partitions × " + layout.replication() + " on HTTP ports from " + layout.httpPort()
                        + "; it resumes as it is. Use another --data-dir for a different cluster");
            }
        }
        // Before anything is written: a refused start once left a local.properties behind in a new directory,
        // which then fixed that directory to the ports that were taken.
        requireFreePorts(layout);
        if (!resumed) {
            Files.createDirectories(directory);
            Properties stored = new Properties();
            stored.setProperty("workers", Integer.toString(layout.workers()));
            stored.setProperty("partitions", Integer.toString(layout.partitions()));
            stored.setProperty("replication", Integer.toString(layout.replication()));
            stored.setProperty("zones", Integer.toString(layout.zones()));
            stored.setProperty("http-port", Integer.toString(layout.httpPort()));
            stored.setProperty("raft-port", Integer.toString(layout.raftPort()));
            try (OutputStream out = Files.newOutputStream(layoutFile)) {
                stored.store(out, "sluice local cluster layout; resumed by 'sluice local --data-dir " + directory + "'");
            }
        }
        return new LocalCluster(directory, layout, childJavaCommand(lifetime));
    }

    /** How to start a child: this JVM's java, this process's class path, the CLI's main class. */
    private static List<String> childJavaCommand(Lifetime lifetime) {
        List<String> command = new ArrayList<>();
        command.add(ServerLaunch.javaExecutable());
        command.addAll(ServerLaunch.javaOptions(lifetime == Lifetime.MINUTES));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ServerLaunch.MAIN_CLASS));
        return List.copyOf(command);
    }

    Layout layout() {
        return layout;
    }

    Path directory() {
        return directory;
    }

    /** The operator's token ({@code admin} and {@code data}), which the CLI and the dashboard link use. */
    String token() {
        return credentials.operatorToken();
    }

    /** The credentials in the cluster's directory, once {@link #start} made or read them. */
    LocalCredentials credentials() {
        return credentials;
    }

    URI url() {
        return layout.httpUrl(1);
    }

    /**
     * Starts ZooKeeper and every worker, and waits until every worker is Active and every partition placed. The
     * cluster's ZooKeeper tree is secured for the secret in the data directory; a cluster created before Sluice
     * did that is secured once its workers run with the secret, as an operator would migrate one.
     */
    void start(java.io.PrintStream progress) throws IOException, InterruptedException {
        credentials = LocalCredentials.createOrRead(directory);
        zooKeeperAccess = loadOrCreateZooKeeperAccess();
        ensureCertificates(progress);
        zooKeeper = EmbeddedZooKeeper.start(directory.resolve("zookeeper"), 0);
        progress.println("ZooKeeper (embedded) on " + zooKeeper.connectString() + "; data in " + directory);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (ZooKeeperMetadataStore store = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), "/sluice/" + CLUSTER_NAME,
                ZooKeeperMetadataStore.DEFAULT_SESSION_TIMEOUT, ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT, zooKeeperAccess)) {
            ClusterMetadata metadata = new ClusterMetadata(store, InstantSource.system());
            for (int worker = 1; worker <= layout.workers(); worker++) {
                // A new name gets the next free id when it registers, so workers started all at once got ids in
                // whatever order they happened to register, and worker-3 could be N1. An operator who reads
                // worker-k should find Nk: a worker whose name is new starts only once the one before it holds
                // its id. Names already registered (a resumed cluster) keep their ids and start at once.
                if (worker > 1 && metadata.nodes().current().findByName(workerName(worker)).isEmpty()) {
                    awaitRegistered(metadata, worker - 1, deadline);
                }
                int started = worker;
                workers.start(new WorkerProcesses.Launch(workerName(worker), logFile(worker), () -> startWorker(started)));
            }
            progress.println("started " + layout.workers() + " worker processes; waiting until they are active and every partition is placed…");
            awaitReady(metadata, deadline);
            if (store.rootIsOpen()) {
                secureOpenTree(progress);
            }
        }
    }

    /** Secures the tree of a cluster this command created before it secured ZooKeeper; every worker runs with the secret by now. */
    private void secureOpenTree(java.io.PrintStream progress) {
        ZooKeeperIdentity identity = ((ZooKeeperAccess.Secured) zooKeeperAccess).identity();
        switch (ZooKeeperTreeSecurer.secure(zooKeeper.connectString(), "/sluice/" + CLUSTER_NAME, identity, ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT, false)) {
            case ZooKeeperTreeSecurer.Outcome.Secured done -> progress.println("secured the cluster's ZooKeeper tree, which was open: " + done.changed()
                    + " of " + done.nodes() + " nodes now readable and writable only with " + zooKeeperSecretFile());
            // A previous run's sessions may hold election nodes until they expire; the next start finishes the job.
            case ZooKeeperTreeSecurer.Outcome.Refused refused -> progress.println("the cluster's ZooKeeper tree is still open (" + refused.reason()
                    + "); the next start secures it");
        }
    }

    /**
     * The cluster's ZooKeeper identity: the secret in {@code <data-dir>/zookeeper-secret}, written (owner-only) at the
     * first start. It is never printed; a reader of the data directory can read it, as it can the token.
     */
    private ZooKeeperAccess loadOrCreateZooKeeperAccess() throws IOException {
        ServerLaunch.createZooKeeperSecret(zooKeeperSecretFile());
        try {
            return ZooKeeperAccess.secured(ZooKeeperIdentity.fromSecretFile(CLUSTER_NAME, zooKeeperSecretFile()));
        } catch (IllegalArgumentException unusable) {
            throw new CliException(CliException.FAILED, unusable.getMessage() + "; delete it to have a new one made only if the cluster's ZooKeeper tree is"
                    + " still open, otherwise restore it");
        }
    }

    Path zooKeeperSecretFile() {
        return directory.resolve("zookeeper-secret");
    }

    String zooKeeperConnectString() {
        return zooKeeper.connectString();
    }

    static String workerName(int worker) {
        return "worker-" + worker;
    }

    /** Waits until worker {@code worker} (from 1) has registered, failing if its process exits or the start takes too long. */
    private void awaitRegistered(ClusterMetadata metadata, int worker, long deadline) throws InterruptedException {
        while (metadata.nodes().current().findByName(workerName(worker)).isEmpty()) {
            requireChildrenAlive();
            if (System.nanoTime() > deadline) {
                throw new CliException(CliException.FAILED, workerName(worker) + " did not register within " + START_TIMEOUT.toMinutes()
                        + " minutes; see " + directory.resolve(workerName(worker)).resolve("node.log"));
            }
            Thread.sleep(REGISTRATION_POLL.toMillis());
        }
    }

    private void requireChildrenAlive() {
        workers.firstExited().ifPresent(exited -> {
            throw new CliException(CliException.FAILED, exited.name() + " exited with status " + exited.status() + " while starting; see " + exited.log());
        });
    }

    private Path logFile(int worker) {
        return directory.resolve(workerName(worker)).resolve("node.log");
    }

    /** Refuses, naming the port and what it is for, when a port the layout needs is taken. */
    static void requireFreePorts(Layout layout) {
        for (int worker = 1; worker <= layout.workers(); worker++) {
            for (boolean http : new boolean[] {true, false}) {
                int port = (http ? layout.httpPort() : layout.raftPort()) + worker - 1;
                if (!portsFree(port, 1)) {
                    throw new CliException(CliException.FAILED, "port " + port + " (" + (http ? "HTTP" : "Raft") + " of " + workerName(worker)
                            + ") is in use on 127.0.0.1 — is another local cluster running? Stop it, or choose other ports with --http-port and"
                            + " --raft-port (with a new --data-dir: a cluster resumes on the ports it was created with)");
                }
            }
        }
    }

    /** Whether {@code count} ports from {@code base} can be bound on loopback now. */
    static boolean portsFree(int base, int count) {
        for (int port = base; port < base + count; port++) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", port));
            } catch (IOException taken) {
                return false;
            }
        }
        return true;
    }

    /** The first HTTP port from {@code from} up where a cluster of {@code workers} finds its HTTP and Raft ports free. */
    static int freeBase(int from, int workers) {
        for (int base = from; base < 60000; base += 10) {
            if (portsFree(base, workers) && portsFree(base + 1000, workers)) {
                return base;
            }
        }
        throw new CliException(CliException.FAILED, "found no free ports on 127.0.0.1 for a local cluster");
    }

    /**
     * The operator's token file, in the cluster's directory only: {@code sluice local} records the token in the CLI's
     * home, and the demo, whose cluster lives for minutes, must not replace the token of a cluster the operator runs.
     */
    Path tokenFile() {
        return directory.resolve(LocalCredentials.OPERATOR_TOKEN_FILE);
    }

    Path certificatesDirectory() {
        return directory.resolve(CERTIFICATES_DIRECTORY);
    }

    /** The cluster's CA certificate, which clients trust: the CLI records a copy, browsers need it or an exception. */
    Path caFile() {
        return TlsFiles.caCertificate(certificatesDirectory());
    }

    /** Trusts this cluster's CA only, for clients this process makes (the demo's). */
    ClusterOptions.Trust trust() {
        return new ClusterOptions.Trust(ClusterTrust.load(caFile(), InstantSource.system()).sslContext(), caFile().toString());
    }

    /**
     * Makes the cluster's CA and each worker's certificate in {@code <data-dir>/certs} unless they are there: a resumed
     * cluster keeps its CA, so clients that recorded it keep trusting it. A worker certificate that no longer loads
     * (expired, say) is issued again by the same CA; a CA that no longer loads is an error, since replacing it silently
     * would leave every client trusting the old one.
     */
    private void ensureCertificates(java.io.PrintStream progress) {
        Path certificates = certificatesDirectory();
        InstantSource clock = InstantSource.system();
        CertificateAuthority authority;
        if (Files.exists(caFile())) {
            try {
                authority = CertificateAuthority.load(caFile(), TlsFiles.caKey(certificates), clock);
            } catch (TlsFileException unusable) {
                throw new CliException(CliException.FAILED, "cannot use the local cluster's CA: " + unusable.getMessage() + "; delete " + certificates
                        + " to make a new CA and certificates (clients that recorded the old CA must then record the new one)");
            }
        } else {
            authority = CertificateAuthority.create(CLUSTER_NAME, CertificateAuthority.DEFAULT_CA_VALIDITY, clock);
            authority.write(certificates, false);
            progress.println("made a CA and worker certificates in " + certificates + " (keys readable by you only)");
        }
        for (int worker = 1; worker <= layout.workers(); worker++) {
            ServerLaunch.NodeTlsFiles files = ServerLaunch.NodeTlsFiles.in(certificates, workerName(worker));
            boolean usable;
            try {
                TlsMaterial.load(files.ca(), files.certificate(), files.key(), clock);
                usable = true;
            } catch (TlsFileException missingOrStale) {
                usable = false;
            }
            if (!usable) {
                authority.issue(workerName(worker), WORKER_HOSTS, CertificateAuthority.DEFAULT_NODE_VALIDITY, clock).write(certificates, true);
            }
        }
    }

    /** Every worker's HTTP address, worker 1 first. */
    List<URI> urls() {
        return IntStream.rangeClosed(1, layout.workers()).mapToObj(layout::httpUrl).toList();
    }

    private Process startWorker(int worker) throws IOException {
        Path data = directory.resolve(workerName(worker));
        Files.createDirectories(data);
        List<String> command = new ArrayList<>(javaCommand);
        command.addAll(new ServerLaunch.Node(workerName(worker), CLUSTER_NAME, data, "local.zone-" + ((worker - 1) % layout.zones() + 1),
                "127.0.0.1", layout.raftPort() + worker - 1, "127.0.0.1", layout.httpPort() + worker - 1, zooKeeper.connectString(),
                null, layout.partitions(), layout.replication(), Math.min(layout.zones(), layout.replication()),
                ProcessHandle.current().pid(), zooKeeperSecretFile(), Optional.of(ServerLaunch.NodeTlsFiles.in(certificatesDirectory(), workerName(worker))),
                false, credentials.credentialsFile(), credentials.nodeTokenFile()).arguments());
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(worker).toFile())).start();
    }

    private void awaitReady(ClusterMetadata metadata, long deadline) throws InterruptedException {
        while (true) {
            requireChildrenAlive();
            if (ServerLaunch.ready(metadata, layout.workers(), layout.partitions())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(CliException.FAILED, "the local cluster did not become ready within " + START_TIMEOUT.toMinutes()
                        + " minutes (" + metadata.nodes().current().workers().size() + " workers registered, "
                        + metadata.placements().readAll().size() + " partitions placed); see the node.log files under "
                        + directory);
            }
            Thread.sleep(250);
        }
    }

    /** Worker {@code worker}'s process now (from 1), so an end-to-end test can signal it as an operator's shell would. */
    ProcessHandle workerProcess(int worker) {
        return workers.process(workerName(worker)).toHandle();
    }

    /**
     * Looks after the workers until the thread is interrupted: a worker that shut down gracefully (exit status 0) is
     * started again, and a line says so; one that exits otherwise is reported and stays down.
     */
    void watchChildren(java.io.PrintStream out) throws InterruptedException {
        while (!Thread.currentThread().isInterrupted()) {
            workers.supervise(out);
            workers.awaitAnyExit(SUPERVISION_INTERVAL);
        }
        throw new InterruptedException();
    }

    /** Looks at every worker once, as {@link #watchChildren} does in a loop. */
    void superviseOnce(java.io.PrintStream out) {
        workers.supervise(out);
    }

    /** Stops every child (SIGTERM, then SIGKILL after a while) and ZooKeeper; no child is started again from now on. */
    @Override
    public void close() {
        workers.close(STOP_TIMEOUT);
        if (zooKeeper != null) {
            zooKeeper.close();
            zooKeeper = null;
        }
    }
}
