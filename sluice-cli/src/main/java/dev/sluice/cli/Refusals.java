package dev.sluice.cli;

import dev.sluice.model.BlockingPartition;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DryRunView;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.RefusalView;
import java.io.PrintWriter;
import java.util.List;

/** Prints what the server said when it refused a transition, and dry-run plans. */
final class Refusals {

    private Refusals() {}

    /**
     * Prints a refused request's answer (409: the refusal, or its JSON with {@code -o json}) and says so; throws for any
     * other failure; returns false for a success, which the caller prints.
     */
    static boolean refused(boolean json, picocli.CommandLine.Model.CommandSpec spec, AdminClient.Answer answer) {
        if (answer.status() == 409) {
            if (json) {
                NodesCommand.printJson(spec.commandLine().getOut(), answer.body());
            } else {
                print(spec.commandLine().getErr(), answer.as(RefusalView.class));
            }
            return true;
        }
        if (!answer.ok()) {
            throw new CliException(CliException.FAILED, answer.message());
        }
        return false;
    }

    static void print(PrintWriter err, RefusalView refusal) {
        err.println("refused: " + refusal.message());
        List<String> allowed = wireNames(refusal.allowed());
        List<String> forced = wireNames(refusal.allowedWithForce());
        if (refusal.current() != null) {
            err.println("  current state: " + refusal.current()
                    + "; allowed next: " + (allowed.isEmpty() ? "none" : String.join(", ", allowed))
                    + (forced.isEmpty() ? "" : "; with --force: " + String.join(", ", forced)));
        }
        if (refusal.requested() != null && refusal.allowedWithForce().contains(refusal.requested())) {
            // The server says force gets past it; the flag's name is the CLI's to give.
            err.println("  add --force to do it anyway");
        }
        List<BlockingPartition.Group> groups = BlockingPartition.grouped(refusal.blocking());
        if (!groups.isEmpty()) {
            err.println("  blocking partitions:");
            Table table = new Table("    PARTITIONS", "REASON", "DETAIL");
            groups.forEach(g -> table.row("    " + g.ranges() + (g.partitions().size() > 1 ? " (" + g.partitions().size() + ")" : ""), g.reason(), g.message()));
            table.print(err);
        }
        err.flush();
    }

    static void printPlan(PrintWriter out, DryRunView plan, NodeLabels nodes) {
        NodeView node = plan.node();
        out.printf("Dry run: %s %s → %s%n", node.label(), node.state(), plan.target());
        out.println(plan.allowed() ? "  allowed: yes" : "  allowed: NO — " + (plan.refusal() == null ? "" : plan.refusal().message()));
        out.printf("  %d replica move(s), %d leadership change(s)%n", plan.moves().size(), plan.leadershipChanges().size());
        if (!plan.moves().isEmpty()) {
            Table table = new Table("  PARTITION", "FROM", "TO");
            plan.moves().forEach(m -> table.row("  " + m.partition(), nodes.of(m.from()), nodes.of(m.to())));
            table.print(out);
        }
        if (!plan.leadershipChanges().isEmpty()) {
            Table table = new Table("  LEADERSHIP", "FROM", "TO", "WHY");
            plan.leadershipChanges().forEach(l -> table.row("  " + l.partition(), nodes.of(l.from()), nodes.of(l.to()), l.cause()));
            table.print(out);
        }
        if (!plan.violations().isEmpty()) {
            out.println("  still unsatisfied afterwards:");
            plan.violations().forEach(v -> out.printf("    %s %s: %s%n", v.partition(), v.reason(), v.message()));
        }
        List<BlockingPartition.Group> blocking = plan.refusal() == null ? List.of() : BlockingPartition.grouped(plan.refusal().blocking());
        if (!blocking.isEmpty()) {
            out.println("  blocking partitions:");
            blocking.forEach(group -> out.println("    " + group));
        }
        plan.warnings().forEach(w -> out.println("  warning: " + w));
        out.flush();
    }

    private static List<String> wireNames(List<WorkerState> states) {
        return states.stream().map(WorkerState::wireName).toList();
    }
}
