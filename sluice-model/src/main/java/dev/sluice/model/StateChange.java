package dev.sluice.model;

import java.time.Instant;
import java.util.Objects;

/**
 * When, by whom and why a node's worker state last changed, and which nodes-configuration version the
 * change produced. The request id lets a retried request recognise its own earlier write.
 *
 * @param credential the API credential that asked for the change, if one did (since the scoped credentials;
 *     {@code null} in older documents, for the controller's and a node's own changes, and without credentials)
 */
public record StateChange(Instant at, Actor actor, String reason, Version version, String requestId, CredentialName credential) {

    /** A change no credential asked for. */
    public StateChange(Instant at, Actor actor, String reason, Version version, String requestId) {
        this(at, actor, reason, version, requestId, null);
    }

    public StateChange {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(version, "version");
        reason = reason == null ? "" : reason;
        requestId = requestId == null ? "" : requestId;
    }
}
