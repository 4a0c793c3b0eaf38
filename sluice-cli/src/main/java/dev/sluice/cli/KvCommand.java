package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import dev.sluice.client.wire.DataApi;
import dev.sluice.metadata.Json;
import dev.sluice.model.PartitionTable;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice kv …}: read and write the reference key-value workload.
 *
 * <p>With {@code -o json} both commands print one {@link Entry}, so a script reads a write and a read the same way.
 */
@Command(name = "kv", description = "Write and read keys of the replicated key-value store.", mixinStandardHelpOptions = true,
        subcommands = {KvCommand.Put.class, KvCommand.Get.class})
final class KvCommand {

    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    static final String KEY_DESCRIPTION = "the key: text of 1 to " + PartitionTable.MAX_KEY_BYTES + " bytes in UTF-8; its hash decides the partition";

    static final String JSON_SHAPE = "With -o json: {\"key\": KEY, \"partition\": \"P5\", \"value\": VALUE as UTF-8 text}.";

    /** What {@code -o json} prints: the key, the partition that holds it, and the value written or read. */
    record Entry(String key, String partition, String value) {}

    static void printEntry(CommandLine.Model.CommandSpec spec, Entry entry) {
        NodesCommand.printJson(spec.commandLine().getOut(), Json.mapper().valueToTree(entry));
    }

    /**
     * A client that asks the node once for the routing: a one-shot command against a closed port says so at
     * once, as the admin commands do, rather than retrying for the whole call timeout.
     */
    static SluiceClient client(ClusterOptions cluster) {
        URI base = cluster.baseUri();
        SluiceClient.Builder builder = SluiceClient.builder().seed(base).callTimeout(CALL_TIMEOUT).firstRoutingWait(Duration.ZERO);
        cluster.trust(base).ifPresent(trust -> builder.tls(trust.context()));
        // The same token as the admin commands: on a cluster that checks credentials its credential needs the data scope.
        cluster.credential(base).ifPresent(credential -> builder.token(credential.value()));
        return builder.build();
    }

    static CliException failure(SluiceClientException e, ClusterOptions cluster) {
        return switch (e.code()) {
            case NO_ROUTE -> new CliException(CliException.UNREACHABLE, "cannot reach the cluster at " + cluster.baseUri() + cluster.target().originNote()
                    + ": " + e.getMessage() + ". Is it running? (start one with './sluice local', or pass --url / set SLUICE_URL)");
            case MALFORMED_KEY, VALUE_TOO_LARGE, WRONG_PARTITION, UNKNOWN_PARTITION, REJECTED -> new CliException(CliException.FAILED, e.getMessage());
            case DEADLINE_EXCEEDED, INTERRUPTED -> new CliException(CliException.FAILED, e.getMessage() + " (a write may still have been applied)");
            case UNAUTHORIZED -> new CliException(CliException.FAILED, e.getMessage() + cluster.credential(cluster.baseUri())
                    .map(credential -> " (the token came from " + credential.origin() + ")").orElse(""));
        };
    }

    @Command(name = "put", description = "Store VALUE under KEY; returns once a majority of the partition's replicas committed it.",
            footer = {"", JSON_SHAPE, "", "Example:", "  sluice kv put user-42 '{\"name\": \"Ada\"}'"}, mixinStandardHelpOptions = true)
    static final class Put implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY", description = KEY_DESCRIPTION) String key;
        @Parameters(index = "1", paramLabel = "VALUE", description = "the value to store, as text of at most " + DataApi.MAX_VALUE_BYTES + " bytes in UTF-8") String value;

        @Override
        public Integer call() {
            try (SluiceClient client = client(cluster)) {
                client.put(key, value);
                String partition = client.partitionOf(key).toString();
                if (cluster.json()) {
                    printEntry(spec, new Entry(key, partition, value));
                } else {
                    spec.commandLine().getOut().println("ok (" + partition + ")");
                }
                return 0;
            } catch (SluiceClientException e) {
                throw failure(e, cluster);
            }
        }
    }

    @Command(name = "get", description = "Print the value stored under KEY (read from the partition's leader).",
            footer = {"", JSON_SHAPE, "A key with no value exits 1 and prints nothing on stdout.", "", "Example:", "  sluice kv get user-42"}, mixinStandardHelpOptions = true)
    static final class Get implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY", description = KEY_DESCRIPTION) String key;

        @Override
        public Integer call() {
            try (SluiceClient client = client(cluster)) {
                Optional<String> value = client.getString(key);
                if (value.isEmpty()) {
                    throw new CliException(CliException.FAILED, "no value under '" + key + "'");
                }
                if (cluster.json()) {
                    printEntry(spec, new Entry(key, client.partitionOf(key).toString(), value.get()));
                } else {
                    spec.commandLine().getOut().println(value.get());
                }
                return 0;
            } catch (SluiceClientException e) {
                throw failure(e, cluster);
            }
        }
    }
}
