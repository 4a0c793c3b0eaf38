package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.wire.EventView;
import dev.sluice.wire.MemberView;
import dev.sluice.wire.PartitionView;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice partitions …}: where each partition's replicas are, and which ones are moving. */
@Command(name = "partitions", description = "List partitions, their replica sets and leaders, and the moves under way; freeze a partition or pin its leader.",
        mixinStandardHelpOptions = true, subcommands = {PartitionsCommand.ListPartitions.class, PartitionsCommand.ShowPartition.class,
            PolicyCommands.Freeze.class, PolicyCommands.Unfreeze.class, PolicyCommands.PinLeader.class, PolicyCommands.Unpin.class})
final class PartitionsCommand {

    /** The step a moving partition is at, or {@code starting} before the controller has reported one. */
    static String step(PartitionView partition) {
        return partition.step() == null ? "starting" : partition.step();
    }

    /** The policy as a table cell: {@code frozen}, {@code pinned N2}, both, or {@code -}. */
    static String policyCell(PartitionView partition, NodeLabels nodes) {
        PartitionPolicy policy = partition.policy() == null ? PartitionPolicy.DEFAULT : partition.policy();
        String frozen = policy.frozen() ? "frozen" : "";
        String pinned = policy.pinnedLeader() == null ? "" : "pinned " + policy.pinnedLeader();
        String both = frozen.isEmpty() || pinned.isEmpty() ? frozen + pinned : frozen + "," + pinned;
        return both.isEmpty() ? "-" : both;
    }

    @Command(name = "list", description = "List every partition.", footer = {"", "Example:", "  sluice partitions list"},
            mixinStandardHelpOptions = true)
    static final class ListPartitions implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            JsonNode answer = client.getOk("/api/v1/partitions");
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, answer);
                return 0;
            }
            NodeLabels nodes = NodeLabels.fetch(client);
            Table table = new Table("ID", "LEADER", "REPLICAS", "NEXT", "STEP", "POLICY");
            for (PartitionView partition : AdminClient.readList(answer, PartitionView.class)) {
                table.row(partition.id(), nodes.of(partition.leader()), nodes.list(partition.current()),
                        partition.moving() ? nodes.list(partition.next()) : "-",
                        partition.moving() ? step(partition) : "-", policyCell(partition, nodes));
            }
            table.print(out);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one partition: its replica sets, each member's role and lag as its worker reports it, and its newest events.",
            footer = {"", "Example:", "  sluice partitions show P5"},
            mixinStandardHelpOptions = true)
    static final class ShowPartition implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "partition id, like P5 or 5") String id;

        @Override
        public Integer call() {
            AdminClient client = cluster.client();
            JsonNode answer = client.getOk("/api/v1/partitions/" + AdminClient.encode(id));
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, answer);
                return 0;
            }
            PartitionView partition = AdminClient.read(answer, PartitionView.class);
            NodeLabels nodes = NodeLabels.fetch(client);
            out.printf("%s%n  leader:   %s%n  replicas: %s%n", partition.id(), nodes.of(partition.leader()), nodes.list(partition.current()));
            if (partition.moving()) {
                out.printf("  moving to %s since %s (joining %s, leaving %s)%n  step:     %s%n", nodes.list(partition.next()),
                        partition.changeStartedAt(), nodes.list(partition.joining()), nodes.list(partition.leaving()), step(partition));
                if (partition.lastError() != null) {
                    out.println("  error:    " + partition.lastError());
                }
            }
            PartitionPolicy policy = partition.policy() == null ? PartitionPolicy.DEFAULT : partition.policy();
            if (policy.frozen() || policy.pinnedLeader() != null) {
                out.printf("  policy:   %s%s%n", policy.frozen() ? "frozen " : "",
                        policy.pinnedLeader() != null ? "leader pinned to " + nodes.of(policy.pinnedLeader()) : "");
            }
            printMembers(out, partition, nodes);
            printHistory(out, partition);
            out.flush();
            return 0;
        }

        /** Each member as its own worker reports it: role, applied index, lag, or why it said nothing. */
        static void printMembers(PrintWriter out, PartitionView partition, NodeLabels nodes) {
            if (partition.members() == null || partition.members().isEmpty()) {
                return;
            }
            out.println("  members (as each worker reports its replica):");
            Table table = new Table("MEMBER", "ROLE", "APPLIED", "LAG");
            for (MemberView member : partition.members()) {
                if (member.unknownBecause() != null) {
                    table.row(nodes.of(member.node()), "?", "-", member.unknownBecause());
                } else {
                    table.row(nodes.of(member.node()), member.role() == null ? "?" : member.role().wireName(),
                            String.valueOf(member.appliedIndex()), String.valueOf(member.lag()));
                }
            }
            table.print(out, "    ");
        }

        /** The partition's newest events, which include its last move and leadership change. */
        static void printHistory(PrintWriter out, PartitionView partition) {
            if (partition.history() == null) {
                return;
            }
            if (partition.history().isEmpty()) {
                out.println("  history:  no recent event names it");
                return;
            }
            out.println("  history (newest last):");
            for (EventView event : partition.history()) {
                out.println("    " + EventsCommand.line(event));
            }
        }
    }
}
