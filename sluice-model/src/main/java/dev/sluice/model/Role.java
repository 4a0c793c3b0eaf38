package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a node process does. A node has one or more roles. */
public enum Role {
    /** Hosts partition replicas and serves clients for the partitions it leads. */
    WORKER,
    /** May run the cluster controller (one admin node at a time leads). */
    ADMIN;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static Role parse(String text) {
        return WireNames.parse(Role.class, "role", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
