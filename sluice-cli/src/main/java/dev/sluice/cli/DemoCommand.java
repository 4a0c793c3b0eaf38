package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.metadata.Json;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainView;
import dev.sluice.wire.EventView;
import dev.sluice.wire.EventsPage;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.RefusalView;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice demo}: the main job in one command. A local cluster of four workers takes a client
 * workload; one worker is drained while the workload runs; the demo waits until the controller has
 * disabled it, reads back every acknowledged write, and reports.
 */
@Command(name = "demo", description = "Start a local cluster, put it under load, drain a worker, verify nothing was lost, and report.",
        footer = {"", "Exit status 0 only if the drain finished and every acknowledged write is readable.", "",
            "Example:", "  sluice demo", "  sluice demo --keep --data-dir /tmp/sluice-demo"},
        mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {

    static final int WORKERS = 4;
    static final int PARTITIONS = 24;
    static final int REPLICATION = 3;
    static final int PRELOAD_WRITES = 2_000;
    static final Duration BEFORE_DRAIN = Duration.ofSeconds(10);
    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(5);

    @Option(names = "--rate", description = "client writes per second during the demo (default ${DEFAULT-VALUE})", defaultValue = "200") double rate;
    @Option(names = "--http-port", description = "HTTP port of worker 1 (default 8080, or free ports if taken)") Integer httpPort;
    @Option(names = "--data-dir", description = "where the demo cluster keeps its data (default a new temporary directory)") Path dataDir;
    @Option(names = "--keep", description = "keep the data directory afterwards") boolean keep;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path directory = dataDir != null ? dataDir.toAbsolutePath() : Files.createTempDirectory("sluice-demo-");
        int base = httpPort != null ? httpPort
                : LocalCluster.portsFree(8080, WORKERS) && LocalCluster.portsFree(9080, WORKERS) ? 8080 : LocalCluster.freeBase(18080, WORKERS);
        LocalCluster.Layout layout = new LocalCluster.Layout(WORKERS, PARTITIONS, REPLICATION, 1, base, base + 1000);
        out.println("Sluice demo: " + WORKERS + " workers, " + PARTITIONS + " partitions × " + REPLICATION + " replicas, data in " + directory);
        LocalCluster cluster = LocalCluster.open(directory, layout, true, LocalCluster.Lifetime.MINUTES);
        Thread cleanup = new Thread(() -> {
            cluster.close();
            if (!keep && dataDir == null) {
                deleteQuietly(directory);
            }
        }, "sluice-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            long started = System.nanoTime();
            cluster.start(out);
            out.printf("cluster ready in %.1f s (HTTPS, CA %s); dashboard: %s/#token=%s%n%n", (System.nanoTime() - started) / 1e9, cluster.caFile(),
                    cluster.url(), cluster.token());
            return run(cluster, out);
        } finally {
            Runtime.getRuntime().removeShutdownHook(cleanup);
            cleanup.run();
        }
    }

    private int run(LocalCluster cluster, PrintStream out) throws InterruptedException {
        ClusterOptions.Trust trust = cluster.trust();
        AdminClient admin = new AdminClient(cluster.url(), cluster.token(), cluster.directory().resolve("token").toString(), Optional.of(trust));
        // The workload is an application: it writes with the data credential, which may do nothing else.
        try (SluiceClient client = SluiceClient.builder().seed(cluster.url()).tls(trust.context()).token(cluster.credentials().dataToken())
                .callTimeout(Duration.ofSeconds(60)).build();
                Workload workload = new Workload(client, new Workload.Options(4, 10_000, rate, 100))) {
            out.println("1. loading data and starting the client workload (" + (int) rate + " writes/s)…");
            workload.phase("load");
            workload.start();
            while (workload.writes() + workload.errors() < PRELOAD_WRITES) {
                Thread.sleep(100);
            }
            workload.phase("before");
            out.println("2. measuring " + BEFORE_DRAIN.toSeconds() + " s of steady load…");
            Thread.sleep(BEFORE_DRAIN.toMillis());

            String victim = "worker-2";
            out.println("3. draining " + victim + " while the workload runs:");
            workload.phase("during");
            AdminClient.Answer answer = admin.post("/api/v1/nodes/" + victim + "/state",
                    Json.mapper().createObjectNode().put("state", "draining").put("reason", "sluice demo"));
            if (!answer.ok()) {
                Refusals.print(new java.io.PrintWriter(System.err, true), answer.as(RefusalView.class));
                return CliException.FAILED;
            }
            DrainView drain = awaitDisabled(admin, victim, out);
            workload.phase("after");
            Thread.sleep(1_000);
            workload.stop();

            out.println("4. reading back every acknowledged write…");
            Workload.Verification verification = workload.verify(client);
            boolean drained = drain != null && drain.state() == WorkerState.DISABLED;

            out.println();
            out.println("Report");
            out.println("  drain        " + (drained ? "finished: " + victim + " is disabled, drained by the controller by itself" : "DID NOT FINISH"));
            if (drain != null) {
                Instant drainStarted = drain.startedAt();
                Instant drainEnded = drain.completedAt() != null ? drain.completedAt() : Instant.now();
                long seconds = Duration.between(drainStarted, drainEnded).toMillis();
                out.printf("  moves        %d replicas moved, %d leaderships moved off it%n", drain.movesDone(),
                        countLeadershipEvents(admin, drain.node(), drainStarted, drainEnded));
                out.printf("  drain time   %.1f s%n", seconds / 1000.0);
            }
            out.println("  client       " + workload.writes() + " writes acknowledged, " + workload.errors() + " errors");
            for (String phase : new String[] {"before", "during"}) {
                Workload.Stats stats = workload.stats(phase);
                out.printf("  latency %-6s p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d writes)%n", phase, stats.p50Millis(), stats.p99Millis(),
                        stats.maxMillis(), stats.writes());
            }
            out.println("  verified     " + verification.keysChecked() + " keys: " + (verification.ok() ? "every acknowledged write is readable"
                    : verification.mismatches().size() + " MISMATCHES " + verification.mismatches()));
            if (!workload.errorSamples().isEmpty()) {
                out.println("  errors, e.g. " + workload.errorSamples().getFirst());
            }
            boolean success = drained && verification.ok();
            out.println(success ? "\nDemo passed." : "\nDemo FAILED.");
            return success ? 0 : CliException.FAILED;
        }
    }

    private static DrainView awaitDisabled(AdminClient admin, String node, PrintStream out) throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        String last = "";
        DrainView drain = null;
        while (System.nanoTime() < deadline) {
            NodeView view = admin.getOk("/api/v1/nodes/" + node, NodeView.class);
            if (view.drain() != null) {
                drain = view.drain();
                String line = "   " + Progress.line(drain, 24);
                if (!line.equals(last)) {
                    out.println(line);
                    last = line;
                }
                if (!drain.stalledPartitions().isEmpty()) {
                    Progress.printStalled(new java.io.PrintWriter(out, true), drain, NodeLabels.fetch(admin));
                }
            }
            if (view.state() == WorkerState.DISABLED && drain != null && drain.state() == WorkerState.DISABLED) {
                return drain;
            }
            Thread.sleep(250);
        }
        return drain;
    }

    /**
     * Leaderships moved off {@code node} while its drain ran. The event log also holds the moves that balanced
     * leaders after the first placement; counting those made a worker leading 6 partitions look as if its
     * drain had moved 29 leaderships.
     */
    private static int countLeadershipEvents(AdminClient admin, NodeId node, Instant from, Instant to) {
        EventsPage page = admin.getOk("/api/v1/events?limit=1000", EventsPage.class);
        int count = 0;
        for (EventView event : page.events()) {
            if (event.kind() == EventKind.LEADERSHIP_MOVED && node.toString().equals(event.node())) {
                Instant at = event.at();
                if (!at.isBefore(from) && !at.isAfter(to)) {
                    count++;
                }
            }
        }
        return count;
    }

    private static void deleteQuietly(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // Best effort: a temporary directory.
                }
            });
        } catch (IOException ignored) {
            // Nothing to clean.
        }
    }
}
