package dev.sluice.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A write workload that remembers what the cluster acknowledged, so it can be verified afterwards: the
 * generator behind {@code sluice load}, the demo and the drain tests. Each writer owns its own keys
 * ({@code key-<n>} with {@code n ≡ writer mod writers}) and writes them in turn, so a key's expected value
 * is simply the last one acknowledged for it; a write that failed leaves its key uncertain between that
 * value and the last acknowledged one.
 *
 * <p>Every value carries the workload's {@link #runId()}, so no two runs write the same value: a rerun
 * against the same keys whose write was acknowledged but lost would otherwise find the earlier run's equal
 * value in its place and pass verification.
 *
 * <p>Latencies are recorded per phase ({@link #phase}), so a report can compare "before the drain" with
 * "during the drain".
 */
public final class Workload implements AutoCloseable {

    /** Latency samples kept per phase; beyond this, samples are dropped evenly (the count stays exact). */
    static final int MAX_SAMPLES_PER_PHASE = 1_000_000;

    /**
     * @param writers concurrent writer threads
     * @param keys distinct keys in rotation (each writer cycles through its share)
     * @param ratePerSecond total writes per second across writers, or 0 for as fast as acknowledged
     * @param valueBytes size of each value
     */
    public record Options(int writers, int keys, double ratePerSecond, int valueBytes) {
        public Options {
            if (writers < 1 || writers > 256) {
                throw new IllegalArgumentException("writers must be between 1 and 256, got " + writers);
            }
            if (keys < writers) {
                throw new IllegalArgumentException("need at least one key per writer (" + writers + "), got " + keys);
            }
            if (ratePerSecond < 0) {
                throw new IllegalArgumentException("rate must not be negative, got " + ratePerSecond);
            }
            if (valueBytes < 16 || valueBytes > 1_000_000) {
                throw new IllegalArgumentException("value size must be between 16 and 1000000 bytes, got " + valueBytes);
            }
        }
    }

    /**
     * Latency figures of one phase, in milliseconds.
     *
     * @param longestPauseMillis the longest time in the phase during which no writer had a write
     *     acknowledged (from the phase's start to its first acknowledgement, and between any two): what a
     *     client sees as "writes stopped"
     */
    public record Stats(String phase, long writes, long errors, double p50Millis, double p99Millis, double maxMillis, double longestPauseMillis) {
        @Override
        public String toString() {
            return String.format("%-8s %7d writes, %d errors, p50 %.1f ms, p99 %.1f ms, max %.1f ms, longest pause %.0f ms", phase, writes, errors,
                    p50Millis, p99Millis, maxMillis, longestPauseMillis);
        }
    }

    /**
     * What reading back every acknowledged write found.
     *
     * @param mismatches the first few keys that did not hold what was acknowledged, described
     * @param mismatchCount all such keys: the lost writes (benchmarks report it as a number)
     */
    public record Verification(int keysChecked, List<String> mismatches, int mismatchCount) {
        public Verification(int keysChecked, List<String> mismatches) {
            this(keysChecked, mismatches, mismatches.size());
        }

        public boolean ok() {
            return mismatchCount == 0;
        }
    }

    /**
     * Where the writes go and the reads come from. Sluice's client is the one that matters; the bare-Ratis
     * drain baseline plugs in a Ratis client, so both are measured by the same writers and statistics.
     */
    public interface KeyValueStore {
        /** Stores the value; throws {@link SluiceClientException} if it did not succeed before the deadline. */
        void put(String key, String value);

        Optional<String> getString(String key);
    }

    private final KeyValueStore store;
    private final Options options;
    /** Random rather than seeded, like the client's write ids: two runs seeded alike must still write different values. */
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicBoolean running = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, String> uncertain = new ConcurrentHashMap<>();
    private final Map<String, Phase> phases = new ConcurrentHashMap<>();
    private final List<String> errorSamples = new CopyOnWriteArrayList<>();
    private volatile Phase current;

    public Workload(SluiceClient client, Options options) {
        this(storeOf(Objects.requireNonNull(client, "client")), options);
    }

    public Workload(KeyValueStore store, Options options) {
        this.store = Objects.requireNonNull(store, "store");
        this.options = Objects.requireNonNull(options, "options");
        phase("load");
    }

    /** The tag every value of this run carries: eight hex digits. */
    public String runId() {
        return runId;
    }

    /** Latencies from now on are recorded under {@code name}. */
    public void phase(String name) {
        current = phases.computeIfAbsent(name, Phase::new);
    }

    public synchronized void start() {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("the workload is already running");
        }
        for (int w = 0; w < options.writers(); w++) {
            int writer = w;
            Thread thread = Thread.ofPlatform().name("sluice-load-" + w).daemon().start(() -> write(writer));
            threads.add(thread);
        }
    }

    private void write(int writer) {
        long interval = options.ratePerSecond() == 0 ? 0 : (long) (1e9 * options.writers() / options.ratePerSecond());
        long next = System.nanoTime();
        long sequence = 0;
        int slot = 0;
        int keysOfWriter = (options.keys() - writer + options.writers() - 1) / options.writers();
        String prefix = "r" + runId + "-v" + writer + "-";
        while (running.get()) {
            if (interval > 0) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                next += interval;
            }
            String key = "key-" + (writer + (long) slot * options.writers());
            slot = (slot + 1) % keysOfWriter;
            String value = padded(prefix + (sequence++) + "-", options.valueBytes());
            Phase phase = current;
            long started = System.nanoTime();
            try {
                store.put(key, value);
                phase.record(System.nanoTime() - started);
                acknowledged.put(key, value);
                uncertain.remove(key);
            } catch (SluiceClientException failed) {
                phase.errors.incrementAndGet();
                uncertain.put(key, value);
                if (errorSamples.size() < 20) {
                    errorSamples.add(failed.getMessage());
                }
            }
        }
    }

    /** {@code head} followed by {@code x}s up to {@code bytes} characters (all ASCII), or {@code head} alone if it is longer. */
    private static String padded(String head, int bytes) {
        return head.length() >= bytes ? head : head + "x".repeat(bytes - head.length());
    }

    /** Stops the writers and waits for their last writes. */
    public synchronized void stop() {
        running.set(false);
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofMinutes(1).toMillis());
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        threads.clear();
    }

    public Stats stats(String phase) {
        Phase recorded = phases.get(phase);
        return recorded == null ? new Stats(phase, 0, 0, 0, 0, 0, 0) : recorded.stats();
    }

    public List<Stats> allStats() {
        return phases.values().stream().map(Phase::stats).filter(s -> s.writes() + s.errors() > 0).toList();
    }

    public long errors() {
        return phases.values().stream().mapToLong(p -> p.errors.get()).sum();
    }

    public long writes() {
        return phases.values().stream().mapToLong(p -> p.count.get()).sum();
    }

    /** A few error messages, for reports. */
    public List<String> errorSamples() {
        return List.copyOf(errorSamples);
    }

    /** Every key with the value the cluster last acknowledged for it. */
    public Map<String, String> acknowledged() {
        return Map.copyOf(acknowledged);
    }

    /**
     * Reads back every key written and checks it holds the last acknowledged value (or, for a key whose
     * last write failed, that value or the one that failed).
     */
    public Verification verify(SluiceClient reader) {
        return verify(storeOf(reader));
    }

    /** As {@link #verify(SluiceClient)}, reading through any store. */
    public Verification verify(KeyValueStore reader) {
        List<String> mismatches = new ArrayList<>();
        int mismatchCount = 0;
        Map<String, String> expected = new HashMap<>(acknowledged);
        Set<String> keys = new java.util.TreeSet<>(expected.keySet());
        keys.addAll(uncertain.keySet());
        for (String key : keys) {
            String found = reader.getString(key).orElse(null);
            String acked = expected.get(key);
            String maybe = uncertain.get(key);
            if (!Objects.equals(found, acked) && !(maybe != null && maybe.equals(found))) {
                mismatchCount++;
                if (mismatches.size() < 20) {
                    mismatches.add(key + ": expected " + abbreviate(acked) + (maybe == null ? "" : " or " + abbreviate(maybe)) + ", found " + abbreviate(found));
                } else if (mismatches.size() == 20) {
                    mismatches.add("…");
                }
            }
        }
        return new Verification(keys.size(), List.copyOf(mismatches), mismatchCount);
    }

    private static KeyValueStore storeOf(SluiceClient client) {
        return new KeyValueStore() {
            @Override
            public void put(String key, String value) {
                client.put(key, value);
            }

            @Override
            public Optional<String> getString(String key) {
                return client.getString(key);
            }
        };
    }

    private static String abbreviate(String value) {
        return value == null ? "nothing" : value.length() <= 24 ? value : value.substring(0, 24) + "…";
    }

    @Override
    public void close() {
        stop();
    }

    /** Latencies of one phase. */
    private static final class Phase {
        final String name;
        final AtomicLong count = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong maxNanos = new AtomicLong();
        private long[] samples = new long[1024];
        private int size;
        private long lastAcknowledgedAt = System.nanoTime();
        private long longestPauseNanos;

        Phase(String name) {
            this.name = name;
        }

        synchronized void record(long nanos) {
            long now = System.nanoTime();
            longestPauseNanos = Math.max(longestPauseNanos, now - lastAcknowledgedAt);
            lastAcknowledgedAt = now;
            long n = count.incrementAndGet();
            maxNanos.accumulateAndGet(nanos, Math::max);
            if (size == samples.length && size < MAX_SAMPLES_PER_PHASE) {
                samples = Arrays.copyOf(samples, Math.min(MAX_SAMPLES_PER_PHASE, size * 2));
            }
            if (size < samples.length) {
                samples[size++] = nanos;
            } else {
                samples[(int) (n % samples.length)] = nanos;
            }
        }

        synchronized Stats stats() {
            long[] sorted = Arrays.copyOf(samples, size);
            Arrays.sort(sorted);
            return new Stats(name, count.get(), errors.get(), millis(percentile(sorted, 0.50)), millis(percentile(sorted, 0.99)), millis(maxNanos.get()),
                    millis(longestPauseNanos));
        }

        private static long percentile(long[] sorted, double q) {
            if (sorted.length == 0) {
                return 0;
            }
            return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
        }

        private static double millis(long nanos) {
            return nanos / 1e6;
        }
    }
}
