package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The version of a stored document. {@link #INVALID} stands for "no document yet"; the first stored
 * version is {@link #MIN}; every applied change produces {@link #next()}.
 */
public record Version(long value) implements Comparable<Version> {

    public static final Version INVALID = new Version(0);
    public static final Version MIN = new Version(1);

    public Version {
        if (value < 0) {
            throw new IllegalArgumentException("version must not be negative, got " + value);
        }
    }

    @JsonCreator
    public static Version of(long value) {
        return value == 0 ? INVALID : new Version(value);
    }

    public Version next() {
        return new Version(Math.addExact(value, 1));
    }

    public boolean isValid() {
        return value > 0;
    }

    public boolean isNewerThan(Version other) {
        return value > other.value;
    }

    public boolean isAtLeast(Version other) {
        return value >= other.value;
    }

    @Override
    public int compareTo(Version other) {
        return Long.compare(value, other.value);
    }

    @JsonValue
    public long value() {
        return value;
    }

    @Override
    public String toString() {
        return "v" + value;
    }
}
