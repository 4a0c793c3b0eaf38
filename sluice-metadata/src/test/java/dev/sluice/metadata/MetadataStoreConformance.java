package dev.sluice.metadata;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link MetadataStore}, run against every implementation. Each test calls
 * {@link #disrupt()} half-way, where a subclass may kill a server; the second half must still hold.
 */
public abstract class MetadataStoreConformance {

    protected static final Duration WATCH_TIMEOUT = Duration.ofSeconds(30);

    protected MetadataStore store;

    /** A fresh, empty store session (a new root or backing per call). */
    protected abstract MetadataStore newStore();

    /** A second session on the same data as {@link #store}. */
    protected abstract MetadataStore secondSession();

    /** Called half-way through every test; a subclass may kill a server here. */
    protected void disrupt() {}

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }

    private static String text(Optional<Versioned> value) {
        return new String(value.orElseThrow().value(), UTF_8);
    }

    @Test
    void absentKeyReadsEmpty() {
        assertThat(store.get("nothing/here")).isEmpty();
        assertThat(store.children("nothing")).isEmpty();
        disrupt();
        assertThat(store.get("nothing/here")).isEmpty();
    }

    @Test
    void putCreatesAtVersionOneAndEachWriteBumpsTheVersion() {
        assertThat(store.put("a", bytes("1"), Precondition.NONE)).isEqualTo(1);
        assertThat(store.put("a", bytes("2"), Precondition.NONE)).isEqualTo(2);
        disrupt();
        assertThat(store.put("a", bytes("3"), Precondition.matchesVersion(2))).isEqualTo(3);
        Versioned read = store.get("a").orElseThrow();
        assertThat(read.version()).isEqualTo(3);
        assertThat(new String(read.value(), UTF_8)).isEqualTo("3");
    }

    @Test
    void doesNotExistRefusesAnExistingKeyAndChangesNothing() {
        store.put("doc", bytes("first"), Precondition.DOES_NOT_EXIST);
        disrupt();
        assertThatThrownBy(() -> store.put("doc", bytes("second"), Precondition.DOES_NOT_EXIST))
                .isInstanceOf(PreconditionFailedException.class)
                .satisfies(e -> assertThat(((PreconditionFailedException) e).key()).isEqualTo("doc"));
        assertThat(text(store.get("doc"))).isEqualTo("first");
        assertThat(store.get("doc").orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void matchesVersionRefusesAStaleVersionAndAnAbsentKey() {
        store.put("doc", bytes("v1"), Precondition.NONE);
        store.put("doc", bytes("v2"), Precondition.matchesVersion(1));
        disrupt();
        assertThatThrownBy(() -> store.put("doc", bytes("stale"), Precondition.matchesVersion(1)))
                .isInstanceOf(PreconditionFailedException.class);
        assertThatThrownBy(() -> store.put("missing", bytes("x"), Precondition.matchesVersion(1)))
                .isInstanceOf(PreconditionFailedException.class);
        assertThat(text(store.get("doc"))).isEqualTo("v2");
        assertThat(store.get("missing")).isEmpty();
    }

    @Test
    void deleteHonoursItsPrecondition() {
        store.put("doc", bytes("x"), Precondition.NONE);
        store.put("doc", bytes("y"), Precondition.NONE);
        assertThatThrownBy(() -> store.delete("doc", Precondition.matchesVersion(1))).isInstanceOf(PreconditionFailedException.class);
        assertThat(store.get("doc")).isPresent();
        disrupt();
        assertThat(store.delete("doc", Precondition.matchesVersion(2))).isTrue();
        assertThat(store.get("doc")).isEmpty();
        assertThat(store.delete("doc", Precondition.NONE)).isFalse();
    }

    @Test
    void writingANestedKeyCreatesItsParentsAndListsChildrenSorted() {
        store.put("placements/P2", bytes("two"), Precondition.NONE);
        store.put("placements/P0", bytes("zero"), Precondition.NONE);
        disrupt();
        store.put("placements/P1/deeper", bytes("d"), Precondition.NONE);
        assertThat(store.children("placements")).containsExactly("P0", "P1", "P2");
        assertThat(store.get("placements")).isPresent();
        assertThat(store.children("placements/P1")).containsExactly("deeper");
    }

    @Test
    void readChildrenReadsEveryDirectChildWithAValueAndItsVersion() {
        assertThat(store.readChildren("nothing")).isEmpty();
        // More children than ZooKeeperMetadataStore keeps reads in flight, so its window refills.
        int count = ZooKeeperMetadataStore.READS_IN_FLIGHT + 17;
        List<Op> puts = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            puts.add(Op.put("many/c" + i, bytes("v" + i), Precondition.NONE));
            if (puts.size() == 100) {
                store.commit(puts);
                puts.clear();
            }
        }
        store.commit(puts);
        store.put("many/c3", bytes("again"), Precondition.NONE);
        disrupt();
        store.put("many/c5/deeper", bytes("d"), Precondition.NONE);

        java.util.SortedMap<String, Versioned> read = store.readChildren("many");
        assertThat(read).hasSize(count);
        assertThat(read.firstKey()).isEqualTo("c0");
        assertThat(text(Optional.of(read.get("c3")))).isEqualTo("again");
        assertThat(read.get("c3").version()).isEqualTo(2);
        assertThat(text(Optional.of(read.get("c" + (count - 1))))).isEqualTo("v" + (count - 1));
        assertThat(read.get("c" + (count - 1)).version()).isEqualTo(1);
        assertThat(read).doesNotContainKey("c5/deeper");
        assertThat(store.readChildren("many", 16)).as("read in batches of values up to 16 bytes").isEqualTo(read);
    }

    @Test
    void commitAppliesAllOrNothing() {
        store.put("x", bytes("x1"), Precondition.NONE);
        store.put("y", bytes("y1"), Precondition.NONE);
        assertThatThrownBy(() -> store.commit(List.of(
                Op.put("x", bytes("x2"), Precondition.matchesVersion(1)),
                Op.put("y", bytes("y2"), Precondition.matchesVersion(7)),
                Op.append("log", bytes("never")))))
                .isInstanceOf(PreconditionFailedException.class)
                .satisfies(e -> assertThat(((PreconditionFailedException) e).key()).isEqualTo("y"));
        assertThat(text(store.get("x"))).isEqualTo("x1");
        assertThat(store.readLog("log", -1, 10)).isEmpty();
        disrupt();
        List<Op.Result> results = store.commit(List.of(
                Op.check("x", 1),
                Op.put("x", bytes("x2"), Precondition.matchesVersion(1)),
                Op.put("y", bytes("y2"), Precondition.matchesVersion(1)),
                Op.put("z", bytes("z1"), Precondition.DOES_NOT_EXIST),
                Op.append("log", bytes("entry"))));
        assertThat(results).hasSize(5);
        assertThat(results.get(1).version()).isEqualTo(2);
        assertThat(results.get(3).version()).isEqualTo(1);
        // Operations see the ones before them in the same commit, as in ZooKeeper's multi.
        assertThatThrownBy(() -> store.commit(List.of(
                Op.put("x", bytes("x3"), Precondition.matchesVersion(2)),
                Op.check("x", 2))))
                .isInstanceOf(PreconditionFailedException.class);
        assertThat(text(store.get("x"))).isEqualTo("x2");
        assertThat(text(store.get("y"))).isEqualTo("y2");
        assertThat(text(store.get("z"))).isEqualTo("z1");
        assertThat(store.readLog("log", -1, 10)).hasSize(1);
    }

    @Test
    void existsWritesAnyVersionOfAnExistingKeyAndRefusesAnAbsentOne() {
        store.put("entry", bytes("1"), Precondition.NONE);
        store.put("entry", bytes("2"), Precondition.NONE);
        disrupt();
        assertThat(store.commit(List.of(Op.put("entry", bytes("3"), Precondition.EXISTS))).getFirst().version()).isEqualTo(3);
        assertThatThrownBy(() -> store.commit(List.of(Op.put("absent", bytes("a"), Precondition.EXISTS), Op.append("log", bytes("never")))))
                .isInstanceOf(PreconditionFailedException.class)
                .satisfies(e -> assertThat(((PreconditionFailedException) e).key()).isEqualTo("absent"));
        assertThatThrownBy(() -> store.commit(List.of(Op.delete("absent", Precondition.EXISTS))))
                .isInstanceOf(PreconditionFailedException.class)
                .satisfies(e -> assertThat(((PreconditionFailedException) e).key()).isEqualTo("absent"));
        assertThat(store.get("absent")).isEmpty();
        assertThat(store.readLog("log", -1, 10)).isEmpty();
        assertThat(store.getAll(List.of("entry", "absent"), 10)).containsOnlyKeys("entry");
        assertThat(text(store.get("entry"))).isEqualTo("3");
    }

    @Test
    void aFailedCheckFailsTheCommit() {
        store.put("fence", bytes("epoch"), Precondition.NONE);
        store.put("fence", bytes("epoch"), Precondition.NONE);
        disrupt();
        assertThatThrownBy(() -> store.commit(List.of(Op.put("guarded", bytes("g"), Precondition.NONE), Op.check("fence", 1))))
                .isInstanceOf(PreconditionFailedException.class)
                .satisfies(e -> assertThat(((PreconditionFailedException) e).key()).isEqualTo("fence"));
        assertThat(store.get("guarded")).isEmpty();
    }

    @Test
    void logEntriesComeBackInAppendOrderWithIncreasingSequences() {
        List<Long> sequences = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sequences.add(store.commit(List.of(Op.append("events", bytes("e" + i)))).getFirst().sequence());
        }
        disrupt();
        for (int i = 5; i < 10; i++) {
            sequences.add(store.commit(List.of(Op.append("events", bytes("e" + i)))).getFirst().sequence());
        }
        assertThat(sequences).isSorted().doesNotHaveDuplicates();
        List<LogEntry> all = store.readLog("events", -1, 100);
        assertThat(all).extracting(entry -> new String(entry.value(), UTF_8))
                .containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9");
        assertThat(all).extracting(LogEntry::sequence).containsExactlyElementsOf(sequences);
        List<LogEntry> tail = store.readLog("events", sequences.get(6), 2);
        assertThat(tail).extracting(entry -> new String(entry.value(), UTF_8)).containsExactly("e7", "e8");
        // The store's own time of each entry grows with the sequence, and is recent.
        assertThat(all).extracting(LogEntry::appendedAt).isSorted()
                .allSatisfy(at -> assertThat(at).isBetween(java.time.Instant.now().minusSeconds(600), java.time.Instant.now().plusSeconds(5)));
    }

    @Test
    void ephemeralKeyLivesWithItsSession() {
        MetadataStore other = secondSession();
        try {
            EphemeralKey key = other.putEphemeral("liveness/N1", bytes("alive"));
            // Another session may read from another server of the ensemble, which can lag a moment behind:
            // ZooKeeper orders reads after writes within one session only (this failed once on 2026-11-28).
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(store.get("liveness/N1"))
                    .hasValueSatisfying(value -> assertThat(new String(value.value(), UTF_8)).isEqualTo("alive")));
            key.update(bytes("still alive"));
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(text(store.get("liveness/N1"))).isEqualTo("still alive"));
            disrupt();
            assertThat(store.get("liveness/N1")).isPresent();
            other.close();
            await().atMost(WATCH_TIMEOUT).until(() -> store.get("liveness/N1").isEmpty());
        } finally {
            other.close();
        }
    }

    @Test
    void anEphemeralKeyHeldByAnotherSessionCannotBeTaken() {
        MetadataStore other = secondSession();
        try {
            other.putEphemeral("liveness/N3", bytes("first"));
            disrupt();
            assertThatThrownBy(() -> store.putEphemeral("liveness/N3", bytes("second")))
                    .isInstanceOf(PreconditionFailedException.class);
            assertThat(text(store.get("liveness/N3"))).isEqualTo("first");
            other.close();
            await().atMost(WATCH_TIMEOUT).until(() -> store.get("liveness/N3").isEmpty());
            store.putEphemeral("liveness/N3", bytes("second"));
            assertThat(text(store.get("liveness/N3"))).isEqualTo("second");
        } finally {
            other.close();
        }
    }

    @Test
    void exactlyOneParticipantLeadsAndTheNextTakesOverWhenItsSessionEnds() throws Exception {
        MetadataStore first = secondSession();
        MetadataStore second = secondSession();
        try {
            LeaderElection a = first.elect("controller/election", "node-a");
            assertThat(a.awaitLeadership(WATCH_TIMEOUT)).isTrue();
            LeaderElection b = second.elect("controller/election", "node-b");
            List<String> bEvents = new CopyOnWriteArrayList<>();
            b.addListener(new LeaderElection.Listener() {
                @Override
                public void leadershipAcquired() {
                    bEvents.add("acquired");
                }

                @Override
                public void leadershipLost() {
                    bEvents.add("lost");
                }
            });
            assertThat(b.awaitLeadership(Duration.ofMillis(300))).isFalse();
            assertThat(a.isLeader()).isTrue();
            assertThat(b.isLeader()).isFalse();
            assertThat(b.currentLeader()).contains("node-a");
            disrupt();
            first.close();
            assertThat(b.awaitLeadership(WATCH_TIMEOUT)).isTrue();
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(bEvents).containsExactly("acquired"));
            assertThat(b.currentLeader()).contains("node-b");
            b.close();
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(bEvents).containsExactly("acquired", "lost"));
        } finally {
            first.close();
            second.close();
        }
    }

    @Test
    void closingAnEphemeralKeyDeletesIt() {
        EphemeralKey key = store.putEphemeral("liveness/N2", bytes("alive"));
        disrupt();
        key.close();
        await().atMost(WATCH_TIMEOUT).until(() -> store.get("liveness/N2").isEmpty());
    }

    @Test
    void keyWatchSeesCurrentValueThenEachChange() throws Exception {
        store.put("watched", bytes("initial"), Precondition.NONE);
        Recorder recorder = new Recorder();
        try (Watch watch = store.watch("watched", false, recorder)) {
            recorder.awaitInitialized();
            assertThat(recorder.events()).containsExactly("watched=initial@1");
            store.put("watched", bytes("second"), Precondition.NONE);
            store.put("unrelated", bytes("ignored"), Precondition.NONE);
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(recorder.events()).endsWith("watched=second@2"));
            disrupt();
            store.put("watched", bytes("third"), Precondition.NONE);
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(recorder.events()).endsWith("watched=third@3"));
            store.delete("watched", Precondition.NONE);
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(recorder.events()).endsWith("watched=<deleted>"));
            assertThat(recorder.events()).noneMatch(event -> event.startsWith("unrelated"));
            assertVersionsIncrease(recorder.events());
        }
    }

    @Test
    void prefixWatchSeesNestedKeysInOrder() throws Exception {
        store.put("placements/P0", bytes("a"), Precondition.NONE);
        Recorder recorder = new Recorder();
        try (Watch watch = store.watch("placements", true, recorder)) {
            recorder.awaitInitialized();
            assertThat(recorder.events()).contains("placements/P0=a@1");
            for (int i = 0; i < 20; i++) {
                store.put("placements/P1", bytes("v" + i), Precondition.NONE);
            }
            disrupt();
            store.put("placements/P2", bytes("new"), Precondition.NONE);
            store.put("outside/P9", bytes("no"), Precondition.NONE);
            await().atMost(WATCH_TIMEOUT).untilAsserted(() -> assertThat(recorder.events()).contains("placements/P2=new@1"));
            List<String> p1 = recorder.events().stream().filter(e -> e.startsWith("placements/P1=")).toList();
            // Notifications may coalesce rapid writes, but never reorder them, and the last one is seen.
            assertVersionsIncrease(p1);
            assertThat(p1).last().isEqualTo("placements/P1=v19@20");
            assertThat(recorder.events()).noneMatch(event -> event.startsWith("outside"));
        }
    }

    @Test
    void concurrentCompareAndSetNeverLosesAnUpdate() throws Exception {
        int threads = 4;
        int incrementsEach = 25;
        store.put("counter", bytes("0"), Precondition.NONE);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicBoolean disrupted = new AtomicBoolean();
        AtomicInteger ambiguous = new AtomicInteger();
        try {
            List<Future<?>> futures = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < incrementsEach; i++) {
                        if (i == incrementsEach / 2 && disrupted.compareAndSet(false, true)) {
                            disrupt();
                        }
                        while (true) {
                            Versioned current = store.get("counter").orElseThrow();
                            int value = Integer.parseInt(new String(current.value(), UTF_8).split("\\|")[0]);
                            // Each write is unique, as every Sluice document is (request ids, incarnations): the
                            // store recognises its own write after a lost reply by its bytes.
                            String next = (value + 1) + "|" + Thread.currentThread().getName() + "-" + i;
                            try {
                                store.put("counter", bytes(next), Precondition.matchesVersion(current.version()));
                                break;
                            } catch (PreconditionFailedException lost) {
                                // Someone else incremented first, or (after a lost reply) maybe we did: read again.
                                if (lost.afterConnectionLoss()) {
                                    ambiguous.incrementAndGet();
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Versioned result = store.get("counter").orElseThrow();
        int total = threads * incrementsEach;
        int counted = Integer.parseInt(new String(result.value(), UTF_8).split("\\|")[0]);
        // No update is ever lost; a write whose reply was lost can only be applied once more than counted.
        assertThat(counted).isBetween(total, total + ambiguous.get());
        assertThat(result.version()).isEqualTo(1 + counted);
    }

    @Test
    void malformedKeysAndOversizedValuesAreRefusedWithoutWriting() {
        for (String bad : new String[] {"", "/abs", "trailing/", "double//slash", "dot/../escape", "spa ce", "..", "ünïcode"}) {
            assertThatThrownBy(() -> store.put(bad, bytes("x"), Precondition.NONE))
                    .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid metadata key");
        }
        disrupt();
        byte[] huge = new byte[MetadataStore.MAX_VALUE_BYTES + 1];
        assertThatThrownBy(() -> store.put("big", huge, Precondition.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
        assertThat(store.get("big")).isEmpty();
    }

    private static void assertVersionsIncrease(List<String> events) {
        long last = 0;
        String lastKey = null;
        for (String event : events) {
            int at = event.lastIndexOf('@');
            if (at < 0) {
                continue;
            }
            String key = event.substring(0, event.indexOf('='));
            long version = Long.parseLong(event.substring(at + 1));
            if (key.equals(lastKey)) {
                assertThat(version).as("versions of %s in %s", key, events).isGreaterThan(last);
            }
            lastKey = key;
            last = version;
        }
    }

    /** Records notifications as {@code key=value@version} or {@code key=<deleted>}. */
    protected static final class Recorder implements WatchListener {
        private final List<String> events = new CopyOnWriteArrayList<>();
        private final CountDownLatch initialized = new CountDownLatch(1);

        @Override
        public void onChange(String key, Optional<Versioned> value) {
            events.add(value.map(v -> key + "=" + new String(v.value(), UTF_8) + "@" + v.version()).orElse(key + "=<deleted>"));
        }

        @Override
        public void onInitialized() {
            initialized.countDown();
        }

        void awaitInitialized() throws InterruptedException {
            assertThat(initialized.await(WATCH_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("watch initialized").isTrue();
        }

        List<String> events() {
            return Collections.unmodifiableList(new ArrayList<>(events));
        }
    }
}
