package dev.sluice.testkit.bench;

import dev.sluice.client.Workload;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One measured drain, by Sluice ({@link DrainBenchmark}) or by bare Ratis ({@link RatisDrainBaseline}), in
 * one shape so the two sit in one table. The phases split the drain where the two differ most:
 *
 * @param system {@code sluice} or {@code ratis}
 * @param drainSeconds from the drain request until the drained server holds no group and no data
 * @param reactSeconds from the drain request until the first move started (Sluice: the controller noticed,
 *     planned and wrote the first next set)
 * @param movingSeconds from the first move started until the last replica-set change was committed
 * @param tailSeconds from the last committed change until the drained server was empty (Sluice: disabled)
 * @param leaderlessMillis per leadership moved off the drained server, the transfer call's duration
 * @param lostWrites acknowledged writes that did not read back
 */
record DrainRun(String system, int megabytes, int concurrency, long seed, double drainSeconds, double reactSeconds, double movingSeconds,
        double tailSeconds, int moves, long[] leaderlessMillis, Workload.Stats before, Workload.Stats during, long clientErrors,
        int lostWrites, boolean verified) {

    /** Marks the one line per run that {@link DrainAlternating} reads from a child process's output. */
    static final String LINE_PREFIX = "DRAIN-RESULT ";

    static final String TABLE_HEADER = "| system | state per partition | concurrency | drain (s) | react / moving / tail (s) | moves "
            + "| leaderless p50 / max (ms) | client before p50 / p99 / max (ms) | client during p50 / p99 / max (ms) | client errors "
            + "| lost writes | verified |\n|---|---|---|---|---|---|---|---|---|---|---|---|";

    /**
     * Sends the nodes' logs (sluice-server's logback.xml) to standard error, so standard output holds only
     * the results. Must run before anything logs: logback reads the property once, when it starts.
     */
    static void logToStandardError() {
        if (System.getProperty("sluice.log.target") == null) {
            System.setProperty("sluice.log.target", "System.err");
        }
    }

    String tableRow() {
        long[] l = leaderlessMillis;
        String leaderless = l.length == 0 ? "-" : l[l.length / 2] + " / " + l[l.length - 1];
        return String.format(Locale.ROOT, "| %s | %d MB | %d | %.1f | %.1f / %.1f / %.1f | %d | %s | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %d | %d | %s |",
                system, megabytes, concurrency, drainSeconds, reactSeconds, movingSeconds, tailSeconds, moves, leaderless,
                before.p50Millis(), before.p99Millis(), before.maxMillis(), during.p50Millis(), during.p99Millis(), during.maxMillis(),
                clientErrors, lostWrites, verified ? "yes" : "NO");
    }

    /** One measured drain of a given size at a given concurrency. */
    @FunctionalInterface
    interface Measurement {
        DrainRun run(int megabytes, int concurrency, long seed) throws Exception;
    }

    /** Runs {@code measurement} for every run, size and concurrency the options name, printing each result and then the table. */
    static void measureAll(Options options, Measurement measurement) throws Exception {
        List<DrainRun> results = new java.util.ArrayList<>();
        for (int run = 0; run < options.runs(); run++) {
            for (int mb : options.megabytes()) {
                for (int limit : options.concurrency()) {
                    DrainRun result = measurement.run(mb, limit, options.seed());
                    results.add(result);
                    System.out.println(result.toLine());
                    System.out.println(result.tableRow());
                }
            }
        }
        System.out.println();
        printTable(results);
    }

    static void printTable(List<DrainRun> runs) {
        System.out.println(TABLE_HEADER);
        runs.forEach(run -> System.out.println(run.tableRow()));
    }

    /** One line of {@code key=value} pairs, for a parent process to read back with {@link #parse}. */
    String toLine() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("system", system);
        fields.put("mb", Integer.toString(megabytes));
        fields.put("concurrency", Integer.toString(concurrency));
        fields.put("seed", Long.toString(seed));
        fields.put("drain", Double.toString(drainSeconds));
        fields.put("react", Double.toString(reactSeconds));
        fields.put("moving", Double.toString(movingSeconds));
        fields.put("tail", Double.toString(tailSeconds));
        fields.put("moves", Integer.toString(moves));
        fields.put("leaderless", Arrays.stream(leaderlessMillis).mapToObj(Long::toString).collect(Collectors.joining(",")));
        putStats(fields, "before", before);
        putStats(fields, "during", during);
        fields.put("errors", Long.toString(clientErrors));
        fields.put("lost", Integer.toString(lostWrites));
        fields.put("verified", Boolean.toString(verified));
        return LINE_PREFIX + fields.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    static DrainRun parse(String line) {
        if (!line.startsWith(LINE_PREFIX)) {
            throw new IllegalArgumentException("not a drain result line: " + line);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : line.substring(LINE_PREFIX.length()).trim().split(" ")) {
            int equals = pair.indexOf('=');
            fields.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
        String leaderless = fields.get("leaderless");
        return new DrainRun(fields.get("system"), Integer.parseInt(fields.get("mb")), Integer.parseInt(fields.get("concurrency")),
                Long.parseLong(fields.get("seed")), Double.parseDouble(fields.get("drain")), Double.parseDouble(fields.get("react")),
                Double.parseDouble(fields.get("moving")), Double.parseDouble(fields.get("tail")), Integer.parseInt(fields.get("moves")),
                leaderless.isEmpty() ? new long[0] : Arrays.stream(leaderless.split(",")).mapToLong(Long::parseLong).toArray(),
                stats(fields, "before"), stats(fields, "during"), Long.parseLong(fields.get("errors")), Integer.parseInt(fields.get("lost")),
                Boolean.parseBoolean(fields.get("verified")));
    }

    private static void putStats(Map<String, String> fields, String phase, Workload.Stats stats) {
        fields.put(phase + ".writes", Long.toString(stats.writes()));
        fields.put(phase + ".errors", Long.toString(stats.errors()));
        fields.put(phase + ".p50", Double.toString(stats.p50Millis()));
        fields.put(phase + ".p99", Double.toString(stats.p99Millis()));
        fields.put(phase + ".max", Double.toString(stats.maxMillis()));
        fields.put(phase + ".pause", Double.toString(stats.longestPauseMillis()));
    }

    private static Workload.Stats stats(Map<String, String> fields, String phase) {
        return new Workload.Stats(phase, Long.parseLong(fields.get(phase + ".writes")), Long.parseLong(fields.get(phase + ".errors")),
                Double.parseDouble(fields.get(phase + ".p50")), Double.parseDouble(fields.get(phase + ".p99")),
                Double.parseDouble(fields.get(phase + ".max")), Double.parseDouble(fields.getOrDefault(phase + ".pause", "0")));
    }

    /** Options both drain mains accept, so the alternating runner can hand the same ones to each. */
    record Options(List<Integer> megabytes, List<Integer> concurrency, int runs, long seed) {

        static Options parse(String[] args, List<Integer> defaultMegabytes, List<Integer> defaultConcurrency) {
            List<Integer> megabytes = defaultMegabytes;
            List<Integer> concurrency = defaultConcurrency;
            int runs = 1;
            long seed = 1;
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--mb" -> megabytes = integers(require(args[i], value));
                    case "--concurrency" -> concurrency = integers(require(args[i], value));
                    case "--runs" -> runs = Integer.parseInt(require(args[i], value));
                    case "--seed" -> seed = Long.parseLong(require(args[i], value));
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; expected --mb, --concurrency, --runs, --seed");
                }
                i++;
            }
            if (runs < 1) {
                throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
            }
            return new Options(megabytes, concurrency, runs, seed);
        }

        private static String require(String option, String value) {
            if (value == null) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return value;
        }

        private static List<Integer> integers(String list) {
            return Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).toList();
        }
    }
}
