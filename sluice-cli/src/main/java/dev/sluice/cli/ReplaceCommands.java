package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.wire.MoveView;
import dev.sluice.wire.RefusalView;
import dev.sluice.wire.ReplaceView;
import dev.sluice.wire.StateChanged;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice nodes replace} and {@code cancel-replace}: hand one worker's replicas to another, and nothing else. */
final class ReplaceCommands {

    private ReplaceCommands() {}

    @Command(name = "replace",
            description = {"Replace worker OLD by worker NEW: every replica OLD holds moves to NEW (make-before-break, OLD's leaderships"
                    + " handed over first) and nothing else in the cluster moves; NEW receives nothing else meanwhile. OLD ends disabled."
                    + " The server checks first (OLD active; NEW active, alive, not cordoned, holding no replica of OLD's partitions and"
                    + " keeping every partition's zone spread) and refuses with the reasons, changing nothing. Works with OLD dead too:"
                    + " its replicas are rebuilt on NEW from the other members."},
            footer = {"", "Examples:", "  sluice nodes replace worker-3 worker-5 --dry-run     # the moves and the ETA, nothing changed",
                "  sluice nodes replace worker-3 worker-5 --reason 'disk failing' --wait",
                "  sluice nodes replace N3 N5 -o json", "  sluice nodes cancel-replace worker-3               # OLD active again; what moved stays"},
            mixinStandardHelpOptions = true)
    static final class Replace implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "OLD", description = "the worker to replace: name, id (N3) or current incarnation (N3:7)") String old;
        @Parameters(index = "1", paramLabel = "NEW", description = "the worker that receives OLD's replicas") String replacement;
        @Option(names = "--reason", description = "why, recorded in the audit record and the event log") String reason;
        @Option(names = "--dry-run", description = "print the plan (every move, the ETA under the throttles in force) and whether it is allowed;"
                + " change nothing") boolean dryRun;
        @Option(names = "--wait", description = "show progress until OLD is disabled") boolean waitForIt;
        @Option(names = "--timeout", description = "with --wait, give up after this long (default ${DEFAULT-VALUE}; e.g. 90s, 10m)",
                defaultValue = "30m", converter = DurationConverter.class) Duration timeout;

        @Override
        public Integer call() {
            ObjectNode body = Json.mapper().createObjectNode();
            body.put("replacement", replacement);
            if (reason != null) {
                body.put("reason", reason);
            }
            if (dryRun) {
                body.put("dryRun", true);
            }
            AdminClient client = cluster.client();
            AdminClient.Answer answer = client.post("/api/v1/nodes/" + AdminClient.encode(old) + "/replace", body);
            PrintWriter out = spec.commandLine().getOut();
            if (Refusals.refused(cluster.json(), spec, answer)) {
                return CliException.FAILED;
            }
            ReplaceView view = answer.as(ReplaceView.class);
            if (cluster.json() && !(waitForIt && !dryRun)) {
                NodesCommand.printJson(out, answer.body());
                return dryRun && !view.allowed() ? CliException.FAILED : 0;
            }
            if (!cluster.json()) {
                print(out, view);
            }
            if (dryRun) {
                if (!view.allowed()) {
                    Refusals.print(spec.commandLine().getErr(), view.refusal());
                    return CliException.FAILED;
                }
                return 0;
            }
            if (!waitForIt) {
                out.println("follow it with 'sluice nodes show " + old + "' (or --wait); cancel it with 'sluice nodes cancel-replace " + old + "'");
                out.flush();
                return 0;
            }
            return new Progress(client, out, cluster.json()).waitForDisabled(view.old().id(), view.old().label(), timeout);
        }

        private static void print(PrintWriter out, ReplaceView view) {
            String verb = view.dryRun() ? "would replace" : view.changed() ? "replacing" : "already replacing";
            // Only an allowed replace moves every replica to the replacement; the plan of a refused one says where the scheduler would put them.
            out.printf("%s %s by %s: %d replica move(s), %d leadership change(s)%n", verb, view.old().label(), view.replacement().label(),
                    view.moves().size(), view.leadershipChanges().size());
            Table table = new Table("PARTITION", "FROM", "TO");
            for (MoveView move : view.moves()) {
                table.row(move.partition(), move.from(), move.to());
            }
            table.print(out, "  ");
            out.printf("ETA about %s: %d wave(s) of at most %d move(s) (throttles: %d per worker, %d in the cluster)%n",
                    DurationConverter.format(view.etaSeconds()), view.waves(),
                    Math.min(view.maxChangesPerNode(), view.maxChangesInCluster()), view.maxChangesPerNode(), view.maxChangesInCluster());
            if (view.transfer() != null) {
                out.println("  " + TransferLine.of(view.transfer()));
            }
            view.violations().forEach(violation -> out.println("  note: " + violation.partition() + " " + violation.reason() + ": " + violation.message()));
            out.flush();
        }
    }

    @Command(name = "cancel-replace", description = "Cancel a replace: the replaced worker becomes active again; what already moved to the"
            + " replacement stays there.",
            footer = {"", "Example:", "  sluice nodes cancel-replace worker-3"}, mixinStandardHelpOptions = true)
    static final class CancelReplace implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "OLD", description = "the worker being replaced: name, id (N3) or current incarnation (N3:7)") String old;

        @Override
        public Integer call() {
            AdminClient.Answer answer = cluster.client().delete("/api/v1/nodes/" + AdminClient.encode(old) + "/replace");
            PrintWriter out = spec.commandLine().getOut();
            if (answer.status() == 409) {
                if (cluster.json()) {
                    NodesCommand.printJson(out, answer.body());
                } else {
                    spec.commandLine().getErr().println("refused: " + answer.as(RefusalView.class).message());
                    spec.commandLine().getErr().flush();
                }
                return CliException.FAILED;
            }
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
                return 0;
            }
            StateChanged changed = answer.as(StateChanged.class);
            out.println(changed.node().label() + " is " + changed.node().state() + " again: the replace is cancelled; replicas already moved stay where they are");
            out.flush();
            return 0;
        }
    }
}
