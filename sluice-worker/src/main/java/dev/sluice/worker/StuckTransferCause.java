package dev.sluice.worker;

/** Why this node's worker made one of its leaders step down to end a leadership transfer Ratis left pending. */
public enum StuckTransferCause {
    /** A transfer this node asked for (a shutdown handover, a low-disk yield) failed before it started. */
    OWN_TRANSFER_FAILED("own-transfer-failed"),
    /** Writes were refused as "stepping down" for longer than any transfer may take: someone's transfer was left pending. */
    WRITES_REFUSED("writes-refused");

    private final String wireName;

    StuckTransferCause(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
