package dev.sluice.metadata;

import java.util.Arrays;

/** A stored value with the version it was read at. */
public record Versioned(byte[] value, long version) {

    public Versioned {
        value = value.clone();
        if (version < 1) {
            throw new IllegalArgumentException("stored versions start at 1, got " + version);
        }
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Versioned that && version == that.version && Arrays.equals(value, that.value);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(value) + Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "Versioned{v" + version + ", " + value.length + " bytes}";
    }
}
