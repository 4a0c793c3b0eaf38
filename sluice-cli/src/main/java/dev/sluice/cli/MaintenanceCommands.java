package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.Durations;
import dev.sluice.wire.MaintenanceDryRunView;
import dev.sluice.wire.MaintenanceView;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.RefusalView;
import dev.sluice.wire.StateChanged;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice nodes maintenance} and {@code sluice nodes end-maintenance}: the temporary path for one worker. */
final class MaintenanceCommands {

    private MaintenanceCommands() {}

    @Command(name = "maintenance",
            description = {"Put an active worker into maintenance: it goes away for a while (a restart, a patch) and comes back with its data.",
                "Its leaderships move to other members, it gets no new replica, and none of its replicas is replaced however long it is down,"
                        + " up to --for. It ends by itself once the worker is back with a new process and caught up, or with end-maintenance."},
            footer = {"", "Examples:", "  sluice nodes maintenance worker-3 --dry-run", "  sluice nodes maintenance worker-3 --for 30m --reason 'kernel patch'"},
            mixinStandardHelpOptions = true)
    static final class Begin implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;
        @Option(names = "--for", description = "the time limit, from now (default ${DEFAULT-VALUE}; at most 7d; e.g. 15m, 2h)", defaultValue = "1h",
                converter = DurationConverter.class) Duration duration;
        @Option(names = "--reason", description = "why, recorded with the intent and in the event log") String reason;
        @Option(names = "--force", description = "begin even though some partitions would lose their majority while it is away") boolean force;
        @Option(names = "--dry-run", description = "say whether it would begin and which leaderships would move; change nothing") boolean dryRun;

        @Override
        public Integer call() {
            if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new CliException(CliException.USAGE, "--for must be at least 1s, got " + duration);
            }
            ObjectNode body = Json.mapper().createObjectNode().put("durationSeconds", duration.toSeconds());
            if (reason != null) {
                body.put("reason", reason);
            }
            if (force) {
                body.put("force", true);
            }
            if (dryRun) {
                body.put("dryRun", true);
            }
            AdminClient client = cluster.client();
            AdminClient.Answer answer = client.post("/api/v1/nodes/" + AdminClient.encode(node) + "/maintenance", body);
            return report(cluster, spec, client, answer, dryRun);
        }
    }

    @Command(name = "end-maintenance", description = "End a worker's maintenance now; leaderships return to it as the scheduler balances them.",
            footer = {"", "Example:", "  sluice nodes end-maintenance worker-3"}, mixinStandardHelpOptions = true)
    static final class End implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            return report(cluster, spec, client, client.delete("/api/v1/nodes/" + AdminClient.encode(node) + "/maintenance"), false);
        }
    }

    private static int report(ClusterOptions cluster, CommandLine.Model.CommandSpec spec, AdminClient client, AdminClient.Answer answer, boolean dryRun) {
        PrintWriter out = spec.commandLine().getOut();
        if (answer.status() == 409) {
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
            } else {
                RefusalView refusal = answer.as(RefusalView.class);
                Refusals.print(spec.commandLine().getErr(), refusal);
                if (!refusal.blocking().isEmpty()) {
                    spec.commandLine().getErr().println("  add --force to begin it anyway");
                    spec.commandLine().getErr().flush();
                }
            }
            return CliException.FAILED;
        }
        if (!answer.ok()) {
            throw new CliException(CliException.FAILED, answer.message());
        }
        if (cluster.json()) {
            NodesCommand.printJson(out, answer.body());
            return dryRun && !answer.as(MaintenanceDryRunView.class).allowed() ? CliException.FAILED : 0;
        }
        if (dryRun) {
            MaintenanceDryRunView plan = answer.as(MaintenanceDryRunView.class);
            printPlan(out, plan, NodeLabels.fetch(client));
            return plan.allowed() ? 0 : CliException.FAILED;
        }
        StateChanged changed = answer.as(StateChanged.class);
        out.println(describe(changed.node(), Instant.now()) + (changed.changed() ? "" : " (no change)"));
        changed.warnings().forEach(w -> out.println("warning: " + w));
        out.flush();
        return 0;
    }

    /** One line on a node's maintenance: {@code N3 (worker-3) is in maintenance until … (55 min left): kernel patch}. */
    static String describe(NodeView node, Instant now) {
        MaintenanceView intent = node.maintenance();
        if (intent == null) {
            return node.label() + " has never been in maintenance";
        }
        if (intent.active()) {
            return node.label() + " is in maintenance until " + intent.until() + " (" + Durations.human(Duration.between(now, intent.until()).isNegative()
                    ? Duration.ZERO : Duration.between(now, intent.until()).withNanos(0)) + " left)"
                    + (intent.credential() == null ? "" : ", asked with credential " + intent.credential())
                    + (intent.reason().isEmpty() ? "" : ": " + intent.reason());
        }
        return node.label() + " is not in maintenance (the last one ended " + intent.endedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ": "
                + intent.endCause() + ")";
    }

    /** The short form for a table cell: {@code until 11:00:00Z}, or {@code -}. */
    static String cell(NodeView node) {
        MaintenanceView intent = node.maintenance();
        return intent == null || !intent.active() ? "-" : "until " + intent.until().toString().substring(11).replaceAll("\\.\\d+Z$", "Z");
    }

    private static void printPlan(PrintWriter out, MaintenanceDryRunView plan, NodeLabels nodes) {
        out.printf("Dry run: maintenance of %s (%s)%n", plan.node().label(), plan.node().state());
        out.println(plan.allowed() ? "  allowed: yes" : "  allowed: NO — " + (plan.refusal() == null ? "" : plan.refusal().message()));
        out.printf("  0 replica moves, %d leadership change(s)%n", plan.leadershipChanges().size());
        if (!plan.leadershipChanges().isEmpty()) {
            Table table = new Table("  LEADERSHIP", "FROM", "TO", "WHY");
            plan.leadershipChanges().forEach(l -> table.row("  " + l.partition(), nodes.of(l.from()), nodes.of(l.to()), l.cause()));
            table.print(out);
        }
        List<BlockingPartition.Group> blocking = plan.refusal() == null ? List.of() : BlockingPartition.grouped(plan.refusal().blocking());
        if (!blocking.isEmpty()) {
            out.println("  partitions at risk:");
            blocking.forEach(group -> out.println("    " + group));
        }
        plan.warnings().forEach(w -> out.println("  warning: " + w));
        out.flush();
    }
}
