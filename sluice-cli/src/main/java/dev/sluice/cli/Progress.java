package dev.sluice.cli;

import dev.sluice.model.Actor;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DrainView;
import dev.sluice.wire.NodeView;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
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
            NodeView view = client.getOk("/api/v1/nodes/" + AdminClient.encode(node), NodeView.class);
            WorkerState state = view.state();
            DrainView drain = view.drain();
            // Until the controller picks this drain up, the record shown is the worker's last finished drain, if
            // it had one: a worker drained a second time once opened with the first drain's full bar.
            boolean notPickedUp = state == WorkerState.DRAINING && (drain == null || drain.state() != WorkerState.DRAINING);
            String line = notPickedUp ? "waiting for the controller to pick the drain up…" : drain == null ? null : line(drain, BAR_WIDTH);
            if (line != null && !json) {
                if (terminal) {
                    out.print("\r" + padded(line, lastLine));
                } else if (!line.equals(lastLine)) {
                    out.println(line);
                }
                lastLine = line;
                String stalled = notPickedUp ? "" : stalledText(drain);
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
                case DISABLED -> {
                    if (json) {
                        NodesCommand.printJson(out, drain);
                    } else {
                        out.println((terminal ? "\n" : "") + label + " is disabled: drained in "
                                + DurationConverter.format(seconds(drain)) + ", " + (drain == null ? 0 : drain.movesDone()) + " replicas moved");
                        out.flush();
                    }
                    return 0;
                }
                case ACTIVE -> {
                    throw new CliException(CliException.FAILED, (terminal ? "\n" : "") + label + " is active again: the drain was cancelled");
                }
                case DRAINING -> {
                    // keep waiting
                }
                case PROVISIONING -> throw new CliException(CliException.FAILED, label + " is " + state + ", not draining");
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(CliException.FAILED, (terminal ? "\n" : "") + "gave up after " + DurationConverter.format(timeout.toSeconds())
                        + ": " + label + " is still draining (" + (drain == null ? "no progress reported yet" : shortText(drain))
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

    /** {@code line}, with spaces over what a longer line before it left on the terminal. */
    private static String padded(String line, String before) {
        return line + " ".repeat(Math.max(3, before.length() - line.length() + 3));
    }

    /**
     * The drain that disabled the node {@code view} shows, if a drain is why it is disabled: the controller
     * disables a worker only when its drain has finished (the transition table grants it draining → disabled
     * alone), and it did so after the drain shown started. A node drained once, activated, and then disabled by
     * an operator with --force shows the old drain too, but that drain did not disable it.
     */
    static Optional<DrainView> finishedDrain(NodeView view) {
        DrainView drain = view.drain();
        if (view.state() != WorkerState.DISABLED || view.lastChange() == null || !Actor.CONTROLLER.wireName().equals(view.lastChange().actor())
                || drain == null || drain.state() != WorkerState.DISABLED) {
            return Optional.empty();
        }
        Instant started = drain.startedAt();
        Instant disabled = view.lastChange().at();
        if (started == null || disabled == null) {
            return Optional.empty();
        }
        return disabled.isBefore(started) ? Optional.empty() : Optional.of(drain);
    }

    /** Reports a drain that had already finished when the command asked for it; exit code 0. */
    static int reportDrained(PrintWriter out, boolean json, NodeView view, DrainView drain) {
        if (json) {
            NodesCommand.printJson(out, drain);
        } else {
            out.println(view.label() + " was already drained: disabled since "
                    + drain.completedAt() + ", drained in " + DurationConverter.format(seconds(drain)) + ", "
                    + drain.movesDone() + " replicas moved");
            out.flush();
        }
        return 0;
    }

    /** How long the drain took or has taken so far; 0 when no drain was reported. */
    private static long seconds(DrainView drain) {
        if (drain == null || drain.startedAt() == null) {
            return 0;
        }
        Instant ended = drain.completedAt() != null ? drain.completedAt() : Instant.now();
        return Math.max(0, Duration.between(drain.startedAt(), ended).toSeconds());
    }

    /**
     * {@code [#########---------]  9/18 moved · 2 in flight · 3 leaderships · 6.2/min · ETA 1m27s}; once nothing
     * is left to move, what the drain still waits for instead of the ETA.
     */
    static String line(DrainView drain, int width) {
        int total = Math.max(drain.replicasAtStart(), 1);
        int remaining = drain.replicasRemaining();
        int done = Math.max(0, drain.replicasAtStart() - remaining);
        int filled = (int) Math.round(width * (double) done / total);
        StringBuilder text = new StringBuilder()
                .append('[').append("#".repeat(Math.min(width, filled))).append("-".repeat(Math.max(0, width - filled))).append("] ")
                .append(done).append('/').append(drain.replicasAtStart()).append(" moved")
                .append(" · ").append(drain.movesInFlight()).append(" in flight")
                .append(" · ").append(drain.leadershipsRemaining()).append(" leaderships")
                .append(" · ").append(String.format("%.1f/min", drain.ratePerMinute()));
        boolean draining = drain.state() == WorkerState.DRAINING;
        if (draining && remaining > 0 && drain.etaSeconds() != null) {
            text.append(" · ETA ").append(DurationConverter.format(drain.etaSeconds()));
        } else if (draining && remaining == 0) {
            // Nothing left to move, so an ETA of 0 s would only look stuck: say what the drain waits for.
            text.append(drain.waitingFor() != null ? " · moves done; waiting: " + drain.waitingFor()
                    : " · moves done; waiting for the controller to disable it");
        }
        if (drain.stalled()) {
            text.append(" · STALLED");
        }
        return text.toString();
    }

    static String shortText(DrainView drain) {
        int remaining = drain.replicasRemaining();
        return switch (drain.state()) {
            case DRAINING -> remaining + " left" + (drain.stalled() ? ", STALLED" : "")
                    + (drain.waitingFor() != null ? "; waiting for: " + drain.waitingFor() : "");
            case DISABLED -> "done";
            case ACTIVE, PROVISIONING -> "cancelled";
        };
    }

    static void printStalled(PrintWriter out, DrainView drain, NodeLabels nodes) {
        if (drain.stalledPartitions().isEmpty()) {
            return;
        }
        out.println("  STALLED: " + drain.stalledCount() + " partition(s) cannot move or be removed:");
        drain.stalledPartitions().forEach(s -> out.printf("    %s on %s %s: %s%n", Objects.toString(s.partition(), "-"),
                s.worker() != null ? nodes.of(s.worker()) : "?", s.reason(), s.message()));
        if (drain.stalledLeftOut() > 0) {
            out.printf("    and %d more (the controller lists the first %d)%n", drain.stalledLeftOut(), drain.stalledPartitions().size());
        }
        out.flush();
    }

    /** What decides whether the stalled block is printed again: which partitions, on which worker, for which reason — not the timestamps or messages that change every poll. */
    private static String stalledText(DrainView drain) {
        StringBuilder text = new StringBuilder();
        drain.stalledPartitions().forEach(s -> text.append(Objects.toString(s.partition(), "-")).append(' ').append(Objects.toString(s.worker(), ""))
                .append(' ').append(s.reason()).append(';'));
        if (drain.stalledLeftOut() > 0) {
            text.append("and ").append(drain.stalledLeftOut()).append(" more;");
        }
        return text.toString();
    }
}
