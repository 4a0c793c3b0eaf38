package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local cluster's supervision, with real child processes of a shell standing in for workers: one that exits with
 * status 0 (a graceful shutdown) is started again, one that is killed or fails stays down and is reported once, and
 * nothing is started again while closing, though the workers exit with status 0 then too.
 */
class WorkerProcessesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * A worker that runs until it is told to stop, and then stops gracefully: SIGTERM makes it exit with status 0, as a
     * node does. Once it handles SIGTERM it writes its pid to {@code <name>.up} (see {@link #awaitUp}).
     */
    private List<String> runsUntilTerm(String name) {
        return List.of("/bin/sh", "-c", "trap 'exit 0' TERM; echo $$ >> '" + directory.resolve(name + ".up") + "'; while true; do sleep 1; done");
    }

    /** Waits until the worker's current process handles SIGTERM: a signal before that would end the shell with 143. */
    private void awaitUp(String name) {
        await(name + " handles SIGTERM").atMost(WAIT).until(() -> {
            Path up = directory.resolve(name + ".up");
            return java.nio.file.Files.exists(up) && java.nio.file.Files.readAllLines(up).contains(Long.toString(workers.process(name).pid()));
        });
    }

    @TempDir
    Path directory;

    private final WorkerProcesses workers = new WorkerProcesses();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    @AfterEach
    void stop() {
        workers.close(Duration.ofSeconds(5));
    }

    /** A worker that runs {@code first} the first time and {@code again} every time after; counts its starts. */
    private WorkerProcesses.Launch launch(String name, AtomicInteger starts, List<String> first, List<String> again) {
        return new WorkerProcesses.Launch(name, directory.resolve(name + ".log"), () -> {
            List<String> command = starts.getAndIncrement() == 0 ? first : again;
            return start(command);
        });
    }

    private static Process start(List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aWorkerThatExitsWithZeroIsStartedAgainAndOneThatIsKilledOrFailsStaysDown() throws Exception {
        AtomicInteger gracefulStarts = new AtomicInteger();
        AtomicInteger killedStarts = new AtomicInteger();
        AtomicInteger failingStarts = new AtomicInteger();
        workers.start(launch("worker-1", gracefulStarts, List.of("/bin/sh", "-c", "exit 0"), runsUntilTerm("worker-1")));
        workers.start(launch("worker-2", killedStarts, runsUntilTerm("worker-2"), runsUntilTerm("worker-2")));
        workers.start(launch("worker-3", failingStarts, List.of("/bin/sh", "-c", "exit 3"), runsUntilTerm("worker-3")));
        Process first = workers.process("worker-1");
        workers.process("worker-2").destroyForcibly();
        await().atMost(WAIT).until(() -> !first.isAlive() && !workers.process("worker-2").isAlive() && !workers.process("worker-3").isAlive());

        workers.supervise(out);

        assertThat(gracefulStarts).hasValue(2);
        assertThat(workers.process("worker-1")).isNotSameAs(first);
        assertThat(workers.process("worker-1").isAlive()).isTrue();
        assertThat(killedStarts).as("a killed worker is not started again").hasValue(1);
        assertThat(failingStarts).as("a failed worker is not started again").hasValue(1);
        assertThat(printed()).contains("worker-1 shut down (exit status 0); started it again with the same name, data directory and ports (pid "
                + workers.process("worker-1").pid() + ")");
        assertThat(printed()).contains("worker-2 exited with status 137; it stays down (see " + directory.resolve("worker-2.log") + ")");
        assertThat(printed()).contains("worker-3 exited with status 3; it stays down");

        String before = printed();
        workers.supervise(out);
        assertThat(printed()).as("each exit is reported once").isEqualTo(before);
        assertThat(killedStarts).hasValue(1);
    }

    @Test
    void nothingIsStartedAgainWhileClosingThoughTheWorkersExitWithZero() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        workers.start(launch("worker-1", starts, runsUntilTerm("worker-1"), runsUntilTerm("worker-1")));
        Process running = workers.process("worker-1");
        awaitUp("worker-1");

        workers.close(WAIT);

        assertThat(running.exitValue()).as("a worker told to stop stops gracefully").isZero();
        workers.supervise(out);
        assertThat(starts).hasValue(1);
        assertThat(printed()).isEmpty();
    }

    /** A SIGTERM sent to one worker alone is a graceful shutdown too, as systemd or Kubernetes would see it. */
    @Test
    void aWorkerStoppedAloneWithSigtermIsStartedAgain() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        workers.start(launch("worker-1", starts, runsUntilTerm("worker-1"), runsUntilTerm("worker-1")));
        Process running = workers.process("worker-1");
        awaitUp("worker-1");
        running.destroy();

        workers.awaitAnyExit(WAIT);
        await().atMost(WAIT).until(() -> !running.isAlive());
        workers.supervise(out);

        assertThat(running.exitValue()).isZero();
        assertThat(starts).hasValue(2);
        assertThat(printed()).startsWith("worker-1 shut down (exit status 0); started it again");
    }
}
