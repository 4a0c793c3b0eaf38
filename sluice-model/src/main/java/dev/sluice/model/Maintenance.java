package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * An operator's declaration that a worker goes away for a while and comes back with its data (a kernel
 * patch, a JVM upgrade): the temporary path, beside the worker states' permanent one. While it lasts the
 * worker leads nothing, receives no new replica and none of its replicas is replaced, however long its
 * process is down, up to {@link #until}. Stored with the node in the nodes configuration; an intent that
 * ended stays there, with {@link #end}, until the next one replaces it, so surfaces can say how it ended.
 *
 * <p>It ends when an operator ends it, when the node is back from a restart with every replica caught up
 * ({@link EndCause#CAUGHT_UP}), when a drain or disable replaces it, or when its time runs out. An intent
 * whose time ran out counts as ended at {@link #until} even before the controller records it, so every
 * reader agrees on when the ordinary dead-node grace period starts: at the end, never earlier.
 *
 * @param generation the node's generation when the intent began: being back means a newer one
 * @param requestId the request that began it, so a retry recognises its own write and an end names the
 *     intent it ends
 * @param end how it ended, or {@code null} while it lasts (up to {@link #until})
 * @param credential the API credential that asked for it, when the node checked one (since the scoped credentials;
 *     {@code null} in older documents)
 */
public record Maintenance(String reason, Actor requestedBy, Instant since, Instant until, int generation, String requestId, End end,
        CredentialName credential) {

    /** An intent no credential asked for. */
    public Maintenance(String reason, Actor requestedBy, Instant since, Instant until, int generation, String requestId, End end) {
        this(reason, requestedBy, since, until, generation, requestId, end, null);
    }

    /** The longest intent: a maintenance that needs longer is a decommission, which is what a drain is for. */
    public static final Duration MAX_DURATION = Duration.ofDays(7);

    public Maintenance {
        reason = reason == null ? "" : reason;
        Objects.requireNonNull(requestedBy, "requestedBy");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(until, "until");
        Objects.requireNonNull(requestId, "requestId");
        if (!until.isAfter(since)) {
            throw new IllegalArgumentException("a maintenance must end after it begins: " + since + " → " + until);
        }
    }

    /** How and when an intent ended. */
    public record End(Instant at, EndCause cause, Actor by) {
        public End {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(by, "by");
        }
    }

    /** Why an intent ended. */
    public enum EndCause {
        /** An operator ended it. */
        ENDED_BY_OPERATOR,
        /** The node came back with a new generation and every replica it hosts caught up with its leader. */
        CAUGHT_UP,
        /** Its time limit passed. */
        EXPIRED,
        /** A drain replaced it: intents only escalate. */
        REPLACED_BY_DRAIN,
        /** A (forced) disable or a return to provisioning replaced it. */
        REPLACED_BY_STATE_CHANGE;

        @JsonValue
        public String wireName() {
            return WireNames.of(this);
        }

        @JsonCreator
        public static EndCause parse(String text) {
            return WireNames.parse(EndCause.class, "maintenance end cause", text);
        }

        @Override
        public String toString() {
            return wireName();
        }
    }

    /** Whether the intent holds at {@code now}: not ended, and its time not run out. */
    public boolean activeAt(Instant now) {
        return end == null && now.isBefore(until);
    }

    /** When it ended or ends: its recorded end, else its time limit. */
    public Instant endsAt() {
        return end != null && end.at().isBefore(until) ? end.at() : until;
    }

    public Maintenance ended(Instant at, EndCause cause, Actor by) {
        return new Maintenance(reason, requestedBy, since, until, generation, requestId, new End(at, cause, by), credential);
    }
}
