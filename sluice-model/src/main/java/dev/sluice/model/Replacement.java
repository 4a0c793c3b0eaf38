package dev.sluice.model;

import java.time.Instant;
import java.util.Objects;

/**
 * An operator's replace of one worker by another, stored with the worker being replaced (OLD) while it drains: every
 * replica OLD holds moves to {@link #by} (NEW) and nowhere else, and nothing else in the cluster moves. OLD is
 * {@link WorkerState#DRAINING} for the whole replace, so the drain's machinery — leaderships shed first, make-before-break
 * moves, progress and stalls, the automatic draining → disabled — is the replace's; the replacement only decides where
 * OLD's replicas go, and keeps NEW from receiving anything else meanwhile (so the balancer does not fill it from other
 * workers). It ends with the drain: the controller disabling OLD finishes it, an operator cancelling the drain (OLD back
 * to active) cancels it, and either clears it.
 *
 * @param by the worker that receives OLD's replicas
 * @param requestId the request that started it, so a retry recognises its own write
 * @param credential the API credential that asked for it, when the node checked one; {@code null} otherwise
 */
public record Replacement(NodeId by, String reason, Actor requestedBy, Instant since, String requestId, CredentialName credential) {

    public Replacement {
        Objects.requireNonNull(by, "by");
        Objects.requireNonNull(requestedBy, "requestedBy");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(requestId, "requestId");
        reason = reason == null ? "" : reason;
        if (reason.length() > Cordon.MAX_REASON_CHARS) {
            throw new IllegalArgumentException("a replace's reason is at most " + Cordon.MAX_REASON_CHARS + " characters, got " + reason.length());
        }
    }
}
