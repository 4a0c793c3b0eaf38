package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainView;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one line {@code nodes drain --wait}, {@code nodes show} and the demo print for a drain. */
class ProgressLineTest {

    private static DrainView drain(String state, int remaining, Long eta, String waitingFor) {
        Instant started = Instant.parse("2025-03-04T09:30:00Z");
        return new DrainView(NodeId.of(3), null, "worker-3", WorkerState.parse(state), started, null, 18, remaining, 0, remaining == 0 ? 0 : 4,
                18 - remaining, 120.0, eta, false, List.of(), waitingFor, started.plusSeconds(60));
    }

    @Test
    void aRunningDrainShowsItsEta() {
        assertThat(Progress.line(drain("draining", 9, 5L, null), 24)).endsWith("9/18 moved · 4 in flight · 0 leaderships · 120.0/min · ETA 5s");
    }

    /** With nothing left to move, "ETA 0s" looked stuck: the line says what the drain still waits for. */
    @Test
    void withNothingLeftToMoveTheLineSaysWhatTheDrainWaitsForInsteadOfAnEta() {
        assertThat(Progress.line(drain("draining", 0, 0L, null), 24)).doesNotContain("ETA")
                .endsWith("18/18 moved · 0 in flight · 0 leaderships · 120.0/min · moves done; waiting for the controller to disable it");
        assertThat(Progress.line(drain("draining", 0, 0L, "N3 still holds P5's files: removal pending for 2 s (group remove running)"), 24))
                .doesNotContain("ETA").endsWith("moves done; waiting: N3 still holds P5's files: removal pending for 2 s (group remove running)");
    }

    @Test
    void aFinishedDrainShowsNoEtaAndNoWait() {
        assertThat(Progress.line(drain("disabled", 0, 0L, null), 24)).doesNotContain("ETA").doesNotContain("waiting");
    }

    /** A drain stalled on more partitions than it lists says how many, and how many more there are. */
    @Test
    void aDrainStalledOnMorePartitionsThanItListsSaysHowManyMore() {
        Instant since = Instant.parse("2025-03-04T09:30:00Z");
        List<DrainView.StalledPartition> listed = List.of(new DrainView.StalledPartition(dev.sluice.model.PartitionId.of(7), NodeId.of(3),
                "zone-spread-unsatisfiable", "P7 cannot span 3 zone(s): candidates in 2", since));
        DrainView stalled = new DrainView(NodeId.of(3), null, "worker-3", WorkerState.DRAINING, since, null, 300, 300, 0, 0, 0, 0.0, null, true, listed,
                null, since.plusSeconds(60), null, 299);
        java.io.StringWriter text = new java.io.StringWriter();
        Progress.printStalled(new java.io.PrintWriter(text), stalled, NodeLabels.from(List.of()));
        assertThat(text.toString()).startsWith("  STALLED: 300 partition(s) cannot move or be removed:")
                .contains("P7 on N3 zone-spread-unsatisfiable: P7 cannot span 3 zone(s)").endsWith("    and 299 more (the controller lists the first 1)\n");
    }
}
