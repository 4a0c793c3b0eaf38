package dev.sluice.scheduler;

import java.util.List;

/**
 * A drain's moves grouped in the waves the throttles allow ({@link Scheduler#drainWaves}), the first
 * {@link Scheduler#MAX_WAVES} of them listed.
 *
 * @param listed the first waves, numbered from 1
 * @param count how many waves there are in all; when some are not listed, a lower bound (the waves the cluster's limit
 *     needs for the moves not listed, or the waves the busiest worker's own changes need, whichever is more)
 * @param movesNotListed the moves of the waves not listed
 */
public record DrainWaves(List<DrainWave> listed, int count, int movesNotListed) {

    public DrainWaves {
        listed = List.copyOf(listed);
        if (count < listed.size() || movesNotListed < 0) {
            throw new IllegalArgumentException("a drain of " + listed.size() + " listed waves has at least as many in all, got " + count);
        }
    }

    /** Whether every wave is listed. */
    public boolean complete() {
        return movesNotListed == 0;
    }
}
