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
    /** The largest value a single write may carry; it must fit a Raft log entry (1 MiB) with its key. */
    public static final int MAX_VALUE_BYTES = 512 * 1024;
}
