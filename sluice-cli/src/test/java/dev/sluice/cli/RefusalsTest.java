package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.wire.RefusalView;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** How the CLI prints a refused transition: once, grouped, with its own flag names. */
class RefusalsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aDrainBlockedByTwentyFourPartitionsForOneReasonReadsAsOneRowAndNamesTheFlag() {
        ObjectNode refusal = JSON.createObjectNode()
                .put("error", "refused").put("kind", "guard-failed")
                .put("message", "N1 (worker-2) cannot go from active to draining now: 24 partitions would have no compliant replacement: …; forcing it does it anyway")
                .put("node", "N1").put("current", "active").put("requested", "draining");
        refusal.putArray("allowed");
        refusal.putArray("allowedWithForce").add("disabled").add("draining");
        ArrayNode blocking = refusal.putArray("blocking");
        for (int p = 0; p < 24; p++) {
            blocking.addObject().put("partition", "P" + p).put("reason", "not-enough-candidates")
                    .put("message", "needs 3 replicas, can place 2: 1 missing, 2 active and alive worker(s) in the cluster");
        }
        StringWriter err = new StringWriter();

        Refusals.print(new PrintWriter(err), AdminClient.read(refusal, RefusalView.class));

        String printed = err.toString();
        assertThat(printed).startsWith("refused: N1 (worker-2) cannot go from active to draining now:")
                .doesNotContain("refused: refused")
                .contains("current state: active; allowed next: none; with --force: disabled, draining")
                .contains("add --force to do it anyway")
                .contains("P0–P23 (24)");
        assertThat(printed.lines().filter(line -> line.contains("not-enough-candidates"))).hasSize(1);
    }
}
