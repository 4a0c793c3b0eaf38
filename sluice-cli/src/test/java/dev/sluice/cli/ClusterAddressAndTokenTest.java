package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which cluster a command talks to and which token it sends: each cluster {@code sluice local} records keeps
 * its own token, commands without {@code --url} go to the cluster started last, and a refused token is named
 * with the file it came from and where the right one is. Nodes are {@link FakeNode}s, the home a temporary
 * directory.
 */
class ClusterAddressAndTokenTest {

    static final String STATE_CHANGED = """
            {"node": {"id": "N1", "incarnation": "N1:1", "name": "worker-1", "state": "draining", "alive": true, "replicas": 4, "leaderships": 1},
             "changed": true, "warnings": []}""";

    @TempDir
    Path directory;

    SluiceHome home;

    @BeforeEach
    void useATemporaryHome() {
        home = new SluiceHome(directory.resolve("home"));
        System.setProperty("sluice.home", home.root().toString());
    }

    @AfterEach
    void forgetTheTemporaryHome() {
        System.clearProperty("sluice.home");
    }

    static FakeNode clusterNode(String token) throws Exception {
        return new FakeNode().requireToken(token).answer("POST", "/api/v1/nodes/worker-1/state", 200, STATE_CHANGED);
    }

    /** Records a cluster as {@code sluice local} does, its token file in {@code <data-dir>/token}. */
    SluiceHome.Cluster recordLocalCluster(String name, URI url, String token) throws Exception {
        Path dataDirectory = Files.createDirectories(directory.resolve(name));
        Path tokenFile = dataDirectory.resolve("token");
        Files.writeString(tokenFile, token + "\n", StandardCharsets.UTF_8);
        return home.remember(List.of(url), token, tokenFile);
    }

    @Test
    void commandsWithoutAnAddressTalkToTheClusterStartedLastWithItsOwnToken() throws Exception {
        try (FakeNode first = clusterNode("token-of-first"); FakeNode second = clusterNode("token-of-second")) {
            recordLocalCluster("first", first.url(), "token-of-first");
            recordLocalCluster("second", second.url(), "token-of-second");

            CliEndToEndIT.Run toCurrent = CliEndToEndIT.sluice("nodes", "drain", "worker-1");
            assertThat(toCurrent.exitCode()).as(toCurrent.err()).isZero();
            assertThat(second.requests()).extracting(FakeNode.Request::authorization).containsExactly(Optional.of("Bearer token-of-second"));

            // The first cluster's token was not overwritten by the second's.
            CliEndToEndIT.Run toFirst = CliEndToEndIT.sluice("nodes", "drain", "worker-1", "--url", first.url().toString());
            assertThat(toFirst.exitCode()).as(toFirst.err()).isZero();
            assertThat(first.requests()).extracting(FakeNode.Request::authorization).containsExactly(Optional.of("Bearer token-of-first"));
        }
        assertThat(home.currentUrl()).isPresent();
        assertThat(Files.exists(home.root().resolve("token"))).as("no shared token file").isFalse();
    }

    @Test
    void aClusterRecordedOnTheSameAddressesReplacesTheOldRecord() throws Exception {
        URI shared = URI.create("http://127.0.0.1:18080");
        recordLocalCluster("old", shared, "old-token");
        recordLocalCluster("new", URI.create("http://127.0.0.1:18080/"), "new-token");
        assertThat(home.clusters()).hasSize(1);
        assertThat(home.clusterAt(shared).orElseThrow().token()).isEqualTo("new-token");
    }

    @Test
    void aTokenRefusedByAnotherClusterOnTheRecordedAddressNamesItsFileAndSaysTheClusterIsAnotherOne() throws Exception {
        try (FakeNode node = clusterNode("token-of-the-cluster-there-now")) {
            SluiceHome.Cluster recorded = recordLocalCluster("gone", node.url(), "token-of-a-cluster-that-stopped");

            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "drain", "worker-1", "--url", node.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err()).contains("the cluster at " + node.url() + " refused the token from " + recorded.tokenFile())
                    .contains("'sluice local' recorded that token for the cluster with its data in " + directory.resolve("gone"))
                    .contains("is a different one")
                    .contains("A local cluster keeps its token in <data-dir>/token");
        }
    }

    @Test
    void aRecreatedClusterIsToldWhereItsNewTokenIs() throws Exception {
        try (FakeNode node = clusterNode("new-token")) {
            SluiceHome.Cluster recorded = recordLocalCluster("recreated", node.url(), "old-token");
            Path origin = recorded.tokenOrigin().orElseThrow();
            Files.writeString(origin, "new-token\n", StandardCharsets.UTF_8);

            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "drain", "worker-1", "--url", node.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err()).contains("refused the token from " + recorded.tokenFile())
                    .contains(origin + " now holds another token: pass --token-file " + origin);

            CliEndToEndIT.Run withTheFile = CliEndToEndIT.sluice("nodes", "drain", "worker-1", "--url", node.url().toString(), "--token-file", origin.toString());
            assertThat(withTheFile.exitCode()).as(withTheFile.err()).isZero();
        }
    }

    @Test
    void aTokenGivenOnTheCommandLineIsNamedAndTheRecordedOneOffered() throws Exception {
        try (FakeNode node = clusterNode("recorded-token")) {
            SluiceHome.Cluster recorded = recordLocalCluster("local", node.url(), "recorded-token");

            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "drain", "worker-1", "--url", node.url().toString(), "--token", "typo");

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err()).contains("refused the token from --token (HTTP 401: the token is wrong)")
                    .contains("'sluice local' recorded another token for this address, in " + recorded.tokenFile() + ": leave out --token to use it");
        }
    }

    @Test
    void noTokenAtAllSaysWhereTokensAreLookedFor() throws Exception {
        try (FakeNode node = clusterNode("some-token")) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "drain", "worker-1", "--url", node.url().toString());

            assertThat(run.exitCode()).isEqualTo(CliException.FAILED);
            assertThat(run.err()).contains("needs a token, and none was given")
                    .contains("recorded none for " + node.url() + " under " + home.root().resolve("clusters"));
        }
    }

    @Test
    void anUnreachableCurrentClusterSaysWhereItsAddressCameFrom() throws Exception {
        URI closed;
        try (FakeNode node = new FakeNode()) {
            closed = node.url();
        }
        recordLocalCluster("stopped", closed, "t");

        CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "list");

        assertThat(run.exitCode()).isEqualTo(CliException.UNREACHABLE);
        assertThat(run.err()).contains("cannot reach the cluster at " + closed + " (address from " + home.currentFile() + ")");
    }
}
