package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConvergenceWatchTest {

    private static final long S = 1_000_000_000L;

    private static Nemesis.Applied applied(Schedule.Fault fault) {
        return new Nemesis.Applied(fault, "node-1", fault.startAt().toNanos(), fault.startAt().plus(fault.holdFor()).toNanos(), "");
    }

    private static Nemesis.Applied appliedAt(FaultKind kind, int index, long healedNanos) {
        return new Nemesis.Applied(new Schedule.Fault(index, kind, Duration.ZERO, Duration.ofSeconds(1), 0), "node-1", 0, healedNanos, "");
    }

    @Test
    void theMeasureOfAFaultEndsAtTheNextPlannedFaultOrTheEndOfTheWindow() {
        Schedule schedule = new Schedule(1, Duration.ofSeconds(100), List.of(
                new Schedule.Fault(1, FaultKind.KILL_NODE, Duration.ofSeconds(10), Duration.ofSeconds(10), 0),
                new Schedule.Fault(2, FaultKind.PAUSE_NODE, Duration.ofSeconds(30), Duration.ofSeconds(10), 0)));

        assertThat(ConvergenceWatch.boundNanos(schedule.faults().get(0), schedule)).isEqualTo(30 * S);
        assertThat(ConvergenceWatch.boundKind(schedule.faults().get(0), schedule)).isEqualTo(ConvergenceWatch.Bound.NEXT_FAULT);
        assertThat(ConvergenceWatch.boundNanos(schedule.faults().get(1), schedule)).isEqualTo(100 * S);
        assertThat(ConvergenceWatch.boundKind(schedule.faults().get(1), schedule)).isEqualTo(ConvergenceWatch.Bound.END_OF_WINDOW);
    }

    @Test
    void perKindTheMedianAndMaxCountOnlyFaultsThatConvergedInTime() {
        List<ConvergenceWatch.Recovery> recoveries = List.of(
                new ConvergenceWatch.Recovery.Converged(appliedAt(FaultKind.KILL_NODE, 1, 0), 4 * S),
                new ConvergenceWatch.Recovery.Converged(appliedAt(FaultKind.KILL_NODE, 2, 0), 2 * S),
                new ConvergenceWatch.Recovery.NotConverged(appliedAt(FaultKind.KILL_NODE, 3, 0), ConvergenceWatch.Bound.NEXT_FAULT, "P3 moving"),
                new ConvergenceWatch.Recovery.Converged(appliedAt(FaultKind.KILL_NODE, 4, 0), 9 * S),
                new ConvergenceWatch.Recovery.Converged(appliedAt(FaultKind.KILL_NODE, 5, 0), 3 * S),
                new ConvergenceWatch.Recovery.Converged(appliedAt(FaultKind.PAUSE_NODE, 6, 0), 1 * S),
                new ConvergenceWatch.Recovery.NotConverged(appliedAt(FaultKind.SLOW_NODE_LINKS, 7, 0), ConvergenceWatch.Bound.END_OF_WINDOW, "N2 says"));

        Map<FaultKind, ConvergenceWatch.KindSummary> byKind = ConvergenceWatch.byKind(recoveries);

        ConvergenceWatch.KindSummary kill = byKind.get(FaultKind.KILL_NODE);
        // 2, 3, 4, 9 s: the median of an even count is the mean of the middle two; the fault that did not converge is apart.
        assertThat(kill.medianNanos()).isEqualTo(3_500_000_000L);
        assertThat(kill.maxNanos()).isEqualTo(9 * S);
        assertThat(kill.notBeforeNextFault()).isEqualTo(1);
        assertThat(kill.describe()).isEqualTo("4 converged, median 3.5 s, max 9.0 s; 1 not before the next fault");
        assertThat(byKind.get(FaultKind.PAUSE_NODE).describe()).isEqualTo("1 converged, median 1.0 s, max 1.0 s");
        assertThat(byKind.get(FaultKind.SLOW_NODE_LINKS).describe()).isEqualTo("none converged in time; 1 not before the fault window ended");
        assertThat(byKind).containsOnlyKeys(FaultKind.KILL_NODE, FaultKind.PAUSE_NODE, FaultKind.SLOW_NODE_LINKS);
    }

    @Test
    void eachHealedFaultIsMeasuredUntilTheClusterConvergesOrTheBoundComes() throws Exception {
        long origin = System.nanoTime();
        // Fault 1 heals at once, and the cluster converges on the third look; fault 2 never converges before the window's end at 1.5 s.
        Schedule schedule = new Schedule(1, Duration.ofMillis(1_500), List.of(
                new Schedule.Fault(1, FaultKind.KILL_NODE, Duration.ZERO, Duration.ZERO, 0),
                new Schedule.Fault(2, FaultKind.PAUSE_NODE, Duration.ofMillis(1_000), Duration.ZERO, 0)));
        List<Nemesis.Applied> healed = new CopyOnWriteArrayList<>(List.of(applied(schedule.faults().get(0))));
        AtomicInteger looks = new AtomicInteger();
        ConvergenceWatch watch = new ConvergenceWatch(() -> List.copyOf(healed), schedule,
                () -> looks.incrementAndGet() < 3 ? "P1 is moving" : healed.size() > 1 ? "N2 does not report its status" : null,
                () -> System.nanoTime() - origin, Duration.ofMillis(50));
        watch.start();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> watch.recoveries().size() == 1);
        healed.add(applied(schedule.faults().get(1)));

        watch.stop();

        List<ConvergenceWatch.Recovery> recoveries = watch.recoveries();
        assertThat(recoveries).hasSize(2);
        assertThat(recoveries.get(0)).isInstanceOfSatisfying(ConvergenceWatch.Recovery.Converged.class,
                c -> assertThat(c.afterNanos()).isBetween(100_000_000L, 1_000_000_000L));
        assertThat(recoveries.get(1)).isEqualTo(new ConvergenceWatch.Recovery.NotConverged(healed.get(1), ConvergenceWatch.Bound.END_OF_WINDOW,
                "N2 does not report its status"));
    }
}
