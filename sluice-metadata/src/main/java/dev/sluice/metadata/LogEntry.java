package dev.sluice.metadata;

/** One entry of an append-only log, with its sequence number (strictly increasing in append order). */
public record LogEntry(long sequence, byte[] value) {

    public LogEntry {
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }
}
