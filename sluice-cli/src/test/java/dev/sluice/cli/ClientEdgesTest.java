package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI at the edges of what it talks to: something that is not a Sluice node, and a closed port. Nodes are {@link FakeNode}s answering as a Sluice node does (the real
 * answers are checked in {@link CliEndToEndIT}).
 */
class ClientEdgesTest {

    /** Far below the 30 s {@code kv get} took against a closed port, far above the one attempt it should make. */
    static final Duration FAST = Duration.ofSeconds(10);

    @TempDir
    Path home;

    @BeforeEach
    void useATemporaryHome() {
        System.setProperty("sluice.home", home.toString());
    }

    @AfterEach
    void forgetTheTemporaryHome() {
        System.clearProperty("sluice.home");
    }

    @Test
    void aServerThatIsNotSluiceAnsweringAnEmpty404IsNamedWithExitCode3() throws Exception {
        try (FakeNode other = new FakeNode().otherwise(404, "")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "list", "--url", other.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.UNREACHABLE);
            assertThat(run.err().trim()).isEqualTo(other.url() + "/api/v1/nodes answered HTTP 404 with an empty body: not a Sluice node?"
                    + " Check the address; pass --url or set SLUICE_URL");
        }
    }

    @Test
    void aJsonAnswerWithoutSluicesErrorShapeIsNotTakenForSluices() throws Exception {
        try (FakeNode other = new FakeNode().otherwise(404, "{\"detail\": \"Not Found\"}")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "show", "N1", "--url", other.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.UNREACHABLE);
            assertThat(run.err()).contains("answered HTTP 404 with a body that is not Sluice's API: not a Sluice node?");
        }
    }

    @Test
    void aServerErrorWithoutSluicesShapeIsAFailureOfTheNodeNotAWrongAddress() throws Exception {
        try (FakeNode broken = new FakeNode().otherwise(500, "Server Error\n<stack trace>")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "list", "--url", broken.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err().trim()).isEqualTo(broken.url() + "/api/v1/nodes answered HTTP 500 with a body that is not Sluice's API: Server Error");
        }
    }

    @Test
    void sluicesOwn404StillReadsAsTheRefusalItIs() throws Exception {
        try (FakeNode node = new FakeNode().answer("GET", "/api/v1/nodes/nobody", 404,
                "{\"error\": \"not-found\", \"message\": \"unknown node 'nobody'\"}")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "show", "nobody", "--url", node.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err().trim()).isEqualTo("unknown node 'nobody'");
        }
    }

    @Test
    void kvGetAgainstAClosedPortFailsAsFastAsTheAdminCommands() throws Exception {
        URI closed;
        try (FakeNode node = new FakeNode()) {
            closed = node.url();
        }
        long started = System.nanoTime();
        CliEndToEndIT.Run run = CliEndToEndIT.sluice("kv", "get", "user-42", "--url", closed.toString());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(run.exitCode()).as(run.err()).isEqualTo(CliException.UNREACHABLE);
        assertThat(run.err()).startsWith("cannot reach the cluster at " + closed);
        assertThat(took).as("kv get against a closed port").isLessThan(FAST);
    }
}
