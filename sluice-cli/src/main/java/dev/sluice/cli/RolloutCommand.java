package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.BlockingPartition;
import dev.sluice.wire.ApiError;
import dev.sluice.wire.RolloutPlanView;
import dev.sluice.wire.RolloutView;
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

/** {@code sluice rollout …}: rolling restarts, one worker at a time, with no data movement. */
@Command(name = "rollout", description = "Restart workers one at a time without moving data: each goes into maintenance, hands its leaderships over, "
        + "shuts down gracefully, is started again by its supervisor and catches up before the next begins.",
        mixinStandardHelpOptions = true,
        subcommands = {RolloutCommand.Restart.class, RolloutCommand.Status.class, RolloutCommand.Cancel.class})
final class RolloutCommand {

    static final String CURRENT = "/api/v1/rollouts/current";
    private static final int BAR_WIDTH = 24;

    @Command(name = "restart", description = {"Start a rolling restart of every active worker, of the named ones, or of one zone's.",
        "The cluster runs it: the command may go away (or use --wait), and 'sluice rollout status' shows it. 'sluice local' restarts its own"
                + " workers; a 'sluice server' node needs a supervisor (systemd, Kubernetes) that starts it again."},
            footer = {"", "Examples:", "  sluice rollout restart --dry-run", "  sluice rollout restart --wait --reason 'JVM 25.0.2'",
                "  sluice rollout restart worker-2 worker-3", "  sluice rollout restart --zone eu-west.zone-a --node-timeout 10m"},
            mixinStandardHelpOptions = true)
    static final class Restart implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", arity = "0..*", description = "workers to restart (names or ids); every active worker when none is named")
        List<String> nodes;
        @Option(names = "--zone", description = "restart the active workers of this zone (region.zone)") String zone;
        @Option(names = "--node-timeout", description = "how long one worker may take to shut down, or to come back and catch up, before the rollout"
                + " stops (default ${DEFAULT-VALUE}; 10s to 1h)", defaultValue = "5m", converter = DurationConverter.class) Duration nodeTimeout;
        @Option(names = "--reason", description = "why, recorded with the rollout and in the event log") String reason;
        @Option(names = "--dry-run", description = "print the order and each worker's pre-check now; change nothing") boolean dryRun;
        @Option(names = "--wait", description = "show progress until the rollout ends") boolean waitForIt;
        @Option(names = "--timeout", description = "with --wait, stop waiting after this long (default ${DEFAULT-VALUE}); the rollout goes on",
                defaultValue = "2h", converter = DurationConverter.class) Duration timeout;

        @Override
        public Integer call() {
            if (nodes != null && !nodes.isEmpty() && zone != null) {
                throw new CliException(CliException.USAGE, "name workers or give --zone, not both");
            }
            ObjectNode body = Json.mapper().createObjectNode();
            if (nodes != null && !nodes.isEmpty()) {
                ArrayNode list = body.putArray("nodes");
                nodes.forEach(list::add);
            }
            if (zone != null) {
                body.put("zone", zone);
            }
            body.put("nodeTimeoutSeconds", nodeTimeout.toSeconds());
            if (reason != null) {
                body.put("reason", reason);
            }
            if (dryRun) {
                body.put("dryRun", true);
            }
            AdminClient client = cluster.client();
            AdminClient.Answer answer = client.post("/api/v1/rollouts", body);
            PrintWriter out = spec.commandLine().getOut();
            if (!answer.ok()) {
                if (cluster.json()) {
                    NodesCommand.printJson(out, answer.body());
                    return CliException.FAILED;
                }
                String code = answer.as(ApiError.class).error();
                throw new CliException(CliException.FAILED, ("refused".equals(code) ? "refused: " : "") + answer.message());
            }
            if (dryRun) {
                RolloutPlanView plan = answer.as(RolloutPlanView.class);
                if (cluster.json()) {
                    NodesCommand.printJson(out, answer.body());
                } else {
                    printPlan(out, plan);
                }
                return plan.allowed() ? 0 : CliException.FAILED;
            }
            RolloutView started = answer.as(RolloutView.class);
            if (!waitForIt) {
                if (cluster.json()) {
                    NodesCommand.printJson(out, answer.body());
                } else {
                    out.printf("rolling restart %s started: %s, one at a time%n", started.id(),
                            String.join(", ", started.steps().stream().map(RolloutView.Step::label).toList()));
                    out.println("follow it with 'sluice rollout status', cancel it with 'sluice rollout cancel'");
                    out.flush();
                }
                return 0;
            }
            return new Waiter(client, out, cluster.json()).until(started.id(), timeout);
        }
    }

    @Command(name = "status", description = "Show the running rolling restart, or the last one.",
            footer = {"", "Example:", "  sluice rollout status", "  sluice rollout status --wait"}, mixinStandardHelpOptions = true)
    static final class Status implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Option(names = "--wait", description = "show progress until it ends") boolean waitForIt;
        @Option(names = "--timeout", description = "with --wait, stop waiting after this long (default ${DEFAULT-VALUE})", defaultValue = "2h",
                converter = DurationConverter.class) Duration timeout;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            AdminClient.Answer answer = client.get(CURRENT);
            PrintWriter out = spec.commandLine().getOut();
            if (answer.status() == 404) {
                out.println("no rolling restart has run in this cluster");
                out.flush();
                return 0;
            }
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            RolloutView rollout = answer.as(RolloutView.class);
            if (waitForIt && rollout.running()) {
                return new Waiter(client, out, cluster.json()).until(rollout.id(), timeout);
            }
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
            } else {
                print(out, rollout, Instant.now());
            }
            return 0;
        }
    }

    @Command(name = "cancel", description = "Cancel the running rolling restart: no further worker begins; one being restarted finishes its restart.",
            footer = {"", "Example:", "  sluice rollout cancel"}, mixinStandardHelpOptions = true)
    static final class Cancel implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminClient.Answer answer = cluster.client().delete(CURRENT);
            PrintWriter out = spec.commandLine().getOut();
            if (answer.status() == 409) {
                // Nothing runs, which is what a cancel wants: said, not failed, so a retried cancel succeeds.
                out.println(answer.message());
                out.flush();
                return 0;
            }
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            RolloutView rollout = answer.as(RolloutView.class);
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
            } else {
                out.printf("rolling restart %s cancelled after %d of %d workers%n", rollout.id(), rollout.done(), rollout.total());
            }
            out.flush();
            return 0;
        }
    }

    /**
     * Polls the rollout and prints its progress until it ends. The node it asks may be the one being restarted, so
     * when it does not answer the next node of the cluster is asked (their addresses are read once, at the start).
     */
    private static final class Waiter {
        private final PrintWriter out;
        private final boolean json;
        private final List<AdminClient> nodes = new java.util.ArrayList<>();
        private int asking;

        Waiter(AdminClient client, PrintWriter out, boolean json) {
            this.out = out;
            this.json = json;
            nodes.add(client);
            for (dev.sluice.wire.NodeView node : client.getOkList("/api/v1/nodes", dev.sluice.wire.NodeView.class)) {
                java.net.URI address = java.net.URI.create(node.httpAddress());
                if (!address.equals(client.url()) && !address.resolve("/").equals(client.url().resolve("/"))) {
                    nodes.add(client.at(address));
                }
            }
        }

        /** The rollout as the first node that answers reports it; the one asked last is asked first. */
        private RolloutView poll(boolean terminal) {
            CliException unreachable = null;
            for (int tried = 0; tried < nodes.size(); tried++) {
                AdminClient client = nodes.get(asking);
                try {
                    return client.getOk(CURRENT, RolloutView.class);
                } catch (CliException failed) {
                    if (failed.exitCode() != CliException.UNREACHABLE) {
                        throw failed;
                    }
                    unreachable = failed;
                    asking = (asking + 1) % nodes.size();
                    if (!json) {
                        out.println((terminal ? "\n" : "") + client.url() + " does not answer (its node may be the one restarting); asking "
                                + nodes.get(asking).url());
                        out.flush();
                    }
                }
            }
            throw unreachable;
        }

        int until(String id, Duration timeout) {
            boolean terminal = System.console() != null;
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "";
            while (true) {
                RolloutView rollout = poll(terminal);
                if (!rollout.id().equals(id)) {
                    throw new CliException(CliException.FAILED, "rolling restart " + id + " was replaced by " + rollout.id());
                }
                String line = line(rollout, Instant.now());
                if (!json) {
                    if (terminal) {
                        out.print("\r" + line + " ".repeat(Math.max(3, last.length() - line.length() + 3)));
                    } else if (!line.equals(last)) {
                        out.println(line);
                    }
                    out.flush();
                    last = line;
                }
                if (!rollout.running()) {
                    if (json) {
                        try {
                            NodesCommand.printJson(out, Json.mapper().valueToTree(rollout));
                        } catch (IllegalArgumentException e) {
                            throw new IllegalStateException(e);
                        }
                    } else {
                        out.println((terminal ? "\n" : "") + ending(rollout));
                        out.flush();
                    }
                    return "completed".equals(rollout.state()) ? 0 : CliException.FAILED;
                }
                if (System.nanoTime() > deadline) {
                    throw new CliException(CliException.FAILED, (terminal ? "\n" : "") + "gave up waiting after " + DurationConverter.format(timeout.toSeconds())
                            + "; the rolling restart goes on: 'sluice rollout status'");
                }
                try {
                    Thread.sleep(Progress.POLL_INTERVAL.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException(CliException.FAILED, "interrupted; the rolling restart goes on: 'sluice rollout status'");
                }
            }
        }
    }

    /** {@code [############------------] 2/4 restarted · N3 (worker-3) restarting for 4s}. */
    static String line(RolloutView rollout, Instant now) {
        int total = Math.max(1, rollout.total());
        int filled = (int) Math.round(BAR_WIDTH * (double) rollout.done() / total);
        StringBuilder text = new StringBuilder().append('[').append("#".repeat(filled)).append("-".repeat(BAR_WIDTH - filled)).append("] ")
                .append(rollout.done()).append('/').append(rollout.total()).append(" restarted");
        rollout.steps().stream().filter(step -> !"done".equals(step.phase()) && !"waiting".equals(step.phase())).findFirst().ifPresent(step -> {
            text.append(" · ").append(step.label()).append(' ').append(step.phase());
            if (step.phaseSince() != null) {
                text.append(" for ").append(DurationConverter.format(Math.max(0, Duration.between(step.phaseSince(), now).toSeconds())));
            }
        });
        return text.toString();
    }

    private static String ending(RolloutView rollout) {
        Duration took = rollout.endedAt() == null ? Duration.ZERO : Duration.between(rollout.startedAt(), rollout.endedAt());
        return switch (rollout.state()) {
            case "completed" -> "rolling restart " + rollout.id() + " completed: " + rollout.total() + " workers restarted in "
                    + DurationConverter.format(took.toSeconds());
            case "stopped" -> "rolling restart " + rollout.id() + " STOPPED after " + rollout.done() + " of " + rollout.total() + ": " + rollout.stoppedBecause();
            default -> "rolling restart " + rollout.id() + " " + rollout.state() + " after " + rollout.done() + " of " + rollout.total() + " workers";
        };
    }

    static void print(PrintWriter out, RolloutView rollout, Instant now) {
        out.printf("rolling restart %s: %s, %d of %d workers restarted%s%n", rollout.id(), rollout.state(), rollout.done(), rollout.total(),
                rollout.reason().isEmpty() ? "" : " (" + rollout.reason() + ")");
        out.printf("  started %s%s; node timeout %s%n", toSecond(rollout.startedAt()), rollout.endedAt() == null ? "" : ", ended " + toSecond(rollout.endedAt()),
                DurationConverter.format(rollout.nodeTimeoutSeconds()));
        if (rollout.stoppedBecause() != null) {
            out.println("  why it ended: " + rollout.stoppedBecause());
        }
        rollout.steps().stream().filter(step -> step.waitingFor() != null && !"done".equals(step.phase())).findFirst()
                .ifPresent(step -> out.println("  " + step.label() + " waits for " + step.waitingFor()));
        Table table = new Table("  WORKER", "PHASE", "SINCE");
        for (RolloutView.Step step : rollout.steps()) {
            String since = step.phaseSince() == null ? "-"
                    : "done".equals(step.phase()) ? toSecond(step.phaseSince()).toString()
                    : DurationConverter.format(Math.max(0, Duration.between(step.phaseSince(), now).toSeconds())) + " ago";
            table.row("  " + step.label(), step.phase(), since);
        }
        table.print(out);
        out.flush();
    }

    private static Instant toSecond(Instant at) {
        return at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    static void printPlan(PrintWriter out, RolloutPlanView plan) {
        out.printf("Dry run: rolling restart of %d worker(s), one at a time; no replica moves%n", plan.steps().size());
        out.println(plan.allowed() ? "  allowed: yes" : "  allowed: NO — a worker's pre-check fails now; bring back the workers that are away first");
        Table table = new Table("  ORDER", "WORKER", "ZONE", "LEADS", "PRE-CHECK");
        int order = 1;
        for (RolloutPlanView.Step step : plan.steps()) {
            String check = step.blocking().isEmpty() ? (step.warnings().isEmpty() ? "ok" : "ok, " + step.warnings().size() + " warning(s)")
                    : step.blocking().size() + " partition(s) would lose their majority";
            table.row("  " + order++, step.label(), step.location(), step.leads(), check);
        }
        table.print(out);
        for (RolloutPlanView.Step step : plan.steps()) {
            BlockingPartition.grouped(step.blocking()).forEach(group -> out.println("  " + step.label() + " at risk: " + group));
            BlockingPartition.grouped(step.warnings()).forEach(group -> out.println("  " + step.label() + " warning: " + group));
        }
        out.flush();
    }
}
