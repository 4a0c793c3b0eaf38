package dev.sluice.worker;

import dev.sluice.metadata.MetadataKeys;
import dev.sluice.metadata.PlacementCopy;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.metadata.Watch;
import dev.sluice.wire.PlacementLoad;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the copy of every placement that a worker reading its own placements through the index keeps for routing
 * ({@code GET /data/v1/routing} answers for every partition): started on the first routing request, then watched, and
 * read again in full after every missed notification. Soft state: a restarted worker loads it again.
 *
 * <p>Each load is tried again until it succeeds or the worker closes, and its last failure ({@link LoadFailure}) is
 * kept for the worker's status ({@code routing}) and the message of a refused routing request:
 * <ul>
 *   <li>starting the watch (it reads the cluster's layout) is tried again after {@link #retryPause};
 *   <li>the watch's first load is tried again by the watch itself (on ZooKeeper when the connection returns, else
 *       every few seconds), which reports each failed attempt;
 *   <li>a full read after a resync is tried again after {@link #retryPause}; until one succeeds the copy follows
 *       notifications only, and may keep a placement deleted while the watch was away.
 * </ul>
 */
final class RoutingPlacements {

    private static final Logger log = LoggerFactory.getLogger(RoutingPlacements.class);

    /**
     * How long a routing request waits for the first load; after it, the request is answered unavailable and the load goes
     * on. 100,000 placements load in ~5 s on the bench machine (docs/benchmarks.md, "Metadata at size").
     */
    static final Duration LOAD_WAIT = Duration.ofSeconds(10);
    /** The pause after the first failed attempt; it doubles with every further one, up to {@link #RETRY_PAUSE_MAX}. */
    static final Duration RETRY_PAUSE_MIN = Duration.ofMillis(500);
    /**
     * The longest pause between attempts: a copy that recovers within it of the store, which is what a client that
     * asks again sees. A full read costs the store as much as the first load, so a failing store is not asked faster.
     */
    static final Duration RETRY_PAUSE_MAX = Duration.ofSeconds(30);
    static final String FIRST_LOAD = "the first load of every placement (" + MetadataKeys.PLACEMENTS + ") for routing";
    static final String REREAD = "a full read of every placement for routing after missed notifications (meanwhile the copy follows notifications "
            + "only)";

    static {
        if (RETRY_PAUSE_MIN.compareTo(RETRY_PAUSE_MAX) > 0 || RETRY_PAUSE_MAX.compareTo(LOAD_WAIT) < 0) {
            throw new IllegalStateException("BUG: routing retry pauses " + RETRY_PAUSE_MIN + ".." + RETRY_PAUSE_MAX + " against a load wait of "
                    + LOAD_WAIT);
        }
    }

    private final String nodeName;
    private final InstantSource clock;
    private final PlacementStore store;
    private final Object lock = new Object();
    /** Null until the first routing request; guarded by {@link #lock}. */
    private PlacementCopy copy;
    /** When the first routing request started the copy; guarded by {@link #lock}. */
    private Instant since;
    /** Null until the watch started; guarded by {@link #lock}. */
    private Watch watch;
    /**
     * Runs full reads and retries: a thread of the copy's own, because a full read blocks for seconds on the store and
     * the common pool they ran on has one thread on a two-core machine, shared with the rest of the process. Created with
     * the copy; guarded by {@link #lock} until then.
     */
    private ScheduledExecutorService loads;
    /** Guarded by {@link #lock}; read without it where a late answer costs nothing (a retry that runs once more). */
    private volatile boolean closed;
    private final CountDownLatch loaded = new CountDownLatch(1);
    /** The last failed attempt of the first load (starting the watch or its load); null once loaded, and before any failed. */
    private volatile LoadFailure firstLoadFailure;
    /** The last failed full read after a resync; null while the last one succeeded. */
    private volatile LoadFailure rereadFailure;
    /** One full read runs at a time (with its retries); a resync meanwhile asks for one more. */
    private final AtomicBoolean rereading = new AtomicBoolean();
    private final AtomicBoolean rereadAgain = new AtomicBoolean();

    RoutingPlacements(String nodeName, InstantSource clock, PlacementStore store) {
        this.nodeName = nodeName;
        this.clock = clock;
        this.store = store;
    }

    /**
     * The copy of every placement, started if this is the first call, once its first load finished: waits up to
     * {@link #LOAD_WAIT} for it.
     *
     * @throws RoutingNotLoaded if the first load has not finished within the wait (its last failure in the message), or
     *     the worker is closing
     */
    PlacementCopy await() {
        PlacementCopy started = start();
        if (started == null) {
            throw new RoutingNotLoaded("this node is shutting down");
        }
        try {
            if (!loaded.await(LOAD_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LoadFailure failure = firstLoadFailure;
                throw new RoutingNotLoaded("this node is still loading every placement for routing (" + started.size() + " so far"
                        + (failure == null ? "" : "; " + failure.describe()) + "); ask again");
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new RoutingNotLoaded("interrupted while loading every placement for routing");
        }
        return started;
    }

    /** The copy if its first load finished, without starting it or waiting; else null. */
    PlacementCopy ifLoaded() {
        synchronized (lock) {
            return loaded.getCount() == 0 ? copy : null;
        }
    }

    /** The copy's load for the worker's status: {@code waitingFor} names a failing first load or full read; null before the first routing request. */
    PlacementLoad load() {
        PlacementCopy started;
        Instant startedAt;
        synchronized (lock) {
            started = copy;
            startedAt = since;
        }
        if (started == null) {
            return null;
        }
        if (loaded.getCount() == 0) {
            LoadFailure failure = rereadFailure;
            return new PlacementLoad(PlacementLoad.SOURCE_EVERY_PLACEMENT, true, started.size(), startedAt,
                    failure == null ? null : REREAD + "; " + failure.describe());
        }
        LoadFailure failure = firstLoadFailure;
        return new PlacementLoad(PlacementLoad.SOURCE_EVERY_PLACEMENT, false, started.size(), startedAt,
                FIRST_LOAD + (failure == null ? "" : "; " + failure.describe()));
    }

    /** Stops the watch and every retry. */
    void close() {
        Watch started;
        ScheduledExecutorService startedLoads;
        synchronized (lock) {
            closed = true;
            started = watch;
            watch = null;
            startedLoads = loads;
        }
        if (started != null) {
            started.close();
        }
        if (startedLoads != null) {
            startedLoads.shutdownNow();
        }
    }

    /** The copy, started on the first call; null once closed. */
    private PlacementCopy start() {
        synchronized (lock) {
            if (closed) {
                return null;
            }
            if (copy == null) {
                log.info("{}: loading every placement to answer routing requests", nodeName);
                copy = new PlacementCopy();
                since = clock.instant();
                loads = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("routing-placements-" + nodeName).factory());
                startWatch();
            }
            return copy;
        }
    }

    private void startWatch() {
        synchronized (lock) {
            if (closed || watch != null) {
                return;
            }
            PlacementCopy started = copy;
            try {
                watch = store.watch(started::onNotification, this::onLoaded, this::onResync, this::onFirstLoadFailed);
            } catch (RuntimeException failed) {
                onFirstLoadFailed(failed);
                runAfter(retryPause(firstLoadFailure.attempts()), this::startWatch);
            }
        }
    }

    private void onFirstLoadFailed(Exception failed) {
        firstLoadFailure = LoadFailure.after(firstLoadFailure, failed, clock.instant());
        log.warn("{}: {} failed (attempt {}); trying again: {}", nodeName, FIRST_LOAD, firstLoadFailure.attempts(), failed.toString());
    }

    private void onLoaded() {
        LoadFailure failed = firstLoadFailure;
        if (failed != null) {
            log.info("{}: loaded every placement for routing after {} failed attempts", nodeName, failed.attempts());
        }
        firstLoadFailure = null;
        loaded.countDown();
    }

    private void onResync() {
        rereadAgain.set(true);
        if (rereading.compareAndSet(false, true)) {
            runAfter(Duration.ZERO, this::reread);
        }
    }

    /**
     * Reads every placement into the copy while a resync asks for it; after a failure, schedules itself again and keeps
     * {@link #rereading}, so resyncs meanwhile start no second chain.
     */
    private void reread() {
        PlacementCopy started;
        synchronized (lock) {
            started = copy;
        }
        while (!closed && rereadAgain.getAndSet(false)) {
            try {
                started.reload(store::readAll);
                LoadFailure failed = rereadFailure;
                if (failed != null) {
                    log.info("{}: re-read every placement for routing after {} failed attempts", nodeName, failed.attempts());
                }
                rereadFailure = null;
            } catch (RuntimeException failed) {
                rereadFailure = LoadFailure.after(rereadFailure, failed, clock.instant());
                Duration pause = retryPause(rereadFailure.attempts());
                log.warn("{}: re-reading every placement for routing failed (attempt {}); following notifications only, trying again in {}: {}", nodeName,
                        rereadFailure.attempts(), pause, failed.toString());
                rereadAgain.set(true);
                runAfter(pause, this::reread);
                return;
            }
        }
        rereading.set(false);
        // A resync between the loop's last check and the line above found the chain still running and started none.
        if (!closed && rereadAgain.get() && rereading.compareAndSet(false, true)) {
            runAfter(Duration.ZERO, this::reread);
        }
    }

    /** The pause before attempt {@code failedAttempts + 1}: {@link #RETRY_PAUSE_MIN} doubled per failure, at most {@link #RETRY_PAUSE_MAX}. */
    static Duration retryPause(int failedAttempts) {
        int doublings = Math.min(failedAttempts - 1, 16);
        Duration pause = RETRY_PAUSE_MIN.multipliedBy(1L << doublings);
        return pause.compareTo(RETRY_PAUSE_MAX) > 0 ? RETRY_PAUSE_MAX : pause;
    }

    private void runAfter(Duration pause, Runnable attempt) {
        ScheduledExecutorService started;
        synchronized (lock) {
            started = loads;
        }
        try {
            started.schedule(() -> {
                if (!closed) {
                    attempt.run();
                }
            }, pause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // Closed meanwhile: nothing is to be loaded any more.
        }
    }

    /** Every placement is not loaded yet: a routing request should be answered unavailable. */
    static final class RoutingNotLoaded extends RuntimeException {
        RoutingNotLoaded(String message) {
            super(message);
        }
    }
}
