package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Objects;

/**
 * One incarnation of a node: its plain id plus a generation that is bumped every time the node process
 * registers again (every restart). Commands about a node carry the generation they were decided
 * against, so a node that restarted in between is never changed by a stale command.
 *
 * <p>Prints as {@code N3:7}.
 */
public record GenerationalNodeId(NodeId id, int generation) implements Comparable<GenerationalNodeId> {

    public static final int FIRST_GENERATION = 1;

    public GenerationalNodeId {
        Objects.requireNonNull(id, "id");
        if (generation < FIRST_GENERATION) {
            throw new IllegalArgumentException("generation must be at least " + FIRST_GENERATION + ", got " + generation);
        }
    }

    /**
     * Parses {@code N3:7} (or {@code 3:7}).
     *
     * @throws IllegalArgumentException if {@code text} has another form
     */
    @JsonCreator
    public static GenerationalNodeId parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not a generational node id: '" + text + "' (expected a form like N3:7)");
        }
        NodeId id = NodeId.parse(text.substring(0, colon));
        String generation = text.substring(colon + 1);
        if (generation.isEmpty() || generation.length() > 9 || !generation.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("not a generational node id: '" + text + "' (expected a form like N3:7)");
        }
        return new GenerationalNodeId(id, Integer.parseInt(generation));
    }

    public GenerationalNodeId nextGeneration() {
        return new GenerationalNodeId(id, Math.addExact(generation, 1));
    }

    public boolean isSameNodeAs(GenerationalNodeId other) {
        return id.equals(other.id);
    }

    @Override
    public int compareTo(GenerationalNodeId other) {
        int byId = id.compareTo(other.id);
        return byId != 0 ? byId : Integer.compare(generation, other.generation);
    }

    @JsonValue
    @Override
    public String toString() {
        return id + ":" + generation;
    }
}
