package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.Role;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainView;
import dev.sluice.wire.DryRunView;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.RefusalView;
import dev.sluice.wire.ShutdownView;
import dev.sluice.wire.StateChangeView;
import dev.sluice.wire.StateChanged;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice nodes …}: look at nodes and move them through their lifecycle. */
@Command(name = "nodes", description = "List nodes, change their worker state (drain, cancel-drain, activate, disable, provision), put them in maintenance,"
        + " cordon them, replace one by another, shut one down, remove a retired one.",
        mixinStandardHelpOptions = true,
        subcommands = {
            NodesCommand.ListNodes.class,
            NodesCommand.ShowNode.class,
            NodesCommand.Drain.class,
            NodesCommand.CancelDrain.class,
            NodesCommand.Activate.class,
            NodesCommand.Disable.class,
            NodesCommand.Provision.class,
            MaintenanceCommands.Begin.class,
            MaintenanceCommands.End.class,
            CordonCommands.Cordon.class,
            CordonCommands.Uncordon.class,
            ReplaceCommands.Replace.class,
            ReplaceCommands.CancelReplace.class,
            NodesCommand.Shutdown.class,
            CordonCommands.Remove.class
        })
final class NodesCommand {

    static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    /** Prints {@code json}, an answer as the server sent it or a wire record, as indented JSON. */
    static void printJson(PrintWriter out, Object json) {
        try {
            out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
            out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "list", description = "List every node with its state, liveness and what it holds.",
            footer = {"", "Example:", "  sluice nodes list", "  sluice nodes list -o json"}, mixinStandardHelpOptions = true)
    static final class ListNodes implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            JsonNode answer = cluster.client().getOk("/api/v1/nodes");
            PrintWriter out = out(spec);
            if (cluster.json()) {
                printJson(out, answer);
                return 0;
            }
            Table table = new Table("ID", "NAME", "STATE", "ALIVE", "LOCATION", "REPLICAS", "LEADERS", "MAINTENANCE", "DRAIN");
            for (NodeView node : AdminClient.readList(answer, NodeView.class)) {
                String drainText = node.drain() == null ? "-" : Progress.shortText(node.drain());
                table.row(node.id(), node.name(), CordonCommands.stateCell(node), node.alive() ? "yes" : "DEAD", node.location(), node.replicas(),
                        node.leaderships(), MaintenanceCommands.cell(node), drainText);
            }
            table.print(out);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one node, and its drain progress if it was drained.",
            footer = {"", "Example:", "  sluice nodes show worker-3", "  sluice nodes show N3 -o json"}, mixinStandardHelpOptions = true)
    static final class ShowNode implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;

        @Override
        public Integer call() {
            JsonNode answer = cluster.client().getOk("/api/v1/nodes/" + AdminClient.encode(node));
            PrintWriter out = out(spec);
            if (cluster.json()) {
                printJson(out, answer);
                return 0;
            }
            NodeView view = AdminClient.read(answer, NodeView.class);
            out.printf("%s, incarnation %s%n", view.label(), view.incarnation());
            out.printf("  state:      %s — %s%n", view.state(), view.stateDescription());
            StateChangeView change = view.lastChange();
            out.printf("  changed:    %s by %s%s%s (version %s)%n", change.at(), change.actor(),
                    change.credential() == null ? "" : " with credential " + change.credential(),
                    change.reason() == null || change.reason().isEmpty() ? "" : ": " + change.reason(), change.version());
            out.printf("  alive:      %s%n", view.alive() ? "yes" : "no (no liveness entry)");
            out.printf("  location:   %s%n", view.location());
            out.printf("  roles:      %s%n", String.join(", ", view.roles().stream().map(Role::wireName).toList()));
            out.printf("  addresses:  raft %s, http %s%n", view.raftAddress(), view.httpAddress());
            out.printf("  holds:      %d replicas, leads %d%n", view.replicas(), view.leaderships());
            if (view.cordoned()) {
                out.println("  cordon:     " + CordonCommands.describe(view).substring(view.label().length() + 1));
            }
            if (view.maintenance() != null) {
                out.println("  maintenance: " + MaintenanceCommands.describe(view, java.time.Instant.now()).substring(view.label().length() + 1));
            }
            DrainView drain = view.drain();
            if (view.state() == WorkerState.DRAINING) {
                // A worker draining in a group: the group's line, with its deadline's standing.
                AdminClient.Answer groups = cluster.client().get(DrainsCommand.DRAINS);
                if (groups.ok()) {
                    AdminClient.readList(groups.body(), dev.sluice.wire.DrainGroupView.class).stream()
                            .filter(g -> "running".equals(g.state()) && g.members().stream().anyMatch(m -> m.node().toString().equals(view.id())))
                            .findFirst().ifPresent(g -> out.println("  group:      drain " + g.id() + " of " + g.members().size() + " worker(s): "
                                    + (g.progressKnown() ? DrainsCommand.line(g, 20) : "not picked up yet")));
                }
            }
            if (drain != null) {
                out.println("  drain:      " + Progress.line(drain, 30));
                if (!drain.stalledPartitions().isEmpty()) {
                    Progress.printStalled(out, drain, NodeLabels.fetch(cluster.client()));
                }
            }
            out.flush();
            return 0;
        }
    }

    /** Shared by every command that asks for a state change. */
    abstract static class Transition implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;
        @Option(names = "--reason", description = "why, recorded in the audit log") String reason;

        abstract String target();

        boolean force() {
            return false;
        }

        boolean dryRun() {
            return false;
        }

        /** When the change was refused because what it asks for has already happened: what to say, and the exit code. */
        Optional<Integer> alreadyDone(AdminClient client, RefusalView refusal) {
            return Optional.empty();
        }

        /** What to say when the change applied; subclasses may then wait. */
        int applied(AdminClient client, AdminClient.Answer answer) {
            PrintWriter out = out(spec);
            if (cluster.json()) {
                printJson(out, answer.body());
            } else {
                StateChanged changed = answer.as(StateChanged.class);
                out.printf("%s is %s%s%n", changed.node().label(), changed.node().state(), changed.changed() ? "" : " (it already was)");
                changed.warnings().forEach(w -> out.println("warning: " + w));
                out.flush();
            }
            return 0;
        }

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            ObjectNode body = Json.mapper().createObjectNode().put("state", target());
            if (reason != null) {
                body.put("reason", reason);
            }
            if (force()) {
                body.put("force", true);
            }
            if (dryRun()) {
                body.put("dryRun", true);
            }
            AdminClient.Answer answer = client.post("/api/v1/nodes/" + AdminClient.encode(node) + "/state", body);
            PrintWriter out = out(spec);
            if (answer.status() == 409) {
                Optional<Integer> settled = alreadyDone(client, answer.as(RefusalView.class));
                if (settled.isPresent()) {
                    return settled.get();
                }
                if (cluster.json()) {
                    printJson(out, answer.body());
                    return CliException.FAILED;
                }
                Refusals.print(spec.commandLine().getErr(), answer.as(RefusalView.class));
                return CliException.FAILED;
            }
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            if (dryRun()) {
                DryRunView plan = answer.as(DryRunView.class);
                if (cluster.json()) {
                    printJson(out, answer.body());
                } else {
                    Refusals.printPlan(out, plan, NodeLabels.fetch(client));
                }
                return plan.allowed() ? 0 : CliException.FAILED;
            }
            return applied(client, answer);
        }
    }

    @Command(name = "drain", description = {"Drain workers: their leaderships and replicas move to other active workers, then each becomes disabled by itself.",
        "One worker alone drains as before. Several workers, or --zone, drain as one operation: one combined pre-check of the set"
                + " (refused, naming the blocking partitions, when the set together would leave a partition without a place), one"
                + " plan (--dry-run, with the waves the throttles allow), one write making them all draining (of more than 256, the first 64;"
                + " the controller writes the rest), one progress, one cancel"
                + " ('sluice drains cancel ID'). --deadline makes the drain say when it is at risk of missing it; it changes nothing else."},
            footer = {"", "Examples:", "  sluice nodes drain N3 --dry-run", "  sluice nodes drain worker-3 --reason 'kernel upgrade' --wait --timeout 10m",
                "  sluice nodes drain worker-4 worker-5 worker-6 --dry-run", "  sluice nodes drain --zone eu-west.zone-a --deadline 30m --wait",
                "  sluice nodes drain worker-3 --deadline 15m -o json"},
            mixinStandardHelpOptions = true)
    static final class Drain implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", arity = "0..*", description = "workers to drain: names (any case), ids (N3) or current incarnations (N3:7)")
        java.util.List<String> nodes;
        @Option(names = "--zone", description = "drain every active worker of this zone (region.zone) as one operation") String zone;
        @Option(names = "--deadline", description = "when the drain should be done, from now (e.g. 30m, 2h; 10s to 7d): it reports itself at risk while its"
                + " ETA exceeds the time left, and overdue past it; it changes nothing else", converter = DurationConverter.class) Duration deadline;
        @Option(names = "--reason", description = "why, recorded in the audit log") String reason;
        @Option(names = "--dry-run", description = "print the plan (every move, the waves) and what would block the drain; change nothing") boolean dryRun;
        @Option(names = "--force", description = "drain even if some partitions have no compliant target") boolean force;
        @Option(names = "--wait", description = "show progress until the drain ends") boolean waitForIt;
        @Option(names = "--timeout", description = "with --wait, give up after this long (default ${DEFAULT-VALUE}; e.g. 90s, 10m)",
                defaultValue = "30m", converter = DurationConverter.class) Duration timeout;

        @Override
        public Integer call() {
            java.util.List<String> named = nodes == null ? java.util.List.of() : nodes;
            if (!named.isEmpty() && zone != null) {
                throw new CliException(CliException.USAGE, "name workers or give --zone, not both");
            }
            if (named.isEmpty() && zone == null) {
                throw new CliException(CliException.USAGE, "name the workers to drain, or give --zone");
            }
            if (named.size() == 1 && zone == null && deadline == null) {
                // One worker alone, without a deadline: the drain it always was.
                SingleDrain single = new SingleDrain();
                single.cluster = cluster;
                single.spec = spec;
                single.node = named.getFirst();
                single.reason = reason;
                single.dryRun = dryRun;
                single.force = force;
                single.waitForIt = waitForIt;
                single.timeout = timeout;
                return single.call();
            }
            return DrainsCommand.start(cluster, spec, new DrainsCommand.Request(named, zone, deadline, reason, force, dryRun, waitForIt, timeout));
        }
    }

    /** One worker's drain through its state route, as {@code nodes drain NODE} always did. */
    static final class SingleDrain extends Transition {
        boolean dryRun;
        boolean force;
        boolean waitForIt;
        Duration timeout;

        @Override
        String target() {
            return "draining";
        }

        @Override
        boolean force() {
            return force;
        }

        @Override
        boolean dryRun() {
            return dryRun;
        }

        /** A drain that already finished is what the operator asked for, so a rerun of the same command succeeds. */
        @Override
        Optional<Integer> alreadyDone(AdminClient client, RefusalView refusal) {
            if (refusal.current() != WorkerState.DISABLED) {
                return Optional.empty();
            }
            NodeView view = client.getOk("/api/v1/nodes/" + AdminClient.encode(node), NodeView.class);
            return Progress.finishedDrain(view).map(drain -> Progress.reportDrained(out(spec), cluster.json(), view, drain));
        }

        @Override
        int applied(AdminClient client, AdminClient.Answer answer) {
            int status = super.applied(client, answer);
            if (!waitForIt) {
                return status;
            }
            NodeView drained = answer.as(StateChanged.class).node();
            return new Progress(client, out(spec), cluster.json()).waitForDisabled(drained.id(), drained.label(), timeout);
        }
    }

    @Command(name = "cancel-drain", description = "Stop a drain: the worker becomes active again; moves under way finish.",
            footer = {"", "Example:", "  sluice nodes cancel-drain N3"}, mixinStandardHelpOptions = true)
    static final class CancelDrain extends Transition {
        @Override
        String target() {
            return "active";
        }

        @Override
        public Integer call() {
            NodeView view = cluster.client().getOk("/api/v1/nodes/" + AdminClient.encode(node), NodeView.class);
            if (view.state() != WorkerState.DRAINING) {
                throw new CliException(CliException.FAILED, view.label() + " is " + view.state()
                        + ", not draining: there is no drain to cancel");
            }
            return super.call();
        }
    }

    @Command(name = "activate", description = "Make a worker active: a provisioning one skipping warm-up (needs --force), or a disabled one coming back.",
            footer = {"", "Example:", "  sluice nodes activate N3"}, mixinStandardHelpOptions = true)
    static final class Activate extends Transition {
        @Option(names = "--force", description = "activate a provisioning worker before its warm-up checks pass") boolean force;

        @Override
        String target() {
            return "active";
        }

        @Override
        boolean force() {
            return force;
        }
    }

    @Command(name = "disable", description = "Disable a worker. A drained worker disables itself; use this for a provisioning one, or --force.",
            footer = {"", "Example:", "  sluice nodes disable N3", "  sluice nodes disable N3 --force --dry-run",
                "  sluice nodes disable N3 --force --reason 'hardware failure'"},
            mixinStandardHelpOptions = true)
    static final class Disable extends Transition {
        @Option(names = "--force", description = "disable even though the worker still holds replicas (they are re-created elsewhere)") boolean force;
        // A forced disable drops replicas at once: the one change an operator most needs to see before making.
        @Option(names = "--dry-run", description = "print what disabling would move and drop, and whether it is allowed; change nothing")
        boolean dryRun;

        @Override
        boolean dryRun() {
            return dryRun;
        }

        @Override
        String target() {
            return "disabled";
        }

        @Override
        boolean force() {
            return force;
        }
    }

    @Command(name = "provision", description = "Send a disabled worker back to provisioning: it warms up again and activates itself.",
            footer = {"", "Example:", "  sluice nodes provision N3"}, mixinStandardHelpOptions = true)
    static final class Provision extends Transition {
        @Override
        String target() {
            return "provisioning";
        }
    }

    @Command(name = "shutdown", description = "Shut a node down gracefully, for its supervisor to start it again.",
            footer = {"", "The node stops reporting ready at once, hands every leadership it holds to another member of",
                "that partition within its --shutdown-timeout (20s by default), closes and exits with status 0:",
                "systemd (Restart=always), Kubernetes or 'sluice local' start it again. Any node takes the request",
                "and passes it on to the node it names. Its replicas stay; nothing moves but leaderships.", "",
                "Example:", "  sluice nodes shutdown worker-3"},
            mixinStandardHelpOptions = true)
    static final class Shutdown implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;

        @Override
        public Integer call() {
            AdminClient.Answer answer = cluster.client().post("/api/v1/nodes/" + AdminClient.encode(node) + "/shutdown");
            PrintWriter out = out(spec);
            if (cluster.json()) {
                printJson(out, answer.body());
                return answer.ok() ? 0 : CliException.FAILED;
            }
            if (answer.ok()) {
                out.println(answer.as(ShutdownView.class).message());
                out.flush();
                return 0;
            }
            if (answer.status() == 409 && "refused".equals(answer.body().path("error").asText())) {
                Refusals.print(spec.commandLine().getErr(), answer.as(RefusalView.class));
                return CliException.FAILED;
            }
            throw new CliException(CliException.FAILED, answer.message());
        }
    }
}
