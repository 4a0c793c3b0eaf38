package dev.sluice.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short system commands ({@code ip}, {@code iptables}, {@code kill}) with a deadline and captures their output. */
final class Shell {

    /** Longer than any {@code ip} or {@code iptables} call takes; a hung one is killed and reported. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Shell() {}

    /** Runs {@code command}; never throws for a non-zero exit. */
    static Result run(List<String> command) {
        java.nio.file.Path output = null;
        try {
            // Output goes to a file, not a pipe, so a command that hangs cannot block us past the deadline.
            output = java.nio.file.Files.createTempFile("sluice-chaos-cmd", ".out");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not finish within " + COMMAND_TIMEOUT);
            }
            return new Result(process.exitValue(), java.nio.file.Files.readString(output, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return new Result(-1, "cannot run " + command.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted while running " + String.join(" ", command));
        } finally {
            if (output != null) {
                try {
                    java.nio.file.Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // A leftover temp file is harmless.
                }
            }
        }
    }

    static Result run(String... command) {
        return run(List.of(command));
    }

    /** Runs {@code command} and fails unless it exits 0. */
    static String require(String... command) {
        Result result = run(command);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + result.exitCode() + "): " + result.output());
        }
        return result.output();
    }

    /** Whether {@code program} can be run (found on the PATH and answers its version flag). */
    static boolean available(String program, String versionFlag) {
        return run(program, versionFlag).ok();
    }
}
