package dev.sluice.metadata;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of an append-only log, with its sequence number (strictly increasing in append order) and the
 * time the store recorded it. That time is the store's, not a writer's: with several writers whose clocks
 * and delays differ, it is the one time that grows with the sequence (ZooKeeper stamps an entry with its
 * leader's clock when it orders the entry; a leader change between machines with skewed clocks is the one
 * way it can step back).
 */
public record LogEntry(long sequence, byte[] value, Instant appendedAt) {

    public LogEntry {
        value = value.clone();
        Objects.requireNonNull(appendedAt, "appendedAt");
    }

    @Override
    public byte[] value() {
        return value.clone();
    }
}
