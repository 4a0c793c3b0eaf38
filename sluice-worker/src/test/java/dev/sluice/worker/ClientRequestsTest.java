package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ClientWindow.LatencyBucket;
import dev.sluice.worker.GroupReconcilerTest.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientRequestsTest {

    private static final Instant START = Instant.parse("2026-11-28T10:00:00.400Z");

    private final ManualClock clock = new ManualClock(START);
    private final ClientRequests requests = new ClientRequests(clock);

    private void answer(ClientOutcome outcome, long millis, int times) {
        for (int i = 0; i < times; i++) {
            requests.answered(ClientOperation.WRITE, outcome, Duration.ofMillis(millis));
        }
    }

    @Test
    void aYoungWorkersWindowStartsWhenItStartedAndCountsFailuresApart() {
        clock.advance(Duration.ofMillis(2_600));
        answer(ClientOutcome.OK, 1, 95);
        answer(ClientOutcome.REDIRECTED, 1, 2);
        answer(ClientOutcome.REJECTED, 1, 1);
        answer(ClientOutcome.UNAVAILABLE, 40, 1);
        answer(ClientOutcome.ERROR, 300, 1);

        ClientWindow window = requests.window();

        assertThat(window.from()).isEqualTo(START);
        assertThat(window.to()).isEqualTo(START.plusMillis(2_600));
        assertThat(window.requests()).isEqualTo(100);
        assertThat(window.failed()).as("unavailable and error; a redirect and a refusal are answers").isEqualTo(2);
        assertThat(window.latency()).containsExactly(new LatencyBucket(1.0, 98), new LatencyBucket(45.3, 1), new LatencyBucket(304.0, 1));
        assertThat(window.p99Millis()).hasValue(45.3);
        assertThat(window.requestsPerSecond()).isCloseTo(100 / 2.6, org.assertj.core.data.Offset.offset(1e-9));
    }

    /** Each second counts in its own slot; ten seconds later the slot is reused and its requests leave the window. */
    @Test
    void requestsLeaveTheWindowTenSecondsAfterTheSecondTheyWereAnsweredIn() {
        clock.advance(Duration.ofSeconds(20));
        answer(ClientOutcome.UNAVAILABLE, 10, 3);
        clock.advance(Duration.ofSeconds(1));
        answer(ClientOutcome.OK, 2, 5);

        clock.advance(Duration.ofSeconds(8));
        ClientWindow both = requests.window();
        assertThat(both.from()).isEqualTo(Instant.parse("2026-11-28T10:00:20Z"));
        assertThat(both.requests()).isEqualTo(8);
        assertThat(both.failed()).isEqualTo(3);

        clock.advance(Duration.ofSeconds(1));
        ClientWindow later = requests.window();
        assertThat(later.from()).isEqualTo(Instant.parse("2026-11-28T10:00:21Z"));
        assertThat(later.requests()).isEqualTo(5);
        assertThat(later.failed()).isZero();
        assertThat(later.latency()).containsExactly(new LatencyBucket(2.0, 5));

        // The slot of second 20 is reused for second 30: the old counts are gone, not added to.
        answer(ClientOutcome.OK, 2, 1);
        assertThat(requests.window().requests()).isEqualTo(6);
        clock.advance(Duration.ofSeconds(10));
        assertThat(requests.window().requests()).isZero();
        assertThat(requests.window().p99Millis()).isEmpty();
    }

    @Test
    void theListenerHearsEveryAnswerWithItsOperationAndOutcome() {
        List<String> heard = new ArrayList<>();
        requests.listen((operation, outcome, latency) -> heard.add(operation + " " + outcome + " " + latency.toMillis()));
        requests.answered(ClientOperation.WRITE, ClientOutcome.OK, Duration.ofMillis(3));
        requests.answered(ClientOperation.READ, ClientOutcome.UNAVAILABLE, Duration.ofMillis(400));
        requests.stopListening();
        requests.answered(ClientOperation.READ, ClientOutcome.OK, Duration.ofMillis(1));

        assertThat(heard).containsExactly("write ok 3", "read unavailable 400");
    }

    @Test
    void aLatencyCountsInTheFirstBucketWhoseBoundIsAtLeastIt() {
        assertThat(ClientRequests.BOUNDS_MILLIS).startsWith(0.25, 0.297, 0.354, 0.42, 0.5).isSorted().doesNotHaveDuplicates();
        assertThat(ClientRequests.BOUNDS_MILLIS[ClientRequests.BOUNDS_MILLIS.length - 1]).isEqualTo(262_000.0);
        assertThat(ClientRequests.bucketOf(Duration.ZERO)).isZero();
        assertThat(ClientRequests.BOUNDS_MILLIS[ClientRequests.bucketOf(Duration.ofMillis(1))]).isEqualTo(1.0);
        assertThat(ClientRequests.BOUNDS_MILLIS[ClientRequests.bucketOf(Duration.ofNanos(1_001_000))]).isEqualTo(1.19);
        assertThat(ClientRequests.BOUNDS_MILLIS[ClientRequests.bucketOf(Duration.ofMillis(750))]).isEqualTo(861.0);
        assertThat(ClientRequests.bucketOf(Duration.ofHours(1))).as("slower than the last bound").isEqualTo(ClientRequests.BOUNDS_MILLIS.length - 1);
        for (int i = 1; i < ClientRequests.BOUNDS_MILLIS.length; i++) {
            assertThat(ClientRequests.BOUNDS_MILLIS[i] / ClientRequests.BOUNDS_MILLIS[i - 1]).as("bucket %d", i).isBetween(1.17, 1.21);
        }
    }

    @Test
    void everyStatusOfTheDataRoutesHasOneOutcome() {
        assertThat(List.of(200, 204, 404, 421, 400, 413, 503, 504, 507, 500).stream().map(ClientOutcome::ofStatus).map(ClientOutcome::wireName))
                .containsExactly("ok", "ok", "ok", "redirected", "rejected", "rejected", "unavailable", "unavailable", "unavailable", "error");
        assertThat(List.of(ClientOutcome.values()).stream().filter(ClientOutcome::failed)).containsExactly(ClientOutcome.UNAVAILABLE, ClientOutcome.ERROR);
    }
}
