package dev.sluice.worker;

import dev.sluice.model.WireNames;

/** What a client asked of a worker's data routes. */
public enum ClientOperation {
    /** {@code PUT /data/v1/kv/{key}}: a command, answered once a majority committed it. */
    WRITE,
    /** {@code GET /data/v1/kv/{key}}: a linearizable query on the leader. */
    READ;

    public String wireName() {
        return WireNames.of(this);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
