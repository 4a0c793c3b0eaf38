package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * A node's last worker-state change ({@code lastChange} of a {@link NodeView}).
 *
 * @param actor who made it, an {@link dev.sluice.model.Actor}'s wire name
 * @param version the nodes-configuration version the change produced
 * @param credential the name of the API credential that asked for it, absent when none did (since the scoped
 *     credentials)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StateChangeView(Instant at, String actor, String reason, long version, String credential) {

    /** A change no credential asked for. */
    public StateChangeView(Instant at, String actor, String reason, long version) {
        this(at, actor, reason, version, null);
    }
}
