package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.wire.PartitionView;
import dev.sluice.wire.PolicyChanged;
import dev.sluice.wire.RefusalView;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice partitions freeze / unfreeze / pin-leader / unpin}: an operator's overrides of one partition's placement. */
final class PolicyCommands {

    private PolicyCommands() {}

    @Command(name = "freeze",
            description = {"Freeze a partition's replica set: the scheduler starts no move for it (one under way finishes), so a replica on a"
                    + " draining or dead worker stays, and a drain it blocks says so ('frozen'). Its leadership still moves as it must."},
            footer = {"", "Example:", "  sluice partitions freeze P5 --reason 'investigating a slow follower'"}, mixinStandardHelpOptions = true)
    static final class Freeze implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "partition id, like P5 or 5") String id;
        @Option(names = "--reason", description = "why, recorded in the event log") String reason;

        @Override
        public Integer call() {
            ObjectNode body = Json.mapper().createObjectNode();
            if (reason != null) {
                body.put("reason", reason);
            }
            return report(cluster, spec, cluster.client().post(path(id, "freeze"), body));
        }
    }

    @Command(name = "unfreeze", description = "Unfreeze a partition: the scheduler may change its replica set again.",
            footer = {"", "Example:", "  sluice partitions unfreeze P5"}, mixinStandardHelpOptions = true)
    static final class Unfreeze implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "partition id, like P5 or 5") String id;

        @Override
        public Integer call() {
            return report(cluster, spec, cluster.client().delete(path(id, "freeze")));
        }
    }

    @Command(name = "pin-leader",
            description = {"Pin a partition's leader to one member of its current replica set: it leads whenever it is a live, active member"
                    + " that stays; otherwise another member leads until it can again."},
            footer = {"", "Example:", "  sluice partitions pin-leader P5 worker-2 --reason 'next to the clients'"}, mixinStandardHelpOptions = true)
    static final class PinLeader implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "ID", description = "partition id, like P5 or 5") String id;
        @Parameters(index = "1", paramLabel = "NODE", description = "node name (any case), id (N3) or current incarnation (N3:7); not a bare number")
        String node;
        @Option(names = "--reason", description = "why, recorded in the event log") String reason;

        @Override
        public Integer call() {
            ObjectNode body = Json.mapper().createObjectNode().put("node", node);
            if (reason != null) {
                body.put("reason", reason);
            }
            return report(cluster, spec, cluster.client().post(path(id, "pin-leader"), body));
        }
    }

    @Command(name = "unpin", description = "Unpin a partition's leader: leaderships are balanced as usual again.",
            footer = {"", "Example:", "  sluice partitions unpin P5"}, mixinStandardHelpOptions = true)
    static final class Unpin implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "partition id, like P5 or 5") String id;

        @Override
        public Integer call() {
            return report(cluster, spec, cluster.client().delete(path(id, "pin-leader")));
        }
    }

    private static String path(String id, String what) {
        return "/api/v1/partitions/" + AdminClient.encode(id) + "/" + what;
    }

    private static int report(ClusterOptions cluster, CommandLine.Model.CommandSpec spec, AdminClient.Answer answer) {
        PrintWriter out = spec.commandLine().getOut();
        if (cluster.json() && (answer.ok() || answer.status() == 409)) {
            NodesCommand.printJson(out, answer.body());
            return answer.ok() ? 0 : CliException.FAILED;
        }
        if (answer.status() == 409 && answer.body().has("kind")) {
            Refusals.print(spec.commandLine().getErr(), answer.as(RefusalView.class));
            return CliException.FAILED;
        }
        if (answer.status() == 409) {
            throw new CliException(CliException.FAILED, "refused: " + answer.message());
        }
        if (!answer.ok()) {
            throw new CliException(CliException.FAILED, answer.message());
        }
        PolicyChanged changed = answer.as(PolicyChanged.class);
        out.println(describe(changed.partition(), NodeLabels.fetch(cluster.client())) + (changed.changed() ? "" : " (no change)"));
        out.flush();
        return 0;
    }

    /** One line on a partition's policy: {@code P5 is frozen; its leader is pinned to N2 (worker-2)}. */
    static String describe(PartitionView partition, NodeLabels nodes) {
        PartitionPolicy policy = partition.policy() == null ? PartitionPolicy.DEFAULT : partition.policy();
        return partition.id() + (policy.frozen() ? " is frozen" : " is not frozen") + "; its leader is "
                + (policy.pinnedLeader() == null ? "not pinned" : "pinned to " + nodes.of(policy.pinnedLeader().toString()));
    }
}
