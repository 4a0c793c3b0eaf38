package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.CorruptDocumentException;
import dev.sluice.metadata.DocumentCodec;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.metadata.Versioned;
import dev.sluice.model.Actor;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.CredentialName;
import dev.sluice.model.EventKind;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's runtime settings: reads the effective {@link Throttles} (stored, else the flags') and changes them
 * with a compare-and-set on the stored document, the {@code settings-changed} event (who, when, old → new) in the same
 * commit, so a change is audited exactly when it is written. Any node serves it; the controller reads the document on
 * its passes ({@link #effective()}).
 */
public final class SettingsRequests {

    /** Attempts of a change that loses its compare-and-set to a concurrent one before it gives up. */
    static final int MAX_ATTEMPTS = 5;

    private static final DocumentCodec<Throttles> CODEC = new DocumentCodec<>(Throttles.class, "throttle settings", 1);

    private final ClusterMetadata metadata;
    private final SchedulerLimits flags;
    private final InstantSource clock;

    /** @param flags the limits this node was started with: the effective throttles while none are stored */
    public SettingsRequests(ClusterMetadata metadata, SchedulerLimits flags, InstantSource clock) {
        this.metadata = metadata;
        this.flags = flags;
        this.clock = clock;
    }

    /** What a change led to. */
    public sealed interface Outcome {
        /** Written ({@code changed}), or every value already as asked (nothing written, no event). */
        record Done(Throttles before, Throttles after, boolean changed) implements Outcome {}

        /** A value is out of range or nothing was asked; nothing was written. */
        record Invalid(String message) implements Outcome {}

        /** Concurrent changes won every attempt; nothing was written. */
        record Conflict(String message) implements Outcome {}
    }

    /** The throttles in force: the stored ones, or this node's flags' while none are stored (or the stored ones cannot be read). */
    public Throttles effective() {
        return stored().map(StoredThrottles::throttles).orElseGet(() -> Throttles.of(flags));
    }

    /** {@link #effective()} applied to {@code limits}. */
    public SchedulerLimits limits(SchedulerLimits limits) {
        return effective().applyTo(limits);
    }

    private record StoredThrottles(Throttles throttles, long version) {}

    private Optional<StoredThrottles> stored() {
        Optional<Versioned> stored = metadata.store().get(ControllerDocuments.SETTINGS);
        return decode(stored).map(throttles -> new StoredThrottles(throttles, stored.get().version()));
    }

    /**
     * The throttles a value of {@link ControllerDocuments#SETTINGS} holds (as a watch delivers it), or empty for none
     * or one that cannot be read — logged, and then the flags apply.
     */
    public static Optional<Throttles> decode(Optional<Versioned> stored) {
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(CODEC.decode(ControllerDocuments.SETTINGS, stored.get().value()));
        } catch (CorruptDocumentException corrupt) {
            org.slf4j.LoggerFactory.getLogger(SettingsRequests.class).error("ignoring the stored throttles, using the flags': {}", corrupt.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Changes the throttles given (a {@code null} keeps its value), on behalf of {@code credential}. Validated before
     * anything is written: a value out of range, or no value at all, is {@link Outcome.Invalid} and changes nothing.
     */
    public Outcome change(Integer maxChangesPerNode, Integer maxChangesInCluster, Optional<CredentialName> credential) {
        return change(maxChangesPerNode, maxChangesInCluster, null, credential);
    }

    /**
     * {@link #change(Integer, Integer, Optional)} with the catch-up transfer rate too: bytes per second each worker takes in,
     * {@link dev.sluice.raft.TransferRate#UNLIMITED} for none; once stored it replaces every node's start-up flag.
     */
    public Outcome change(Integer maxChangesPerNode, Integer maxChangesInCluster, Long maxTransferBytesPerSecond, Optional<CredentialName> credential) {
        if (maxChangesPerNode == null && maxChangesInCluster == null && maxTransferBytesPerSecond == null) {
            return new Outcome.Invalid("nothing to change: give max-changes-per-node, max-changes-in-cluster and/or max-transfer-rate");
        }
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Optional<StoredThrottles> stored = stored();
            Throttles before = stored.map(StoredThrottles::throttles).orElseGet(() -> Throttles.of(flags));
            Throttles after;
            try {
                after = new Throttles(maxChangesPerNode == null ? before.maxChangesPerNode() : maxChangesPerNode,
                        maxChangesInCluster == null ? before.maxChangesInCluster() : maxChangesInCluster,
                        maxTransferBytesPerSecond == null ? before.maxTransferBytesPerSecond() : maxTransferBytesPerSecond, clock.instant(), Actor.OPERATOR,
                        credential.orElse(null));
            } catch (IllegalArgumentException invalid) {
                return new Outcome.Invalid(invalid.getMessage() + "; nothing was changed");
            }
            if (after.sameValues(before) && stored.isPresent()) {
                return new Outcome.Done(before, before, false);
            }
            List<Op> ops = new ArrayList<>();
            ops.add(Op.put(ControllerDocuments.SETTINGS, CODEC.encode(after),
                    stored.map(s -> Precondition.matchesVersion(s.version())).orElse(Precondition.DOES_NOT_EXIST)));
            ops.add(metadata.events().appendOp(event(before, after)));
            try {
                metadata.store().commit(ops);
                return new Outcome.Done(before, after, true);
            } catch (PreconditionFailedException concurrent) {
                // Another operator changed them between the read and the write: judge the request again on theirs.
            }
        }
        return new Outcome.Conflict("the throttles kept changing under this request (" + MAX_ATTEMPTS + " attempts); read them again and retry");
    }

    /** A transfer rate as the event and the CLI say it. */
    public static String transferRate(Long bytesPerSecond) {
        if (bytesPerSecond == null) {
            return "each node's flag";
        }
        return bytesPerSecond == dev.sluice.raft.TransferRate.UNLIMITED ? "unlimited" : dev.sluice.model.ByteSizes.human(bytesPerSecond) + "/s";
    }

    private static ClusterEvent event(Throttles before, Throttles after) {
        List<String> changes = new ArrayList<>();
        Map<String, Long> numbers = new LinkedHashMap<>();
        if (before.maxChangesPerNode() != after.maxChangesPerNode() || !before.stored()) {
            changes.add("max-changes-per-node " + before.maxChangesPerNode() + " → " + after.maxChangesPerNode());
        }
        if (before.maxChangesInCluster() != after.maxChangesInCluster() || !before.stored()) {
            changes.add("max-changes-in-cluster " + before.maxChangesInCluster() + " → " + after.maxChangesInCluster());
        }
        if (!java.util.Objects.equals(before.maxTransferBytesPerSecond(), after.maxTransferBytesPerSecond())) {
            changes.add("max-transfer-rate " + transferRate(before.maxTransferBytesPerSecond()) + " → " + transferRate(after.maxTransferBytesPerSecond()));
        }
        if (after.maxTransferBytesPerSecond() != null) {
            numbers.put("maxTransferBytesPerSecond", after.maxTransferBytesPerSecond());
        }
        numbers.put("maxChangesPerNodeBefore", (long) before.maxChangesPerNode());
        numbers.put("maxChangesPerNode", (long) after.maxChangesPerNode());
        numbers.put("maxChangesInClusterBefore", (long) before.maxChangesInCluster());
        numbers.put("maxChangesInCluster", (long) after.maxChangesInCluster());
        String message = "throttles changed by " + after.changedBy() + (after.credential() == null ? "" : " with credential " + after.credential()) + ": "
                + String.join(", ", changes) + (before.stored() ? "" : " (until now the controller's flags)");
        return ClusterEvent.of(after.changedAt(), EventKind.SETTINGS_CHANGED, null, null, message, numbers);
    }
}
