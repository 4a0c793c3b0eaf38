package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.Actor;
import dev.sluice.model.Cordon;
import java.time.Instant;

/**
 * A worker's cordon as operators see it: while it holds, the worker receives no new replica or leadership and keeps
 * what it holds.
 *
 * @param credential the name of the API credential that asked for it, absent when none did
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CordonView(String reason, Actor requestedBy, Instant since, String credential) {

    public static CordonView of(Cordon cordon) {
        return new CordonView(cordon.reason(), cordon.requestedBy(), cordon.since(), cordon.credential() == null ? null : cordon.credential().value());
    }
}
