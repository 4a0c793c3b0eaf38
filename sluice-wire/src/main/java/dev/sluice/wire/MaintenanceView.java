package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.Actor;
import dev.sluice.model.Maintenance;
import java.time.Instant;

/**
 * A node's latest maintenance intent as operators see it, lasting or ended.
 *
 * @param active whether it holds now (not ended, time not run out)
 * @param generation the node's generation when it began: the node is back once it runs a newer one
 * @param endedAt when it ended, or {@code null} while it lasts; an intent whose time ran out ended at {@code until}
 * @param endCause why it ended, or {@code null} while it lasts ({@code expired} once its time ran out, even before
 *     the controller recorded it)
 * @param credential the name of the API credential that asked for it, absent when none did (since the scoped
 *     credentials)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MaintenanceView(
        String reason,
        Actor requestedBy,
        Instant since,
        Instant until,
        int generation,
        boolean active,
        Instant endedAt,
        Maintenance.EndCause endCause,
        String credential) {

    /** An intent no credential asked for. */
    public MaintenanceView(String reason, Actor requestedBy, Instant since, Instant until, int generation, boolean active, Instant endedAt,
            Maintenance.EndCause endCause) {
        this(reason, requestedBy, since, until, generation, active, endedAt, endCause, null);
    }

    /** {@code intent} as it stands at {@code now}. */
    public static MaintenanceView of(Maintenance intent, Instant now) {
        boolean active = intent.activeAt(now);
        Maintenance.EndCause cause = intent.end() != null ? intent.end().cause() : active ? null : Maintenance.EndCause.EXPIRED;
        return new MaintenanceView(intent.reason(), intent.requestedBy(), intent.since(), intent.until(), intent.generation(), active,
                active ? null : intent.endsAt(), cause, intent.credential() == null ? null : intent.credential().value());
    }
}
