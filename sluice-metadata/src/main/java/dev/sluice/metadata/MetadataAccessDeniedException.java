package dev.sluice.metadata;

/**
 * ZooKeeper refused an operation because the node's ACL does not grant this client's identity: the client has
 * no secret, or another cluster's. Retrying cannot help; the message says which setting to check.
 */
public final class MetadataAccessDeniedException extends MetadataException {
    public MetadataAccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
