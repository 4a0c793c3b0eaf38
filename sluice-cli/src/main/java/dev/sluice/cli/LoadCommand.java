package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.metadata.Json;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice load}: the workload generator the demo uses, with latency figures and verification.
 *
 * <p>With {@code -o json} it prints nothing while it runs and one {@link Report} at the end.
 */
@Command(name = "load", description = "Write keys for a while, report latencies and errors, and optionally read every acknowledged write back.",
        footer = {"", "With -o json: nothing while it runs, then one document:",
            "  {\"run\": id, \"stats\": {\"writes\", \"errors\", \"p50Millis\", \"p99Millis\", …}, \"askedPerSecond\",",
            "   \"achievedPerSecond\", \"errorSamples\": […],",
            "   \"verification\": {\"keysChecked\", \"mismatches\", \"mismatchCount\"} with --verify only}",
            "", "Examples:", "  sluice load --keys 10000 --rate 500 --duration 60s --verify", "  sluice load --duration 5m --writers 8"},
        mixinStandardHelpOptions = true)
final class LoadCommand implements Callable<Integer> {

    static final Duration REPORT_INTERVAL = Duration.ofSeconds(5);

    /** What {@code -o json} prints once the run is over; without {@code --verify}, {@code verification} is null and left out. */
    record Report(String run, Workload.Stats stats, double askedPerSecond, double achievedPerSecond, List<String> errorSamples,
            Workload.Verification verification) {}

    @Mixin ClusterOptions cluster;
    @Spec CommandLine.Model.CommandSpec spec;
    @Option(names = "--keys", description = "distinct keys written in rotation (default ${DEFAULT-VALUE})", defaultValue = "10000") int keys;
    @Option(names = "--rate", description = "writes per second in total, 0 for as fast as acknowledged (default ${DEFAULT-VALUE})", defaultValue = "200")
    double rate;
    @Option(names = "--duration", description = "how long to write (default ${DEFAULT-VALUE})", defaultValue = "30s", converter = DurationConverter.class)
    Duration duration;
    @Option(names = "--writers", description = "concurrent writers (default ${DEFAULT-VALUE})", defaultValue = "4") int writers;
    @Option(names = "--value-bytes", description = "size of each value (default ${DEFAULT-VALUE})", defaultValue = "100") int valueBytes;
    @Option(names = "--verify", description = "afterwards, read back every acknowledged write") boolean verify;

    @Override
    public Integer call() throws InterruptedException {
        Workload.Options options;
        try {
            options = new Workload.Options(writers, keys, rate, valueBytes);
        } catch (IllegalArgumentException invalid) {
            throw new CliException(CliException.USAGE, invalid.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        // In JSON mode the progress lines go nowhere, so that stdout holds the report alone.
        PrintWriter progress = cluster.json() ? new PrintWriter(Writer.nullWriter()) : out;
        try (SluiceClient client = KvCommand.client(cluster); Workload workload = new Workload(client, options)) {
            client.routing();
            progress.println("run " + workload.runId() + ": every value written carries this id, so --verify cannot mistake an earlier run's value for this run's");
            progress.flush();
            workload.start();
            long started = System.nanoTime();
            long deadline = started + duration.toNanos();
            long lastWrites = 0;
            long lastAt = started;
            while (System.nanoTime() < deadline) {
                Thread.sleep(Math.min(REPORT_INTERVAL.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                long now = System.nanoTime();
                long writes = workload.writes();
                progress.println(workload.stats("load") + ", " + new Throughput(rate, writers, writes - lastWrites, Duration.ofNanos(now - lastAt)).rate());
                progress.flush();
                lastWrites = writes;
                lastAt = now;
            }
            workload.stop();
            Throughput throughput = new Throughput(rate, writers, workload.writes(), Duration.ofNanos(System.nanoTime() - started));
            progress.println("done: " + workload.stats("load") + ", " + throughput.rate());
            throughput.shortfall().ifPresent(shortfall -> progress.println("note: " + shortfall));
            if (!workload.errorSamples().isEmpty()) {
                progress.println("errors, for example: " + workload.errorSamples().getFirst());
            }
            Workload.Verification verification = null;
            if (verify) {
                verification = workload.verify(client);
                progress.println("verified " + verification.keysChecked() + " keys: " + (verification.ok() ? "every acknowledged write is readable"
                        : verification.mismatches().size() + " mismatch(es): " + verification.mismatches()));
            }
            progress.flush();
            if (cluster.json()) {
                NodesCommand.printJson(out, Json.mapper().valueToTree(new Report(workload.runId(), workload.stats("load"), throughput.askedPerSecond(),
                        Math.round(throughput.achievedPerSecond() * 10) / 10.0, workload.errorSamples(), verification)));
            }
            boolean lostWrites = verification != null && !verification.ok();
            return workload.errors() == 0 && !lostWrites ? 0 : CliException.FAILED;
        } catch (dev.sluice.client.SluiceClientException e) {
            throw KvCommand.failure(e, cluster);
        }
    }
}
