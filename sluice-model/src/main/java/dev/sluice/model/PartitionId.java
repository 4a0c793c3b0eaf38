package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A partition of the key space, numbered from 0. Prints as {@code P5}. Parses {@code P5} and {@code 5}. */
public record PartitionId(int value) implements Comparable<PartitionId> {

    public PartitionId {
        if (value < 0) {
            throw new IllegalArgumentException("partition id must not be negative, got " + value);
        }
    }

    public static PartitionId of(int value) {
        return new PartitionId(value);
    }

    /**
     * Parses {@code P5}, {@code p5} or {@code 5}.
     *
     * @throws IllegalArgumentException if {@code text} has another form
     */
    @JsonCreator
    public static PartitionId parse(String text) {
        String digits = text.startsWith("P") || text.startsWith("p") ? text.substring(1) : text;
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("not a partition id: '" + text + "' (expected a form like P5 or 5)");
        }
        return new PartitionId(Integer.parseInt(digits));
    }

    /** Sorted partitions as ranges of consecutive ids: {@code P0–P5, P7, P9–P23}. */
    public static String ranges(java.util.Collection<PartitionId> partitions) {
        java.util.List<PartitionId> sorted = partitions.stream().distinct().sorted().toList();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < sorted.size(); ) {
            int end = i;
            while (end + 1 < sorted.size() && sorted.get(end + 1).value == sorted.get(end).value + 1) {
                end++;
            }
            text.append(text.isEmpty() ? "" : ", ").append(sorted.get(i));
            if (end > i) {
                text.append('–').append(sorted.get(end));
            }
            i = end + 1;
        }
        return text.toString();
    }

    @Override
    public int compareTo(PartitionId other) {
        return Integer.compare(value, other.value);
    }

    @JsonValue
    @Override
    public String toString() {
        return "P" + value;
    }
}
