package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The credentials file, its token hashes and its scopes: what is taken, what is refused and with which words. */
class CredentialsTest {

    /** Seeded: the hashes differ per run only by this seed, and a failure reproduces. */
    private final SplittableRandom random = new SplittableRandom(42);
    private final String token = TokenHash.newToken(random);
    private final String hash = TokenHash.of(token, random).toString();

    @TempDir Path directory;

    @Test
    void theScopesNestExceptData() {
        for (Scope held : Scope.values()) {
            for (Scope needed : Scope.values()) {
                boolean expected = switch (held) {
                    case READ -> needed == Scope.READ;
                    case OPERATE -> needed == Scope.READ || needed == Scope.OPERATE;
                    case ADMIN -> needed != Scope.DATA;
                    case DATA -> needed == Scope.DATA;
                };
                assertThat(held.grants(needed)).as(held + " grants " + needed).isEqualTo(expected);
            }
        }
        assertThat(Scope.effective(List.of(Scope.ADMIN, Scope.DATA))).containsExactly(Scope.values());
        assertThat(Scope.parse("Operate")).isEqualTo(Scope.OPERATE);
    }

    @Test
    void aFileWithCommentsAndBlankLinesReadsEveryCredential() {
        String text = """
                # who       scopes        hash
                alice       admin,data    %s   # the lead

                grafana	read	%s
                """.formatted(hash, hash);

        Credentials credentials = Credentials.parse(text, "creds");

        assertThat(credentials.all()).extracting(Credential::name).containsExactly(CredentialName.of("alice"), CredentialName.of("grafana"));
        assertThat(credentials.all().getFirst().scopes()).containsExactlyInAnyOrder(Scope.ADMIN, Scope.DATA);
        assertThat(credentials.authenticate(token)).map(Credential::name).contains(CredentialName.of("alice"));
        assertThat(credentials.authenticate(token + "x")).isEmpty();
        assertThat(credentials.authenticate(token.substring(1))).isEmpty();
        assertThat(credentials.all().getFirst().line()).isEqualTo("alice admin,data " + hash);
        assertThat(credentials.toString()).doesNotContain(hash.substring(TokenHash.ALGORITHM_PREFIX.length(), 20));
    }

    @Test
    void aBadLineIsRefusedWithItsNumberAndWithoutRepeatingWhatMayBeAToken() {
        record Case(String text, String message) {}
        String good = "ok read " + hash + "\n";
        List<Case> cases = List.of(
                new Case(good + "bob read", "creds line 2: expected NAME SCOPES HASH (three fields), found 2"),
                new Case(good + "bob read " + hash + " extra", "creds line 2: expected NAME SCOPES HASH (three fields), found 4"),
                new Case("Bob read " + hash, "creds line 1: credential name 'Bob' must be 1 to 64 characters"),
                new Case(good + "ok admin " + hash, "creds line 2: a credential named ok is already on an earlier line"),
                new Case("bob reader " + hash, "creds line 1 (bob): unknown scope 'reader' (expected one of: read, operate, admin, data)"),
                new Case("bob read,,data " + hash, "creds line 1 (bob): an empty scope in 'read,,data'"),
                new Case("bob read,read " + hash, "creds line 1 (bob): scope read is listed twice"),
                new Case("bob read " + token, "creds line 1 (bob): a token hash starts with 'sha256:'"),
                new Case("bob read sha256:abc:def", "creds line 1 (bob): a token hash is sha256:<32 hex digits of salt>:<64 hex digits of digest>"),
                new Case("bob read " + TokenHash.ALGORITHM_PREFIX + hash.substring(TokenHash.ALGORITHM_PREFIX.length()).replace('a', 'z').replace('0', 'z'), "creds line 1 (bob): a token hash's salt and digest are hex digits"),
                new Case("# nothing but comments\n\n", "creds holds no credential"));
        for (Case c : cases) {
            assertThatThrownBy(() -> Credentials.parse(c.text(), "creds")).as(c.text())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(c.message())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token));
        }
    }

    @Test
    void theFileIsReadAgainAtMostOncePerIntervalAndABrokenOneKeepsTheOldCredentials() throws Exception {
        Path file = directory.resolve("credentials");
        Files.writeString(file, "alice admin " + hash + "\n");
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-29T00:00:00Z"));
        InstantSource clock = now::get;
        String legacyToken = "the-old-shared-token";
        CredentialSource source = CredentialSource.watching(file, Optional.of(Credentials.legacyToken(legacyToken, random)), clock);
        assertThat(source.current().authenticate(legacyToken)).map(Credential::scopes).contains(Credentials.ALL_SCOPES);

        String next = TokenHash.newToken(random);
        replace(file, "bob operate " + TokenHash.of(next, random) + "\n");
        now.set(now.get().plus(CredentialSource.WatchedFile.CHECK_INTERVAL).minusMillis(1));
        assertThat(source.current().authenticate(token)).as("within the interval the file is not looked at").isPresent();
        now.set(now.get().plusMillis(1));
        assertThat(source.current().authenticate(token)).as("the old token, once the new file is read").isEmpty();
        assertThat(source.current().authenticate(next)).map(Credential::name).contains(CredentialName.of("bob"));
        assertThat(source.current().authenticate(legacyToken)).as("the --token-file credential stays").isPresent();

        replace(file, "bob operate\n");
        now.set(now.get().plus(Duration.ofSeconds(5)));
        assertThat(source.current().authenticate(next)).as("a broken file keeps the credentials before it").isPresent();
    }

    @Test
    void aNodeWithABrokenFileDoesNotStart() throws Exception {
        Path file = directory.resolve("credentials");
        Files.writeString(file, "alice admin\n");
        assertThatThrownBy(() -> CredentialSource.watching(file, Optional.empty(), InstantSource.system()))
                .hasMessage(file + " line 1: expected NAME SCOPES HASH (three fields), found 2");
        assertThatThrownBy(() -> CredentialSource.watching(directory.resolve("missing"), Optional.empty(), InstantSource.system()))
                .hasMessageStartingWith("cannot read the credentials file " + directory.resolve("missing"));
        Files.writeString(file, "token-file admin " + hash + "\n");
        assertThatThrownBy(() -> CredentialSource.watching(file, Optional.of(Credentials.legacyToken("t", random)), InstantSource.system()))
                .hasMessageContaining("two credentials are named token-file");
    }

    @Test
    void aNewCredentialsTokenMustBeLongAndPlain() {
        assertThatThrownBy(() -> TokenHash.requireUsableToken("short")).hasMessageContaining("at least 24 characters, this one has 5");
        assertThatThrownBy(() -> TokenHash.requireUsableToken("a".repeat(30) + " b")).hasMessageContaining("white space");
        TokenHash.requireUsableToken(TokenHash.newToken(random));
        assertThat(new Credential(CredentialName.of("x"), EnumSet.of(Scope.READ), TokenHash.parse(hash)).toString()).isEqualTo("x (read)");
    }

    private static void replace(Path file, String text) throws Exception {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.writeString(next, text);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
