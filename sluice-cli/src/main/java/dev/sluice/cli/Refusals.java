package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.PartitionId;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints what the server said when it refused a transition, and dry-run plans. */
final class Refusals {

    private Refusals() {}

    static void print(PrintWriter err, JsonNode refusal) {
        err.println("refused: " + refusal.path("message").asText());
        List<String> allowed = texts(refusal.path("allowed"));
        List<String> forced = texts(refusal.path("allowedWithForce"));
        if (!refusal.path("current").isMissingNode()) {
            err.println("  current state: " + refusal.path("current").asText()
                    + "; allowed next: " + (allowed.isEmpty() ? "none" : String.join(", ", allowed))
                    + (forced.isEmpty() ? "" : "; with --force: " + String.join(", ", forced)));
        }
        String requested = refusal.path("requested").asText("");
        if (!requested.isEmpty() && forced.contains(requested)) {
            // The server says force gets past it; the flag's name is the CLI's to give.
            err.println("  add --force to do it anyway");
        }
        List<BlockingPartition.Group> groups = groups(refusal.path("blocking"));
        if (!groups.isEmpty()) {
            err.println("  blocking partitions:");
            Table table = new Table("    PARTITIONS", "REASON", "DETAIL");
            groups.forEach(g -> table.row("    " + g.ranges() + (g.partitions().size() > 1 ? " (" + g.partitions().size() + ")" : ""), g.reason(), g.message()));
            table.print(err);
        }
        err.flush();
    }

    /** Blocking partitions as the server listed them, grouped by reason and sentence. */
    private static List<BlockingPartition.Group> groups(JsonNode blocking) {
        List<BlockingPartition> partitions = new ArrayList<>();
        blocking.forEach(b -> partitions.add(new BlockingPartition(PartitionId.parse(b.path("partition").asText()), b.path("reason").asText(),
                b.path("message").asText())));
        return BlockingPartition.grouped(partitions);
    }

    static void printPlan(PrintWriter out, JsonNode plan, NodeLabels nodes) {
        JsonNode node = plan.path("node");
        out.printf("Dry run: %s %s → %s%n", NodeLabels.label(node), node.path("state").asText(),
                plan.path("target").asText());
        out.println(plan.path("allowed").asBoolean() ? "  allowed: yes" : "  allowed: NO — " + plan.path("refusal").path("message").asText());
        JsonNode moves = plan.path("moves");
        out.printf("  %d replica move(s), %d leadership change(s)%n", moves.size(), plan.path("leadershipChanges").size());
        if (moves.size() > 0) {
            Table table = new Table("  PARTITION", "FROM", "TO");
            moves.forEach(m -> table.row("  " + m.path("partition").asText(), nodes.of(m.path("from")), nodes.of(m.path("to"))));
            table.print(out);
        }
        if (plan.path("leadershipChanges").size() > 0) {
            Table table = new Table("  LEADERSHIP", "FROM", "TO", "WHY");
            plan.path("leadershipChanges").forEach(l -> table.row("  " + l.path("partition").asText(), nodes.of(l.path("from")), nodes.of(l.path("to")),
                    l.path("cause").asText()));
            table.print(out);
        }
        JsonNode violations = plan.path("violations");
        if (violations.size() > 0) {
            out.println("  still unsatisfied afterwards:");
            violations.forEach(v -> out.printf("    %s %s: %s%n", v.path("partition").asText(), v.path("reason").asText(), v.path("message").asText()));
        }
        List<BlockingPartition.Group> blocking = groups(plan.path("refusal").path("blocking"));
        if (!blocking.isEmpty()) {
            out.println("  blocking partitions:");
            blocking.forEach(group -> out.println("    " + group));
        }
        plan.path("warnings").forEach(w -> out.println("  warning: " + w.asText()));
        out.flush();
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }
}
