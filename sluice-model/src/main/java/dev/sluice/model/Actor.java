package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Who asks for a lifecycle transition; the transition table grants each cell to some actors only. */
public enum Actor {
    /** A human or script through the CLI, HTTP API or dashboard. */
    OPERATOR,
    /** The elected cluster controller, acting on what it observed. */
    CONTROLLER,
    /** The worker process itself, about its own state (warm-up finished). */
    NODE;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static Actor parse(String text) {
        return WireNames.parse(Actor.class, "actor", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
