package dev.sluice.chaos;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One long-running process on a host (a ZooKeeper server or a Sluice node), started in the host's
 * namespace and restartable with the same command, so a restart keeps its identity and data. Owns the
 * process; the nemesis kills, pauses and resumes it through here, so the harness knows which exits it
 * caused and which it did not.
 */
final class HostProcess {

    /** How long a killed process may take to be reaped. */
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final HostNetwork.Host host;
    private final List<String> command;
    private final Path log;
    private Process process;
    private boolean paused;
    /** Set while the nemesis holds it down, so its exit is not counted as a crash. */
    private boolean killed;
    private final List<String> unexpectedExits = new ArrayList<>();

    HostProcess(String name, HostNetwork.Host host, List<String> inside, List<String> command, Path log) {
        this.name = name;
        this.host = host;
        List<String> full = new ArrayList<>(inside);
        full.addAll(command);
        this.command = List.copyOf(full);
        this.log = log;
    }

    String name() {
        return name;
    }

    HostNetwork.Host host() {
        return host;
    }

    /** The whole command it runs, {@code ip netns exec <namespace>} first. */
    List<String> command() {
        return command;
    }

    /** Starts it ({@code ip netns exec} execs the program, so the pid is the program's). */
    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("BUG: " + name + " is already running");
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        paused = false;
        killed = false;
    }

    /** The process's id, while it has been started at least once (the last one started). */
    synchronized java.util.OptionalLong pid() {
        return process == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(process.pid());
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized boolean paused() {
        return paused;
    }

    /** {@code kill -9}, then waits until it is gone. */
    synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        killed = true;
        process.destroyForcibly();
        if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") survived kill -9 for " + EXIT_TIMEOUT);
        }
        paused = false;
    }

    /** {@code SIGSTOP}: a process frozen as in a long GC pause; its sockets stay open. */
    synchronized void pause() {
        signal("STOP");
        paused = true;
    }

    synchronized void resume() {
        signal("CONT");
        paused = false;
    }

    private void signal(String signal) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException(name + " is not running; cannot send SIG" + signal);
        }
        Shell.require("kill", "-" + signal, Long.toString(process.pid()));
    }

    /** Notes an exit the nemesis did not cause (checked at the end of the run, and before each fault). */
    synchronized List<String> checkUnexpectedExit() {
        if (process != null && !killed && !process.isAlive() && unexpectedExits.stream().noneMatch(e -> e.startsWith("pid " + process.pid() + " "))) {
            unexpectedExits.add("pid " + process.pid() + " exited with status " + process.exitValue() + "; see " + log);
        }
        return List.copyOf(unexpectedExits);
    }

    /** Stops it for good at the end of a run: resumes it if frozen, then kills it. */
    synchronized void destroy() {
        if (process == null) {
            return;
        }
        killed = true;
        process.destroyForcibly();
        try {
            process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + "@" + host.address();
    }
}
