package dev.sluice.cli;

import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.MetadataUnavailableException;
import dev.sluice.metadata.ZooKeeperIdentity;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.metadata.ZooKeeperTreeSecurer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice zookeeper …}: the cluster's data in ZooKeeper, reached directly rather than through a node. */
@Command(name = "zookeeper", description = "Work on the cluster's ZooKeeper tree directly (not through a node).",
        mixinStandardHelpOptions = true,
        subcommands = {ZooKeeperCommand.Secure.class})
final class ZooKeeperCommand {

    @Command(name = "secure", description = {"Give every node of the cluster's ZooKeeper tree the cluster's ACL: readable and writable only with"
            + " the secret in --secret-file. Migrates a cluster created without a secret, while it runs.",
        "Restart every node with --zookeeper-secret-file first: a node without the secret cannot use a secured tree. The command refuses,"
                + " and changes nothing, while a running node has no secret or another one. Safe to run again: it changes only what lacks the ACL."},
            footer = {"", "Steps (docs/security.md, \"ZooKeeper\"):",
                "  1. restart every node with --zookeeper-secret-file FILE (sluice rollout restart, after adding it",
                "     to each node's settings)",
                "  2. sluice zookeeper secure --zookeeper zk1:2181 --cluster prod --secret-file FILE",
                "", "Examples:",
                "  sluice zookeeper secure --zookeeper zk1:2181 --cluster prod --secret-file zk-secret --dry-run",
                "  sluice zookeeper secure --zookeeper 127.0.0.1:2181 --secret-file /etc/sluice/zk-secret"},
            mixinStandardHelpOptions = true)
    static final class Secure implements Callable<Integer> {
        @Spec CommandLine.Model.CommandSpec spec;
        @Option(names = "--zookeeper", required = true, description = "ZooKeeper connect string (HOST:PORT[,HOST:PORT…])") String zooKeeper;
        @Option(names = "--cluster", description = "cluster name, as its nodes' --cluster (default ${DEFAULT-VALUE})", defaultValue = "sluice") String cluster;
        @Option(names = "--secret-file", required = true, description = "the cluster's ZooKeeper secret file, as its nodes' --zookeeper-secret-file")
        Path secretFile;
        @Option(names = "--dry-run", description = "count what would change; change nothing") boolean dryRun;

        @Override
        public Integer call() {
            String clusterName = NodeSettings.requireValidCluster(cluster, "--cluster");
            ZooKeeperIdentity identity;
            try {
                identity = ZooKeeperIdentity.fromSecretFile(clusterName, secretFile.toAbsolutePath());
            } catch (IllegalArgumentException unusable) {
                throw new CliException(CliException.USAGE, unusable.getMessage());
            }
            String root = "/sluice/" + clusterName;
            ZooKeeperTreeSecurer.Outcome outcome;
            try {
                outcome = ZooKeeperTreeSecurer.secure(zooKeeper, root, identity, ZooKeeperMetadataStore.DEFAULT_CONNECTION_TIMEOUT, dryRun);
            } catch (MetadataUnavailableException unreachable) {
                throw new CliException(CliException.UNREACHABLE, unreachable.getMessage());
            } catch (MetadataException failed) {
                throw new CliException(CliException.FAILED, failed.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            switch (outcome) {
                case ZooKeeperTreeSecurer.Outcome.Secured done when done.dryRun() -> out.println("dry run: " + done.changed() + " of " + done.nodes()
                        + " nodes under " + root + " lack the cluster's ACL and would get it; nothing changed");
                case ZooKeeperTreeSecurer.Outcome.Secured done when done.changed() == 0 -> out.println(root + " was already secured: all " + done.nodes()
                        + " nodes carry the cluster's ACL; nothing changed");
                case ZooKeeperTreeSecurer.Outcome.Secured done -> out.println("secured " + root + ": " + done.changed() + " of " + done.nodes()
                        + " nodes got the cluster's ACL; only holders of " + identity.source() + " may read or change them now");
                case ZooKeeperTreeSecurer.Outcome.Refused refused -> {
                    StringBuilder message = new StringBuilder("refused, nothing changed: " + refused.reason());
                    refused.paths().forEach(path -> message.append("\n  ").append(path));
                    throw new CliException(CliException.FAILED, message.toString());
                }
            }
            out.flush();
            return 0;
        }
    }
}
