package dev.sluice.metadata;

/** The store could not be reached in time. A write that failed this way may or may not have applied. */
public final class MetadataUnavailableException extends MetadataException {
    public MetadataUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
