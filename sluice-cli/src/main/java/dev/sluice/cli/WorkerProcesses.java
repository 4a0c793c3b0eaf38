package dev.sluice.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The worker processes of a local cluster, and what happens when one exits, as a service manager does it. A worker
 * that exits with status 0 shut down gracefully on request ({@code sluice nodes shutdown}, or a SIGTERM sent to it
 * alone) and is started again with the same name, data directory and ports, as systemd's {@code Restart=always} or a
 * Kubernetes pod would start it. One that exits with any other status crashed or was killed: it is reported once and
 * stays down, so a crash is not hidden behind a restart. Once closing has begun nothing is started again — the
 * workers exit with status 0 then too, since closing sends them SIGTERM.
 *
 * <p>Owns the child processes; soft state, nothing is stored. Every decision is taken under this object's lock, so a
 * restart and {@link #close} never cross: a restart either happens before closing begins (and the new process is
 * stopped with the others) or not at all.
 */
final class WorkerProcesses implements AutoCloseable {

    /** Restarts per worker in one run: a worker that keeps exiting with status 0 is stopped being restarted after this. */
    static final int RESTARTS_MAX = 100;

    /** How to start one worker, again and again: its name, where its output goes, and the start itself. */
    record Launch(String name, Path log, Starter starter) {
        Launch {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(log, "log");
            Objects.requireNonNull(starter, "starter");
        }
    }

    @FunctionalInterface
    interface Starter {
        Process start() throws IOException;
    }

    /** A worker whose process has exited. */
    record Exited(String name, int status, Path log) {}

    private static final class Child {
        final Launch launch;
        Process process;
        int restarts;
        /** Its last exit was reported and it stays down. */
        boolean down;

        Child(Launch launch, Process process) {
            this.launch = launch;
            this.process = process;
        }
    }

    private final List<Child> children = new ArrayList<>();
    private boolean closing;

    /**
     * Starts a worker and looks after it from now on.
     *
     * @throws CliException if closing has begun (Ctrl-C while the cluster starts): the worker is not started
     */
    synchronized void start(Launch launch) throws IOException {
        if (closing) {
            throw new CliException(CliException.FAILED, "the local cluster is stopping; " + launch.name() + " was not started");
        }
        children.add(new Child(launch, launch.starter().start()));
    }

    /** The process of worker {@code name} now (a restarted worker has a new one). */
    synchronized Process process(String name) {
        return children.stream().filter(child -> child.launch.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no worker " + name)).process;
    }

    /** The first worker, in start order, whose process has exited, if any. */
    synchronized Optional<Exited> firstExited() {
        return children.stream().filter(child -> !child.process.isAlive()).findFirst()
                .map(child -> new Exited(child.launch.name(), child.process.exitValue(), child.launch.log()));
    }

    /**
     * Looks at every worker once: one that exited with status 0 is started again and a line says so; one that exited
     * otherwise is reported once and stays down. Does nothing once closing has begun.
     */
    synchronized void supervise(PrintStream out) {
        if (closing) {
            return;
        }
        for (Child child : children) {
            if (child.down || child.process.isAlive()) {
                continue;
            }
            int status = child.process.exitValue();
            String name = child.launch.name();
            if (status != 0) {
                child.down = true;
                out.println(name + " exited with status " + status + "; it stays down (see " + child.launch.log() + ")");
            } else if (child.restarts >= RESTARTS_MAX) {
                child.down = true;
                out.println(name + " shut down (exit status 0) after " + RESTARTS_MAX + " restarts; it is not started again");
            } else {
                try {
                    child.process = child.launch.starter().start();
                    child.restarts++;
                    out.println(name + " shut down (exit status 0); started it again with the same name, data directory and ports (pid "
                            + child.process.pid() + ")");
                } catch (IOException failed) {
                    child.down = true;
                    out.println(name + " shut down (exit status 0) and could not be started again: " + failed.getMessage()
                            + "; it stays down");
                }
            }
            out.flush();
        }
    }

    /**
     * Waits until some worker's process exits, or {@code atMost}: what the supervision loop waits on between two
     * looks, so an exit is acted on at once rather than at the next poll.
     *
     * @throws InterruptedException if the thread is interrupted while it waits
     */
    void awaitAnyExit(Duration atMost) throws InterruptedException {
        CompletableFuture<?>[] exits;
        synchronized (this) {
            exits = children.stream().filter(child -> !child.down).map(child -> child.process.onExit()).toArray(CompletableFuture[]::new);
        }
        if (exits.length == 0) {
            // Every worker is down for good: nothing can exit, so only the interval passes (the loop ends when interrupted).
            TimeUnit.NANOSECONDS.sleep(atMost.toNanos());
            return;
        }
        try {
            CompletableFuture.anyOf(exits).get(atMost.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException nothingYet) {
            // The caller looks again either way.
        }
    }

    /** Stops every worker: SIGTERM (a graceful shutdown), then SIGKILL for any still running after {@code stopTimeout}. */
    void close(Duration stopTimeout) {
        List<Process> stopping;
        synchronized (this) {
            closing = true;
            stopping = children.stream().map(child -> child.process).toList();
        }
        stopping.forEach(Process::destroy);
        long deadline = System.nanoTime() + stopTimeout.toNanos();
        for (Process process : stopping) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                if (!process.waitFor(left, TimeUnit.NANOSECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException interrupted) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        close(LocalCluster.STOP_TIMEOUT);
    }
}
