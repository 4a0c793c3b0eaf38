package dev.sluice.controller;

import dev.sluice.model.Actor;
import dev.sluice.model.CredentialName;
import dev.sluice.raft.TransferRate;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Instant;

/**
 * The controller's throttles as an operator set them at run time, stored in the metadata store
 * ({@link ControllerDocuments#SETTINGS}) so that every node's API and the next controller leader see the same values.
 * While no operator has changed them there is no document and each controller uses the flags it was started with
 * ({@code sluice server --max-changes-per-node}, {@code --max-changes-in-cluster}); once stored, the stored values win
 * on every node, and later changes go through {@link SettingsRequests} with a {@code settings-changed} event.
 *
 * @param maxChangesPerNode replica-set changes under way that may involve one worker ({@link SchedulerLimits#maxChangesPerNode()})
 * @param maxChangesInCluster replica-set changes under way in the whole cluster ({@link SchedulerLimits#maxChangesInCluster()})
 * @param maxTransferBytesPerSecond the byte rate at which each worker takes in catch-up traffic (snapshots and committed
 *     log for its new replicas; {@link TransferRate#UNLIMITED} for none), or {@code null} while no operator set it: then
 *     each node keeps the rate it was started with ({@code sluice server --max-transfer-rate})
 * @param changedAt when an operator last changed them, or {@code null} for the flags' values
 * @param changedBy who did, or {@code null} for the flags' values
 * @param credential the API credential that did, when the node checked one
 */
public record Throttles(int maxChangesPerNode, int maxChangesInCluster, Long maxTransferBytesPerSecond, Instant changedAt, Actor changedBy, CredentialName credential) {

    /** Far above anything a cluster of this design needs (about 128 groups per two-core worker): a typo, not a policy. */
    public static final int MAX_CHANGES_PER_NODE_LIMIT = 1_000;
    /** The same for the whole cluster. */
    public static final int MAX_CHANGES_IN_CLUSTER_LIMIT = 100_000;

    /**
     * @throws IllegalArgumentException naming the setting, the value and the accepted range, if a value is out of range
     */
    public Throttles {
        requireInRange("max-changes-per-node", maxChangesPerNode, MAX_CHANGES_PER_NODE_LIMIT);
        requireInRange("max-changes-in-cluster", maxChangesInCluster, MAX_CHANGES_IN_CLUSTER_LIMIT);
        if (maxTransferBytesPerSecond != null) {
            TransferRate.validate(maxTransferBytesPerSecond);
            TransferRate.requireRoomFor(maxTransferBytesPerSecond, maxChangesPerNode);
        }
    }

    private static void requireInRange(String name, long value, long max) {
        if (value < 1 || value > max) {
            throw new IllegalArgumentException(name + " must be between 1 and " + max + ", got " + value);
        }
    }

    /** The values of {@code limits}, as the flags set them: nobody changed them. */
    public static Throttles of(SchedulerLimits limits) {
        return new Throttles(limits.maxChangesPerNode(), limits.maxChangesInCluster(), null, null, null, null);
    }

    /** The catch-up rate a node started with {@code flag} takes in: the stored one once an operator set it. */
    public long transferRate(long flag) {
        return maxTransferBytesPerSecond == null ? flag : maxTransferBytesPerSecond;
    }

    /** {@code limits} with these throttles in place of its own. */
    public SchedulerLimits applyTo(SchedulerLimits limits) {
        return limits.withMaxChangesPerNode(maxChangesPerNode).withMaxChangesInCluster(maxChangesInCluster);
    }

    /** Whether an operator set them (stored), rather than the flags. */
    public boolean stored() {
        return changedAt != null;
    }

    public boolean sameValues(Throttles other) {
        return maxChangesPerNode == other.maxChangesPerNode && maxChangesInCluster == other.maxChangesInCluster
                && java.util.Objects.equals(maxTransferBytesPerSecond, other.maxTransferBytesPerSecond);
    }
}
