package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The operator-facing lifecycle state of a worker: whether the scheduler may give it partition replicas
 * and whether it should keep the ones it holds. Stored in {@link NodeConfig}; this is intent, not
 * liveness (see {@link Liveness} for whether the process is running).
 *
 * <p>Every rule over this enum is an exhaustive {@code switch} without a default branch, so adding a
 * state does not compile until every rule has been decided for it.
 */
public enum WorkerState {

    /**
     * The worker has started but is not ready for load: it runs its warm-up checks and then activates
     * itself. It holds no replica and is never given one.
     */
    PROVISIONING,

    /** Normal operation: the worker takes part in replica sets and the scheduler may give it new replicas. */
    ACTIVE,

    /**
     * The worker is on its way out: it receives no new replica, its leaderships are moved first and its
     * replicas are moved to Active workers one by one. The controller makes it Disabled once it holds
     * nothing.
     */
    DRAINING,

    /** Final state: the worker is in no replica set and leads nothing, so it can be stopped safely. */
    DISABLED;

    /** The one definition of "may receive a new replica" used by scheduler, pre-checks and explanations. */
    public boolean mayReceiveReplicas() {
        return switch (this) {
            case ACTIVE -> true;
            case PROVISIONING, DRAINING, DISABLED -> false;
        };
    }

    /** Whether replicas this worker already holds should stay with it (otherwise they are moved away). */
    public boolean keepsReplicas() {
        return switch (this) {
            case ACTIVE -> true;
            case PROVISIONING, DRAINING, DISABLED -> false;
        };
    }

    /** Whether clients should be routed to this worker and its readiness endpoint says ready. */
    public boolean servesTraffic() {
        return switch (this) {
            case ACTIVE -> true;
            case PROVISIONING, DRAINING, DISABLED -> false;
        };
    }

    /** One sentence for operators: what this state means. */
    public String description() {
        return switch (this) {
            case PROVISIONING -> "started and warming up; holds no partition and receives none";
            case ACTIVE -> "in service; holds partition replicas and may receive new ones";
            case DRAINING -> "leaving; receives no new replica while its replicas move to active workers";
            case DISABLED -> "out of service; in no replica set and safe to stop";
        };
    }

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    /**
     * Parses a wire name ({@code draining}); case and underscores are tolerated.
     *
     * @throws IllegalArgumentException naming the four states if {@code text} is none of them
     */
    @JsonCreator
    public static WorkerState parse(String text) {
        return WireNames.parse(WorkerState.class, "worker state", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
