package dev.sluice.metadata;

/** A stored document could not be read as what its key should hold. Never replaced by a silent default. */
public final class CorruptDocumentException extends MetadataException {
    public CorruptDocumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
