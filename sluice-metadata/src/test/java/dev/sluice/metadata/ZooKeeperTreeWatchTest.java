package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.curator.test.InstanceSpec;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A tree watch whose connection was away reads the tree again once it is back, and delivers what changed meanwhile
 * against what it delivered before: a key deleted and created again (its version starts again at v1, below the one
 * delivered), as its deletion and new value, and a key deleted (no deletion event reaches a client that is not
 * connected).
 */
class ZooKeeperTreeWatchTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String ROOT = "/tree-watch-test";

    /** Every notification as {@code key=value@vN}, {@code key deleted}, {@code initialized} or {@code resync}, in order. */
    private static final class Recorder implements WatchListener {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final AtomicInteger resyncs = new AtomicInteger();

        @Override
        public void onChange(String key, Optional<Versioned> value) {
            seen.add(value.map(stored -> key + "=" + new String(stored.value(), StandardCharsets.UTF_8) + "@v" + stored.version())
                    .orElse(key + " deleted"));
        }

        @Override
        public void onInitialized() {
            seen.add("initialized");
        }

        @Override
        public void onResync() {
            seen.add("resync");
            resyncs.incrementAndGet();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void afterAReconnectTheWatchDeliversAKeyCreatedAgainAndOneDeletedWhileItWasAway() throws Exception {
        try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start(3)) {
            List<InstanceSpec> servers = ensemble.instances();
            InstanceSpec watchedThrough = servers.getFirst();
            String others = servers.stream().skip(1).map(spec -> "127.0.0.1:" + spec.getPort()).collect(Collectors.joining(","));
            // The session outlives the outage, so the watch comes back on the same session: the case where ZooKeeper
            // replays no deletion and versions alone hid the key created again.
            try (ZooKeeperMetadataStore watching = ZooKeeperMetadataStore.connect("127.0.0.1:" + watchedThrough.getPort(), ROOT,
                    Duration.ofSeconds(60), Duration.ofSeconds(5));
                    ZooKeeperMetadataStore writing = ZooKeeperMetadataStore.connect(others, ROOT, Duration.ofSeconds(60), Duration.ofSeconds(20))) {
                writing.put("tree/kept", bytes("k"), Precondition.NONE);
                writing.put("tree/created-again", bytes("first"), Precondition.NONE);
                writing.put("tree/created-again", bytes("second"), Precondition.NONE);
                writing.put("tree/deleted", bytes("d"), Precondition.NONE);
                Recorder recorder = new Recorder();
                try (Watch watch = watching.watch("tree", true, recorder)) {
                    Awaitility.await("the first load").atMost(TIMEOUT).until(() -> recorder.seen.contains("initialized"));
                    assertThat(recorder.seen).contains("tree/created-again=second@v2", "tree/deleted=d@v1", "tree/kept=k@v1");
                    int before = recorder.seen.size();

                    ensemble.kill(watchedThrough);
                    writing.delete("tree/created-again", Precondition.NONE);
                    assertThat(writing.put("tree/created-again", bytes("third"), Precondition.NONE)).isEqualTo(1);
                    writing.delete("tree/deleted", Precondition.NONE);
                    ensemble.restartKilled();

                    Awaitility.await("the load after the reconnect").atMost(TIMEOUT).until(() -> recorder.resyncs.get() > 0);
                    assertThat(recorder.seen.subList(before, recorder.seen.size())).containsExactly("tree/created-again deleted", "tree/created-again=third@v1",
                            "tree/deleted deleted",
                            "resync");
                }
            }
        }
    }
}
