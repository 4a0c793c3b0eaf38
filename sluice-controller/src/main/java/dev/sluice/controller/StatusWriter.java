package dev.sluice.controller;

import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.NodeId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the controller reports — its status and the events of its passes — to the store, on the
 * executor it is given: a thread of its own in a running controller, the caller's in tests and the
 * simulation. The status is for operators, and a pass that waited for its commit held up every move's next
 * step by that long (30–190 ms a pass during a drain on the build machine, most of the pass). A newer status
 * replaces one not yet written; events are kept in order and go with the next status, or alone. With a status go the
 * documents of the drains that changed ({@link ControllerDocuments#DRAIN_PROGRESS}), written before it, so a drain's
 * document is never older than the status that lists it.
 */
final class StatusWriter {

    private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);

    /**
     * Events kept waiting to be written: a few passes' worth, not an outage's (nor every leadership of a hundred workers
     * drained at once, which a single pass hands over).
     */
    static final int PENDING_EVENTS_MAX = 1_000;
    /** Keeps one commit well under ZooKeeper's 1 MB request limit, whatever a pass logs. */
    static final int EVENTS_PER_COMMIT = 100;
    /**
     * A running drain's document is rewritten at least this often, so its rate and ETA stay fresh; otherwise only when what
     * it says changed. A zone of 3,334 drains rewritten every second would be 1.6 MB a second.
     */
    static final java.time.Duration DRAIN_REFRESH = java.time.Duration.ofSeconds(5);

    private final ControllerDocuments documents;
    private final EventLog eventLog;
    private final Fence fence;
    private final Executor executor;

    private final Object lock = new Object();
    /** The newest status not yet written, or null. Guarded by {@link #lock}. */
    private ControllerStatus pendingStatus;
    /** Every drain as of {@link #pendingStatus}, or null. Guarded by {@link #lock}. */
    private List<DrainProgress> pendingDrains;
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<ClusterEvent> pendingEvents = new ArrayDeque<>();
    /** Guarded by {@link #lock}. */
    private int eventsDropped;
    /** Whether a write task is queued or running. Guarded by {@link #lock}. */
    private boolean writing;
    /** Whether the event log should be trimmed by the next write task. Guarded by {@link #lock}. */
    private boolean trimDue;
    /** Set when a write found this controller deposed; the next submission rethrows it on the pass's thread. */
    private volatile Fence.LostException lost;

    /** The status version this writer last wrote: its next write is conditioned on it, saving a round trip. Writer's task only. */
    private long publishedVersion;
    /**
     * The drains whose documents this writer last wrote, by node (a null value: the document exists, written before this
     * term); null when what the store holds is not known, at the start of a term and after a failed write. Writer's task only.
     */
    private Map<NodeId, DrainProgress> drainsWritten;
    /** Whether the last write failed, so a run of failures is logged once; written by the writer's task, read by the drop warning. */
    private volatile boolean failing;

    StatusWriter(ControllerDocuments documents, EventLog eventLog, Fence fence, Executor executor) {
        this.documents = documents;
        this.eventLog = eventLog;
        this.fence = fence;
        this.executor = executor;
    }

    /**
     * Hands over a status to write (or null for none) with every drain of its pass ({@code drains}: those it lists and those
     * it leaves out), and events to log after those handed over before.
     *
     * @throws Fence.LostException if a write found this controller deposed
     */
    void submit(ControllerStatus status, List<DrainProgress> drains, List<ClusterEvent> events) {
        rethrowIfLost();
        synchronized (lock) {
            if (status != null) {
                pendingStatus = status;
                pendingDrains = List.copyOf(drains);
            }
            events.forEach(this::keep);
            if (writing || (pendingStatus == null && pendingEvents.isEmpty() && !trimDue)) {
                return;
            }
            writing = true;
        }
        try {
            executor.execute(this::writePending);
        } catch (RejectedExecutionException closing) {
            // The controller is closing; what was not written stays unwritten, as when the process stops.
            synchronized (lock) {
                writing = false;
            }
        }
        rethrowIfLost();
    }

    /** Trims the event log back to {@link EventLog#RETAINED_EVENTS} with the next write. */
    void trimEvents() {
        synchronized (lock) {
            trimDue = true;
        }
        submit(null, List.of(), List.of());
    }

    private void keep(ClusterEvent event) {
        pendingEvents.addLast(event);
        dropBeyondCap();
    }

    /** More events wait than are kept (the store refuses the writes, or passes log faster than they are written): the oldest go, logged once a run. */
    private void dropBeyondCap() {
        while (pendingEvents.size() > PENDING_EVENTS_MAX) {
            ClusterEvent dropped = pendingEvents.removeFirst();
            if (eventsDropped++ == 0) {
                log.warn("more than {} events wait to be written ({}); dropping from the oldest, the first '{}'", PENDING_EVENTS_MAX,
                        failing ? "the store refuses the controller's commits" : "logged faster than written", dropped.message());
            }
        }
    }

    private void writePending() {
        while (true) {
            ControllerStatus status;
            List<DrainProgress> drains;
            List<ClusterEvent> events = new ArrayList<>();
            boolean trim;
            synchronized (lock) {
                if (lost != null || (pendingStatus == null && pendingEvents.isEmpty() && !trimDue)) {
                    writing = false;
                    return;
                }
                status = pendingStatus;
                drains = pendingDrains;
                pendingStatus = null;
                pendingDrains = null;
                while (events.size() < EVENTS_PER_COMMIT && !pendingEvents.isEmpty()) {
                    events.add(pendingEvents.removeFirst());
                }
                trim = trimDue;
                trimDue = false;
            }
            try {
                if (status != null) {
                    writeDrains(drains);
                    publishedVersion = documents.publishStatus(status, publishedVersion, events, fence);
                } else if (!events.isEmpty()) {
                    documents.logEvents(events, fence);
                }
                if (trim) {
                    trim();
                }
                failing = false;
                synchronized (lock) {
                    eventsDropped = 0;
                }
            } catch (RuntimeException notWritten) {
                Fence.LostException deposed = deposedBy(notWritten);
                synchronized (lock) {
                    writing = false;
                    if (deposed != null) {
                        lost = deposed;
                        return;
                    }
                    // Tried again with the next submission (the publisher submits at least every status refresh).
                    if (pendingStatus == null) {
                        pendingStatus = status;
                        pendingDrains = drains;
                    }
                    for (int i = events.size() - 1; i >= 0; i--) {
                        pendingEvents.addFirst(events.get(i));
                    }
                    dropBeyondCap();
                }
                if (!failing) {
                    log.warn("could not write the controller's status, its drains' documents and {} event(s); keeping them for the next try: {}",
                            events.size(), notWritten.toString());
                }
                failing = true;
                return;
            }
        }
    }

    /** Writes the documents of the drains that changed or are old, and deletes those of drains no longer shown. */
    private void writeDrains(List<DrainProgress> drains) {
        Map<NodeId, DrainProgress> written = drainsWritten != null ? drainsWritten : storedDrains();
        // Unknown until the commits below succeed: after a failure the next write lists what the store holds again.
        drainsWritten = null;
        List<DrainProgress> changed = new ArrayList<>();
        Set<NodeId> shown = new HashSet<>();
        for (DrainProgress drain : drains) {
            shown.add(drain.node());
            DrainProgress last = written.get(drain.node());
            boolean old = last != null && drain.completedAt() == null && !last.updatedAt().plus(DRAIN_REFRESH).isAfter(drain.updatedAt());
            if (!drain.saysTheSameAs(last) || old) {
                changed.add(drain);
            }
        }
        List<NodeId> gone = written.keySet().stream().filter(node -> !shown.contains(node)).sorted().toList();
        if (!changed.isEmpty() || !gone.isEmpty()) {
            documents.publishDrains(changed, gone, fence);
            changed.forEach(drain -> written.put(drain.node(), drain));
            gone.forEach(written::remove);
        }
        drainsWritten = written;
    }

    /** The drains whose documents the store holds, each with a null value: written before this term. */
    private Map<NodeId, DrainProgress> storedDrains() {
        Map<NodeId, DrainProgress> stored = new HashMap<>();
        documents.publishedDrains().forEach(node -> stored.put(node, null));
        return stored;
    }

    /** The fence is a precondition of every commit here: when it fails, another controller took over. */
    private Fence.LostException deposedBy(RuntimeException failure) {
        return switch (failure) {
            case Fence.LostException lostFence -> lostFence;
            case PreconditionFailedException refused when refused.key().equals(fence.key()) -> new Fence.LostException(fence);
            default -> null;
        };
    }

    private void trim() {
        try {
            int deleted = eventLog.trim(EventLog.RETAINED_EVENTS);
            if (deleted > 0) {
                log.info("trimmed {} old events from the event log", deleted);
            }
        } catch (RuntimeException e) {
            log.warn("could not trim the event log: {}", e.toString());
        }
    }

    private void rethrowIfLost() {
        Fence.LostException deposed = lost;
        if (deposed != null) {
            throw deposed;
        }
    }
}
