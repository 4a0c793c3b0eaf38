package dev.sluice.client.wire;

/** Paths, headers and limits of the HTTP data API, in one place for the worker and the client. */
public final class DataApi {

    private DataApi() {}

    /** {@code PUT} stores the request body under the key; {@code GET} returns it. The key follows, percent-encoded. */
    public static final String KV_PATH = "/data/v1/kv/";
    /** {@code GET}: a {@link RoutingInfo}. */
    public static final String ROUTING_PATH = "/data/v1/routing";
    /** The partition the client computed for the key; the node refuses the request if it disagrees. */
    public static final String PARTITION_HEADER = "X-Sluice-Partition";
    /** The same assertion as a query parameter, for tools that cannot set headers. */
    public static final String PARTITION_QUERY = "partition";
    /**
     * How long the caller waits for this request's answer, in whole milliseconds (optional). The node spends at
     * most {@link #SERVER_SHARE_PERCENT} percent of it (and never more than its own data timeout) waiting for Raft,
     * so it answers {@code 504 timeout} while the caller still listens instead of leaving it to time out.
     */
    public static final String TIMEOUT_HEADER = "X-Sluice-Timeout-Millis";
    /**
     * A write's idempotency key, a {@link RequestId} (optional). Every attempt of one write carries the same
     * key; a leader that already has the write, committed or in flight, answers with it instead of appending
     * it again, so a retried write is applied once.
     */
    public static final String REQUEST_ID_HEADER = "X-Sluice-Request-Id";
    /** The share of the caller's {@link #TIMEOUT_HEADER} a node may spend; the rest carries the answer back. */
    public static final int SERVER_SHARE_PERCENT = 80;
    /** The largest value a single write may carry; it must fit a Raft log entry (1 MiB) with its key. */
    public static final int MAX_VALUE_BYTES = 512 * 1024;
}
