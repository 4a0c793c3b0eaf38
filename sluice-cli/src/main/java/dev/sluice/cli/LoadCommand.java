package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice load}: the workload generator the demo uses, with latency figures and verification. */
@Command(name = "load", description = "Write keys for a while, report latencies and errors, and optionally read every acknowledged write back.",
        footer = {"", "Examples:", "  sluice load --keys 10000 --rate 500 --duration 60s --verify", "  sluice load --duration 5m --writers 8"},
        mixinStandardHelpOptions = true)
final class LoadCommand implements Callable<Integer> {

    static final Duration REPORT_INTERVAL = Duration.ofSeconds(5);

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
        try (SluiceClient client = KvCommand.client(cluster); Workload workload = new Workload(client, options)) {
            client.routing();
            out.println("run " + workload.runId() + ": every value written carries this id, so --verify cannot mistake an earlier run's value for this run's");
            out.flush();
            workload.start();
            long deadline = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < deadline) {
                Thread.sleep(Math.min(REPORT_INTERVAL.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                out.println(workload.stats("load"));
                out.flush();
            }
            workload.stop();
            out.println("done: " + workload.stats("load"));
            if (!workload.errorSamples().isEmpty()) {
                out.println("errors, for example: " + workload.errorSamples().getFirst());
            }
            if (verify) {
                Workload.Verification verification = workload.verify(client);
                out.println("verified " + verification.keysChecked() + " keys: " + (verification.ok() ? "every acknowledged write is readable"
                        : verification.mismatches().size() + " mismatch(es): " + verification.mismatches()));
                out.flush();
                if (!verification.ok()) {
                    return CliException.FAILED;
                }
            }
            out.flush();
            return workload.errors() == 0 ? 0 : CliException.FAILED;
        } catch (dev.sluice.client.SluiceClientException e) {
            throw KvCommand.failure(e, cluster);
        }
    }
}
