package dev.sluice.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The nemesis's plan for a run, a pure function of the seed and the fault window: which fault when, for how
 * long, and a number that picks its target among the candidates at that moment (a kind such as "the
 * controller leader" names a role, so the node it hits is found when the fault starts and logged then).
 * Faults do not overlap: each is healed, then the cluster gets a quiet gap before the next. Kinds are dealt
 * in rounds, each round a seeded shuffle of every kind, so a short run sees as many different kinds as fit.
 *
 * @param faults in start order
 */
record Schedule(long seed, Duration window, List<Fault> faults) {

    /** No fault in the first seconds: the clients first see a healthy cluster. */
    static final Duration WARM_UP = Duration.ofSeconds(10);
    static final Duration MIN_GAP = Duration.ofSeconds(5);
    static final Duration MAX_GAP = Duration.ofSeconds(12);
    /** A bound on the plan's size whatever the window: 12 hours of the shortest faults. */
    static final int MAX_FAULTS = 5_000;

    /** One planned fault; {@code choice} picks the target among the candidates when it starts. */
    record Fault(int index, FaultKind kind, Duration startAt, Duration holdFor, int choice) {
        String describe() {
            return String.format(java.util.Locale.ROOT, "#%d at %5.1f s for %4.1f s: %s (choice %d)", index, startAt.toMillis() / 1e3,
                    holdFor.toMillis() / 1e3, kind.wireName(), choice);
        }
    }

    Schedule {
        faults = List.copyOf(faults);
    }

    /** Plans faults of every kind that start and heal inside {@code window} (measured from the start of the workload). */
    static Schedule generate(long seed, Duration window) {
        return generate(seed, window, EnumSet.allOf(FaultKind.class));
    }

    /**
     * Plans faults of the given kinds only (an operator's {@code --kinds}), dealt in rounds as always; with
     * every kind this is {@link #generate(long, Duration)}.
     *
     * @throws IllegalArgumentException if {@code kinds} is empty
     */
    static Schedule generate(long seed, Duration window, Set<FaultKind> kinds) {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("a schedule needs at least one fault kind");
        }
        // Enum order, so the deal depends on the set and the seed only, not on how the set was built.
        List<FaultKind> dealt = List.copyOf(EnumSet.copyOf(kinds));
        Random random = new Random(seed);
        List<Fault> faults = new ArrayList<>();
        List<FaultKind> round = new ArrayList<>();
        Duration at = WARM_UP;
        while (faults.size() < MAX_FAULTS) {
            if (round.isEmpty()) {
                round.addAll(dealt);
                Collections.shuffle(round, random);
            }
            FaultKind kind = round.removeFirst();
            Duration hold = between(random, kind.minHold(), kind.maxHold());
            Duration gap = between(random, MIN_GAP, MAX_GAP);
            int choice = random.nextInt(1 << 16);
            if (at.plus(hold).compareTo(window) > 0) {
                break;
            }
            faults.add(new Fault(faults.size() + 1, kind, at, hold, choice));
            at = at.plus(hold).plus(gap);
        }
        return new Schedule(seed, window, faults);
    }

    private static Duration between(Random random, Duration min, Duration max) {
        return min.plusMillis((long) (random.nextDouble() * (max.toMillis() - min.toMillis())));
    }

    List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("seed " + seed + ", fault window " + window.toSeconds() + " s, " + faults.size() + " faults");
        faults.forEach(f -> lines.add(f.describe()));
        return lines;
    }
}
