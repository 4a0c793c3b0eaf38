package dev.sluice.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A partition that stops an operation (a drain, say), with the scheduler's machine-readable reason code
 * (for example {@code not-enough-candidates}) and a sentence with the numbers in it.
 */
public record BlockingPartition(PartitionId partition, String reason, String message) {

    public BlockingPartition {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }

    /** Partitions blocked for the same reason with the same sentence, as a range list: {@code P0–P5, P9}. */
    public record Group(List<PartitionId> partitions, String reason, String message) {

        public Group {
            partitions = List.copyOf(partitions);
        }

        public String ranges() {
            return PartitionId.ranges(partitions);
        }

        @Override
        public String toString() {
            return ranges() + (partitions.size() > 1 ? " (" + partitions.size() + ")" : "") + ": " + reason + ": " + message;
        }
    }

    /**
     * {@code blocking} grouped by reason and sentence, the largest group first: a drain that 24 partitions
     * block for one reason reads as one line, not 24.
     */
    public static List<Group> grouped(List<BlockingPartition> blocking) {
        Map<List<String>, TreeSet<PartitionId>> byCause = new LinkedHashMap<>();
        for (BlockingPartition partition : blocking) {
            byCause.computeIfAbsent(List.of(partition.reason(), partition.message()), cause -> new TreeSet<>()).add(partition.partition());
        }
        List<Group> groups = new ArrayList<>();
        byCause.forEach((cause, partitions) -> groups.add(new Group(List.copyOf(partitions), cause.get(0), cause.get(1))));
        groups.sort((a, b) -> Integer.compare(b.partitions().size(), a.partitions().size()));
        return List.copyOf(groups);
    }

    /** The first {@code groups} groups of {@link #grouped}, joined, with how many more there are. */
    public static String summary(List<BlockingPartition> blocking, int groups) {
        List<Group> all = grouped(blocking);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < Math.min(groups, all.size()); i++) {
            text.append(i == 0 ? "" : "; ").append(all.get(i));
        }
        if (all.size() > groups) {
            text.append("; and ").append(all.size() - groups).append(" more group(s)");
        }
        return text.toString();
    }
}
