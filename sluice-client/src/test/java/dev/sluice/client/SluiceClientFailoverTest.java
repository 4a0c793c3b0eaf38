package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.client.StubNodes.Answer;
import dev.sluice.client.StubNodes.Frozen;
import dev.sluice.client.StubNodes.Scripted;
import dev.sluice.client.StubNodes.Write;
import dev.sluice.client.wire.ErrorBody;
import dev.sluice.client.wire.RequestId;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * How the client behaves when a node stops answering (a frozen process: connections open, no answer), against
 * stand-in nodes: the routing names the frozen node as the leader of the one partition, and a healthy member
 * answers as the test scripts it. The suspect penalty is made long here, so "the frozen node was asked once"
 * does not depend on how fast the machine is.
 */
class SluiceClientFailoverTest {

    static final NodeId FROZEN = NodeId.of(1);
    static final NodeId HEALTHY = NodeId.of(2);
    static final Duration REQUEST_TIMEOUT = Duration.ofMillis(300);

    private static RoutingInfo routing(URI frozen, URI healthy, NodeId leader) {
        RoutingInfo.PartitionRoute route = new RoutingInfo.PartitionRoute(PartitionId.of(0), List.of(
                new RoutingInfo.Member(FROZEN, frozen, WorkerState.ACTIVE),
                new RoutingInfo.Member(HEALTHY, healthy, WorkerState.ACTIVE)), leader);
        return new RoutingInfo(new PartitionTable(1, ReplicationProperty.of(2)), List.of(route), 1);
    }

    private static SluiceClient client(List<URI> seeds) {
        return SluiceClient.builder().seeds(seeds).requestTimeout(REQUEST_TIMEOUT).suspectPenalty(Duration.ofMinutes(1))
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5)).callTimeout(Duration.ofSeconds(20)).random(new SplittableRandom(1)).build();
    }

    /** Every node checks the same credentials: a refused one is the caller's to fix, so no other node or retry is tried. */
    @Test
    void aRefusedCredentialFailsTheCallAtOnce() throws Exception {
        try (Frozen frozen = new Frozen(); Scripted healthy = new Scripted()) {
            healthy.routing(routing(frozen.url(), healthy.url(), HEALTHY));
            healthy.script(n -> new Answer(403, ErrorBody.of("forbidden", "credential grafana (scopes: read) may not do PUT"
                    + " /data/v1/kv/<key>: that needs the data scope")));
            try (SluiceClient client = SluiceClient.builder().seeds(List.of(healthy.url())).token("grafana-token-0123456789abcdef")
                    .callTimeout(Duration.ofSeconds(20)).random(new SplittableRandom(1)).build()) {
                assertThatThrownBy(() -> client.put("k", "v")).isInstanceOf(SluiceClientException.class)
                        .hasMessageContaining("refused the client's credential (HTTP 403): credential grafana (scopes: read)")
                        .extracting(e -> ((SluiceClientException) e).code()).isEqualTo(SluiceClientException.Code.UNAUTHORIZED);
                assertThat(healthy.writes()).as("writes sent").hasSize(1);
                assertThat(client.retries()).isZero();
            }
        }
        assertThatThrownBy(() -> SluiceClient.builder().token("with space")).hasMessage("a token is a non-empty string without white space");
    }

    @Test
    void aFrozenLeaderCostsOneRequestTimeoutAndIsThenLeftAloneWhileItsMemberServes() throws Exception {
        try (Frozen frozen = new Frozen(); Scripted healthy = new Scripted()) {
            // The routing still names the frozen node: the member that answers has not told anyone it leads now.
            healthy.routing(routing(frozen.url(), healthy.url(), FROZEN));
            try (SluiceClient client = client(List.of(healthy.url()))) {
                for (int i = 0; i < 5; i++) {
                    client.put("k" + i, "v" + i);
                }

                assertThat(frozen.accepted()).as("requests that reached the frozen node").isEqualTo(1);
                assertThat(client.unansweredRequests()).isEqualTo(1);
                assertThat(healthy.writes()).hasSize(5);
            }
        }
    }

    @Test
    void membersStillNamingTheFrozenLeaderAreAskedAgainUntilTheyNameAnother() throws Exception {
        try (Frozen frozen = new Frozen(); Scripted healthy = new Scripted()) {
            healthy.routing(routing(frozen.url(), healthy.url(), FROZEN));
            // Three answers from before the election (the old leader is still their leader), then it leads.
            healthy.script(n -> n < 3 ? Answer.notLeader(FROZEN.toString(), frozen.url()) : Answer.ok());
            try (SluiceClient client = client(List.of(healthy.url()))) {
                client.put("k", "v");

                assertThat(frozen.accepted()).as("requests that reached the frozen node").isEqualTo(1);
                assertThat(healthy.writes()).hasSize(4);
            }
        }
    }

    @Test
    void routingRefreshesGoToOtherNodesOnceASeedDidNotAnswer() throws Exception {
        try (Frozen frozen = new Frozen(); Scripted healthy = new Scripted()) {
            healthy.routing(routing(frozen.url(), healthy.url(), HEALTHY));
            // Every 503 marks the routing stale, so each write refreshes it several times; each refresh starts at a
            // random node, so without suspicion the frozen seed would be asked again and again.
            healthy.script(n -> n % 4 < 3 ? Answer.noLeader() : Answer.ok());
            for (int seed = 0; seed < 4; seed++) {
                int before = frozen.accepted();
                try (SluiceClient client = SluiceClient.builder().seeds(List.of(frozen.url(), healthy.url())).requestTimeout(REQUEST_TIMEOUT)
                        .suspectPenalty(Duration.ofMinutes(1)).backoff(Duration.ofMillis(60), Duration.ofMillis(120))
                        .random(new SplittableRandom(seed)).build()) {
                    client.put("a", "v");
                    client.put("b", "v");
                }
                // Before the client learns that the seed does not answer, a write's own attempt and the routing refresh
                // running beside it may each meet it once (seen under load); after that, nothing goes there again.
                assertThat(frozen.accepted() - before).as("requests to the frozen seed by client %d", seed).isLessThanOrEqualTo(2);
            }
            assertThat(healthy.writes()).hasSize(32);
        }
    }

    @Test
    void everyAttemptOfOneWriteCarriesTheSameRequestIdAndTheTimeItWaits() throws Exception {
        try (Frozen frozen = new Frozen(); Scripted healthy = new Scripted()) {
            healthy.routing(routing(frozen.url(), healthy.url(), HEALTHY));
            // The leader could not commit in time twice (a slow disk, say), then could.
            healthy.script(n -> n < 2 ? Answer.timeout() : Answer.ok());
            try (SluiceClient client = client(List.of(healthy.url()))) {
                client.put("k", "first");
                client.put("k", "second");
            }

            List<Write> writes = healthy.writes();
            assertThat(writes).hasSize(4);
            RequestId first = RequestId.parse(writes.get(0).requestId());
            assertThat(writes.subList(0, 3)).extracting(Write::requestId).containsOnly(first.toString());
            RequestId second = RequestId.parse(writes.get(3).requestId());
            assertThat(second).isEqualTo(new RequestId(first.client(), first.call() + 1));
            assertThat(writes).extracting(w -> Long.parseLong(w.timeoutMillis())).allSatisfy(millis -> assertThat(millis).isBetween(1L, REQUEST_TIMEOUT.toMillis()));
            // After a 504 the next attempt asks another member first (a leader that cannot commit may be cut off):
            // here the frozen one, once; then it is suspect, and the leader that answered is asked again.
            assertThat(frozen.accepted()).as("requests that reached the frozen node").isEqualTo(1);
        }
    }

    @Test
    void suspicionEndsAfterThePenaltyOrWhenTheNodeAnswers() {
        SuspectNodes suspects = new SuspectNodes(Duration.ofSeconds(2));
        URI a = URI.create("http://a:1");
        URI b = URI.create("http://b:1");
        long now = 1_000_000_000L;

        suspects.unanswered(a, now);
        assertThat(suspects.isSuspect(a, now + Duration.ofMillis(1999).toNanos())).isTrue();
        assertThat(suspects.isSuspect(a, now + Duration.ofSeconds(2).toNanos())).isFalse();
        assertThat(suspects.preferred(List.of(a, b), now)).isEqualTo(b);

        suspects.unanswered(b, now + 10);
        assertThat(suspects.preferred(List.of(b, a), now + 20)).as("all suspect: the one cleared soonest").isEqualTo(a);
        suspects.answered(b);
        assertThat(suspects.isSuspect(b, now + 20)).isFalse();
        assertThat(suspects.preferred(List.of(a, b), now + 20)).isEqualTo(b);
    }
}
