package dev.sluice.model;

import java.time.Instant;
import java.util.Objects;

/**
 * When, by whom and why a node's worker state last changed, and which nodes-configuration version the
 * change produced. The request id lets a retried request recognise its own earlier write.
 */
public record StateChange(Instant at, Actor actor, String reason, Version version, String requestId) {

    public StateChange {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(version, "version");
        reason = reason == null ? "" : reason;
        requestId = requestId == null ? "" : requestId;
    }
}
