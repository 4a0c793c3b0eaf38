package dev.sluice.client.wire;

/** The kebab-case error codes of the data API, shared by the worker that sends them and the client that reads them. */
public final class ErrorCodes {

    private ErrorCodes() {}

    /** 421: this node does not lead the partition; the body names the leader when it is known. */
    public static final String NOT_LEADER = "not-leader";
    /** 503: the partition has no leader right now (election, leadership transfer, replica-set change). */
    public static final String NO_LEADER = "no-leader";
    /** 503: this node is not serving data yet or any more (starting, stopping). */
    public static final String UNAVAILABLE = "unavailable";
    /** 400: the key is empty, too long or not decodable. */
    public static final String MALFORMED_KEY = "malformed-key";
    /** 400: the partition the client asserted is not the one the key hashes to. */
    public static final String WRONG_PARTITION = "wrong-partition";
    /** 400: the partition the client asserted does not exist in this cluster. */
    public static final String UNKNOWN_PARTITION = "unknown-partition";
    /** 400: a header the data API reads ({@code X-Sluice-Timeout-Millis}, {@code X-Sluice-Request-Id}) is malformed. */
    public static final String MALFORMED_HEADER = "malformed-header";
    /** 400: the value is larger than the limit. */
    public static final String VALUE_TOO_LARGE = "value-too-large";
    /** 404: no value is stored under the key. */
    public static final String NOT_FOUND = "not-found";
    /**
     * 504: the write or read did not complete within the caller's deadline (or the node's data timeout); a
     * write may still be applied, and retrying it with the same request id is safe.
     */
    public static final String TIMEOUT = "timeout";
    /**
     * 507: this node's data directory is below its free-space floor, so it takes no writes; the message names
     * the node, the directory and the numbers. Another node will lead the partition shortly: retry.
     */
    public static final String INSUFFICIENT_STORAGE = "insufficient-storage";
    /** 500: the node failed in a way it did not expect. */
    public static final String INTERNAL = "internal";
}
