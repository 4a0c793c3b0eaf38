package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.Credential;
import dev.sluice.api.CredentialSource;
import dev.sluice.api.Credentials;
import dev.sluice.api.OfflineCluster;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice credentials add|hash|whoami}: lines a node takes, tokens kept private, refusals that change nothing. */
class CredentialsCommandTest {

    @TempDir Path directory;

    @Test
    void addAppendsALineTheNodeTakesAndKeepsTheTokenPrivate() throws Exception {
        Path file = directory.resolve("credentials");
        Path token = directory.resolve("oncall.token");

        CliRun run = run("credentials", "add", "oncall", "--scopes", "operate,data", "--token-out", token.toString(), "--credentials-file", file.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("added oncall (operate,data) to " + file);
        String secret = Files.readString(token, StandardCharsets.UTF_8).strip();
        assertThat(run.out() + run.err()).doesNotContain(secret);
        assertThat(Files.getPosixFilePermissions(token)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(file)).doesNotContain(secret);
        Credentials read = Credentials.parse(Files.readString(file), file.toString());
        assertThat(read.authenticate(secret)).map(Credential::name).contains(CredentialName.of("oncall"));
        assertThat(read.authenticate(secret).orElseThrow().scopes()).containsExactlyInAnyOrder(Scope.OPERATE, Scope.DATA);

        byte[] before = Files.readAllBytes(file);
        CliRun again = run("credentials", "add", "oncall", "--scopes", "read", "--credentials-file", file.toString());
        assertThat(again.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(again.err()).contains("not added: " + file + " line 2: a credential named oncall is already on an earlier line");
        assertThat(Files.readAllBytes(file)).as("a refused add changes nothing").isEqualTo(before);
    }

    @Test
    void hashPrintsTheLineForATokenMadeElsewhere() throws Exception {
        Path token = directory.resolve("ci.token");
        Files.writeString(token, "made-by-the-secret-manager-0123456789\n");

        CliRun run = run("credentials", "hash", "ci", "--scopes", "operate", "--token-file", token.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("ci operate sha256:").doesNotContain("made-by-the-secret-manager");
        assertThat(Credentials.parse(run.out(), "out").authenticate("made-by-the-secret-manager-0123456789")).isPresent();

        Files.writeString(token, "short\n");
        CliRun tooShort = run("credentials", "hash", "ci", "--scopes", "operate", "--token-file", token.toString());
        assertThat(tooShort.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(tooShort.err()).contains("at least 24 characters").doesNotContain("short\n");
    }

    @Test
    void anUnknownScopeOrNameIsAUsageError() {
        CliRun scope = run("credentials", "add", "x", "--scopes", "read,drain");
        assertThat(scope.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(scope.err()).contains("--scopes: unknown scope 'drain' (expected one of: read, operate, admin, data)");
        CliRun name = run("credentials", "add", "Bad Name", "--scopes", "read");
        assertThat(name.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(name.err()).contains("credential name 'Bad Name' must be");
    }

    @Test
    void whoamiNamesTheCredentialAndWhatItMayDo() throws Exception {
        Path file = directory.resolve("credentials");
        Path token = directory.resolve("grafana.token");
        assertThat(run("credentials", "add", "grafana", "--scopes", "read", "--token-out", token.toString(), "--credentials-file", file.toString())
                .exitCode()).isZero();
        try (OfflineCluster cluster = new OfflineCluster(CredentialSource.watching(file, Optional.empty(), InstantSource.system()), 4)) {
            CliRun whoami = run("credentials", "whoami", "--url", cluster.url().toString(), "--token-file", token.toString());
            assertThat(whoami.exitCode()).as(whoami.err()).isZero();
            assertThat(whoami.out()).isEqualTo("grafana: scopes read; may use read" + System.lineSeparator());

            CliRun drain = run("nodes", "drain", "worker-2", "--url", cluster.url().toString(), "--token-file", token.toString());
            assertThat(drain.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(drain.err()).contains("refused: credential grafana (scopes: read) may not do POST /api/v1/nodes/{node}/state: that needs the"
                    + " operate scope").contains("(the token came from " + token.toAbsolutePath() + ")");
            assertThat(cluster.metadata().nodes().current().findByName("worker-2").orElseThrow().workerState())
                    .isEqualTo(dev.sluice.model.WorkerState.ACTIVE);
        }
    }

    private static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
