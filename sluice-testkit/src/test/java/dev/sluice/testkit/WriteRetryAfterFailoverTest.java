package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.client.wire.DataApi;
import dev.sluice.client.wire.RequestId;
import dev.sluice.model.PartitionId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A write's request id keeps it applied once across a leader change: the leader's followers fill Raft's retry
 * cache as they apply entries, so a new leader answers a late retry of a write the old one committed from the
 * cache instead of applying it again. Without that, a client retrying a write whose answer was lost with the
 * old leader would overwrite whatever was written in between.
 */
class WriteRetryAfterFailoverTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aRetryOfAWriteTheOldLeaderCommittedIsNotAppliedAgainByTheNewOne() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(3).partitions(1).replication(3).sessionTimeout(Duration.ofSeconds(3)).start();
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            PartitionId partition = PartitionId.of(0);
            RequestId first = new RequestId(UUID.randomUUID(), 1);
            RequestId second = new RequestId(first.client(), 2);
            TestNode oldLeader = cluster.leaderOf(partition).orElseThrow();

            acknowledged(http, oldLeader.url(), "first", first);
            acknowledged(http, oldLeader.url(), "second", second);
            cluster.kill(oldLeader.index());
            cluster.awaitLeaders(TIMEOUT);
            TestNode newLeader = cluster.leaderOf(partition).orElseThrow();
            assertThat(newLeader).isNotSameAs(oldLeader);

            // A new leader answers 503 until it has applied its predecessor's entries (and so filled its retry cache).
            acknowledged(http, newLeader.url(), "first", first);
            HttpResponse<String> read = Awaitility.await("a read answered").atMost(TIMEOUT).until(() -> http.send(HttpRequest.newBuilder(
                    newLeader.url().resolve(DataApi.KV_PATH + "k")).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString()),
                    response -> response.statusCode() == 200);
            assertThat(read.body()).as("the late retry was not applied again").isEqualTo("second");
        }
    }

    /** Writes until acknowledged: a leader answers 503 until it is ready, and a 503 appends nothing. */
    private static void acknowledged(HttpClient http, URI node, String value, RequestId requestId) {
        Awaitility.await("write " + requestId + " acknowledged by " + node).atMost(TIMEOUT)
                .until(() -> put(http, node, "k", value, requestId), status -> status == 204);
    }

    private static int put(HttpClient http, URI node, String key, String value, RequestId requestId) throws Exception {
        return http.send(HttpRequest.newBuilder(node.resolve(DataApi.KV_PATH + key)).timeout(TIMEOUT)
                .header(DataApi.REQUEST_ID_HEADER, requestId.toString()).PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
