package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.scheduler.Move;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * How long a plan of moves takes once the data is counted: at least its waves' measured time, and at least the time the
 * busiest receiving worker needs to take in the replicas moving to it under the catch-up transfer limit — the moves into
 * one worker share its limit however the waves fall.
 *
 * @param etaSeconds the larger of the two
 * @param bytes the state the moved replicas hold, as their current members report it
 * @param busiestReceiverBytes of those, what the worker receiving the most takes in
 * @param bytesPerSecond the limit counted with, {@link dev.sluice.raft.TransferRate#UNLIMITED} for none
 * @param unknownSizes moves whose partition's size no member reported: counted as empty
 */
public record TransferEstimate(long etaSeconds, long bytes, long busiestReceiverBytes, long bytesPerSecond, int unknownSizes) {

    /**
     * Time one wave of replica moves takes, for the ETA of a plan: a leadership transfer, the joiner's catch-up of a small
     * replica and two configuration commits, measured at 1.5–2 s on the two-core build machine (docs/benchmarks.md,
     * "18 replicas of 10 MB drained in 28 s at 1 at a time"). Larger replicas under a transfer limit take longer: {@link #of}.
     */
    public static final Duration MOVE_ESTIMATE = Duration.ofSeconds(2);

    /**
     * @param wavesSeconds the plan's time by its waves alone
     * @param stateBytes the bytes of state each partition holds
     */
    public static TransferEstimate of(long wavesSeconds, Collection<Move> moves, Map<PartitionId, Long> stateBytes, long bytesPerSecond) {
        Map<NodeId, Long> intoWorker = new HashMap<>();
        long bytes = 0;
        int unknown = 0;
        for (Move move : moves) {
            Long size = stateBytes.get(move.partition());
            if (size == null) {
                unknown++;
                continue;
            }
            bytes += size;
            intoWorker.merge(move.to(), size, Long::sum);
        }
        long busiest = intoWorker.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long transferSeconds = bytesPerSecond == dev.sluice.raft.TransferRate.UNLIMITED ? 0 : (busiest + bytesPerSecond - 1) / bytesPerSecond;
        return new TransferEstimate(Math.max(wavesSeconds, transferSeconds), bytes, busiest, bytesPerSecond, unknown);
    }
}
