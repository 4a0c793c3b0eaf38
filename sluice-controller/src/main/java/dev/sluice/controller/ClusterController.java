package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.LeaderElection;
import dev.sluice.metadata.MetadataUnavailableException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster controller of one admin node: it joins the election and, while it leads, runs the
 * {@link ControlLoop} on one thread — a pass on every change it is told of (nodes configuration,
 * placements, liveness, answers from workers) and periodically. Each leadership term starts by taking a
 * new fencing epoch, so a deposed leader can no longer write.
 */
public final class ClusterController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterController.class);

    /** Passes asked for in quick succession are run no closer together than this. */
    static final Duration MIN_PASS_SPACING = Duration.ofMillis(20);
    /** How often a node that could not reach the metadata store tries again to join the election. */
    static final Duration ELECTION_RETRY = Duration.ofSeconds(2);

    private final ClusterMetadata metadata;
    private final DataPlane dataPlane;
    private final ControllerConfig config;
    private final InstantSource clock;
    private final String participantId;
    private final ControllerMetrics metrics;
    private final ScheduledExecutorService thread;
    /** Writes the status and events off the pass's thread (see {@link StatusWriter}); shared by this node's terms. */
    private final ExecutorService statusWrites;
    private final AtomicBoolean passQueued = new AtomicBoolean();

    private volatile LeaderElection election;
    private volatile ControlLoop loop;
    private ClusterView view;
    private ScheduledFuture<?> nextPass;
    private long lastPassEndedNanos;
    private volatile boolean closed;

    public ClusterController(ClusterMetadata metadata, DataPlane dataPlane, ControllerConfig config, InstantSource clock, String participantId,
            ControllerMetrics metrics) {
        this.metadata = metadata;
        this.dataPlane = dataPlane;
        this.config = config;
        this.clock = clock;
        this.participantId = participantId;
        this.metrics = metrics;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-controller-" + participantId);
            t.setDaemon(true);
            return t;
        });
        this.statusWrites = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-controller-status-" + participantId);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Joins the election; leadership, when it comes, starts the control loop. If the metadata store cannot
     * be reached now, it keeps trying on the controller's thread every {@link #ELECTION_RETRY}: a node that
     * starts during a ZooKeeper outage must wait for it, not fail (seen in a chaos run: a node restarted
     * during a quorum loss exited with status 1 here).
     */
    public void start() {
        joinElection();
    }

    private void joinElection() {
        if (closed) {
            return;
        }
        LeaderElection joined;
        try {
            joined = metadata.store().elect(ControllerDocuments.ELECTION, participantId);
        } catch (MetadataUnavailableException unavailable) {
            log.warn("{} cannot join the controller election yet; trying again in {}: {}", participantId, ELECTION_RETRY, unavailable.getMessage());
            try {
                thread.schedule(this::joinElection, ELECTION_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // Closed meanwhile: nothing to join.
            }
            return;
        }
        joined.addListener(new LeaderElection.Listener() {
            @Override
            public void leadershipAcquired() {
                thread.execute(ClusterController.this::beginTerm);
            }

            @Override
            public void leadershipLost() {
                thread.execute(ClusterController.this::endTerm);
            }
        });
        election = joined;
        if (closed) {
            joined.close();
        }
    }

    public boolean isLeader() {
        return loop != null;
    }

    public String participantId() {
        return participantId;
    }

    /** The status of this node's control loop, if it leads and has run a pass. */
    public Optional<ControllerStatus> localStatus() {
        ControlLoop current = loop;
        return current == null ? Optional.empty() : Optional.ofNullable(current.lastStatus());
    }

    /** Asks for a pass soon; many requests coalesce into one pass. */
    public void requestPass() {
        if (!closed && passQueued.compareAndSet(false, true)) {
            long sinceLast = System.nanoTime() - lastPassEndedNanos;
            long wait = Math.max(0, MIN_PASS_SPACING.toNanos() - sinceLast);
            try {
                thread.schedule(this::pass, wait, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                passQueued.set(false);
            }
        }
    }

    private void beginTerm() {
        if (closed || loop != null) {
            return;
        }
        try {
            Fence fence = new ControllerDocuments(metadata).takeEpoch(participantId);
            // Before this term writes any placement: a cluster created before the placement index gets it once, under
            // this term's fence, so no other controller changes a replica set while it is built (PlacementStore.ensureIndex).
            long indexed = metadata.placements().ensureIndex(java.util.List.of(fence), clock.instant(), participantId);
            if (indexed > 0) {
                log.info("{} built the placement index of {} placements", participantId, indexed);
            }
            view = ClusterView.watching(metadata, this::requestPass);
            loop = new ControlLoop(metadata, view, dataPlane, config, clock, fence, participantId, this::requestPass, metrics, statusWrites);
            log.info("{} leads the cluster controller (epoch {})", participantId, fence.version());
            metadata.events().append(dev.sluice.model.ClusterEvent.of(clock.instant(), dev.sluice.model.EventKind.CONTROLLER_ELECTED, null, null,
                    participantId + " leads the cluster controller (epoch " + fence.version() + ")", java.util.Map.of("epoch", fence.version())));
            requestPass();
        } catch (RuntimeException e) {
            log.warn("{} could not start its controller term: {}", participantId, e.toString());
            loop = null;
            closeWatches();
            thread.schedule(() -> {
                if (election != null && election.isLeader()) {
                    beginTerm();
                }
            }, 1, TimeUnit.SECONDS);
        }
    }

    private void endTerm() {
        if (loop != null) {
            log.info("{} no longer leads the cluster controller", participantId);
        }
        loop = null;
        metrics.stoppedLeading();
        closeWatches();
        if (nextPass != null) {
            nextPass.cancel(false);
        }
    }

    private void closeWatches() {
        if (view != null) {
            view.close();
            view = null;
        }
    }

    private void pass() {
        passQueued.set(false);
        ControlLoop current = loop;
        if (current == null || closed) {
            return;
        }
        boolean busy = true;
        try {
            busy = current.runPass();
        } catch (Fence.LostException lost) {
            log.warn("{}: {}", participantId, lost.getMessage());
            endTerm();
            if (election != null && election.isLeader()) {
                thread.schedule(this::beginTerm, 200, TimeUnit.MILLISECONDS);
            }
            return;
        } catch (RuntimeException e) {
            log.warn("controller pass failed; trying again shortly", e);
        } finally {
            lastPassEndedNanos = System.nanoTime();
        }
        if (nextPass != null) {
            nextPass.cancel(false);
        }
        Duration wait = busy ? config.busyPassInterval() : config.idlePassInterval();
        nextPass = thread.schedule(this::requestPass, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        if (election != null) {
            election.close();
        }
        try {
            thread.submit(this::endTerm).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("controller thread did not end its term cleanly", e);
        }
        thread.shutdownNow();
        statusWrites.shutdownNow();
    }
}
