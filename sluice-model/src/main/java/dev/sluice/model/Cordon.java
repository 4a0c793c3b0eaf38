package dev.sluice.model;

import java.util.Objects;

/**
 * An operator's mark that a worker receives no new replica and no new leadership, while it keeps serving what it
 * holds: the worker stays in its state (an active one keeps its replicas, leads what it leads, and is ready), but no
 * placement path — first placement, repair, balancing, the targets of a drain — picks it. Stored with the node in
 * the nodes configuration while it holds; {@link NodesChange.UncordonNode} removes it.
 *
 * <p>It is orthogonal to the worker state, like {@link Maintenance}, and it outlasts transitions: an operator who
 * cordons a worker and later drains it and cancels the drain gets it back cordoned, because only the operator knows
 * why it was cordoned. It matters only while the worker may receive replicas; a draining or disabled worker receives
 * none anyway.
 *
 * @param requestId the request that cordoned it, so a retry recognises its own write
 * @param credential the API credential that asked for it, when the node checked one; {@code null} otherwise
 */
public record Cordon(String reason, Actor requestedBy, java.time.Instant since, String requestId, CredentialName credential) {

    /** Longest reason an operator may give; the same limit as a transition's. */
    public static final int MAX_REASON_CHARS = 500;

    public Cordon {
        reason = reason == null ? "" : reason;
        Objects.requireNonNull(requestedBy, "requestedBy");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(requestId, "requestId");
        if (reason.length() > MAX_REASON_CHARS) {
            throw new IllegalArgumentException("a cordon's reason is at most " + MAX_REASON_CHARS + " characters, got " + reason.length());
        }
    }
}
