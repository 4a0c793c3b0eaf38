package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.client.wire.RequestId;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SluiceClientTest {

    @Test
    void backoffIsBoundedAndJittered() {
        Backoff backoff = new Backoff(Duration.ofMillis(20), Duration.ofSeconds(1));
        SplittableRandom random = new SplittableRandom(3);
        for (int attempt = 1; attempt <= 40; attempt++) {
            long ceiling = Math.min(1000, 20L << Math.min(attempt - 1, 30));
            Duration delay = backoff.delay(attempt, random);
            assertThat(delay).as("attempt %d", attempt).isBetween(Duration.ZERO, Duration.ofMillis(ceiling));
        }
        // Same seed, same delays.
        assertThat(backoff.delay(5, new SplittableRandom(9))).isEqualTo(backoff.delay(5, new SplittableRandom(9)));
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("max backoff PT1S is below the initial backoff PT2S");
    }

    @Test
    void keysArePercentEncodedExceptUnreservedCharacters() {
        assertThat(SluiceClient.encodeKey("abc-1._~".getBytes(StandardCharsets.UTF_8))).isEqualTo("abc-1._~");
        assertThat(SluiceClient.encodeKey("a b/c+d%".getBytes(StandardCharsets.UTF_8))).isEqualTo("a%20b%2Fc%2Bd%25");
        assertThat(SluiceClient.encodeKey("ü".getBytes(StandardCharsets.UTF_8))).isEqualTo("%C3%BC");
    }

    @Test
    void builderRefusesUnusableOptions() {
        assertThatThrownBy(() -> SluiceClient.builder().build()).hasMessage("a client needs at least one seed node URL");
        assertThatThrownBy(() -> SluiceClient.builder().seed(URI.create("ftp://x"))).hasMessage("seed must be an http(s) URL, got ftp://x");
        assertThatThrownBy(() -> SluiceClient.builder().callTimeout(Duration.ZERO)).hasMessage("call timeout must be positive, got PT0S");
        assertThatThrownBy(() -> SluiceClient.builder().suspectPenalty(Duration.ofMillis(-1))).hasMessage("suspect penalty must be positive, got PT-0.001S");
    }

    @Test
    void requestIdsReadBackAndRefuseWhatIsNotOne() {
        RequestId id = new RequestId(java.util.UUID.fromString("5f0c2b9e-8a51-4c3e-9d2f-2b7a1d9c4e11"), 42);
        assertThat(id.toString()).isEqualTo("5f0c2b9e-8a51-4c3e-9d2f-2b7a1d9c4e11/42");
        assertThat(RequestId.parse(id.toString())).isEqualTo(id);
        assertThatThrownBy(() -> RequestId.parse("42")).hasMessage("X-Sluice-Request-Id must be <uuid>/<call number>, got '42'");
        assertThatThrownBy(() -> RequestId.parse("not-a-uuid/1")).hasMessage("X-Sluice-Request-Id must be <uuid>/<call number>, got 'not-a-uuid/1'");
        assertThatThrownBy(() -> RequestId.parse("5f0c2b9e-8a51-4c3e-9d2f-2b7a1d9c4e11/0"))
                .hasMessage("X-Sluice-Request-Id's call number must be positive, got '5f0c2b9e-8a51-4c3e-9d2f-2b7a1d9c4e11/0'");
    }

    @Test
    void malformedKeysFailBeforeAnyRequest() {
        try (SluiceClient client = SluiceClient.builder().seed(URI.create("http://127.0.0.1:9")).build()) {
            assertThatThrownBy(() -> client.put("x".repeat(1025), "v")).isInstanceOf(SluiceClientException.class)
                    .hasMessage("malformed-key: key is 1025 bytes; the limit is 1024 (key '" + "x".repeat(61) + "...')");
        }
    }

    @Test
    void withoutAFirstRoutingWaitAClosedPortFailsAfterOneRoundOfSeeds() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (SluiceClient client = SluiceClient.builder().seed(URI.create("http://127.0.0.1:" + closedPort)).callTimeout(Duration.ofSeconds(30))
                .firstRoutingWait(Duration.ZERO).build()) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.get("k")).isInstanceOf(SluiceClientException.class)
                    .extracting(e -> ((SluiceClientException) e).code()).isEqualTo(SluiceClientException.Code.NO_ROUTE);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        }
        assertThatThrownBy(() -> SluiceClient.builder().seed(URI.create("http://127.0.0.1:9")).callTimeout(Duration.ofSeconds(1))
                .firstRoutingWait(Duration.ofSeconds(2)).build())
                .hasMessage("first routing wait PT2S is longer than the call timeout PT1S, which ends every call");
        assertThatThrownBy(() -> SluiceClient.builder().firstRoutingWait(Duration.ofMillis(-1)))
                .hasMessage("first routing wait must be zero or positive, got PT-0.001S");
    }

    @Test
    void unreachableSeedsAreATypedError() {
        try (SluiceClient client = SluiceClient.builder().seed(URI.create("http://127.0.0.1:9")).callTimeout(Duration.ofMillis(500)).build()) {
            assertThatThrownBy(() -> client.get("k")).isInstanceOf(SluiceClientException.class)
                    .extracting(e -> ((SluiceClientException) e).code()).isEqualTo(SluiceClientException.Code.NO_ROUTE);
        }
    }
}
