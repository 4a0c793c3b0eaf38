package dev.sluice.worker;

import dev.sluice.model.ByteSizes;
import dev.sluice.wire.DiskState;

/**
 * The free-space rule of a worker's data directory: three levels derived from the filesystem's size, and
 * the pure function that moves a {@link DiskState} between them.
 *
 * <ul>
 *   <li><b>floor</b> = the larger of {@code minFreeBytes} and {@code minFreePercent} % of the filesystem. Below
 *       it the worker is {@link DiskState#LOW}.
 *   <li><b>critical level</b> = a quarter of the floor. Below it the worker is {@link DiskState#CRITICAL}.
 *   <li><b>resume level</b> = the floor plus a quarter of it. A low or critical worker returns to
 *       {@link DiskState#OK} only at or above it (hysteresis).
 * </ul>
 *
 * <p>Why these defaults (256 MiB, 5 %): the critical level they give, 64 MiB, is what the storage warm-up
 * check has always required before a worker serves, and leaves Ratis room to close its segments and for
 * the node to start again; the 192 MiB above it absorb what a low worker still receives as a follower of
 * the other leaders while the operator frees space. The percentage scales the floor with the disk: file
 * systems fragment and slow down as they fill, and other processes on the host share the filesystem
 * (Elasticsearch's flood-stage watermark makes indices read-only at 95 % used for the same reasons). Why a
 * gap before resuming: a worker sitting at the floor would otherwise flap as follower appends push it under
 * and log purges lift it over, moving its leaderships and, at the critical level, restarting its Raft
 * server each time.
 *
 * <p>Worked example, the defaults on a 2 GiB filesystem: 5 % is 102 MiB, so the floor is 256 MiB, the
 * critical level 64 MiB and the resume level 320 MiB. At 300 MiB free the worker is ok; at 250 MiB low; at
 * 60 MiB critical; freed to 300 MiB it stays critical (below 320 MiB), at 330 MiB it is ok again.
 *
 * @param minFreeBytes the floor in bytes, at least {@link #MIN_FREE_BYTES_LOWEST}
 * @param minFreePercent the floor as a percentage of the filesystem's size, 0 to {@link #MIN_FREE_PERCENT_HIGHEST}
 */
public record DiskSpaceRule(long minFreeBytes, int minFreePercent) {

    public static final long MIB = 1024L * 1024;
    public static final long DEFAULT_MIN_FREE_BYTES = 256 * MIB;
    public static final int DEFAULT_MIN_FREE_PERCENT = 5;
    /**
     * The smallest floor accepted: its critical level (1 MiB) still holds one preallocated log chunk
     * ({@code raft.server.log.preallocated.size}). Meant for tests on small filesystems; production floors
     * are far above it.
     */
    public static final long MIN_FREE_BYTES_LOWEST = 4 * MIB;
    /** Above this the worker would keep most of its disk empty. */
    public static final int MIN_FREE_PERCENT_HIGHEST = 50;

    private static final DiskSpaceRule DEFAULTS = new DiskSpaceRule(DEFAULT_MIN_FREE_BYTES, DEFAULT_MIN_FREE_PERCENT);

    /** @throws IllegalArgumentException naming the bound when a value is out of range */
    public DiskSpaceRule {
        if (minFreeBytes < MIN_FREE_BYTES_LOWEST) {
            throw new IllegalArgumentException("the minimum free space must be at least " + describeBytes(MIN_FREE_BYTES_LOWEST) + ", got "
                    + describeBytes(minFreeBytes));
        }
        if (minFreePercent < 0 || minFreePercent > MIN_FREE_PERCENT_HIGHEST) {
            throw new IllegalArgumentException("the minimum free space percentage must be between 0 and " + MIN_FREE_PERCENT_HIGHEST + ", got "
                    + minFreePercent);
        }
    }

    public static DiskSpaceRule defaults() {
        return DEFAULTS;
    }

    /** The floor on a filesystem of {@code totalBytes}. */
    public long floorBytes(long totalBytes) {
        return Math.max(minFreeBytes, Math.multiplyExact(Math.max(0, totalBytes), (long) minFreePercent) / 100);
    }

    /** Below this the Raft server stops. */
    public long criticalBytes(long totalBytes) {
        return floorBytes(totalBytes) / 4;
    }

    /** A low or critical worker is ok again at or above this. */
    public long resumeBytes(long totalBytes) {
        long floor = floorBytes(totalBytes);
        return floor + floor / 4;
    }

    /**
     * The state after a reading of {@code freeBytes} out of {@code totalBytes}.
     *
     * @param spaceFailure whether a write failed for lack of space since the last reading: the worker is then
     *     critical whatever the reading says, because a Ratis log that failed once never writes again until its
     *     server restarts — going critical restarts it, at once if the space is back
     */
    public DiskState next(DiskState current, long freeBytes, long totalBytes, boolean spaceFailure) {
        if (spaceFailure || freeBytes < criticalBytes(totalBytes)) {
            return DiskState.CRITICAL;
        }
        boolean resumes = freeBytes >= resumeBytes(totalBytes);
        return switch (current) {
            case CRITICAL -> resumes ? DiskState.OK : DiskState.CRITICAL;
            case LOW -> resumes ? DiskState.OK : DiskState.LOW;
            case OK -> freeBytes < floorBytes(totalBytes) ? DiskState.LOW : DiskState.OK;
        };
    }

    /** @see ByteSizes#parse(String) */
    public static long parseBytes(String text) {
        return ByteSizes.parse(text);
    }

    /** @see ByteSizes#human(long) */
    public static String describeBytes(long bytes) {
        return ByteSizes.human(bytes);
    }
}
