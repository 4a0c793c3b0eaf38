package dev.sluice.metadata;

/** One operation of an atomic {@link MetadataStore#commit}. */
public sealed interface Op {

    String key();

    static Op put(String key, byte[] value, Precondition precondition) {
        return new Put(key, value.clone(), precondition);
    }

    static Op delete(String key, Precondition precondition) {
        return new Delete(key, precondition);
    }

    /** Fails the whole commit unless {@code key} is at {@code version}; writes nothing itself. */
    static Op check(String key, long version) {
        return new Check(key, version);
    }

    /** Appends an entry to the log at {@code logKey}, which gets the next sequence number. */
    static Op append(String logKey, byte[] value) {
        return new Append(logKey, value.clone());
    }

    record Put(String key, byte[] value, Precondition precondition) implements Op {}

    record Delete(String key, Precondition precondition) implements Op {}

    record Check(String key, long version) implements Op {}

    record Append(String key, byte[] value) implements Op {}

    /**
     * What one operation did.
     *
     * @param version the version written, for a put; 0 otherwise
     * @param sequence the sequence number of the appended entry, for an append (-1 if the store could not
     *     tell because the reply to an applied commit was lost); 0 otherwise
     */
    record Result(long version, long sequence) {}
}
