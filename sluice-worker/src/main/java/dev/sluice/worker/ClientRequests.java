package dev.sluice.worker;

import dev.sluice.wire.ClientWindow;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Counts and times the requests this worker's data routes answer, for the node's meters (through a {@link Listener})
 * and for the {@link ClientWindow} of its status report. Soft state: it starts empty with the process.
 *
 * <p>The window is a ring of {@link #SLOTS} one-second slots, each counting the requests answered in its second,
 * those that failed, and their latencies in a histogram of fixed buckets ({@link #BOUNDS_MILLIS}). A slot is reused
 * for the second ten seconds later, so memory stays fixed however much traffic there is.
 */
public final class ClientRequests {

    /**
     * How far back a window reaches. Long enough to hold a few of the controller's status polls of a worker no
     * move involves (every 5 s), so a burst of failures is not missed between two polls; short enough that a drain's
     * effect shows, and passes, within seconds.
     */
    public static final Duration WINDOW = Duration.ofSeconds(10);
    static final int SLOTS = (int) WINDOW.toSeconds();

    /**
     * The latency buckets' upper bounds: four per doubling from 0.25 ms, rounded to three significant digits, up to
     * about 260 s. A bucket's bound overstates its answers by at most a fifth. A request waits for Raft at most the
     * node's data timeout (seconds), so the last bucket, which also counts anything slower, is never reached in
     * practice.
     */
    static final double[] BOUNDS_MILLIS = bounds(0.25, 4, 81);

    /** Hears of every answered request; the node's meters. Called on the request's thread: it must not block. */
    @FunctionalInterface
    public interface Listener {
        void answered(ClientOperation operation, ClientOutcome outcome, Duration latency);
    }

    private static final Listener NOBODY = (operation, outcome, latency) -> {};

    /** The requests answered in one second. */
    private static final class Slot {
        long second = Long.MIN_VALUE;
        long requests;
        long failed;
        final long[] latency = new long[BOUNDS_MILLIS.length];

        void reuseFor(long newSecond) {
            second = newSecond;
            requests = 0;
            failed = 0;
            Arrays.fill(latency, 0);
        }
    }

    private final InstantSource clock;
    private final Instant startedAt;
    /** Guarded by itself: a handful of increments per request, far below the cost of the Raft round trip. */
    private final Slot[] slots = new Slot[SLOTS];
    private volatile Listener listener = NOBODY;

    public ClientRequests(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.startedAt = clock.instant();
        Arrays.setAll(slots, i -> new Slot());
    }

    /** Makes {@code listener} hear of every request answered from now on, instead of the one before. */
    public void listen(Listener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Stops telling anyone of requests (the meters are closing). */
    public void stopListening() {
        this.listener = NOBODY;
    }

    /** Counts one answered request. */
    public void answered(ClientOperation operation, ClientOutcome outcome, Duration latency) {
        long second = Math.floorDiv(clock.millis(), 1000);
        int bucket = bucketOf(latency);
        synchronized (slots) {
            Slot slot = slots[(int) Math.floorMod(second, SLOTS)];
            if (slot.second != second) {
                slot.reuseFor(second);
            }
            slot.requests++;
            if (outcome.failed()) {
                slot.failed++;
            }
            slot.latency[bucket]++;
        }
        listener.answered(operation, outcome, latency);
    }

    /**
     * The requests answered in the current second and the {@code SLOTS - 1} before it, so over between nine and ten
     * seconds (less while the worker has run for less).
     */
    public ClientWindow window() {
        Instant now = clock.instant();
        long second = Math.floorDiv(now.toEpochMilli(), 1000);
        long oldest = second - SLOTS + 1;
        long requests = 0;
        long failed = 0;
        long[] latency = new long[BOUNDS_MILLIS.length];
        synchronized (slots) {
            for (Slot slot : slots) {
                if (slot.second >= oldest && slot.second <= second) {
                    requests += slot.requests;
                    failed += slot.failed;
                    for (int i = 0; i < latency.length; i++) {
                        latency[i] += slot.latency[i];
                    }
                }
            }
        }
        List<ClientWindow.LatencyBucket> buckets = new ArrayList<>();
        for (int i = 0; i < latency.length; i++) {
            if (latency[i] > 0) {
                buckets.add(new ClientWindow.LatencyBucket(BOUNDS_MILLIS[i], latency[i]));
            }
        }
        Instant from = Instant.ofEpochSecond(oldest);
        if (from.isBefore(startedAt)) {
            // Not before the worker started, nor after now: a wall clock stepped back must not make a window end first.
            from = startedAt.isBefore(now) ? startedAt : now;
        }
        return new ClientWindow(from, now, requests, failed, buckets);
    }

    /** The first bucket whose bound is at least {@code latency}; the last one for anything slower. */
    static int bucketOf(Duration latency) {
        double millis = latency.toNanos() / 1e6;
        int found = Arrays.binarySearch(BOUNDS_MILLIS, millis);
        int bucket = found >= 0 ? found : -found - 1;
        return Math.min(bucket, BOUNDS_MILLIS.length - 1);
    }

    private static double[] bounds(double firstMillis, int perDoubling, int count) {
        double[] bounds = new double[count];
        for (int i = 0; i < count; i++) {
            bounds[i] = new BigDecimal(firstMillis * Math.pow(2, (double) i / perDoubling)).round(new MathContext(3)).doubleValue();
        }
        return bounds;
    }
}
