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
     * The lowest limit that is not a typo. Below it the leader's pipelined requests (Ratis sends up to 8 appends of up
     * to 1 MiB, and 8 snapshot chunks, before it waits) take longer than its request timeout and are sent again.
     */
    public static final long MIN_BYTES_PER_SECOND = 1024 * 1024;

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
            throw new IllegalArgumentException("a transfer rate limit must be at least " + MIN_BYTES_PER_SECOND + " bytes/s (1 MiB/s), or 0 for none; got "
                    + bytesPerSecond);
        }
        return bytesPerSecond;
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
