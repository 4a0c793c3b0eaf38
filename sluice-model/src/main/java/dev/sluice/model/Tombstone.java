package dev.sluice.model;

import java.time.Instant;
import java.util.Objects;

/** What remains of a removed node: its id stays reserved forever, so ids are never reused. */
public record Tombstone(NodeId id, String name, int lastGeneration, Instant removedAt) {

    public Tombstone {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(removedAt, "removedAt");
    }
}
