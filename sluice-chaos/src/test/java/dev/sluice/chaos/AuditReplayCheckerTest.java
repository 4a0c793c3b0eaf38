package dev.sluice.chaos;

import static dev.sluice.model.WorkerState.ACTIVE;
import static dev.sluice.model.WorkerState.DISABLED;
import static dev.sluice.model.WorkerState.DRAINING;
import static dev.sluice.model.WorkerState.PROVISIONING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.chaos.AuditReplayChecker.Entry.Registered;
import dev.sluice.chaos.AuditReplayChecker.Entry.Transitioned;
import dev.sluice.model.WorkerState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AuditReplayCheckerTest {

    private static Transitioned move(long sequence, String node, WorkerState from, WorkerState to) {
        return new Transitioned(sequence, node, from, to, 100 + sequence, node + " " + from.wireName() + " → " + to.wireName());
    }

    /** Two nodes born, activated, one drained to disabled and recommissioned, the other drained: a history as a run makes it. */
    private static List<AuditReplayChecker.Entry> history() {
        return List.of(
                new Registered(0, "N1", 1),
                new Registered(1, "N2", 1),
                move(2, "N1", PROVISIONING, ACTIVE),
                move(3, "N2", PROVISIONING, ACTIVE),
                move(4, "N1", ACTIVE, DRAINING),
                new Registered(5, "N1", 2),
                move(6, "N1", DRAINING, DISABLED),
                move(7, "N1", DISABLED, ACTIVE),
                move(8, "N2", ACTIVE, DRAINING));
    }

    @Test
    void aCompleteLogReplaysToTheReportedStatesInAnyInputOrder() {
        long seed = new Random().nextLong();
        List<AuditReplayChecker.Entry> shuffled = new ArrayList<>(history());
        Collections.shuffle(shuffled, new Random(seed));

        AuditReplayChecker.Result result = AuditReplayChecker.check("events", shuffled, false, Map.of("N1", ACTIVE, "N2", DRAINING));

        assertThat(result.mismatches()).as("seed %d", seed).isEmpty();
        assertThat(result.replayed()).containsExactly("N1", "N2");
        assertThat(result.unverifiable()).isEmpty();
    }

    @Test
    void aNodeWhoseReportedStateDiffersFromTheReplayIsAMismatch() {
        AuditReplayChecker.Result result = AuditReplayChecker.check("events", history(), false, Map.of("N1", ACTIVE, "N2", DISABLED));

        assertThat(result.ok()).isFalse();
        assertThat(result.mismatches()).containsExactly("N2 replays to draining but the admin API reports it disabled");
        assertThat(result.replayed()).containsExactly("N1");
    }

    @Test
    void aTransitionMissingFromTheLogIsAMismatchEvenWhenTheEndStateAgrees() {
        List<AuditReplayChecker.Entry> gap = new ArrayList<>(history());
        gap.removeIf(entry -> entry.sequence() == 6);

        AuditReplayChecker.Result result = AuditReplayChecker.check("events", gap, false, Map.of("N1", ACTIVE, "N2", DRAINING));

        assertThat(result.mismatches()).containsExactly(
                "#7: N1 disabled → active, but the replay had N1 draining: a transition is missing from the log or out of order");
    }

    @Test
    void recordsOutOfCommitOrderAreAMismatch() {
        List<AuditReplayChecker.Entry> reordered = new ArrayList<>(history());
        reordered.set(8, new Transitioned(8, "N2", ACTIVE, DRAINING, 50, "N2 active → draining"));

        AuditReplayChecker.Result result = AuditReplayChecker.check("events", reordered, false, Map.of("N1", ACTIVE, "N2", DRAINING));

        assertThat(result.mismatches()).singleElement().asString().contains("#8").contains("not in commit order");
    }

    @Test
    void aTrimmedEventLogLeavesANodeUnverifiedRatherThanMismatched() {
        List<AuditReplayChecker.Entry> trimmed = history().subList(4, history().size());

        AuditReplayChecker.Result result = AuditReplayChecker.check("events", trimmed, false, Map.of("N1", ACTIVE, "N2", DRAINING));

        assertThat(result.mismatches()).isEmpty();
        assertThat(result.replayed()).isEmpty();
        assertThat(result.unverifiable()).hasSize(2).allMatch(reason -> reason.contains("trimmed"));
    }

    @Test
    void theAuditLogStartsEveryNodeInProvisioningWithoutRegistrations() {
        List<AuditReplayChecker.Entry> audit = history().stream().filter(e -> e instanceof Transitioned).toList();

        AuditReplayChecker.Result agreeing = AuditReplayChecker.check("audit", audit, true, Map.of("N1", ACTIVE, "N2", DRAINING, "N3", PROVISIONING));
        AuditReplayChecker.Result lostActivation = AuditReplayChecker.check("audit", audit, true, Map.of("N1", ACTIVE, "N2", DRAINING, "N3", ACTIVE));

        assertThat(agreeing.mismatches()).isEmpty();
        assertThat(agreeing.replayed()).containsExactly("N1", "N2", "N3");
        assertThat(lostActivation.mismatches()).containsExactly("N3 replays to provisioning but the admin API reports it active");
    }

    @Test
    void aNodeInTheLogThatTheApiDoesNotListIsAMismatch() {
        AuditReplayChecker.Result result = AuditReplayChecker.check("events", history(), false, Map.of("N1", ACTIVE));

        assertThat(result.mismatches()).containsExactly("N2 is in the log but the admin API does not list it");
    }
}
