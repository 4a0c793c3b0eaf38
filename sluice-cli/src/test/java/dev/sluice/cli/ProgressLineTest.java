package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The one line {@code nodes drain --wait}, {@code nodes show} and the demo print for a drain. */
class ProgressLineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode drain(String state, int remaining, Long eta, String waitingFor) {
        ObjectNode drain = JSON.createObjectNode().put("state", state).put("replicasAtStart", 18).put("replicasRemaining", remaining)
                .put("movesInFlight", remaining == 0 ? 0 : 4).put("leadershipsRemaining", 0).put("ratePerMinute", 120.0);
        if (eta != null) {
            drain.put("etaSeconds", eta);
        }
        if (waitingFor != null) {
            drain.put("waitingFor", waitingFor);
        }
        return drain;
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
}
