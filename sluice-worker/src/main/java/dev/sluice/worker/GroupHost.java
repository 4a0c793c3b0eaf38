package dev.sluice.worker;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Raft server as the {@link GroupReconciler} sees it: which partition groups it has and in what state,
 * and the three changes the reconciler makes (add, remove, delete files). Package-private so the reconciler's
 * rules can be tested in milliseconds against a fake; {@link RatisGroupHost} is the one real implementation.
 *
 * <p>{@link #remove} and {@link #deleteFiles} block, possibly for good (Ratis waits without a deadline for a
 * division to close): the reconciler calls them on threads of its own and bounds how many it spends on them.
 */
interface GroupHost {

    /** The groups the server lists, by partition, each with its state as read now. */
    Map<PartitionId, GroupState> groups();

    /** The partitions that have a group directory on disk, whether or not the server lists them. */
    Set<PartitionId> groupsOnDisk();

    /**
     * Creates the partition's group, empty, with {@code peers} as its configuration.
     *
     * @return false if the server already has the group
     * @throws IOException if the server refused or failed to create it
     */
    boolean add(PartitionId partition, List<NodeConfig> peers) throws IOException;

    /**
     * Takes the group off the server and closes its division; returns once it is closed. It leaves the
     * group's directory to {@link #deleteFiles}: a call that returns only after the group was created here
     * again must not delete the new group's files.
     *
     * @return false if the server did not have the group (nothing to do)
     * @throws IOException if the server failed to remove it
     */
    boolean remove(PartitionId partition) throws IOException;

    /** Deletes what is left of the partition's group directory; nothing when there is none. */
    void deleteFiles(PartitionId partition) throws IOException;

    /**
     * Whether the {@link #remove} call running on {@code call} waits for a division close that no thread is
     * running: then nothing will ever end the wait, and nothing can still write the group's files.
     *
     * @param call the thread running the call, or {@code null} if it is not known (then: false, unless the
     *     host can tell without it)
     */
    boolean removeWaitsForNothing(Thread call);

    /**
     * How a listed group is doing. Every state the reconciler can act on is named; "can it serve" and "is it
     * hosted" are decided by {@link #hosted()}, one rule for the reconciler, the status and the routing.
     */
    enum GroupState {
        /** Starting: created, not running yet (a joining member waits here until the leader contacts it). */
        STARTING,
        /** Running (or paused for a moment while a snapshot is installed), not leading. */
        SERVING,
        /**
         * Running and leading, with at least one other voting member leadership could move to. Removing
         * such a division races the leadership transfer the controller makes first; see the reconciler. It
         * also covers a transfer under way: Ratis's division API does not expose a pending transfer, but the
         * old leader keeps its leader role until the new one has taken over.
         */
        LEADING,
        /**
         * Listed by the server but not running: closing, closed, failed, or unreadable. Ratis keeps a division
         * that shut itself down (a log closed under it, a failed start) in its list, so being listed proves
         * nothing; such a group cannot serve and never recovers by itself, so it is repaired.
         */
        BROKEN;

        /** Whether the group counts as held here: it serves now, or is on its way to serving. */
        boolean hosted() {
            return switch (this) {
                case STARTING, SERVING, LEADING -> true;
                case BROKEN -> false;
            };
        }
    }
}
