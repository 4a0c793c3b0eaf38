package dev.sluice.server;

import dev.sluice.model.WorkerState;
import dev.sluice.wire.DiskState;
import dev.sluice.wire.DiskStatus;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.wire.WorkerStatus;
import dev.sluice.worker.ClientOperation;
import dev.sluice.worker.ClientOutcome;
import dev.sluice.worker.ClientRequests;
import dev.sluice.raft.CatchUpThrottle;
import dev.sluice.worker.StuckTransferCause;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one node reports about itself: its worker state, the replicas it hosts and leads, how far its
 * replicas lag, its data directory's free space and disk state, and the data requests it answered. The worker status is computed at most once a second, however often it is scraped.
 */
final class NodeMetrics implements AutoCloseable {

    private static final Duration CACHE = Duration.ofSeconds(1);

    private final SluiceNode node;
    private volatile WorkerStatus cached;
    private volatile long cachedAtNanos;

    NodeMetrics(MeterRegistry registry, SluiceNode node) {
        this.node = node;
        clientRequests(registry, node.worker().clientRequests());
        Gauge.builder("sluice.node.replicas", this, m -> m.status().replicas().size())
                .description("partition replicas this node hosts").register(registry);
        Gauge.builder("sluice.node.leaders", this, m -> m.status().replicas().stream().filter(r -> r.role().wireName().equals("leader")).count())
                .description("partitions this node leads").register(registry);
        Gauge.builder("sluice.node.replica.max.lag", this, m -> m.status().replicas().stream().mapToLong(ReplicaStatus::lag).max().orElse(0))
                .baseUnit("entries").description("the most committed entries any replica here has not applied").register(registry);
        for (WorkerState state : WorkerState.values()) {
            Gauge.builder("sluice.node.state", this, m -> m.status().state() == state ? 1 : 0)
                    .tag("state", state.wireName()).description("1 for this node's worker state").register(registry);
        }
        Gauge.builder("sluice.node.ready", this, m -> m.status().ready() ? 1 : 0).description("1 while the node serves clients").register(registry);
        // An operator alerts on the floor before the node stops taking writes, not after.
        Gauge.builder("sluice.node.disk.free", this, m -> m.disk().map(DiskStatus::freeBytes).orElse(-1L)).baseUnit("bytes")
                .description("usable bytes in the data directory's filesystem at the last check").register(registry);
        Gauge.builder("sluice.node.disk.floor", this, m -> m.disk().map(DiskStatus::floorBytes).orElse(-1L)).baseUnit("bytes")
                .description("below this free space the node refuses writes and is not ready").register(registry);
        for (DiskState state : DiskState.values()) {
            Gauge.builder("sluice.node.disk.state", this, m -> m.disk().map(disk -> disk.state() == state ? 1 : 0).orElse(0))
                    .tag("state", state.wireName()).description("1 for the state of this node's data directory").register(registry);
        }
        // The controller's step-downs are in its move-failed events; these are the ones no controller asked for.
        for (StuckTransferCause cause : StuckTransferCause.values()) {
            FunctionCounter.builder("sluice.node.stuck.transfer.step.downs", node.worker(), worker -> worker.stuckTransferStepDowns(cause))
                    .tag("cause", cause.wireName())
                    .description("leaders here the worker made step down to end a leadership transfer Ratis left pending").register(registry);
        }
        // A drain slower than its plan: these say whether the transfer limit is what holds it back.
        Gauge.builder("sluice.node.catch.up.rate.limit", node.worker(), worker -> worker.transferRate().bytesPerSecond()).baseUnit("bytes.per.second")
                .description("the byte rate at which this worker takes in catch-up traffic; 0 for no limit").register(registry);
        for (CatchUpThrottle.Kind kind : CatchUpThrottle.Kind.values()) {
            FunctionCounter.builder("sluice.node.catch.up", node.worker(), worker -> worker.catchUpBytes(kind)).baseUnit("bytes").tag("kind", kind.wireName())
                    .description("catch-up bytes this worker received for its new replicas: snapshot chunks, and log entries already committed")
                    .register(registry);
        }
        FunctionCounter.builder("sluice.node.catch.up.wait", node.worker(), worker -> worker.transferRate().nanosWaited() / 1e9).baseUnit("seconds")
                .description("time catch-up messages waited for the transfer limit, summed").register(registry);
    }

    /**
     * {@code sluice_client_request_seconds}, by operation and outcome: every combination registered up front, so
     * a rate of failures reads zero before the first one instead of having no series.
     */
    private static void clientRequests(MeterRegistry registry, ClientRequests requests) {
        Map<ClientOperation, Map<ClientOutcome, Timer>> timers = new EnumMap<>(ClientOperation.class);
        for (ClientOperation operation : ClientOperation.values()) {
            Map<ClientOutcome, Timer> byOutcome = new EnumMap<>(ClientOutcome.class);
            for (ClientOutcome outcome : ClientOutcome.values()) {
                byOutcome.put(outcome, Timer.builder("sluice.client.request")
                        .description("data requests this node answered (PUT and GET /data/v1/kv/{key}), by operation and outcome")
                        .tag("operation", operation.wireName()).tag("outcome", outcome.wireName())
                        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                        .register(registry));
            }
            timers.put(operation, byOutcome);
        }
        requests.listen((operation, outcome, latency) -> timers.get(operation).get(outcome).record(latency));
    }

    private java.util.Optional<DiskStatus> disk() {
        return java.util.Optional.ofNullable(status().disk());
    }

    private WorkerStatus status() {
        long now = System.nanoTime();
        WorkerStatus status = cached;
        if (status == null || now - cachedAtNanos > CACHE.toNanos()) {
            status = node.worker().status();
            cached = status;
            cachedAtNanos = now;
        }
        return status;
    }

    @Override
    public void close() {
        node.worker().clientRequests().stopListening();
        cached = new WorkerStatus(node.config().worker().nodeName(), null, null, false, List.of(), "stopped", 0, List.of(), java.time.Instant.EPOCH);
    }
}
