package dev.sluice.metadata;

/** A running watch; closing it stops the notifications. */
public interface Watch extends AutoCloseable {
    @Override
    void close();
}
