package dev.sluice.worker;

import dev.sluice.model.PartitionId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * How a graceful shutdown's handover of leaderships went: every partition this node led while it handed over,
 * which of them another member leads at the end, and why each of the others does not.
 *
 * @param led every partition this node led during the handover, including one handed back to it meanwhile
 * @param moved those another member leads at the end, as this node's replica knows
 * @param notMoved the others, each with why; they pay an election when the node stops
 * @param took from the start of the shutdown to the end of the handover
 */
public record HandoverReport(Set<PartitionId> led, Set<PartitionId> moved, Map<PartitionId, String> notMoved, Duration took) {

    public HandoverReport {
        led = java.util.Collections.unmodifiableSet(new TreeSet<>(led));
        moved = java.util.Collections.unmodifiableSet(new TreeSet<>(moved));
        notMoved = java.util.Collections.unmodifiableMap(new TreeMap<>(notMoved));
        Objects.requireNonNull(took, "took");
        Set<PartitionId> accounted = new TreeSet<>(moved);
        accounted.addAll(notMoved.keySet());
        if (!accounted.equals(led) || moved.stream().anyMatch(notMoved::containsKey)) {
            throw new IllegalArgumentException("BUG: every partition led must be moved or not moved, once: led " + led + ", moved " + moved
                    + ", not moved " + notMoved.keySet());
        }
    }

    /** A handover that had nothing to do, or could not run, with the reason for every partition it led. */
    static HandoverReport nothingMoved(Map<PartitionId, String> notMoved, Duration took) {
        return new HandoverReport(notMoved.keySet(), Set.of(), notMoved, took);
    }

    public boolean complete() {
        return notMoved.isEmpty();
    }

    /**
     * One line, partitions with the same reason together: {@code led 6, moved 4 in 412 ms, 2 not moved (P3, P7: no other
     * member may lead it: N2 is draining; N4 is not ready: …)}.
     */
    public String summary() {
        String line = "led " + led.size() + ", moved " + moved.size() + " in " + took.toMillis() + " ms, " + notMoved.size() + " not moved";
        if (notMoved.isEmpty()) {
            return line;
        }
        Map<String, List<PartitionId>> byReason = new LinkedHashMap<>();
        notMoved.forEach((partition, why) -> byReason.computeIfAbsent(why, reason -> new ArrayList<>()).add(partition));
        return line + " (" + byReason.entrySet().stream()
                .map(entry -> entry.getValue().stream().map(PartitionId::toString).collect(Collectors.joining(", ")) + ": " + entry.getKey())
                .collect(Collectors.joining("; ")) + ")";
    }
}
