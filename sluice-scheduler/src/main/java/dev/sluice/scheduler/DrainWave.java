package dev.sluice.scheduler;

import java.util.List;

/**
 * One wave of a drain's plan under the throttles: the replica moves the controller can have under way at once
 * ({@link SchedulerLimits#maxChangesPerNode()} per worker, {@link SchedulerLimits#maxChangesInCluster()} in the
 * cluster), taken as completed before the next wave starts. A set of workers that can all move at once has one
 * wave.
 *
 * @param number 1 for the first wave
 */
public record DrainWave(int number, List<Move> moves) {

    public DrainWave {
        if (number < 1) {
            throw new IllegalArgumentException("waves are numbered from 1, got " + number);
        }
        moves = List.copyOf(moves);
    }
}
