package dev.sluice.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Measures how long the cluster takes to converge after each fault heals: from the heal until the rule of
 * the final convergence check holds ({@link ChaosRun#convergenceProblem}: every partition has its full
 * replica set of active nodes, no next set, a leader, and exactly one replica says it leads), looked at
 * every {@link #POLL_INTERVAL}. The measure ends at the next fault's planned start (or at the end of the
 * fault window for the last fault): a cluster that has not converged by then is recorded as such, never as
 * a number. Owns one thread, which measures one healed fault at a time, in heal order.
 */
final class ConvergenceWatch {

    static final Duration POLL_INTERVAL = Duration.ofMillis(500);

    /** Where a measure stopped without convergence. */
    enum Bound {
        /** The next fault's planned start. */
        NEXT_FAULT,
        /** The end of the fault window (the last fault). */
        END_OF_WINDOW;

        String describe() {
            return switch (this) {
                case NEXT_FAULT -> "not before the next fault";
                case END_OF_WINDOW -> "not before the fault window ended";
            };
        }
    }

    /** What came after one healed fault. */
    sealed interface Recovery {
        Nemesis.Applied fault();

        String describe();

        /** Converged {@code afterNanos} after the heal (an upper bound: the end of the look that found it so). */
        record Converged(Nemesis.Applied fault, long afterNanos) implements Recovery {
            @Override
            public String describe() {
                return String.format(java.util.Locale.ROOT, "converged %.1f s after healing", afterNanos / 1e9);
            }
        }

        /** Still not converged at {@code bound}; {@code lastProblem} is what the last look found. */
        record NotConverged(Nemesis.Applied fault, Bound bound, String lastProblem) implements Recovery {
            @Override
            public String describe() {
                return bound.describe() + ": " + lastProblem;
            }
        }
    }

    /** One kind's recoveries: convergence times (never mixed with the faults that did not converge in time). */
    record KindSummary(FaultKind kind, List<Long> convergedNanos, int notBeforeNextFault, int notBeforeWindowEnd) {
        KindSummary {
            convergedNanos = convergedNanos.stream().sorted().toList();
        }

        /** The median convergence time (the mean of the middle two for an even count); -1 if none converged. */
        long medianNanos() {
            int n = convergedNanos.size();
            if (n == 0) {
                return -1;
            }
            return n % 2 == 1 ? convergedNanos.get(n / 2) : (convergedNanos.get(n / 2 - 1) + convergedNanos.get(n / 2)) / 2;
        }

        long maxNanos() {
            return convergedNanos.isEmpty() ? -1 : convergedNanos.getLast();
        }

        String describe() {
            String converged = convergedNanos.isEmpty() ? "none converged in time"
                    : String.format(java.util.Locale.ROOT, "%d converged, median %.1f s, max %.1f s", convergedNanos.size(), medianNanos() / 1e9,
                            maxNanos() / 1e9);
            return converged + (notBeforeNextFault > 0 ? "; " + notBeforeNextFault + " " + Bound.NEXT_FAULT.describe() : "")
                    + (notBeforeWindowEnd > 0 ? "; " + notBeforeWindowEnd + " " + Bound.END_OF_WINDOW.describe() : "");
        }
    }

    private final Supplier<List<Nemesis.Applied>> applied;
    private final Schedule schedule;
    private final Supplier<String> problem;
    private final LongSupplier nanosIntoRun;
    private final Duration pollInterval;
    private final List<Recovery> recoveries = new ArrayList<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread thread;

    /**
     * @param applied the faults healed so far, in heal order (the nemesis's record)
     * @param problem what keeps the cluster from having converged, or {@code null} if it has
     * @param nanosIntoRun the run's clock, the one the nemesis stamps its faults with
     */
    ConvergenceWatch(Supplier<List<Nemesis.Applied>> applied, Schedule schedule, Supplier<String> problem, LongSupplier nanosIntoRun,
            Duration pollInterval) {
        this.applied = applied;
        this.schedule = schedule;
        this.problem = problem;
        this.nanosIntoRun = nanosIntoRun;
        this.pollInterval = pollInterval;
    }

    void start() {
        thread = Thread.ofPlatform().name("chaos-convergence-watch").daemon().start(this::loop);
    }

    /**
     * Measures the faults healed so far to their bounds (all of them lie inside the fault window, which has
     * ended when this is called), then stops.
     */
    void stop() throws InterruptedException {
        stop.countDown();
        if (thread != null) {
            thread.join(Admin.REQUEST_TIMEOUT.multipliedBy(10).toMillis());
        }
    }

    private void loop() {
        int measured = 0;
        try {
            while (true) {
                List<Nemesis.Applied> healed = applied.get();
                if (measured < healed.size()) {
                    Recovery recovery = measure(healed.get(measured++));
                    synchronized (recoveries) {
                        recoveries.add(recovery);
                    }
                } else if (stop.await(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                    if (applied.get().size() == measured) {
                        return;
                    }
                }
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private Recovery measure(Nemesis.Applied fault) throws InterruptedException {
        long bound = boundNanos(fault.fault(), schedule);
        Bound kind = boundKind(fault.fault(), schedule);
        // Left as is only when the bound had passed before the heal: a fault that overran its plan (on a loaded machine) is followed at once.
        String last = "no time to look: " + (kind == Bound.NEXT_FAULT ? "the next fault" : "the end of the window") + " was due at " + seconds(bound)
                + ", before this fault healed at " + seconds(fault.healedNanos());
        while (nanosIntoRun.getAsLong() < bound) {
            try {
                last = problem.get();
            } catch (RuntimeException unreadable) {
                // One bad answer must not end the watch and lose every later measure.
                last = "the look failed: " + unreadable;
            }
            long lookedUntil = nanosIntoRun.getAsLong();
            if (last == null) {
                return lookedUntil <= bound ? new Recovery.Converged(fault, lookedUntil - fault.healedNanos())
                        : new Recovery.NotConverged(fault, kind, "converged only at " + seconds(lookedUntil) + ", after the bound " + seconds(bound));
            }
            long pause = Math.min(pollInterval.toNanos(), bound - nanosIntoRun.getAsLong());
            if (pause > 0) {
                TimeUnit.NANOSECONDS.sleep(pause);
            }
        }
        return new Recovery.NotConverged(fault, kind, last);
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** The next planned fault's start, or the end of the fault window after the last. */
    static long boundNanos(Schedule.Fault fault, Schedule schedule) {
        // Fault indexes count from 1 in start order, so the next fault is at list position index.
        return fault.index() < schedule.faults().size() ? schedule.faults().get(fault.index()).startAt().toNanos() : schedule.window().toNanos();
    }

    static Bound boundKind(Schedule.Fault fault, Schedule schedule) {
        return fault.index() < schedule.faults().size() ? Bound.NEXT_FAULT : Bound.END_OF_WINDOW;
    }

    List<Recovery> recoveries() {
        synchronized (recoveries) {
            return List.copyOf(recoveries);
        }
    }

    /** Per fault kind (in declaration order), the convergence times and the faults that did not converge in time. */
    static Map<FaultKind, KindSummary> byKind(List<Recovery> recoveries) {
        Map<FaultKind, List<Long>> converged = new EnumMap<>(FaultKind.class);
        Map<FaultKind, int[]> notConverged = new EnumMap<>(FaultKind.class);
        for (Recovery recovery : recoveries) {
            FaultKind kind = recovery.fault().fault().kind();
            converged.computeIfAbsent(kind, k -> new ArrayList<>());
            int[] counts = notConverged.computeIfAbsent(kind, k -> new int[Bound.values().length]);
            switch (recovery) {
                case Recovery.Converged c -> converged.get(kind).add(c.afterNanos());
                case Recovery.NotConverged n -> counts[n.bound().ordinal()]++;
            }
        }
        Map<FaultKind, KindSummary> summaries = new EnumMap<>(FaultKind.class);
        converged.forEach((kind, times) -> summaries.put(kind, new KindSummary(kind, times, notConverged.get(kind)[Bound.NEXT_FAULT.ordinal()],
                notConverged.get(kind)[Bound.END_OF_WINDOW.ordinal()])));
        return summaries;
    }
}
