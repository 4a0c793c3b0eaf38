package dev.sluice.model;

import java.util.List;
import java.util.Objects;

/**
 * A typed refusal: what was asked, why it cannot be done, and what can be done instead. The message is a
 * full sentence meant for an operator; the other fields are for scripts and the dashboard.
 *
 * @param node the node concerned, or {@code null} if unknown
 * @param current its state when the request was judged, or {@code null}
 * @param requested the state asked for, or {@code null} for requests that are not transitions
 * @param allowedNext states the same actor may ask for now without force
 * @param allowedWithForce states the same actor may ask for now with force
 * @param blocking the partitions that stop it, for a failed drain pre-check
 */
public record Refusal(
        RefusalKind kind,
        String message,
        NodeId node,
        WorkerState current,
        WorkerState requested,
        List<WorkerState> allowedNext,
        List<WorkerState> allowedWithForce,
        List<BlockingPartition> blocking) {

    public Refusal {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
        allowedNext = allowedNext == null ? List.of() : List.copyOf(allowedNext);
        allowedWithForce = allowedWithForce == null ? List.of() : List.copyOf(allowedWithForce);
        blocking = blocking == null ? List.of() : List.copyOf(blocking);
    }

    /** The same refusal with {@code detail} added to its message, for what only the caller knows (what a drain still waits for). */
    public Refusal withDetail(String detail) {
        return new Refusal(kind, message + "; " + detail, node, current, requested, allowedNext, allowedWithForce, blocking);
    }

    public static Refusal simple(RefusalKind kind, NodeId node, String message) {
        return new Refusal(kind, message, node, null, null, List.of(), List.of(), List.of());
    }
}
