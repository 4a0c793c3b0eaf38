package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.controller.SettingsRequests;
import dev.sluice.metadata.Json;
import dev.sluice.wire.SettingsView;
import dev.sluice.model.ByteSizes;
import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice settings show|set}: the controller's throttles, changed at run time for the whole cluster. */
@Command(name = "settings", description = "Show or change the controller's runtime throttles: replica-set changes under way per worker and in"
        + " the cluster. A change is stored for every node and the next controller, and logged as an event (who, when, old → new).",
        mixinStandardHelpOptions = true,
        subcommands = {SettingsCommand.Show.class, SettingsCommand.Set.class})
final class SettingsCommand {

    @Command(name = "show", description = "Print the throttles in force, where they come from (stored, or the controller's flags), and what the"
            + " controller's last pass planned with.",
            footer = {"", "Examples:", "  sluice settings show", "  sluice settings show -o json"}, mixinStandardHelpOptions = true)
    static final class Show implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AdminClient.Answer answer = cluster.client().get("/api/v1/settings");
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
                return 0;
            }
            print(out, answer.as(SettingsView.class));
            return 0;
        }
    }

    @Command(name = "set", description = "Change throttles for the whole cluster at once (needs a credential with the admin scope)."
            + " A value out of range is refused and nothing changes.",
            footer = {"", "Examples:", "  sluice settings set --max-changes-per-node 2          # slow every drain and replace down",
                "  sluice settings set --max-changes-per-node 8 --max-changes-in-cluster 32",
                "  sluice settings set --max-transfer-rate 32MiB         # catch-up at most 32 MiB/s a worker",
                "  sluice settings set --max-transfer-rate 0             # no transfer limit",
                "  sluice settings set --max-changes-in-cluster 4 -o json"},
            mixinStandardHelpOptions = true)
    static final class Set implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Option(names = "--max-changes-per-node", paramLabel = "N", description = "replica-set changes under way that may involve one worker (1-1000)")
        Integer perNode;
        @Option(names = "--max-changes-in-cluster", paramLabel = "N", description = "replica-set changes under way in the cluster (1-100000)")
        Integer inCluster;
        @Option(names = "--max-transfer-rate", paramLabel = "SIZE", description = "bytes per second each worker takes in to catch up its new replicas"
                + " (snapshots and committed log), such as 32MiB; at least 2MiB for each change per worker, or 0 for no limit")
        String transferRate;

        @Override
        public Integer call() {
            if (perNode == null && inCluster == null && transferRate == null) {
                throw new CliException(CliException.USAGE, "give --max-changes-per-node, --max-changes-in-cluster and/or --max-transfer-rate");
            }
            ObjectNode body = Json.mapper().createObjectNode();
            if (perNode != null) {
                body.put("maxChangesPerNode", perNode);
            }
            if (inCluster != null) {
                body.put("maxChangesInCluster", inCluster);
            }
            if (transferRate != null) {
                try {
                    body.put("maxTransferBytesPerSecond", ByteSizes.parse(transferRate.trim().replaceFirst("(?i)/s$", "")));
                } catch (IllegalArgumentException notASize) {
                    throw new CliException(CliException.USAGE, "--max-transfer-rate: " + notASize.getMessage());
                }
            }
            AdminClient.Answer answer = cluster.client().put("/api/v1/settings", body);
            if (!answer.ok()) {
                throw new CliException(CliException.FAILED, answer.message());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, answer.body());
                return 0;
            }
            SettingsView.Changed changed = answer.as(SettingsView.Changed.class);
            if (!changed.changed()) {
                out.println("no change: the throttles are already so");
            } else {
                out.println("throttles changed: " + changes(changed.before(), changed.after()));
            }
            print(out, changed.after());
            return 0;
        }
    }

    /** What changed, {@code max-changes-per-node 4 → 2}; the change throttles both when they were the flags' until now. */
    static String changes(SettingsView before, SettingsView after) {
        java.util.List<String> changes = new java.util.ArrayList<>();
        boolean firstStored = !before.source().equals("stored");
        if (firstStored || before.maxChangesPerNode() != after.maxChangesPerNode()) {
            changes.add("max-changes-per-node " + before.maxChangesPerNode() + " → " + after.maxChangesPerNode());
        }
        if (firstStored || before.maxChangesInCluster() != after.maxChangesInCluster()) {
            changes.add("max-changes-in-cluster " + before.maxChangesInCluster() + " → " + after.maxChangesInCluster());
        }
        if (before.maxTransferBytesPerSecond() != after.maxTransferBytesPerSecond() || !before.transferRateSource().equals(after.transferRateSource())) {
            changes.add("max-transfer-rate " + rate(before.maxTransferBytesPerSecond()) + " → " + rate(after.maxTransferBytesPerSecond()));
        }
        return String.join(", ", changes);
    }

    private static String rate(long bytesPerSecond) {
        return SettingsRequests.transferRate(bytesPerSecond);
    }

    static void print(PrintWriter out, SettingsView view) {
        out.printf("max-changes-per-node    %d%n", view.maxChangesPerNode());
        out.printf("max-changes-in-cluster  %d%n", view.maxChangesInCluster());
        out.println("source                  " + (view.source().equals("stored")
                ? "stored, set at " + view.changedAt().truncatedTo(ChronoUnit.SECONDS) + " by " + view.changedBy()
                        + (view.credential() == null ? "" : " with credential " + view.credential())
                : "the controller's flags (sluice server --max-changes-per-node, --max-changes-in-cluster); nobody changed them"));
        out.println("max-transfer-rate       " + rate(view.maxTransferBytesPerSecond()) + " per worker, " + (view.transferRateSource().equals("stored")
                ? "stored for every node" : "this node's flag (sluice server --max-transfer-rate); nobody set it for the cluster"));
        if (view.inUse() != null) {
            out.printf("controller plans with   %d per worker, %d in the cluster (as of %s)%n", view.inUse().maxChangesPerNode(),
                    view.inUse().maxChangesInCluster(), view.inUse().at().truncatedTo(ChronoUnit.SECONDS));
        }
        out.flush();
    }
}
