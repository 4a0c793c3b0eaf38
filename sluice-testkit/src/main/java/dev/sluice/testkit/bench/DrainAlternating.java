package dev.sluice.testkit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Runs {@link DrainBenchmark} (Sluice) and {@link RatisDrainBaseline} (bare Ratis) alternately, {@code --runs}
 * times each, with the same options, and prints one table with the medians: on a 2-core machine the
 * machine's mood drifts by the minute, so only runs taken in one sitting, interleaved, compare. Each run
 * is a fresh JVM (same classpath and JVM options as given here), so neither inherits the other's JIT
 * state, heap or leftover threads.
 *
 * <pre>
 * java -cp sluice-testkit/target/classes:$(cat /tmp/cp.txt) dev.sluice.testkit.bench.DrainAlternating \
 *      --runs 5 --mb 10 --concurrency 4 --seed 1 [--first ratis] [--jvm -Xmx3g] [--logs /tmp/drain-logs]
 * </pre>
 */
public final class DrainAlternating {

    /** A child run that takes longer than this is killed and reported as failed. */
    static final Duration RUN_TIMEOUT = Duration.ofMinutes(20);
    static final Duration UPTIME_TIMEOUT = Duration.ofSeconds(5);
    static final String SLUICE = "sluice";
    static final String RATIS = "ratis";

    private DrainAlternating() {}

    /** One child run: its result, or why it has none. */
    record Outcome(int index, String system, String loadAtStart, Optional<DrainRun> result, String failure, Path log) {}

    public static void main(String[] args) throws Exception {
        int runs = 3;
        int megabytes = 10;
        int concurrency = 4;
        long seed = 1;
        String first = SLUICE;
        List<String> jvmOptions = new ArrayList<>();
        Path logs = null;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(value);
                case "--mb" -> megabytes = Integer.parseInt(value);
                case "--concurrency" -> concurrency = Integer.parseInt(value);
                case "--seed" -> seed = Long.parseLong(value);
                case "--first" -> first = value;
                case "--jvm" -> jvmOptions.add(value);
                case "--logs" -> logs = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --runs, --mb, --concurrency, --seed, --first sluice|ratis, --jvm <option>, --logs <dir>");
            }
        }
        if (!first.equals(SLUICE) && !first.equals(RATIS)) {
            throw new IllegalArgumentException("--first must be sluice or ratis, got " + first);
        }
        if (jvmOptions.isEmpty()) {
            jvmOptions.add("-Xmx3g");
        }
        logs = logs != null ? Files.createDirectories(logs) : Files.createTempDirectory("sluice-drain-alternating-");
        String second = first.equals(SLUICE) ? RATIS : SLUICE;

        System.out.printf(Locale.ROOT, "drain alternating: %d runs each, %d MB per partition, concurrency %d, seed %d, %s first, JVM %s, logs in %s%n",
                runs, megabytes, concurrency, seed, first, jvmOptions, logs);
        System.out.println("start " + Instant.now() + "  uptime: " + uptime());
        List<Outcome> outcomes = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            for (String system : List.of(first, second)) {
                int index = outcomes.size() + 1;
                Outcome outcome = runChild(index, system, megabytes, concurrency, seed, jvmOptions, logs);
                outcomes.add(outcome);
                System.out.println(describe(outcome));
            }
        }
        System.out.println("end   " + Instant.now() + "  uptime: " + uptime());
        System.out.println();
        printRuns(outcomes);
        System.out.println();
        printMedians(outcomes);
        System.out.println();
        DrainRun.printTable(outcomes.stream().flatMap(o -> o.result().stream()).toList());
        if (outcomes.stream().anyMatch(o -> o.result().isEmpty())) {
            System.exit(1);
        }
    }

    private static Outcome runChild(int index, String system, int megabytes, int concurrency, long seed, List<String> jvmOptions, Path logs)
            throws IOException, InterruptedException {
        String mainClass = system.equals(SLUICE) ? DrainBenchmark.class.getName() : RatisDrainBaseline.class.getName();
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of("--mb", Integer.toString(megabytes), "--concurrency", Integer.toString(concurrency), "--runs", "1",
                "--seed", Long.toString(seed)));
        Path log = logs.resolve(String.format(Locale.ROOT, "run-%02d-%s.log", index, system));
        String load = uptime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(1, TimeUnit.MINUTES);
            return new Outcome(index, system, load, Optional.empty(), "killed after " + RUN_TIMEOUT, log);
        }
        Optional<DrainRun> result = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(line -> line.startsWith(DrainRun.LINE_PREFIX)).findFirst().map(DrainRun::parse);
        String failure = result.isPresent() ? "" : "exit code " + process.exitValue() + " without a result";
        return new Outcome(index, system, load, result, failure, log);
    }

    /** The machine's load averages as {@code uptime} prints them (falling back to /proc/loadavg). */
    static String uptime() {
        try {
            Process process = new ProcessBuilder("uptime").redirectErrorStream(true).start();
            if (process.waitFor(UPTIME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                int at = text.indexOf("load average");
                return at >= 0 ? text.substring(at) : text;
            }
            process.destroyForcibly();
        } catch (IOException notInstalled) {
            // Fall back below.
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return "load average: " + fields[0] + ", " + fields[1] + ", " + fields[2];
        } catch (IOException | RuntimeException unavailable) {
            return "load average unknown";
        }
    }

    private static String describe(Outcome outcome) {
        return outcome.result()
                .map(r -> String.format(Locale.ROOT, "run %d %s: drain %.1f s (tail %.1f s), errors %d, lost %d  [%s]", outcome.index(), outcome.system(),
                        r.drainSeconds(), r.tailSeconds(), r.clientErrors(), r.lostWrites(), outcome.loadAtStart()))
                .orElse(String.format(Locale.ROOT, "run %d %s FAILED: %s, see %s", outcome.index(), outcome.system(), outcome.failure(), outcome.log()));
    }

    private static void printRuns(List<Outcome> outcomes) {
        System.out.println("| run | which | drain (s) | react / moving / tail (s) | client p99 before / during (ms) | client errors | lost writes | load at start (1, 5, 15 min) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Outcome outcome : outcomes) {
            String load = outcome.loadAtStart().replace("load average: ", "").replace("load averages: ", "");
            if (outcome.result().isEmpty()) {
                System.out.printf(Locale.ROOT, "| %d | %s | FAILED: %s | | | | | %s |%n", outcome.index(), outcome.system(), outcome.failure(), load);
                continue;
            }
            DrainRun r = outcome.result().get();
            System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %.1f / %.1f / %.1f | %.1f / %.1f | %d | %d | %s |%n", outcome.index(), outcome.system(),
                    r.drainSeconds(), r.reactSeconds(), r.movingSeconds(), r.tailSeconds(), r.before().p99Millis(), r.during().p99Millis(),
                    r.clientErrors(), r.lostWrites(), load);
        }
    }

    private static void printMedians(List<Outcome> outcomes) {
        System.out.println("| which | runs | median drain (s) | median react / moving / tail (s) | median client p99 before / during (ms) | client errors (all runs) | lost writes (all runs) |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (String system : List.of(SLUICE, RATIS)) {
            List<DrainRun> runs = outcomes.stream().filter(o -> o.system().equals(system)).flatMap(o -> o.result().stream()).toList();
            if (runs.isEmpty()) {
                System.out.printf(Locale.ROOT, "| %s | 0 | - | - | - | - | - |%n", system);
                continue;
            }
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f / %.1f / %.1f | %.1f / %.1f | %d | %d |%n", system, runs.size(),
                    median(runs, DrainRun::drainSeconds), median(runs, DrainRun::reactSeconds), median(runs, DrainRun::movingSeconds),
                    median(runs, DrainRun::tailSeconds), median(runs, r -> r.before().p99Millis()), median(runs, r -> r.during().p99Millis()),
                    runs.stream().mapToLong(DrainRun::clientErrors).sum(), runs.stream().mapToLong(DrainRun::lostWrites).sum());
        }
    }

    static double median(List<DrainRun> runs, ToDoubleFunction<DrainRun> value) {
        return median(runs.stream().mapToDouble(value).toArray());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length == 0 ? Double.NaN : sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
