package dev.sluice.controller;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdMap;
import dev.sluice.model.NodesConfiguration;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The controller's meters: what it did (moves, leadership transfers, passes) and what it sees (drains,
 * replicas remaining, stalled partitions). What it did is counted by every node's controller for its own
 * terms (zero on a node that never led; sum the rates over nodes). What it sees is exported only while
 * this node leads the controller: a node that does not lead has no view of the cluster to report, and
 * zeros from it would read as an empty cluster. Scrape every node; each cluster-wide series then comes
 * from exactly one of them.
 */
public final class ControllerMetrics {

    private final Timer passDuration;
    private final Timer moveDuration;
    private final Timer leaderlessDuration;
    private final Counter movesCompleted;
    private final Counter moveStepsFailed;
    private final TaggedValues movesInFlight;
    private final TaggedValues drainsInProgress;
    private final TaggedValues stalledPartitions;
    private final TaggedValues stalledCount;
    /**
     * The most rows {@code sluice.partitions.stalled} has: a zone drain stalled as a whole (its partitions need the zone)
     * made 20 rows for each of thousands of draining workers, a series each in every scrape.
     */
    static final int MAX_STALLED_ROWS = 200;
    private final TaggedValues replicasRemaining;
    private final TaggedValues workersByState;
    private final TaggedValues replicasPerWorker;
    private final TaggedValues leadersPerWorker;
    private final TaggedValues inMaintenance;
    private final TaggedValues cordoned;
    private final TaggedValues rolloutRunning;
    private final TaggedValues drainAtRisk;
    private final MeterRegistry registry;
    /** Read and written on the controller's thread only (each pass's {@link #observe}), as are the two below. */
    private final Map<NodeId, NamedTags> workerTags = new NodeIdMap<>();
    /** The nodes configuration whose workers the per-worker and per-state rows are of; null: none yet. */
    private NodesConfiguration workersObservedIn;
    /** The counts the per-worker rows hold. */
    private Map<NodeId, ControllerStatus.WorkerCounts> countsObserved = Map.of();

    public ControllerMetrics(MeterRegistry registry) {
        this.registry = registry;
        passDuration = Timer.builder("sluice.controller.pass").description("time one controller pass takes").register(registry);
        moveDuration = Timer.builder("sluice.move.duration").description("time from writing a next replica set to completing it")
                .publishPercentileHistogram().register(registry);
        leaderlessDuration = Timer.builder("sluice.partition.leaderless.duration")
                .description("time a partition has no leader while its leadership is transferred").publishPercentileHistogram().register(registry);
        movesCompleted = Counter.builder("sluice.moves.completed").description("replica-set changes completed").register(registry);
        moveStepsFailed = Counter.builder("sluice.moves.failed").description("steps of replica-set changes that failed and are retried")
                .register(registry);
        movesInFlight = new TaggedValues(MultiGauge.builder("sluice.moves.in.flight").description("replica-set changes under way").register(registry));
        drainsInProgress = new TaggedValues(MultiGauge.builder("sluice.drains.in.progress").description("workers draining").register(registry));
        stalledPartitions = new TaggedValues(MultiGauge.builder("sluice.partitions.stalled")
                .description("1 for each stalled partition of a draining worker (at most " + MAX_STALLED_ROWS + "), tagged with the partition, "
                        + "the worker the reason is about, and the reason")
                .register(registry));
        stalledCount = new TaggedValues(MultiGauge.builder("sluice.drains.stalled.partitions")
                .description("stalled partitions of every draining worker, also those sluice.partitions.stalled leaves out").register(registry));
        replicasRemaining = new TaggedValues(MultiGauge.builder("sluice.drain.replicas.remaining").description("replicas a draining worker still holds")
                .register(registry));
        workersByState = new TaggedValues(MultiGauge.builder("sluice.workers").description("workers per worker state, as the controller leader sees them")
                .register(registry));
        replicasPerWorker = new TaggedValues(MultiGauge.builder("sluice.worker.replicas").description("replica sets naming each worker (current or next)")
                .register(registry));
        leadersPerWorker = new TaggedValues(MultiGauge.builder("sluice.worker.leaders").description("partitions each worker leads, as the workers report")
                .register(registry));
        rolloutRunning = new TaggedValues(MultiGauge.builder("sluice.rollout.running").description("1 while a rolling restart runs")
                .register(registry));
        drainAtRisk = new TaggedValues(MultiGauge.builder("sluice.drain.at.risk")
                .description("per running drain with a deadline: 1 while it is at risk of missing it or overdue, else 0").register(registry));
        inMaintenance = new TaggedValues(MultiGauge.builder("sluice.workers.in.maintenance")
                .description("workers whose maintenance intent holds now, as the controller leader sees them").register(registry));
        cordoned = new TaggedValues(MultiGauge.builder("sluice.workers.cordoned")
                .description("workers an operator cordoned (no new replica or leadership), as the controller leader sees them").register(registry));
    }

    void rolloutRunning(boolean running) {
        rolloutRunning.set(Map.of(Tags.empty(), running ? 1.0 : 0.0));
    }

    /** The group drains of this pass: one at-risk row per running one with a deadline, tagged with its id. */
    void drainGroups(List<DrainGroupProgress> groups) {
        Map<Tags, Double> rows = new LinkedHashMap<>();
        for (DrainGroupProgress group : groups) {
            if (!group.state().ended() && group.deadline() != null) {
                rows.put(Tags.of("drain", group.id()), group.deadlineStatus().warns() ? 1.0 : 0.0);
            }
        }
        drainAtRisk.set(rows);
    }

    /** A rolling restart completed, stopped or was cancelled while this controller led. */
    void rolloutEnded(Rollout.State state) {
        Counter.builder("sluice.rollouts.ended").description("rolling restarts that ended, by how").tag("state", state.wireName())
                .register(registry).increment();
    }

    /** The controller ended a maintenance intent ({@code caught-up} or {@code expired}). */
    void maintenanceEnded(dev.sluice.model.Maintenance.EndCause cause) {
        Counter.builder("sluice.maintenance.ended").description("maintenance intents the controller ended, by why").tag("cause", cause.wireName())
                .register(registry).increment();
    }

    /** Meters nobody reads, for tests and tools. */
    public static ControllerMetrics discarding() {
        return new ControllerMetrics(new SimpleMeterRegistry());
    }

    void passCompleted(Duration took) {
        passDuration.record(took);
    }

    void moveCompleted(Duration took) {
        movesCompleted.increment();
        moveDuration.record(took);
    }

    void leadershipMoved(Duration took) {
        leaderlessDuration.record(took);
    }

    void moveStepFailed() {
        moveStepsFailed.increment();
    }

    /** This node's controller term ended: the cluster-wide gauges go until it leads again. */
    void stoppedLeading() {
        for (TaggedValues view : List.of(movesInFlight, drainsInProgress, stalledPartitions, stalledCount, replicasRemaining, workersByState,
                replicasPerWorker, leadersPerWorker, inMaintenance, cordoned, rolloutRunning, drainAtRisk)) {
            view.set(Map.of());
        }
        workersObservedIn = null;
        countsObserved = Map.of();
    }

    /** Sets the meters from a pass's {@code status} and every drain of it ({@code drains}; the status lists only some). */
    void observe(ControllerStatus status, List<DrainProgress> drains, NodesConfiguration nodes) {
        movesInFlight.set(Map.of(Tags.empty(), (double) status.movesInFlight()));
        int running = 0;
        Map<Tags, Double> stalled = new LinkedHashMap<>();
        Map<Tags, Double> remaining = new LinkedHashMap<>();
        long stalledInAll = 0;
        for (DrainProgress drain : drains) {
            if (drain.state() == dev.sluice.model.WorkerState.DRAINING) {
                running++;
                stalledInAll += drain.stalledCount();
                for (DrainProgress.StalledPartition partition : drain.stalledPartitions()) {
                    if (stalled.size() >= MAX_STALLED_ROWS) {
                        break;
                    }
                    stalled.put(Tags.of("partition", partition.partition() == null ? "" : partition.partition().toString(),
                            "worker", partition.worker().toString(), "reason", partition.reason().wireName(), "drain", drain.node().toString()), 1.0);
                }
                String name = nodes.find(drain.node()).map(NodeConfig::name).orElse("");
                remaining.put(Tags.of("node", drain.node().toString(), "name", name), (double) drain.replicasRemaining());
            }
        }
        drainsInProgress.set(Map.of(Tags.empty(), (double) running));
        stalledPartitions.set(stalled);
        stalledCount.set(Map.of(Tags.empty(), (double) stalledInAll));
        replicasRemaining.set(remaining);

        Instant at = status.updatedAt();
        inMaintenance.set(Map.of(Tags.empty(), (double) nodes.workers().stream().filter(worker -> worker.inMaintenanceAt(at)).count()));
        if (nodes != workersObservedIn) {
            observeWorkers(status, nodes);
        } else {
            observeChangedCounts(status);
        }
    }

    /** Every per-worker row again, and the rows of each worker state: the workers, their names or states changed. */
    private void observeWorkers(ControllerStatus status, NodesConfiguration nodes) {
        Map<Tags, Double> states = new LinkedHashMap<>();
        for (dev.sluice.model.WorkerState state : dev.sluice.model.WorkerState.values()) {
            states.put(Tags.of("state", state.wireName()), 0.0);
        }
        Map<Tags, Double> replicas = new LinkedHashMap<>();
        Map<Tags, Double> led = new LinkedHashMap<>();
        // The status's own counts, which the API, the CLI and the dashboard show: one source, so the metrics
        // cannot disagree with them.
        Map<NodeId, ControllerStatus.WorkerCounts> counted = new NodeIdMap<>();
        status.workers().forEach(counts -> counted.put(counts.node(), counts));
        for (NodeConfig worker : nodes.workers()) {
            states.merge(Tags.of("state", worker.workerState().wireName()), 1.0, Double::sum);
            NodeId id = worker.nodeId();
            Tags tags = workerTags(worker);
            ControllerStatus.WorkerCounts counts = counted.get(id);
            replicas.put(tags, counts == null ? 0.0 : counts.replicas());
            led.put(tags, counts == null ? 0.0 : counts.leaderships());
        }
        workersByState.set(states);
        cordoned.set(Map.of(Tags.empty(), (double) nodes.workers().stream().filter(NodeConfig::isCordoned).count()));
        replicasPerWorker.set(replicas);
        leadersPerWorker.set(led);
        workersObservedIn = nodes;
        countsObserved = counted;
    }

    /**
     * The same workers as the last pass observed: only the rows whose counts changed are set. At ten thousand workers,
     * setting every row each pass (hashing each row's tags three times) was most of what observing a pass cost.
     */
    private void observeChangedCounts(ControllerStatus status) {
        Map<NodeId, ControllerStatus.WorkerCounts> counted = new NodeIdMap<>();
        for (ControllerStatus.WorkerCounts counts : status.workers()) {
            counted.put(counts.node(), counts);
            ControllerStatus.WorkerCounts before = countsObserved.get(counts.node());
            NamedTags tags = workerTags.get(counts.node());
            if (tags != null && !counts.equals(before)) {
                replicasPerWorker.update(tags.tags(), counts.replicas());
                leadersPerWorker.update(tags.tags(), counts.leaderships());
            }
        }
        for (NodeId gone : countsObserved.keySet()) {
            NamedTags tags = workerTags.get(gone);
            if (!counted.containsKey(gone) && tags != null) {
                replicasPerWorker.update(tags.tags(), 0.0);
                leadersPerWorker.update(tags.tags(), 0.0);
            }
        }
        countsObserved = counted;
    }

    /**
     * The tags of {@code worker}'s rows, made once per worker and name: at ten thousand workers, making them again for every
     * row of every pass was most of what observing a pass cost.
     */
    private Tags workerTags(NodeConfig worker) {
        NamedTags made = workerTags.get(worker.nodeId());
        if (made == null || !made.name().equals(worker.name())) {
            made = new NamedTags(worker.name(), Tags.of("node", worker.nodeId().toString(), "name", worker.name()));
            workerTags.put(worker.nodeId(), made);
        }
        return made.tags();
    }

    private record NamedTags(String name, Tags tags) {}

    /**
     * A multi-gauge whose rows read their values from a map the controller updates each pass. Rows are
     * registered again only when the set of tags changes: re-registering every pass (what
     * {@code MultiGauge.register(rows, true)} does) removes and adds each gauge, and a scrape that crossed
     * it saw the same series twice and failed ({@code DuplicateLabelsException} on {@code /metrics}).
     */
    private static final class TaggedValues {
        private final MultiGauge gauge;
        private final Map<Tags, Double> values = new ConcurrentHashMap<>();

        TaggedValues(MultiGauge gauge) {
            this.gauge = gauge;
        }

        /** The value of a row already registered. */
        void update(Tags tags, double value) {
            if (values.replace(tags, value) == null) {
                throw new IllegalStateException("BUG: no row " + tags + " to update");
            }
        }

        void set(Map<Tags, Double> next) {
            boolean sameSeries = next.keySet().equals(values.keySet());
            values.putAll(next);
            values.keySet().retainAll(next.keySet());
            if (!sameSeries) {
                List<MultiGauge.Row<?>> rows = new ArrayList<>();
                for (Tags tags : next.keySet()) {
                    rows.add(MultiGauge.Row.of(tags, values, map -> map.getOrDefault(tags, 0.0)));
                }
                gauge.register(rows, false);
            }
        }
    }
}
