package dev.sluice.metadata;

/** A write's precondition did not hold; nothing was written. */
public final class PreconditionFailedException extends MetadataException {

    private final String key;
    private final boolean afterConnectionLoss;

    public PreconditionFailedException(String key, String message) {
        this(key, message, false);
    }

    public PreconditionFailedException(String key, String message, boolean afterConnectionLoss) {
        super(afterConnectionLoss ? message + " (after a lost connection: an earlier attempt of this write may have applied)" : message);
        this.key = key;
        this.afterConnectionLoss = afterConnectionLoss;
    }

    /**
     * Whether an earlier attempt of the same write lost its reply: that attempt may have applied, and
     * may be what this failure tripped over. Writers that need exactly-once put a unique token in the
     * value and look for it.
     */
    public boolean afterConnectionLoss() {
        return afterConnectionLoss;
    }

    /** The key whose precondition failed. */
    public String key() {
        return key;
    }
}
