package dev.sluice.raft;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The byte rate at which one worker takes in catch-up traffic — snapshot chunks and log entries other members have
 * already committed — so a drain or a replace cannot saturate a link or a disk the worker's own partitions need.
 * The rate can change at any time (an operator's setting); {@link #UNLIMITED} turns it off.
 *
 * <p>Each message reserves the next free slot of the rate and waits for it, so over any interval the bytes let
 * through are at most the rate times the interval plus one message; concurrent transfers share the rate in the
 * order they ask. There is no stored credit: an idle minute does not allow a burst afterwards.
 */
public final class TransferRate {

    /** No limit. */
    public static final long UNLIMITED = 0;

    /**
     * What one catch-up needs at least, and so the lowest limit. A leader pipelines up to 8 appends of up to 1 MiB (and
     * 8 snapshot chunks) before it waits, and gives a request 5 s: below 1.6 MiB/s the last of them waits past that and
     * is sent again, which spends the rate twice (measured: 4 moves sharing 2 MiB/s took in 135–148 MiB for 70 MiB of
     * replicas; one move at 2 MiB/s took in 71 MiB). Moves into one worker share its limit, so a limit must allow
     * this much for each move the throttles let run into one worker at once ({@link #requireRoomFor}).
     */
    public static final long MIN_BYTES_PER_SECOND = 2 * 1024 * 1024;

    private final LongSupplier nanoClock;
    private final Sleeper sleeper;
    private volatile long bytesPerSecond;
    private long nextFreeNanos;
    private final AtomicLong bytesLetThrough = new AtomicLong();
    private final AtomicLong nanosWaited = new AtomicLong();

    /** Waits; a seam for tests. */
    interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    public TransferRate(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime, TimeUnit.NANOSECONDS::sleep);
    }

    TransferRate(long bytesPerSecond, LongSupplier nanoClock, Sleeper sleeper) {
        this.nanoClock = nanoClock;
        this.sleeper = sleeper;
        this.nextFreeNanos = nanoClock.getAsLong();
        set(bytesPerSecond);
    }

    /**
     * @throws IllegalArgumentException naming the value and the accepted range, if {@code bytesPerSecond} is neither
     *     {@link #UNLIMITED} nor at least {@link #MIN_BYTES_PER_SECOND}
     */
    public static long validate(long bytesPerSecond) {
        if (bytesPerSecond != UNLIMITED && bytesPerSecond < MIN_BYTES_PER_SECOND) {
            throw new IllegalArgumentException("a transfer rate limit must be at least " + MIN_BYTES_PER_SECOND + " bytes/s (2 MiB/s), or 0 for none; got "
                    + bytesPerSecond);
        }
        return bytesPerSecond;
    }

    /**
     * @throws IllegalArgumentException saying what to give instead, when {@code bytesPerSecond} (a limit, not
     *     {@link #UNLIMITED}) leaves less than {@link #MIN_BYTES_PER_SECOND} to each of {@code concurrentMoves} catch-ups
     *     into one worker
     */
    public static void requireRoomFor(long bytesPerSecond, int concurrentMoves) {
        if (bytesPerSecond != UNLIMITED && bytesPerSecond < MIN_BYTES_PER_SECOND * concurrentMoves) {
            throw new IllegalArgumentException("a transfer limit of " + bytesPerSecond / (1024 * 1024) + " MiB/s is too low for " + concurrentMoves
                    + " changes per worker: the moves into one worker share it, and each needs at least 2 MiB/s or its leader's requests time out"
                    + " and are sent again; give at least " + MIN_BYTES_PER_SECOND * concurrentMoves / (1024 * 1024) + " MiB/s or fewer changes per worker");
        }
    }

    public void set(long bytesPerSecond) {
        this.bytesPerSecond = validate(bytesPerSecond);
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /**
     * Waits until {@code bytes} fit under the rate. Returns at once while unlimited.
     *
     * @return the nanoseconds waited
     */
    public long acquire(long bytes) throws InterruptedException {
        long rate = bytesPerSecond;
        bytesLetThrough.addAndGet(bytes);
        if (rate == UNLIMITED) {
            return 0;
        }
        long wait;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            long start = Math.max(now, nextFreeNanos);
            nextFreeNanos = start + (long) Math.ceil(bytes * 1e9 / rate);
            wait = start - now;
        }
        if (wait > 0) {
            sleeper.sleepNanos(wait);
            nanosWaited.addAndGet(wait);
        }
        return wait;
    }

    /** Catch-up bytes this worker took in, limited or not. */
    public long bytesLetThrough() {
        return bytesLetThrough.get();
    }

    /** Time catch-up messages spent waiting for the rate, summed over all of them. */
    public long nanosWaited() {
        return nanosWaited.get();
    }
}
