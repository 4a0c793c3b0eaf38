package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.metadata.Json;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code sluice server} process told to stop with SIGTERM, as systemd and Kubernetes do: it shuts down
 * gracefully — its log says how the handover went — and exits with status 0, not the JVM's 143. A single node with
 * replication 1 leads both its partitions and has nobody to hand them to, which the summary line says.
 */
class ServerShutdownIT {

    private static final Duration WAIT = Duration.ofMinutes(2);

    @TempDir
    Path directory;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void sigtermShutsTheNodeDownGracefullyAndTheProcessExitsWithZero() throws Exception {
        int httpPort = freePort();
        URI base = URI.create("http://127.0.0.1:" + httpPort);
        List<String> command = new ArrayList<>(List.of(ServerLaunch.javaExecutable()));
        command.addAll(ServerLaunch.javaOptions(true));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ServerLaunch.MAIN_CLASS, "server",
                "--name", "solo", "--data-dir", directory.resolve("solo").toString(), "--embedded-zookeeper",
                "--embedded-zookeeper-port", Integer.toString(freePort()), "--http-port", Integer.toString(httpPort),
                "--raft-port", Integer.toString(freePort()), "--partitions", "2", "--replication", "1", "--shutdown-timeout", "5s"));
        Path log = directory.resolve("solo.log");
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await("the node leads both partitions").atMost(WAIT).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
                HttpResponse<String> status = http.send(HttpRequest.newBuilder(base.resolve("/internal/v1/status")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                return Json.mapper().readTree(status.body()).path("replicas").findValuesAsText("role").stream()
                        .filter("leader"::equals).count() == 2;
            });

            server.destroy();

            assertThat(server.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exited").isTrue();
            String output = Files.readString(log);
            assertThat(server.exitValue()).as(output).isZero();
            assertThat(output).contains("solo: graceful shutdown (SIGTERM): led 2, moved 0 in ")
                    .contains("2 not moved (P0, P1: it has no other voter)")
                    .contains("node solo stopped gracefully (SIGTERM)");
        } finally {
            server.destroyForcibly();
        }
    }
}
