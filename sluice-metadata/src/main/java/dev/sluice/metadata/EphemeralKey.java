package dev.sluice.metadata;

/** A key that lives as long as the session that created it; closing it deletes the key. */
public interface EphemeralKey extends AutoCloseable {

    String key();

    /** Replaces the value (the key keeps living with the session). */
    void update(byte[] value);

    @Override
    void close();
}
