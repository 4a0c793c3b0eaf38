package dev.sluice.chaos;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;

/**
 * The long form of the fault-injection run: {@code --duration 30m --seed N [--partitions 12] [--output dir]
 * [--kinds kill-node,slow-node-links]}.
 * Exits 0 when the run found no anomaly, 1 when it found one, 2 on bad usage, 3 when this machine cannot
 * make hosts (not root, or no {@code ip} / {@code iptables}).
 */
public final class ChaosMain {

    private ChaosMain() {}

    public static void main(String[] args) throws Exception {
        Duration duration = Duration.ofMinutes(30);
        Optional<Long> seed = Optional.empty();
        int partitions = 12;
        Path output = Path.of("target", "chaos");
        java.util.Set<String> kinds = ChaosRun.allKinds();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (i + 1 >= args.length && !arg.equals("--help")) {
                usage("missing value after " + arg);
            }
            switch (arg) {
                case "--duration" -> duration = parseDuration(args[++i]);
                case "--seed" -> seed = Optional.of(Long.parseLong(args[++i]));
                case "--partitions" -> partitions = Integer.parseInt(args[++i]);
                case "--output" -> output = Path.of(args[++i]);
                case "--kinds" -> {
                    try {
                        kinds = parseKinds(args[++i]);
                    } catch (IllegalArgumentException unknown) {
                        usage(unknown.getMessage());
                    }
                }
                case "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> usage("unknown option " + arg);
            }
        }
        Optional<String> unsupported = ChaosRun.unsupported();
        if (unsupported.isPresent()) {
            System.err.println("sluice-chaos cannot run here: " + unsupported.get());
            System.exit(3);
        }
        long chosen = seed.orElseGet(() -> new SecureRandom().nextLong());
        ChaosRun.Report report = ChaosRun.run(new ChaosRun.Options(chosen, duration, partitions, output, kinds), System.out);
        System.exit(report.ok() ? 0 : 1);
    }

    private static final String USAGE = "usage: ChaosMain [--duration 30m] [--seed N] [--partitions 12] [--output target/chaos]"
            + " [--kinds kind,kind,...]\n  kinds (default all): " + String.join(", ", ChaosRun.allKinds());

    /**
     * {@code kill-node,slow-node-links}: the fault kinds to deal.
     *
     * @throws IllegalArgumentException naming the known kinds, if one is unknown or none is named
     */
    static java.util.Set<String> parseKinds(String text) {
        java.util.Set<String> kinds = new java.util.LinkedHashSet<>();
        for (String name : text.split(",")) {
            if (!name.isBlank()) {
                kinds.add(FaultKind.parse(name).wireName());
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("--kinds needs at least one fault kind, got '" + text + "'");
        }
        return java.util.Collections.unmodifiableSet(kinds);
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println(USAGE);
        System.exit(2);
    }

    /** {@code 90s}, {@code 30m}, {@code 2h}, or an ISO-8601 duration. */
    static Duration parseDuration(String text) {
        String value = text.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (value.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(value.substring(0, value.length() - 1)));
            }
            if (value.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
            }
            if (value.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
            }
            return Duration.parse(text);
        } catch (RuntimeException malformed) {
            usage("cannot read the duration '" + text + "' (use 90s, 30m, 2h)");
            throw malformed;
        }
    }
}
