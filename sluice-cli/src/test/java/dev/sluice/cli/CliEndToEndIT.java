package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.metadata.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI against a local cluster of child processes (an embedded ZooKeeper here, one {@code sluice
 * server} process per worker): drain with {@code --wait} reaches disabled, {@code nodes list -o json}
 * shows it, the drained node's readiness endpoint says not ready, {@code /metrics} shows the drain, and
 * refusals, usage errors and an unreachable cluster give their exit codes. The cluster is recorded in a
 * temporary CLI home as {@code sluice local} records it, so commands without {@code --url} or {@code --token}
 * reach it; starting it wrote nothing there (the demo starts its cluster the same way); a drain asked
 * for again after it finished is reported done; and a worker shut down with {@code nodes shutdown} is started
 * again by the local cluster with its replicas.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliEndToEndIT {

    @TempDir
    static Path directory;

    static LocalCluster cluster;
    static SluiceHome home;
    /** What the CLI's home held right after the cluster started, before it was recorded there as 'sluice local' does. */
    static List<Path> homeAfterStart;
    /** Trusts the local cluster's CA, once it has made one. */
    static HttpClient http;

    record Run(int exitCode, String out, String err) {}

    @BeforeAll
    static void startCluster() throws Exception {
        home = new SluiceHome(directory.resolve("home"));
        System.setProperty("sluice.home", home.root().toString());
        int base = LocalCluster.freeBase(21080, 4);
        cluster = LocalCluster.open(directory.resolve("cluster"), new LocalCluster.Layout(4, 12, 3, 1, base, base + 1000), true,
                LocalCluster.Lifetime.MINUTES);
        try {
            cluster.start(System.out);
            http = HttpClient.newBuilder().sslContext(cluster.trust().context()).build();
            try (Stream<Path> files = Files.exists(home.root()) ? Files.walk(home.root()) : Stream.empty()) {
                homeAfterStart = files.toList();
            }
            LocalCommand.announce(cluster, home, System.out);
        } catch (RuntimeException | java.io.IOException failed) {
            cluster.close();
            throw failed;
        }
    }

    @AfterAll
    static void stopCluster() {
        System.clearProperty("sluice.home");
        if (cluster != null) {
            cluster.close();
        }
    }

    static Run sluice(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        int code = commandLine.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    static String url() {
        return cluster.url().toString();
    }

    static HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Ids follow registration order; a fresh local cluster registers its workers in name order, so worker-k is Nk. */
    @Test
    @Order(0)
    void aFreshLocalClusterGivesWorkerKTheIdNk() throws Exception {
        Run list = sluice("nodes", "list", "-o", "json", "--url", url());
        assertThat(list.exitCode()).as(list.err()).isZero();
        List<String> pairs = new ArrayList<>();
        Json.mapper().readTree(list.out()).forEach(node -> pairs.add(node.path("id").asText() + " " + node.path("name").asText()));
        assertThat(pairs).containsExactly("N1 worker-1", "N2 worker-2", "N3 worker-3", "N4 worker-4");
    }

    @Test
    @Order(2)
    void drainWithWaitReachesDisabledAndEverySurfaceShowsIt() throws Exception {
        Run drain = sluice("nodes", "drain", "worker-2", "--reason", "e2e", "--wait", "--timeout", "4m", "--url", url());
        assertThat(drain.exitCode()).as(drain.out() + drain.err()).isZero();
        assertThat(drain.out()).contains("is draining").contains("is disabled: drained in");

        Run list = sluice("nodes", "list", "-o", "json", "--url", url());
        assertThat(list.exitCode()).isZero();
        JsonNode nodes = Json.mapper().readTree(list.out());
        JsonNode drained = null;
        for (JsonNode node : nodes) {
            if (node.path("name").asText().equals("worker-2")) {
                drained = node;
            }
        }
        assertThat(drained).isNotNull();
        assertThat(drained.path("state").asText()).isEqualTo("disabled");
        assertThat(drained.path("replicas").asInt()).isZero();
        assertThat(drained.path("drain").path("state").asText()).isEqualTo("disabled");
        assertThat(drained.path("drain").path("movesDone").asInt()).isPositive();

        URI drainedUrl = URI.create(drained.path("httpAddress").asText());
        assertThat(get(drainedUrl.resolve("/health/ready")).statusCode()).isEqualTo(503);
        assertThat(get(drainedUrl.resolve("/health/live")).statusCode()).isEqualTo(200);
        assertThat(get(drainedUrl.resolve("/metrics")).body()).contains("sluice_node_state{state=\"disabled\"} 1.0");

        // The controller leader's metrics count the moves of the drain.
        boolean leaderCounted = false;
        for (int worker = 1; worker <= 4; worker++) {
            String metrics = get(cluster.layout().httpUrl(worker).resolve("/metrics")).body();
            for (String line : metrics.split("\n")) {
                if (line.startsWith("sluice_moves_completed_total") && Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) > 0) {
                    leaderCounted = true;
                }
            }
        }
        assertThat(leaderCounted).as("some node's /metrics counts completed moves").isTrue();

        Run events = sluice("events", "--limit", "200", "--url", url());
        assertThat(events.out()).contains("drain-started").contains("partition-moved").contains("drain-completed");
    }

    @Test
    @Order(1)
    void startingAClusterLeavesTheCliHomeAloneAndLocalRecordsItsTokenAndAddress() {
        // The demo starts its cluster the same way, and must not replace the token of a cluster the operator runs.
        assertThat(homeAfterStart).isEmpty();
        assertThat(home.currentUrl()).contains(cluster.url());
        assertThat(home.clusterAt(cluster.layout().httpUrl(3)).orElseThrow().token()).isEqualTo(cluster.token());

        Run list = sluice("nodes", "list");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out()).contains("worker-1").contains("worker-4");
        // A change needs the token: the one recorded for the address, found without --token.
        Run unchanged = sluice("nodes", "activate", "worker-1");
        assertThat(unchanged.exitCode()).as(unchanged.err()).isZero();
        assertThat(unchanged.out()).contains("(it already was)");
    }

    @Test
    @Order(3)
    void drainingAgainAfterTheDrainFinishedReportsItDone() {
        Run again = sluice("nodes", "drain", "worker-2", "--wait", "--url", url());
        assertThat(again.exitCode()).as(again.out() + again.err()).isZero();
        assertThat(again.out()).contains("(worker-2) was already drained: disabled since").contains("replicas moved");
    }

    @Test
    @Order(4)
    void refusalsUsageErrorsAndAnUnreachableClusterHaveTheirExitCodes() {
        Run refused = sluice("nodes", "drain", "worker-3", "--url", url());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("refused").contains("blocking partitions").contains("not-enough-candidates");

        Run dryRun = sluice("nodes", "drain", "worker-3", "--dry-run", "--url", url());
        assertThat(dryRun.exitCode()).isEqualTo(1);
        assertThat(dryRun.out()).contains("allowed: NO");

        Run cancel = sluice("nodes", "cancel-drain", "worker-3", "--url", url());
        assertThat(cancel.exitCode()).isEqualTo(1);
        assertThat(cancel.err()).contains("not draining");

        Run usage = sluice("nodes", "drain", "--timeout", "soon", "worker-3");
        assertThat(usage.exitCode()).isEqualTo(2);

        Run unreachable = sluice("nodes", "list", "--url", "http://127.0.0.1:1");
        assertThat(unreachable.exitCode()).isEqualTo(3);
        assertThat(unreachable.err()).contains("cannot reach the cluster");

        Run unknown = sluice("nodes", "show", "nobody", "--url", url());
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("unknown node");
    }

    @Test
    @Order(5)
    void keysWrittenThroughTheCliCanBeReadBack() {
        Run put = sluice("kv", "put", "greeting", "hello sluice", "--url", url());
        assertThat(put.exitCode()).as(put.err()).isZero();
        Run got = sluice("kv", "get", "greeting", "--url", url());
        assertThat(got.out().trim()).isEqualTo("hello sluice");
        Run missing = sluice("kv", "get", "never-written", "--url", url());
        assertThat(missing.exitCode()).isEqualTo(1);
        Run load = sluice("load", "--keys", "200", "--rate", "100", "--duration", "3s", "--verify", "--url", url());
        assertThat(load.exitCode()).as(load.out() + load.err()).isZero();
        assertThat(load.out()).contains("every acknowledged write is readable");
    }

    /** `partitions show` once printed only the replica sets: no member's lag, no last move, no history. */
    @Test
    @Order(6)
    void partitionsShowGivesEachMembersRoleAndLagAndThePartitionsHistory() throws Exception {
        Run events = sluice("events", "--limit", "1000", "-o", "json", "--url", url());
        assertThat(events.exitCode()).as(events.err()).isZero();
        String moved = null;
        for (JsonNode event : Json.mapper().readTree(events.out()).path("events")) {
            if (event.path("kind").asText().equals("partition-moved") && event.hasNonNull("partition")) {
                moved = event.path("partition").asText();
            }
        }
        assertThat(moved).as("a partition the drain moved").isNotNull();

        Run show = sluice("partitions", "show", moved, "--url", url());
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(show.out()).contains("members (as each worker reports its replica):")
                .containsPattern("N\\d+ \\(worker-\\d+\\)\\s+leader\\s+\\d+\\s+\\d+")
                .containsPattern("N\\d+ \\(worker-\\d+\\)\\s+follower\\s+\\d+\\s+\\d+")
                .contains("history (newest last):").containsPattern("partition-moved\\s+" + moved + " moved");

        Run json = sluice("partitions", "show", moved, "-o", "json", "--url", url());
        JsonNode document = Json.mapper().readTree(json.out());
        assertThat(document.path("members")).hasSize(3);
        assertThat(document.path("members").findValuesAsText("role")).contains("leader");
        assertThat(document.path("history").size()).isPositive();
    }

    /**
     * A worker back from a drain is filled first and gets its leaderships after. Balancing them while the fill
     * still changed replica sets gave a leadership to a member the next fill move took out, and back: on a local
     * cluster, a worker activated right after its drain drew 13 leadership moves, among them P9 N1→N4 (balance),
     * N4→N1 (leader-leaving), N1→N2 (balance), for six real changes. The same here: worker-2 comes back, then
     * worker-3 is drained and at once activated, while the leaderships its drain moved are still being balanced.
     */
    @Test
    @Order(7)
    void aWorkerBackFromADrainGetsNoLeadershipThatMovesBackAndForth() throws Exception {
        Run back = sluice("nodes", "activate", "worker-2", "--reason", "e2e back", "--url", url());
        assertThat(back.exitCode()).as(back.err()).isZero();
        awaitFilled("worker-2");
        Run drain = sluice("nodes", "drain", "worker-3", "--reason", "e2e", "--wait", "--timeout", "4m", "--url", url());
        assertThat(drain.exitCode()).as(drain.out() + drain.err()).isZero();
        long mark = Json.mapper().readTree(sluice("events", "--limit", "1", "-o", "json", "--url", url()).out()).path("last").asLong();
        Run activate = sluice("nodes", "activate", "worker-3", "--reason", "e2e back at once", "--url", url());
        assertThat(activate.exitCode()).as(activate.err()).isZero();
        awaitFilled("worker-3");

        List<JsonNode> events = eventsAfter(mark);
        String history = events.stream().map(e -> e.path("sequence").asLong() + " " + e.path("message").asText()).toList().toString();
        java.util.Map<String, List<String>> leaders = new java.util.HashMap<>();
        for (JsonNode event : events) {
            String partition = event.path("partition").asText();
            String message = event.path("message").asText();
            if (event.path("kind").asText().equals("leadership-moved")) {
                java.util.regex.Matcher move = LEADERSHIP_MOVE.matcher(message);
                assertThat(move.find()).as("a leadership move names both ends: %s", message).isTrue();
                List<String> led = leaders.computeIfAbsent(partition, p -> new ArrayList<>(List.of(move.group(1))));
                assertThat(led).as("%s: leadership given back to a member it was taken from; events: %s", partition, history)
                        .doesNotContain(move.group(2));
                led.add(move.group(2));
            } else if (event.path("kind").asText().equals("partition-moved") && leaders.containsKey(partition)) {
                java.util.regex.Matcher moved = REPLICA_MOVE.matcher(message);
                assertThat(moved.find()).as("a replica move names who left: %s", message).isTrue();
                assertThat(moved.group(1)).as("%s: the fill took out the member leadership had just been given to; events: %s", partition, history)
                        .doesNotContain(leaders.get(partition).getLast() + " (");
            }
        }
    }

    /**
     * {@code nodes shutdown} through another node: worker-3 hands its leaderships over (its log says all of them moved),
     * exits with status 0, and the local cluster starts it again as a new incarnation that comes back with its own
     * replicas: nothing is re-replicated.
     */
    @Test
    @Order(8)
    void nodesShutdownStopsAWorkerGracefullyAndTheLocalClusterStartsItAgain() throws Exception {
        JsonNode before = Json.mapper().readTree(sluice("nodes", "show", "worker-3", "-o", "json", "--url", url()).out());
        String incarnation = before.path("incarnation").asText();
        ProcessHandle process = cluster.workerProcess(3);
        long mark = Json.mapper().readTree(sluice("events", "--limit", "1", "-o", "json", "--url", url()).out()).path("last").asLong();

        Run shutdown = sluice("nodes", "shutdown", "worker-3", "--url", url());

        assertThat(shutdown.exitCode()).as(shutdown.out() + shutdown.err()).isZero();
        assertThat(shutdown.out()).startsWith("N3 (worker-3) is shutting down: it reports not ready from now on, it hands its ")
                .contains("then closes its groups and exits with status 0");
        org.awaitility.Awaitility.await("worker-3's process exits").atMost(java.time.Duration.ofMinutes(1)).until(() -> !process.isAlive());
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        cluster.superviseOnce(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8))
                .startsWith("worker-3 shut down (exit status 0); started it again with the same name, data directory and ports");
        String log = Files.readString(directory.resolve("cluster").resolve("worker-3").resolve("node.log"));
        assertThat(log).containsPattern("worker-3: graceful shutdown \\(asked through the admin API at N1 \\(worker-1\\)\\): led (\\d+), moved \\1 in "
                + "\\d+ ms, 0 not moved");
        log.lines().filter(line -> line.contains("graceful shutdown (")).forEach(line -> System.out.println("worker-3's log: " + line));

        org.awaitility.Awaitility.await("worker-3 back as a new incarnation").atMost(java.time.Duration.ofMinutes(2))
                .pollInterval(java.time.Duration.ofSeconds(1)).until(() -> {
                    JsonNode now = Json.mapper().readTree(sluice("nodes", "show", "worker-3", "-o", "json", "--url", url()).out());
                    return now.path("alive").asBoolean() && !now.path("incarnation").asText().equals(incarnation)
                            && now.path("state").asText().equals("active");
                });
        awaitFilled("worker-3");
        assertThat(eventsAfter(mark)).as("replicas moved while worker-3 restarted").noneMatch(event -> event.path("kind").asText().equals("partition-moved"));
    }

    /**
     * The local cluster runs with its ZooKeeper tree secured: the secret is in its data directory, readable by the owner
     * only; every node of the tree carries the cluster's ACL (so the migration command has nothing to do); a client
     * without the secret can neither read nor write the nodes configuration; and no worker's log holds the secret.
     */
    @Test
    @Order(9)
    void theLocalClusterRunsWithItsZooKeeperTreeSecuredAndItsSecretInNoLog() throws Exception {
        Path secretFile = directory.resolve("cluster").resolve("zookeeper-secret");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile))).isEqualTo("rw-------");
        String secret = Files.readString(secretFile).strip();
        assertThat(secret).matches("[0-9a-f]{64}");

        Run secure = sluice("zookeeper", "secure", "--zookeeper", cluster.zooKeeperConnectString(), "--cluster", LocalCluster.CLUSTER_NAME,
                "--secret-file", secretFile.toString());
        assertThat(secure.exitCode()).as(secure.err()).isZero();
        assertThat(secure.out()).startsWith("/sluice/local was already secured: all ").contains("nothing changed");

        try (org.apache.curator.framework.CuratorFramework stranger = org.apache.curator.framework.CuratorFrameworkFactory.newClient(
                cluster.zooKeeperConnectString(), new org.apache.curator.retry.RetryOneTime(100))) {
            stranger.start();
            assertThat(stranger.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            for (String path : List.of("/sluice/local/nodes", "/sluice/local/" + dev.sluice.metadata.PlacementLayout.BUCKETED.key(dev.sluice.model.PartitionId.of(0)))) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> stranger.setData().forPath(path, "{}".getBytes()))
                        .isInstanceOf(org.apache.zookeeper.KeeperException.NoAuthException.class);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> stranger.getData().forPath(path))
                        .isInstanceOf(org.apache.zookeeper.KeeperException.NoAuthException.class);
            }
        }
        for (int worker = 1; worker <= 4; worker++) {
            String log = Files.readString(directory.resolve("cluster").resolve(LocalCluster.workerName(worker)).resolve("node.log"));
            assertThat(log).as("worker-" + worker + "'s log").contains("zookeeper-secret-file").doesNotContain(secret);
        }
    }

    /**
     * Issue 15's exposures, on real processes with everything on (HTTPS, Raft under mutual TLS, scoped credentials, the
     * ZooKeeper tree secured; ZooKeeper in the test above): a stranger without a token, a read token, a plain-HTTP
     * caller and a Raft caller without the cluster's certificate each change nothing.
     */
    @Test
    @Order(10)
    void theLocalClusterTurnsAwayStrangersOnEveryPort() throws Exception {
        Path data = directory.resolve("cluster");
        String readToken = Files.readString(data.resolve(LocalCredentials.READ_TOKEN_FILE)).strip();
        String dataToken = Files.readString(data.resolve(LocalCredentials.DATA_TOKEN_FILE)).strip();
        URI write = cluster.url().resolve("/data/v1/kv/stranger-key");

        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(write).PUT(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(401);
        HttpResponse<String> reader = http.send(HttpRequest.newBuilder(write).header("Authorization", "Bearer " + readToken)
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(reader.statusCode()).as(reader.body()).isEqualTo(403);
        assertThat(reader.body()).contains("credential reader").contains("data").doesNotContain(readToken);
        Run drainByReader = sluice("nodes", "drain", "worker-3", "--url", url(), "--token", readToken);
        assertThat(drainByReader.exitCode()).isNotZero();
        assertThat(drainByReader.err()).contains("needs the operate scope");
        URI plain = URI.create("http://" + cluster.url().getHost() + ":" + cluster.url().getPort() + "/data/v1/kv/stranger-key");
        try (HttpClient plainHttp = HttpClient.newHttpClient()) {
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> {
                HttpResponse<String> answer = plainHttp.send(HttpRequest.newBuilder(plain).header("Authorization", "Bearer " + dataToken)
                        .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as("plain HTTP to an HTTPS port").isGreaterThanOrEqualTo(400);
            });
            assertThat(refused == null || refused instanceof java.io.IOException).as(String.valueOf(refused)).isTrue();
        }
        try (dev.sluice.client.SluiceClient client = dev.sluice.client.SluiceClient.builder().seed(cluster.url()).tls(cluster.trust().context())
                .token(dataToken).build()) {
            assertThat(client.get("stranger-key")).as("what the strangers tried to write").isEmpty();
        }
        assertThat(sluice("nodes", "show", "worker-3", "--url", url()).out()).contains("active");

        // Raft: worker-k is Nk and listens on the Raft base port + k - 1 (the layout above). A worker's own certificate
        // lists the groups, so the port is right and the strangers below are refused for their certificate alone.
        int raftBase = cluster.url().getPort() + 1000;
        Path certs = data.resolve("certs");
        dev.sluice.raft.RaftTls worker1 = dev.sluice.raft.RaftTls.mutual(dev.sluice.security.TlsMaterial.load(certs.resolve("ca.crt"),
                certs.resolve("worker-1.crt"), certs.resolve("worker-1.key"), java.time.InstantSource.system()));
        assertThat(listGroups(raftBase, 2, worker1)).as("worker-2's groups, asked with worker-1's certificate").isNull();
        for (int worker = 1; worker <= 4; worker++) {
            assertThat(listGroups(raftBase, worker, dev.sluice.raft.RaftTls.PLAINTEXT)).as("listing worker-%d's groups without a certificate", worker)
                    .isInstanceOf(Exception.class);
        }
    }

    /** Ratis' group management, asked for the groups worker {@code worker} hosts: the failure, or null if it answered. */
    private static Exception listGroups(int raftBase, int worker, dev.sluice.raft.RaftTls tls) {
        org.apache.ratis.protocol.RaftPeer peer = org.apache.ratis.protocol.RaftPeer.newBuilder().setId("N" + worker)
                .setAddress("127.0.0.1:" + (raftBase + worker - 1)).build();
        var properties = dev.sluice.raft.RatisSettings.clientProperties(java.time.Duration.ofSeconds(3));
        try (org.apache.ratis.client.RaftClient client = org.apache.ratis.client.RaftClient.newBuilder()
                .setRaftGroup(org.apache.ratis.protocol.RaftGroup.valueOf(org.apache.ratis.protocol.RaftGroupId.randomId(), List.of(peer)))
                .setProperties(properties)
                .setClientRpc(new org.apache.ratis.grpc.GrpcFactory(tls.parameters()).newRaftClientRpc(org.apache.ratis.protocol.ClientId.randomId(),
                        properties))
                .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.noRetry())
                .build()) {
            client.getGroupManagementApi(peer.getId()).list();
            return null;
        } catch (Exception refused) {
            return refused;
        }
    }

    private static final java.util.regex.Pattern LEADERSHIP_MOVE = java.util.regex.Pattern.compile("leadership (N[0-9]+) \\([^)]*\\) → (N[0-9]+)");
    private static final java.util.regex.Pattern REPLICA_MOVE = java.util.regex.Pattern.compile("moved \\[([^]]*)\\] →");

    /** Waits until {@code name} holds its share (9 replicas, 3 leaderships) and nothing moves. */
    private static void awaitFilled(String name) {
        org.awaitility.Awaitility.await(name + " filled and leading its share").atMost(java.time.Duration.ofMinutes(3))
                .pollInterval(java.time.Duration.ofSeconds(1)).until(() -> {
                    JsonNode nodes = Json.mapper().readTree(sluice("nodes", "list", "-o", "json", "--url", url()).out());
                    JsonNode partitions = Json.mapper().readTree(sluice("partitions", "list", "-o", "json", "--url", url()).out());
                    boolean moving = false;
                    for (JsonNode partition : partitions) {
                        moving |= partition.path("moving").asBoolean();
                    }
                    for (JsonNode node : nodes) {
                        if (node.path("name").asText().equals(name)) {
                            return !moving && node.path("replicas").asInt() == 9 && node.path("leaderships").asInt() == 3;
                        }
                    }
                    return false;
                });
    }

    private static List<JsonNode> eventsAfter(long sequence) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        Json.mapper().readTree(sluice("events", "--limit", "1000", "-o", "json", "--url", url()).out()).path("events").forEach(event -> {
            if (event.path("sequence").asLong() > sequence) {
                events.add(event);
            }
        });
        return events;
    }
}
