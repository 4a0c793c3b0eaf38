package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainGroupPlanView;
import dev.sluice.wire.DrainGroupView;
import dev.sluice.wire.MoveView;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What the CLI prints of a group too large to list whole: the waves it lists and those it counts, and members still to start. */
class LargeGroupDrainPrintTest {

    private static final NodeLabels NO_NAMES = NodeLabels.from(List.of());

    @Test
    void aPlanWithMoreWavesThanListedSaysHowManyMoreAndTheirMoves() {
        // 2 waves listed of 1 move each, 7 moves in all, at least 5 waves: the rest are counted, not listed.
        List<DrainGroupPlanView.Wave> waves = IntStream.rangeClosed(1, 2).mapToObj(w -> new DrainGroupPlanView.Wave(w,
                List.of(new MoveView(PartitionId.of(w), NodeId.of(1), NodeId.of(2))))).toList();
        DrainGroupPlanView plan = new DrainGroupPlanView(true, true, null, List.of(), List.of(), 7, List.of(), List.of(), waves, List.of(), Map.of(),
                1, 1, 70, null, 5, 3);

        String printed = printed(out -> DrainsCommand.printPlan(out, plan, NO_NAMES));

        assertThat(printed).contains("7 replica move(s), 3 leadership change(s), in 5 wave(s)");
        assertThat(printed).contains("and at least 3 more wave(s) with 5 move(s)");
    }

    @Test
    void aPlanFromAServerBeforeTheCountsIsPrintedFromItsLists() {
        List<DrainGroupPlanView.Wave> waves = List.of(new DrainGroupPlanView.Wave(1, List.of(new MoveView(PartitionId.of(1), NodeId.of(1), NodeId.of(2)))));
        DrainGroupPlanView plan = new DrainGroupPlanView(true, true, null, List.of(), List.of(), 1, List.of(), List.of(), waves, List.of(), Map.of(),
                1, 1, 70, null, 0, 0);

        String printed = printed(out -> DrainsCommand.printPlan(out, plan, NO_NAMES));

        assertThat(printed).contains("1 replica move(s), 0 leadership change(s), in 1 wave(s)").doesNotContain("more wave");
    }

    @Test
    void aGroupWithMembersStillToStartSaysHowMany() {
        DrainGroupView group = new DrainGroupView("d-12345678", "", "eu.zone-a", "running", Instant.EPOCH, null,
                List.of(new DrainGroupView.Member(NodeId.of(1), "worker-1", WorkerState.DRAINING, null)), 0, 0, 0, 0, 0, 0, null, false, List.of(), null,
                "none", null, false, Instant.EPOCH, 236);

        String printed = printed(out -> DrainsCommand.print(out, group, NO_NAMES));

        assertThat(printed).contains("236 worker(s) still to start draining as the controller writes them, up to 256 at a time");
    }

    private static String printed(java.util.function.Consumer<PrintWriter> printing) {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        printing.accept(out);
        out.flush();
        return text.toString();
    }
}
