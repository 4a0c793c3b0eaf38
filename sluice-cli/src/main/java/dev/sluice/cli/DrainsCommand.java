package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodesChange;
import dev.sluice.wire.DrainGroupPlanView;
import dev.sluice.wire.DrainGroupView;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice drains …}: group drains — several workers, or a zone, drained as one operation — listed, shown and
 * cancelled; {@code sluice nodes drain A B C} and {@code nodes drain --zone Z} start them ({@link #start}).
 */
@Command(name = "drains", description = "Group drains (several workers, or a zone, drained as one operation): list them, show one, cancel one."
        + " Start one with 'sluice nodes drain A B C' or 'sluice nodes drain --zone Z'.",
        mixinStandardHelpOptions = true,
        subcommands = {DrainsCommand.ListDrains.class, DrainsCommand.Show.class, DrainsCommand.Cancel.class})
final class DrainsCommand {

    static final String DRAINS = "/api/v1/drains";
    private static final int BAR_WIDTH = 24;

    /** What {@code nodes drain} asks for when it names several workers, a zone, or a deadline. */
    record Request(List<String> nodes, String zone, Duration deadline, String reason, boolean force, boolean dryRun, boolean waitForIt,
            Duration timeout) {}

    /** Starts (or dry-runs) a group drain, and follows it with {@code --wait}; the exit code. */
    static int start(ClusterOptions cluster, CommandLine.Model.CommandSpec spec, Request request) {
        ObjectNode body = Json.mapper().createObjectNode();
        if (request.zone() != null) {
            body.put("zone", request.zone());
        } else {
            ArrayNode list = body.putArray("nodes");
            request.nodes().forEach(list::add);
        }
        if (request.deadline() != null) {
            body.put("deadlineSeconds", request.deadline().toSeconds());
        }
        if (request.reason() != null) {
            body.put("reason", request.reason());
        }
        if (request.force()) {
            body.put("force", true);
        }
        if (request.dryRun()) {
            body.put("dryRun", true);
        }
        AdminClient client = cluster.client();
        AdminClient.Answer answer = client.post(DRAINS, body);
        PrintWriter out = spec.commandLine().getOut();
        if (Refusals.refused(cluster.json(), spec, answer)) {
            return CliException.FAILED;
        }
        if (request.dryRun()) {
            DrainGroupPlanView plan = answer.as(DrainGroupPlanView.class);
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
            } else {
                printPlan(out, plan, NodeLabels.fetch(client));
            }
            return plan.allowed() ? 0 : CliException.FAILED;
        }
        DrainGroupView group = answer.as(DrainGroupView.class);
        if (!request.waitForIt()) {
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
            } else {
                out.println("drain " + group.id() + " started: " + String.join(", ", group.members().stream().map(DrainGroupView.Member::label).toList())
                        + " draining" + (group.deadline() == null ? "" : ", deadline " + group.deadline())
                        + ". Follow it with 'sluice drains show " + group.id() + "', cancel it with 'sluice drains cancel " + group.id() + "'");
                out.flush();
            }
            return 0;
        }
        if (!cluster.json()) {
            out.println("drain " + group.id() + " started: " + String.join(", ", group.members().stream().map(DrainGroupView.Member::label).toList())
                    + " draining" + (group.deadline() == null ? "" : ", deadline " + group.deadline()));
            out.flush();
        }
        return follow(client, out, cluster.json(), group.id(), request.timeout());
    }

    /** Polls the group until it ends: 0 when completed, 1 when cancelled or on timeout. */
    static int follow(AdminClient client, PrintWriter out, boolean json, String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastLine = "";
        boolean terminal = System.console() != null;
        while (true) {
            DrainGroupView group = client.getOk(DRAINS + "/" + AdminClient.encode(id), DrainGroupView.class);
            String line = group.progressKnown() ? line(group, BAR_WIDTH) : "waiting for the controller to pick the drain up…";
            if (!json && !line.equals(lastLine)) {
                out.print(terminal ? "\r" + line + " ".repeat(Math.max(3, lastLine.length() - line.length() + 3)) : line + "\n");
                out.flush();
                lastLine = line;
            }
            if (!"running".equals(group.state()) && group.progressKnown()) {
                if (json) {
                    NodesCommand.printJson(out, group);
                } else {
                    out.println((terminal ? "\n" : "") + ended(group));
                    out.flush();
                }
                return "completed".equals(group.state()) ? 0 : CliException.FAILED;
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(CliException.FAILED, (terminal ? "\n" : "") + "gave up after " + DurationConverter.format(timeout.toSeconds())
                        + ": drain " + id + " is still running (" + group.replicasRemaining() + " replicas left). It goes on; check it with 'sluice drains show "
                        + id + "'");
            }
            try {
                Thread.sleep(Progress.POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(CliException.FAILED, "interrupted; the drain goes on");
            }
        }
    }

    /** {@code [####------] 6/24 moved · 4 in flight · 12.0/min · ETA 1m30s · deadline in 28m: on-track}. */
    static String line(DrainGroupView group, int width) {
        int total = Math.max(group.replicasAtStart(), 1);
        int done = Math.max(0, group.replicasAtStart() - group.replicasRemaining());
        int filled = (int) Math.round(width * (double) done / total);
        StringBuilder text = new StringBuilder()
                .append('[').append("#".repeat(Math.min(width, filled))).append("-".repeat(Math.max(0, width - filled))).append("] ")
                .append(done).append('/').append(group.replicasAtStart()).append(" moved on ").append(group.members().size()).append(" workers")
                .append(" · ").append(group.movesInFlight()).append(" in flight")
                .append(" · ").append(String.format("%.1f/min", group.ratePerMinute()));
        if ("running".equals(group.state())) {
            text.append(group.etaSeconds() != null ? " · ETA " + DurationConverter.format(group.etaSeconds()) : " · ETA unknown");
        }
        if (group.deadline() != null) {
            text.append(" · deadline ").append(deadlineText(group));
        }
        if (group.stalled()) {
            text.append(" · STALLED");
        }
        return text.toString();
    }

    /** {@code in 28m: on-track}, {@code in 2m: AT RISK}, {@code passed 1m ago: OVERDUE}, {@code met}. */
    static String deadlineText(DrainGroupView group) {
        String status = switch (Objects.toString(group.deadlineStatus(), "none")) {
            case "at-risk" -> "AT RISK";
            case "overdue" -> "OVERDUE";
            default -> group.deadlineStatus();
        };
        if (group.timeLeftSeconds() == null || !"running".equals(group.state())) {
            return status;
        }
        long left = group.timeLeftSeconds();
        return (left >= 0 ? "in " + DurationConverter.format(left) : "passed " + DurationConverter.format(-left) + " ago") + ": " + status;
    }

    private static String ended(DrainGroupView group) {
        long seconds = group.startedAt() == null || group.endedAt() == null ? 0 : Duration.between(group.startedAt(), group.endedAt()).toSeconds();
        String members = String.join(", ", group.members().stream().map(m -> m.label() + " " + m.state()).toList());
        return "drain " + group.id() + " " + group.state() + " after " + DurationConverter.format(seconds) + ": " + group.movesDone() + " replicas moved; "
                + members + (group.deadline() == null ? "" : "; deadline " + group.deadlineStatus());
    }

    static void printPlan(PrintWriter out, DrainGroupPlanView plan, NodeLabels nodes) {
        out.printf("Dry run: drain %s together%s%n", String.join(", ", plan.members().stream().map(DrainGroupPlanView.Member::label).toList()),
                plan.zone() == null ? "" : " (zone " + plan.zone() + ")");
        List<BlockingPartition.Group> blocking = BlockingPartition.grouped(plan.blocking());
        boolean aloneFine = plan.members().stream().allMatch(m -> m.blockingAlone().isEmpty());
        out.println(plan.allowed() ? "  allowed: yes" : "  allowed: NO — draining them together leaves "
                + plan.blocking().stream().map(BlockingPartition::partition).distinct().count()
                + " partition(s) without a compliant place" + (aloneFine ? " (each alone would be allowed)" : ""));
        Table members = new Table("  WORKER", "LOCATION", "REPLICAS", "LEADS", "ALONE");
        plan.members().forEach(m -> members.row("  " + m.label(), m.location(), m.replicas(), m.leads(),
                m.blockingAlone().isEmpty() ? "ok" : m.blockingAlone().size() + " blocking"));
        members.print(out);
        out.printf("  %d replica move(s), %d leadership change(s), in %d wave(s) (at most %d change(s) per worker, %d in the cluster)%n",
                plan.moves(), plan.leadershipChangesInAll(), plan.wavesInAll(), plan.maxChangesPerNode(), plan.maxChangesInCluster());
        if (plan.transfer() != null) {
            out.printf("  ETA about %s; %s%n", DurationConverter.format(plan.etaSeconds()), TransferLine.of(plan.transfer()));
        }
        if (!plan.waves().isEmpty()) {
            Table waves = new Table("  WAVE", "MOVES", "PARTITIONS");
            plan.waves().forEach(w -> waves.row("  " + w.number(), w.moves().size(),
                    abbreviate(w.moves().stream().map(m -> m.partition() + " " + nodes.of(m.from()) + " → " + nodes.of(m.to())).toList())));
            waves.print(out);
            int movesListed = plan.waves().stream().mapToInt(w -> w.moves().size()).sum();
            if (plan.wavesInAll() > plan.waves().size()) {
                // Waves not listed are counted from the throttles, so their number is a lower bound.
                out.printf("  and at least %d more wave(s) with %d move(s)%n", plan.wavesInAll() - plan.waves().size(), plan.moves() - movesListed);
            }
        }
        if (!blocking.isEmpty()) {
            out.println("  blocking partitions:");
            blocking.forEach(group -> out.println("    " + group));
        }
        if (!plan.leftOut().isEmpty()) {
            out.println("  left out (not active): " + String.join(", ", plan.leftOut()));
        }
        out.flush();
    }

    private static String abbreviate(List<String> items) {
        List<String> shown = items.stream().limit(3).toList();
        return String.join(", ", shown) + (items.size() > shown.size() ? ", … (" + (items.size() - shown.size()) + " more)" : "");
    }

    static void print(PrintWriter out, DrainGroupView group, NodeLabels nodes) {
        out.printf("drain %s: %s%s%s%n", group.id(), group.state(), group.zone() == null ? "" : " (zone " + group.zone() + ")",
                group.reason() == null || group.reason().isEmpty() ? "" : " — " + group.reason());
        out.printf("  started %s%s%n", group.startedAt(), group.endedAt() == null ? "" : ", ended " + group.endedAt());
        if (group.deadline() != null) {
            out.printf("  deadline: %s (%s)%n", group.deadline(), deadlineText(group));
        }
        out.println("  " + (group.progressKnown() ? line(group, BAR_WIDTH) : "waiting for the controller to pick the drain up"));
        if (group.pendingMembers() > 0) {
            out.printf("  %d worker(s) %s as the controller writes them, up to %d at a time%n", group.pendingMembers(),
                    "running".equals(group.state()) ? "still to start draining" : "still to go back to active", NodesChange.TransitionWorkers.MAX_MEMBERS);
        }
        Table table = new Table("  WORKER", "STATE", "PROGRESS");
        group.members().forEach(m -> table.row("  " + m.label(), m.state().wireName(), m.drain() == null ? "-" : Progress.line(m.drain(), 12)));
        table.print(out);
        if (!group.stalledPartitions().isEmpty()) {
            out.println("  STALLED: " + group.stalledPartitions().size() + " partition(s) cannot move or be removed:");
            group.stalledPartitions().forEach(s -> out.printf("    %s on %s %s: %s%n", Objects.toString(s.partition(), "-"),
                    s.worker() != null ? nodes.of(s.worker()) : "?", s.reason(), s.message()));
        }
        out.flush();
    }

    @Command(name = "list", description = "List every group drain, newest first.",
            footer = {"", "Examples:", "  sluice drains list", "  sluice drains list -o json"}, mixinStandardHelpOptions = true)
    static final class ListDrains implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            var answer = cluster.client().getOk(DRAINS);
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, answer);
                return 0;
            }
            Table table = new Table("ID", "STATE", "WORKERS", "STARTED", "MOVED", "LEFT", "DEADLINE");
            for (DrainGroupView group : AdminClient.readList(answer, DrainGroupView.class)) {
                table.row(group.id(), group.state(), String.join(" ", group.members().stream().map(m -> m.node().toString()).toList()), group.startedAt(),
                        group.movesDone(), group.replicasRemaining(), group.deadline() == null ? "-" : deadlineText(group));
            }
            table.print(out);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one group drain: per worker and in total, what is left, the rate, the ETA, stalls and the deadline.",
            footer = {"", "Examples:", "  sluice drains show d-3f2a9c01", "  sluice drains show d-3f2a9c01 --wait", "  sluice drains show d-3f2a9c01 -o json"},
            mixinStandardHelpOptions = true)
    static final class Show implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "DRAIN", description = "the drain's id, as 'nodes drain' printed it (d-…)") String id;
        @Option(names = "--wait", description = "follow it until it ends") boolean waitForIt;
        @Option(names = "--timeout", description = "with --wait, give up after this long (default ${DEFAULT-VALUE})", defaultValue = "2h",
                converter = DurationConverter.class) Duration timeout;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            PrintWriter out = spec.commandLine().getOut();
            if (waitForIt) {
                return follow(client, out, cluster.json(), id, timeout);
            }
            var answer = client.getOk(DRAINS + "/" + AdminClient.encode(id));
            if (cluster.json()) {
                NodesCommand.printJson(out, answer);
                return 0;
            }
            print(out, AdminClient.read(answer, DrainGroupView.class), NodeLabels.fetch(client));
            return 0;
        }
    }

    @Command(name = "cancel", description = "Cancel a running group drain: every worker still draining in it becomes active again in one write"
            + " (of more than 256, the controller returns the rest);"
            + " moves under way finish. A worker that already finished stays disabled ('nodes activate' brings it back).",
            footer = {"", "Examples:", "  sluice drains cancel d-3f2a9c01", "  sluice drains cancel d-3f2a9c01 --reason 'wrong zone' -o json"},
            mixinStandardHelpOptions = true)
    static final class Cancel implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "DRAIN", description = "the drain's id (d-…)") String id;
        @Option(names = "--reason", description = "why, recorded in the audit log") String reason;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            String path = DRAINS + "/" + AdminClient.encode(id) + (reason == null ? "" : "?reason=" + AdminClient.encode(reason));
            AdminClient.Answer answer = client.delete(path);
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
                return answer.ok() ? 0 : CliException.FAILED;
            }
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            DrainGroupView group = answer.as(DrainGroupView.class);
            out.println("drain " + group.id() + " cancelled: " + String.join(", ", group.members().stream().map(m -> m.label() + " " + m.state()).toList()));
            out.flush();
            return 0;
        }
    }
}
