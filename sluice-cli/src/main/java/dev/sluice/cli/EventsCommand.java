package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.wire.EventView;
import dev.sluice.wire.EventsPage;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice events}: the cluster's event log, optionally followed as it grows.
 *
 * <p>{@code -o json} prints the API's page as one document; only {@code --follow} prints one event per line
 * (NDJSON), since a stream that never ends cannot be one document.
 */
@Command(name = "events", description = "Print the event log: transitions, drains, moves, leadership changes.",
        footer = {"", "With -o json: one document, {\"events\": [oldest first], \"last\": sequence of the newest};",
            "with --follow -o json: one event object per line (NDJSON), as the events come.",
            "", "Examples:", "  sluice events", "  sluice events --follow", "  sluice events --limit 20 -o json"}, mixinStandardHelpOptions = true)
final class EventsCommand implements Callable<Integer> {

    static final Duration FOLLOW_INTERVAL = Duration.ofMillis(500);

    @Mixin ClusterOptions cluster;
    @Spec CommandLine.Model.CommandSpec spec;
    @Option(names = {"-f", "--follow"}, description = "keep printing new events until interrupted") boolean follow;
    @Option(names = "--limit", description = "how many of the newest events to print first (default ${DEFAULT-VALUE})", defaultValue = "50") int limit;

    @Override
    public Integer call() throws InterruptedException {
        if (limit < 1 || limit > 1000) {
            throw new CliException(CliException.USAGE, "--limit must be between 1 and 1000");
        }
        AdminClient client = cluster.client();
        PrintWriter out = spec.commandLine().getOut();
        JsonNode answer = client.getOk("/api/v1/events?limit=" + limit);
        if (cluster.json() && !follow) {
            NodesCommand.printJson(out, answer);
            return 0;
        }
        long last = print(out, answer);
        while (follow) {
            Thread.sleep(FOLLOW_INTERVAL.toMillis());
            JsonNode newer = client.getOk("/api/v1/events?since=" + last + "&limit=1000");
            last = Math.max(last, print(out, newer));
        }
        return 0;
    }

    /** Prints a page as {@code GET /api/v1/events} answers it; the sequence of its newest event. */
    private long print(PrintWriter out, JsonNode answer) {
        EventsPage page = AdminClient.read(answer, EventsPage.class);
        if (cluster.json()) {
            // Each event as the server sent it, kinds and fields this CLI does not know included, one compact line each.
            answer.get("events").forEach(event -> out.println(event.toString()));
        } else {
            page.events().forEach(event -> out.println(line(event)));
        }
        out.flush();
        return page.last();
    }

    /** One event as the table shows it: time, kind, message. */
    static String line(EventView event) {
        return String.format("%s  %-22s %s", event.at(), event.kind(), event.message());
    }
}
