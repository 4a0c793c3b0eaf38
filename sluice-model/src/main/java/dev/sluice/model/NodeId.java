package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The plain, permanent identity of a node: allocated once when a node name first registers and never
 * reused, also after the node is removed (its id then stays reserved by a tombstone).
 *
 * <p>Prints as {@code N3}. Parses {@code N3}, {@code n3} and {@code 3}, as Sluice's own documents and Raft
 * peer ids spell it; what an operator types goes through {@link NodesConfiguration#resolve(String)}
 * instead, which refuses a bare number because ids follow registration order and names do not.
 */
public record NodeId(int value) implements Comparable<NodeId> {

    public static final NodeId FIRST = new NodeId(1);

    public NodeId {
        if (value < 1) {
            throw new IllegalArgumentException("node id must be at least 1, got " + value);
        }
    }

    public static NodeId of(int value) {
        return new NodeId(value);
    }

    /**
     * Parses {@code N3}, {@code n3} or {@code 3}.
     *
     * @throws IllegalArgumentException if {@code text} is not one of those forms
     */
    @JsonCreator
    public static NodeId parse(String text) {
        String digits = text.startsWith("N") || text.startsWith("n") ? text.substring(1) : text;
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("not a node id: '" + text + "' (expected a form like N3 or 3)");
        }
        return new NodeId(Integer.parseInt(digits));
    }

    public NodeId next() {
        return new NodeId(Math.addExact(value, 1));
    }

    public GenerationalNodeId withGeneration(int generation) {
        return new GenerationalNodeId(this, generation);
    }

    @Override
    public int compareTo(NodeId other) {
        return Integer.compare(value, other.value);
    }

    @JsonValue
    @Override
    public String toString() {
        return "N" + value;
    }
}
