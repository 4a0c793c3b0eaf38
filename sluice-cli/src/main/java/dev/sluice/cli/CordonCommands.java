package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.wire.CordonView;
import dev.sluice.wire.NodeRemovedView;
import dev.sluice.wire.NodeView;
import dev.sluice.wire.RefusalView;
import dev.sluice.wire.StateChanged;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice nodes cordon}, {@code uncordon} and {@code remove}: what a worker may receive, and retiring one for good. */
final class CordonCommands {

    private CordonCommands() {}

    @Command(name = "cordon",
            description = {"Cordon a worker: it keeps serving and keeps its replicas and leaderships, but receives no new ones —"
                    + " no first placement, repair, drain target or balancing move picks it. It holds until uncordon, across restarts."},
            footer = {"", "Examples:", "  sluice nodes cordon worker-3 --reason 'disk 85% full'", "  sluice nodes cordon N3 -o json"},
            mixinStandardHelpOptions = true)
    static final class Cordon implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;
        @Option(names = "--reason", description = "why, recorded with the cordon and in the event log") String reason;

        @Override
        public Integer call() {
            ObjectNode body = Json.mapper().createObjectNode();
            if (reason != null) {
                body.put("reason", reason);
            }
            AdminClient client = cluster.client();
            return report(cluster, spec, client.post("/api/v1/nodes/" + AdminClient.encode(node) + "/cordon", body));
        }
    }

    @Command(name = "uncordon", description = "Lift a worker's cordon: it may receive replicas and leaderships again as the scheduler balances them.",
            footer = {"", "Example:", "  sluice nodes uncordon worker-3"}, mixinStandardHelpOptions = true)
    static final class Uncordon implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;

        @Override
        public Integer call() {
            return report(cluster, spec, cluster.client().delete("/api/v1/nodes/" + AdminClient.encode(node) + "/cordon"));
        }
    }

    @Command(name = "remove",
            description = {"Remove a disabled worker that holds no data from the cluster, for good: its id is never used again, and its name"
                    + " registers again as a new node. Refused, changing nothing, unless it is disabled, its process is stopped and no"
                    + " replica set names it. Needs a credential with the admin scope."},
            footer = {"", "Examples:", "  sluice nodes drain worker-3 --wait     # disabled once empty",
                "  # stop its process, then:", "  sluice nodes remove worker-3 --reason 'host retired'"},
            mixinStandardHelpOptions = true)
    static final class Remove implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number") String node;
        @Option(names = "--reason", description = "why, recorded in the event log") String reason;

        @Override
        public Integer call() {
            String path = "/api/v1/nodes/" + AdminClient.encode(node) + (reason == null ? "" : "?reason=" + AdminClient.encode(reason));
            AdminClient.Answer answer = cluster.client().delete(path);
            PrintWriter out = spec.commandLine().getOut();
            if (answer.status() == 409 && cluster.json()) {
                NodesCommand.printJson(out, answer.body());
                return CliException.FAILED;
            }
            if (answer.status() == 409) {
                // Only the message: a removal is no transition, so the states a transition could go to say nothing here.
                PrintWriter err = spec.commandLine().getErr();
                err.println("refused: " + answer.as(RefusalView.class).message());
                err.flush();
                return CliException.FAILED;
            }
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
                return 0;
            }
            NodeRemovedView removed = answer.as(NodeRemovedView.class);
            out.printf("%s removed (last incarnation %s:%d); its id is retired, and the name %s registers again as a new node%n",
                    removed.label(), removed.id(), removed.lastGeneration(), removed.name());
            out.flush();
            return 0;
        }
    }

    private static int report(ClusterOptions cluster, CommandLine.Model.CommandSpec spec, AdminClient.Answer answer) {
        PrintWriter out = spec.commandLine().getOut();
        if (Refusals.refused(cluster.json(), spec, answer)) {
            return CliException.FAILED;
        }
        if (cluster.json()) {
            NodesCommand.printJson(out, answer.body());
            return 0;
        }
        StateChanged changed = answer.as(StateChanged.class);
        out.println(describe(changed.node()) + (changed.changed() ? "" : " (no change)"));
        out.flush();
        return 0;
    }

    /** One line on a node's cordon: {@code N3 (worker-3) is cordoned since … by operator: disk 85% full}. */
    static String describe(NodeView node) {
        CordonView cordon = node.cordon();
        if (cordon == null) {
            return node.label() + " is not cordoned";
        }
        return node.label() + " is cordoned since " + cordon.since().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " by " + cordon.requestedBy()
                + (cordon.credential() == null ? "" : " with credential " + cordon.credential())
                + (cordon.reason().isEmpty() ? "" : ": " + cordon.reason()) + "; it receives no new replicas or leaderships";
    }

    /** The state as a table cell: {@code active,cordoned} for a cordoned worker, as kubectl shows an unschedulable node. */
    static String stateCell(NodeView node) {
        return node.state().wireName() + (node.cordoned() ? ",cordoned" : "");
    }
}
