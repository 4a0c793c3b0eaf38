package dev.sluice.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.client.wire.DataApi;
import dev.sluice.client.wire.ErrorBody;
import dev.sluice.client.wire.ErrorCodes;
import dev.sluice.client.wire.RequestId;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.wire.DiskStatus;
import dev.sluice.wire.ShutdownStatus;
import dev.sluice.wire.WorkerStatus;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The worker's HTTP routes: the key-value data API, the routing a client needs, health and the worker
 * status. Installed into the node's one HTTP server by {@link #install(JavalinConfig, Worker)}.
 *
 * <pre>
 * PUT  /data/v1/kv/{key}      store the body; 204 once a majority committed it
 * GET  /data/v1/kv/{key}      200 with the value (linearizable, from the leader); 404 not-found
 * GET  /data/v1/routing       partition table, members per partition with URLs, leader hints
 * GET  /health/live           200 while the process runs
 * GET  /health/ready          200 only while this worker is Active, serving, its disk has room and it is not shutting down; 503 otherwise
 * GET  /internal/v1/status    the WorkerStatus: state, warm-up checks, per-replica Raft status
 * </pre>
 *
 * <p>Data errors: {@code 400} malformed-key, wrong-partition (the {@code X-Sluice-Partition} header or
 * {@code partition} query parameter names another partition than the key hashes to), unknown-partition,
 * value-too-large, malformed-header; {@code 421} not-leader with the leader and its URL when known; {@code 503}
 * no-leader or unavailable with {@code Retry-After}; {@code 504} timeout; {@code 507} insufficient-storage (a
 * write to a node whose data directory is below its free-space floor) with {@code Retry-After}. Bodies are
 * {@link ErrorBody} JSON.
 *
 * <p>A data request waits for Raft at most the node's data timeout, and at most
 * {@link DataApi#SERVER_SHARE_PERCENT}% of the caller's {@code X-Sluice-Timeout-Millis}: a leader that cannot
 * commit (cut off from its followers, or overloaded) answers {@code 504} while the caller still listens, rather
 * than leaving it to time out and wonder whether the node is alive. A write's {@code X-Sluice-Request-Id} is
 * handed to Raft, so the caller's retry of a timed-out write joins it instead of applying it twice.
 */
public final class WorkerHttp {

    /** Seconds a client is told to wait when a partition has no leader; elections take one to two. */
    static final int RETRY_AFTER_SECONDS = 1;
    /** The longest {@code X-Sluice-Timeout-Millis} accepted: a larger number is a mistake, not a deadline. */
    static final Duration MAX_CALLER_TIMEOUT = Duration.ofHours(1);

    private final Worker worker;

    private WorkerHttp(Worker worker) {
        this.worker = worker;
    }

    /** Adds the worker's routes to {@code config}. */
    public static void install(JavalinConfig config, Worker worker) {
        WorkerHttp http = new WorkerHttp(worker);
        config.routes.put(DataApi.KV_PATH + "<key>", ctx -> http.counted(ctx, ClientOperation.WRITE, http::put));
        config.routes.get(DataApi.KV_PATH + "<key>", ctx -> http.counted(ctx, ClientOperation.READ, http::get));
        config.routes.put(DataApi.KV_PATH, WorkerHttp::emptyKey);
        config.routes.get(DataApi.KV_PATH, WorkerHttp::emptyKey);
        config.routes.put("/data/v1/kv", WorkerHttp::emptyKey);
        config.routes.get("/data/v1/kv", WorkerHttp::emptyKey);
        config.routes.get(DataApi.ROUTING_PATH, http::routing);
        config.routes.get("/health/live", ctx -> json(ctx, 200, Map.of("live", true)));
        config.routes.get("/health/ready", http::ready);
        config.routes.get(WorkerStatus.PATH, ctx -> json(ctx, 200, worker.status()));
    }

    /**
     * Answers a data request with {@code handler} and counts the answer with its latency: from the moment the route
     * is reached, so the wait for Raft and every refusal before it are in it.
     */
    private void counted(Context ctx, ClientOperation operation, Handler handler) throws Exception {
        long startedNanos = System.nanoTime();
        ClientOutcome outcome = ClientOutcome.ERROR;
        try {
            handler.handle(ctx);
            outcome = ClientOutcome.ofStatus(ctx.statusCode());
        } finally {
            worker.clientRequests().answered(operation, outcome, Duration.ofNanos(System.nanoTime() - startedNanos));
        }
    }

    private void put(Context ctx) {
        Optional<Target> target = target(ctx);
        if (target.isEmpty()) {
            return;
        }
        Optional<RequestId> requestId = target.get().requestId();
        byte[] value = ctx.bodyAsBytes();
        if (value.length > DataApi.MAX_VALUE_BYTES) {
            error(ctx, 400, ErrorCodes.VALUE_TOO_LARGE, "value is " + value.length + " bytes; the limit is " + DataApi.MAX_VALUE_BYTES, null);
            return;
        }
        PartitionId partition = target.get().partition();
        byte[] command = KeyValueCommands.put(target.get().key(), value);
        DataReply reply = await(requestId.isPresent() ? worker.submitWrite(partition, command, requestId.get()) : worker.submit(partition, command, false),
                target.get().answerWithin());
        switch (reply) {
            case DataReply.Ok ok -> ctx.status(204);
            case DataReply.NotLeader notLeader -> redirect(ctx, partition, notLeader);
            case DataReply.NoLeader noLeader -> unavailable(ctx, ErrorCodes.NO_LEADER, noLeader.reason(), partition);
            case DataReply.TimedOut timedOut -> error(ctx, 504, ErrorCodes.TIMEOUT, "not committed within " + timedOut.waited().toMillis()
                    + " ms; the write may still be applied" + (requestId.isPresent() ? ", and retrying it with the same " + DataApi.REQUEST_ID_HEADER + " is safe" : ""),
                    partition);
            case DataReply.NoSpace noSpace -> insufficientStorage(ctx, noSpace, partition);
            case DataReply.Failed failed -> error(ctx, 500, ErrorCodes.INTERNAL, failed.message(), partition);
        }
    }

    private void get(Context ctx) {
        Optional<Target> target = target(ctx);
        if (target.isEmpty()) {
            return;
        }
        PartitionId partition = target.get().partition();
        DataReply reply = await(worker.submit(partition, KeyValueCommands.get(target.get().key()), true), target.get().answerWithin());
        switch (reply) {
            case DataReply.Ok ok -> {
                Optional<byte[]> value = KeyValueCommands.decodeGetReply(ok.reply());
                if (value.isPresent()) {
                    ctx.status(200).contentType("application/octet-stream").result(value.get());
                } else {
                    error(ctx, 404, ErrorCodes.NOT_FOUND, "no value under this key", partition);
                }
            }
            case DataReply.NotLeader notLeader -> redirect(ctx, partition, notLeader);
            case DataReply.NoLeader noLeader -> unavailable(ctx, ErrorCodes.NO_LEADER, noLeader.reason(), partition);
            case DataReply.TimedOut timedOut -> error(ctx, 504, ErrorCodes.TIMEOUT, "not answered within " + timedOut.waited().toMillis() + " ms", partition);
            case DataReply.NoSpace noSpace -> insufficientStorage(ctx, noSpace, partition);
            case DataReply.Failed failed -> error(ctx, 500, ErrorCodes.INTERNAL, failed.message(), partition);
        }
    }

    /**
     * @param answerWithin how long the request may wait for Raft: the data timeout, or less if the caller waits less
     * @param requestId a write's idempotency key, when the caller sent one
     */
    private record Target(byte[] key, PartitionId partition, Duration answerWithin, Optional<RequestId> requestId) {}

    /**
     * Validates the key, the client's partition assertion, its timeout and request id; answers the request itself
     * when they are wrong.
     */
    private Optional<Target> target(Context ctx) {
        Optional<PartitionTable> table = worker.partitionTable();
        if (table.isEmpty() || !worker.running()) {
            unavailable(ctx, ErrorCodes.UNAVAILABLE, "this node is not serving data yet", null);
            return Optional.empty();
        }
        String keyText = ctx.pathParam("key");
        byte[] key = keyText.getBytes(StandardCharsets.UTF_8);
        try {
            PartitionTable.requireValidKey(key);
        } catch (IllegalArgumentException malformed) {
            error(ctx, 400, ErrorCodes.MALFORMED_KEY, malformed.getMessage(), null);
            return Optional.empty();
        }
        PartitionId partition = table.get().partitionOf(key);
        String asserted = Optional.ofNullable(ctx.header(DataApi.PARTITION_HEADER)).orElse(ctx.queryParam(DataApi.PARTITION_QUERY));
        if (asserted != null) {
            PartitionId claimed;
            try {
                claimed = PartitionId.parse(asserted.trim());
            } catch (IllegalArgumentException notAPartition) {
                error(ctx, 400, ErrorCodes.UNKNOWN_PARTITION, notAPartition.getMessage(), null);
                return Optional.empty();
            }
            if (!table.get().contains(claimed)) {
                error(ctx, 400, ErrorCodes.UNKNOWN_PARTITION, "partition " + claimed + " does not exist; this cluster has "
                        + table.get().partitionCount() + " partitions (P0 to P" + (table.get().partitionCount() - 1) + ")", claimed);
                return Optional.empty();
            }
            if (!claimed.equals(partition)) {
                error(ctx, 400, ErrorCodes.WRONG_PARTITION, "the key belongs to " + partition + ", not " + claimed
                        + "; refresh the partition table", claimed);
                return Optional.empty();
            }
        }
        String timeout = ctx.header(DataApi.TIMEOUT_HEADER);
        Duration answerWithin = worker.config().dataTimeout();
        if (timeout != null) {
            try {
                answerWithin = answerWithin(worker.config().dataTimeout(), Duration.ofMillis(parsePositiveMillis(timeout)));
            } catch (IllegalArgumentException malformed) {
                error(ctx, 400, ErrorCodes.MALFORMED_HEADER, malformed.getMessage(), partition);
                return Optional.empty();
            }
        }
        Optional<RequestId> requestId = Optional.empty();
        String requestIdText = ctx.header(DataApi.REQUEST_ID_HEADER);
        if (requestIdText != null) {
            try {
                requestId = Optional.of(RequestId.parse(requestIdText.trim()));
            } catch (IllegalArgumentException malformed) {
                error(ctx, 400, ErrorCodes.MALFORMED_HEADER, malformed.getMessage(), partition);
                return Optional.empty();
            }
        }
        return Optional.of(new Target(key, partition, answerWithin, requestId));
    }

    /**
     * How long a request whose caller waits {@code callerWaits} may wait for Raft: {@link DataApi#SERVER_SHARE_PERCENT}
     * percent of it (the rest carries the answer back), never more than the node's {@code dataTimeout}, at least 1 ms.
     */
    static Duration answerWithin(Duration dataTimeout, Duration callerWaits) {
        Duration share = Duration.ofNanos(Math.max(1_000_000, callerWaits.toNanos() / 100 * DataApi.SERVER_SHARE_PERCENT));
        return share.compareTo(dataTimeout) < 0 ? share : dataTimeout;
    }

    private static long parsePositiveMillis(String text) {
        long millis;
        try {
            millis = Long.parseLong(text.trim());
        } catch (NumberFormatException notANumber) {
            millis = 0;
        }
        if (millis < 1 || millis > MAX_CALLER_TIMEOUT.toMillis()) {
            throw new IllegalArgumentException(DataApi.TIMEOUT_HEADER + " must be a whole number of milliseconds from 1 to "
                    + MAX_CALLER_TIMEOUT.toMillis() + ", got '" + (text.length() <= 40 ? text : text.substring(0, 37) + "...") + "'");
        }
        return millis;
    }

    private static DataReply await(CompletableFuture<DataReply> submitted, Duration answerWithin) {
        try {
            return submitted.get(answerWithin.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException slow) {
            return new DataReply.TimedOut(answerWithin);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return new DataReply.NoLeader("interrupted");
        } catch (ExecutionException bug) {
            return new DataReply.Failed("internal: " + bug.getCause());
        }
    }

    private void redirect(Context ctx, PartitionId partition, DataReply.NotLeader notLeader) {
        NodeConfig leader = notLeader.leaderNode();
        String message = notLeader.leader() == null
                ? "this node does not lead " + partition + " and knows no leader; refresh the routing"
                : "this node does not lead " + partition + "; " + notLeader.leader() + " does";
        ErrorBody body = new ErrorBody(ErrorCodes.NOT_LEADER, message, partition.toString(),
                notLeader.leader() == null ? null : notLeader.leader().toString(),
                leader == null ? null : leader.addresses().http().toString());
        write(ctx, 421, body);
    }

    /**
     * {@code 507}: the write was refused because this node's disk is low. The leaderships of a low node move
     * to other voters within seconds, so the client retries (it treats 5xx as transient) and finds the new
     * leader through the routing.
     */
    private static void insufficientStorage(Context ctx, DataReply.NoSpace noSpace, PartitionId partition) {
        ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        error(ctx, 507, ErrorCodes.INSUFFICIENT_STORAGE, noSpace.message(), partition);
    }

    private static void unavailable(Context ctx, String code, String message, PartitionId partition) {
        ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        error(ctx, 503, code, message, partition);
    }

    private static void emptyKey(Context ctx) {
        error(ctx, 400, ErrorCodes.MALFORMED_KEY, "key must not be empty: use " + DataApi.KV_PATH + "{key}", null);
    }

    private void routing(Context ctx) {
        if (worker.partitionTable().isEmpty()) {
            unavailable(ctx, ErrorCodes.UNAVAILABLE, "this node has not read the partition table yet", null);
            return;
        }
        try {
            json(ctx, 200, worker.routing());
        } catch (RoutingPlacements.RoutingNotLoaded loading) {
            unavailable(ctx, ErrorCodes.UNAVAILABLE, loading.getMessage(), null);
        }
    }

    private void ready(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean ready = worker.ready();
        body.put("ready", ready);
        worker.self().ifPresent(node -> {
            body.put("node", node.id().toString());
            body.put("state", node.workerState().wireName());
        });
        DiskStatus disk = worker.disk();
        body.put("disk", disk.state().wireName());
        worker.notReadyBecause(WorkerHttp::shuttingDown).ifPresent(reason -> body.put("reason", reason));
        json(ctx, ready ? 200 : 503, body);
    }

    /** Why a worker that is shutting down is not ready, in the words every surface shows. */
    static String shuttingDown(ShutdownStatus shutdown) {
        return "shutting down (" + shutdown.cause() + "): handing its leaderships to other members until "
                + shutdown.deadline().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ", then stopping";
    }

    private static void error(Context ctx, int status, String code, String message, PartitionId partition) {
        write(ctx, status, new ErrorBody(code, message, partition == null ? null : partition.toString(), null, null));
    }

    private static void write(Context ctx, int status, ErrorBody body) {
        json(ctx, status, body);
    }

    static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(Json.mapper().writeValueAsBytes(body));
        } catch (JsonProcessingException bug) {
            throw new IllegalStateException("BUG: cannot write " + body.getClass().getSimpleName() + " as JSON", bug);
        }
    }
}
