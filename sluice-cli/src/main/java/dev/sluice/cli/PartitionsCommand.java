package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice partitions …}: where each partition's replicas are, and which ones are moving. */
@Command(name = "partitions", description = "List partitions, their replica sets and leaders, and the moves under way.",
        mixinStandardHelpOptions = true, subcommands = {PartitionsCommand.ListPartitions.class, PartitionsCommand.ShowPartition.class})
final class PartitionsCommand {

    @Command(name = "list", description = "List every partition.", footer = {"", "Example:", "  sluice partitions list"},
            mixinStandardHelpOptions = true)
    static final class ListPartitions implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            JsonNode partitions = client.getOk("/api/v1/partitions");
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, partitions);
                return 0;
            }
            NodeLabels nodes = NodeLabels.fetch(client);
            Table table = new Table("ID", "LEADER", "REPLICAS", "NEXT", "STEP");
            for (JsonNode partition : partitions) {
                table.row(partition.path("id").asText(), nodes.of(partition.path("leader")), nodes.list(partition.path("current")),
                        partition.path("moving").asBoolean() ? nodes.list(partition.path("next")) : "-",
                        partition.path("moving").asBoolean() ? partition.path("step").asText("starting") : "-");
            }
            table.print(out);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one partition.", footer = {"", "Example:", "  sluice partitions show P5"},
            mixinStandardHelpOptions = true)
    static final class ShowPartition implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "partition id, like P5 or 5") String id;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            JsonNode partition = client.getOk("/api/v1/partitions/" + AdminClient.encode(id));
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, partition);
                return 0;
            }
            NodeLabels nodes = NodeLabels.fetch(client);
            out.printf("%s%n  leader:   %s%n  replicas: %s%n", partition.path("id").asText(), nodes.of(partition.path("leader")),
                    nodes.list(partition.path("current")));
            if (partition.path("moving").asBoolean()) {
                out.printf("  moving to %s since %s (joining %s, leaving %s)%n  step:     %s%n", nodes.list(partition.path("next")),
                        partition.path("changeStartedAt").asText(), nodes.list(partition.path("joining")), nodes.list(partition.path("leaving")),
                        partition.path("step").asText("starting"));
                if (partition.hasNonNull("lastError")) {
                    out.println("  error:    " + partition.path("lastError").asText());
                }
            }
            JsonNode policy = partition.path("policy");
            if (policy.path("frozen").asBoolean() || policy.hasNonNull("pinnedLeader")) {
                out.printf("  policy:   %s%s%n", policy.path("frozen").asBoolean() ? "frozen " : "",
                        policy.hasNonNull("pinnedLeader") ? "leader pinned to " + nodes.of(policy.path("pinnedLeader")) : "");
            }
            out.flush();
            return 0;
        }
    }
}
