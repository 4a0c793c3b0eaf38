package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The live drain progress of {@code nodes drain --wait}: a bar redrawn in place on a terminal, one line
 * per change otherwise, and the stalled partitions with their reasons.
 */
final class Progress {

    static final Duration POLL_INTERVAL = Duration.ofMillis(500);
    private static final int BAR_WIDTH = 24;

    private final AdminClient client;
    private final PrintWriter out;
    private final boolean json;
    private final boolean terminal = System.console() != null;

    Progress(AdminClient client, PrintWriter out, boolean json) {
        this.client = client;
        this.out = out;
        this.json = json;
    }

    /**
     * Waits until the node is disabled; 0 then, 1 on timeout or if the drain was cancelled.
     *
     * @param node the id to poll, which stays valid when the node restarts (a generational id would not)
     * @param label how to name it, {@code N1 (worker-3)}
     */
    int waitForDisabled(String node, String label, Duration timeout) {
        // Ctrl-C ends the wait, not the drain: without this, an operator saw only "^C" and could not tell.
        Thread onInterrupt = new Thread(() -> {
            out.println((terminal ? "\n" : "") + "stopped waiting; the drain of " + label + " goes on. Follow it with 'sluice nodes show " + node
                    + "', cancel it with 'sluice nodes activate " + node + "'");
            out.flush();
        }, "sluice-wait-interrupted");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try {
            return awaitDisabled(node, label, timeout);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or has run: the message is out.
            }
        }
    }

    private int awaitDisabled(String node, String label, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastLine = "";
        String lastStalled = "";
        while (true) {
            JsonNode view = client.getOk("/api/v1/nodes/" + AdminClient.encode(node));
            String state = view.path("state").asText();
            JsonNode drain = view.path("drain");
            if (!drain.isMissingNode() && !drain.isNull() && !json) {
                String line = line(drain, BAR_WIDTH);
                if (terminal) {
                    out.print("\r" + line + "   ");
                } else if (!line.equals(lastLine)) {
                    out.println(line);
                }
                lastLine = line;
                String stalled = stalledText(drain);
                if (!stalled.equals(lastStalled)) {
                    if (terminal) {
                        out.println();
                    }
                    if (!stalled.isEmpty()) {
                        printStalled(out, drain, NodeLabels.fetch(client));
                    }
                    lastStalled = stalled;
                }
                out.flush();
            }
            switch (state) {
                case "disabled" -> {
                    if (json) {
                        NodesCommand.printJson(out, drain);
                    } else {
                        out.println((terminal ? "\n" : "") + label + " is disabled: drained in "
                                + DurationConverter.format(seconds(drain)) + ", " + drain.path("movesDone").asInt() + " replicas moved");
                        out.flush();
                    }
                    return 0;
                }
                case "active" -> {
                    throw new CliException(CliException.FAILED, (terminal ? "\n" : "") + label + " is active again: the drain was cancelled");
                }
                case "draining" -> {
                    // keep waiting
                }
                default -> throw new CliException(CliException.FAILED, label + " is " + state + ", not draining");
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(CliException.FAILED, (terminal ? "\n" : "") + "gave up after " + DurationConverter.format(timeout.toSeconds())
                        + ": " + label + " is still draining (" + (drain.isMissingNode() ? "no progress reported yet" : shortText(drain))
                        + "). The drain goes on; check it with 'sluice nodes show " + node + "'");
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(CliException.FAILED, "interrupted; the drain goes on");
            }
        }
    }

    /**
     * The drain that disabled the node {@code view} shows, if a drain is why it is disabled: the controller
     * disables a worker only when its drain has finished (the transition table grants it draining → disabled
     * alone), and it did so after the drain shown started. A node drained once, activated, and then disabled by
     * an operator with --force shows the old drain too, but that drain did not disable it.
     */
    static Optional<JsonNode> finishedDrain(JsonNode view) {
        JsonNode drain = view.path("drain");
        JsonNode lastChange = view.path("lastChange");
        if (!"disabled".equals(view.path("state").asText()) || !"controller".equals(lastChange.path("actor").asText()) || !drain.isObject()
                || !"disabled".equals(drain.path("state").asText())) {
            return Optional.empty();
        }
        try {
            Instant started = Instant.parse(drain.path("startedAt").asText());
            Instant disabled = Instant.parse(lastChange.path("at").asText());
            return disabled.isBefore(started) ? Optional.empty() : Optional.of(drain);
        } catch (DateTimeParseException unreadable) {
            return Optional.empty();
        }
    }

    /** Reports a drain that had already finished when the command asked for it; exit code 0. */
    static int reportDrained(PrintWriter out, boolean json, JsonNode view, JsonNode drain) {
        if (json) {
            NodesCommand.printJson(out, drain);
        } else {
            out.println(view.path("id").asText() + " (" + view.path("name").asText() + ") was already drained: disabled since "
                    + drain.path("completedAt").asText() + ", drained in " + DurationConverter.format(seconds(drain)) + ", "
                    + drain.path("movesDone").asInt() + " replicas moved");
            out.flush();
        }
        return 0;
    }

    private static long seconds(JsonNode drain) {
        try {
            java.time.Instant started = java.time.Instant.parse(drain.path("startedAt").asText());
            java.time.Instant ended = drain.hasNonNull("completedAt") ? java.time.Instant.parse(drain.path("completedAt").asText()) : java.time.Instant.now();
            return Math.max(0, Duration.between(started, ended).toSeconds());
        } catch (java.time.format.DateTimeParseException e) {
            return 0;
        }
    }

    /**
     * {@code [#########---------]  9/18 moved · 2 in flight · 3 leaderships · 6.2/min · ETA 1m27s}; once nothing
     * is left to move, what the drain still waits for instead of the ETA.
     */
    static String line(JsonNode drain, int width) {
        int total = Math.max(drain.path("replicasAtStart").asInt(), 1);
        int remaining = drain.path("replicasRemaining").asInt();
        int done = Math.max(0, drain.path("replicasAtStart").asInt() - remaining);
        int filled = (int) Math.round(width * (double) done / total);
        StringBuilder text = new StringBuilder()
                .append('[').append("#".repeat(Math.min(width, filled))).append("-".repeat(Math.max(0, width - filled))).append("] ")
                .append(done).append('/').append(drain.path("replicasAtStart").asInt()).append(" moved")
                .append(" · ").append(drain.path("movesInFlight").asInt()).append(" in flight")
                .append(" · ").append(drain.path("leadershipsRemaining").asInt()).append(" leaderships")
                .append(" · ").append(String.format("%.1f/min", drain.path("ratePerMinute").asDouble()));
        boolean draining = "draining".equals(drain.path("state").asText());
        if (draining && remaining > 0 && drain.hasNonNull("etaSeconds")) {
            text.append(" · ETA ").append(DurationConverter.format(drain.path("etaSeconds").asLong()));
        } else if (draining && remaining == 0) {
            // Nothing left to move, so an ETA of 0 s would only look stuck: say what the drain waits for.
            text.append(drain.hasNonNull("waitingFor") ? " · moves done; waiting: " + drain.path("waitingFor").asText()
                    : " · moves done; waiting for the controller to disable it");
        }
        if (drain.path("stalled").asBoolean()) {
            text.append(" · STALLED");
        }
        return text.toString();
    }

    static String shortText(JsonNode drain) {
        String state = drain.path("state").asText();
        int remaining = drain.path("replicasRemaining").asInt();
        return switch (state) {
            case "draining" -> remaining + " left" + (drain.path("stalled").asBoolean() ? ", STALLED" : "")
                    + (drain.hasNonNull("waitingFor") ? "; waiting for: " + drain.path("waitingFor").asText() : "");
            case "disabled" -> "done";
            default -> "cancelled";
        };
    }

    static void printStalled(PrintWriter out, JsonNode drain, NodeLabels nodes) {
        JsonNode stalled = drain.path("stalledPartitions");
        if (stalled.size() == 0) {
            return;
        }
        out.println("  STALLED: " + stalled.size() + " partition(s) cannot move or be removed:");
        stalled.forEach(s -> out.printf("    %s on %s %s: %s%n", s.path("partition").asText("-"), s.hasNonNull("worker") ? nodes.of(s.path("worker")) : "?",
                s.path("reason").asText(), s.path("message").asText()));
        out.flush();
    }

    /** What decides whether the stalled block is printed again: which partitions, on which worker, for which reason — not the timestamps or messages that change every poll. */
    private static String stalledText(JsonNode drain) {
        StringBuilder text = new StringBuilder();
        drain.path("stalledPartitions").forEach(s -> text.append(s.path("partition").asText("-")).append(' ').append(s.path("worker").asText())
                .append(' ').append(s.path("reason").asText()).append(';'));
        return text.toString();
    }
}
