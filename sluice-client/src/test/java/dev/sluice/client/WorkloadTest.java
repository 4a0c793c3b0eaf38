package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class WorkloadTest {

    /** A store in memory that acknowledges every write and can be told to lose them, as a faulty cluster would. */
    static final class MemoryStore implements Workload.KeyValueStore {
        final Map<String, String> values = new ConcurrentHashMap<>();
        final Set<String> written = ConcurrentHashMap.newKeySet();
        volatile boolean losingWrites;

        @Override
        public void put(String key, String value) {
            written.add(value);
            if (!losingWrites) {
                values.put(key, value);
            }
        }

        @Override
        public Optional<String> getString(String key) {
            return Optional.ofNullable(values.get(key));
        }
    }

    /** A paced run: unpaced writers into memory spin both cores of a shared build machine. */
    static Workload run(MemoryStore store, long writes) {
        Workload workload = new Workload(store, new Workload.Options(2, 20, 2_000, 100));
        workload.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> workload.writes() >= writes);
        workload.stop();
        return workload;
    }

    @Test
    void aWriteLostInARerunIsNotHiddenByTheEarlierRunsValue() {
        MemoryStore store = new MemoryStore();
        Workload first = run(store, 200);
        assertThat(first.verify(store).ok()).isTrue();

        store.losingWrites = true;
        Workload rerun = run(store, 200);

        Workload.Verification verification = rerun.verify(store);
        assertThat(verification.ok()).as("every write of the rerun was lost").isFalse();
        assertThat(verification.mismatchCount()).isEqualTo(20);
    }

    @Test
    void noValueIsWrittenByTwoRuns() {
        MemoryStore firstStore = new MemoryStore();
        Workload first = run(firstStore, 50);
        MemoryStore secondStore = new MemoryStore();
        Workload second = run(secondStore, 50);

        assertThat(first.runId()).matches("[0-9a-f]{8}").isNotEqualTo(second.runId());
        assertThat(secondStore.written).doesNotContainAnyElementsOf(firstStore.written)
                .allSatisfy(value -> assertThat(value).startsWith("r" + second.runId() + "-v").hasSize(100));
    }
}
