package dev.sluice.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One entry of the cluster's event log: something worth knowing happened, with the numbers that describe
 * it ({@code durationMillis}, {@code replicasRemaining} …). Worker-state transitions carry their
 * {@link AuditRecord}, which makes the event log the audit log too.
 *
 * @param node the node concerned, or {@code null}
 * @param partition the partition concerned, or {@code null}
 * @param transition the audit record for {@link EventKind#NODE_TRANSITION}, otherwise {@code null}
 */
public record ClusterEvent(
        Instant at,
        EventKind kind,
        NodeId node,
        PartitionId partition,
        String message,
        Map<String, Long> numbers,
        AuditRecord transition) {

    public ClusterEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        message = message == null ? "" : message;
        numbers = numbers == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(numbers));
        if ((kind == EventKind.NODE_TRANSITION) != (transition != null)) {
            throw new IllegalArgumentException("a node-transition event carries an audit record, and only it does");
        }
    }

    public static ClusterEvent of(Instant at, EventKind kind, NodeId node, PartitionId partition, String message, Map<String, Long> numbers) {
        return new ClusterEvent(at, kind, node, partition, message, numbers, null);
    }

    public ClusterEvent withMessage(String value) {
        return new ClusterEvent(at, kind, node, partition, value, numbers, transition);
    }

    public static ClusterEvent transition(AuditRecord record) {
        String message = record.node() + " (" + record.nodeName() + ") " + record.from() + " → " + record.to()
                + " by " + record.actor() + (record.credential() == null ? "" : " with credential " + record.credential())
                + (record.forced() ? " (forced)" : "")
                + (record.reason().isEmpty() ? "" : ": " + record.reason());
        return new ClusterEvent(record.at(), EventKind.NODE_TRANSITION, record.node().id(), null, message, Map.of(), record);
    }
}
