package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.List;

/**
 * What a worker reports about itself ({@code GET /internal/v1/status}): the worker writes this record, and the
 * controller and the chaos harness read the same record back. A reader ignores fields
 * it does not know and takes a missing list as empty, so workers and controllers of neighbouring versions
 * read each other during a rolling upgrade.
 *
 * @param node this process's incarnation, or {@code null} before it registered
 * @param state the worker state as last read from the nodes configuration, or {@code null} before registering
 * @param ready whether it serves client traffic now (Active, registered, Raft server running, disk ok, not shutting down)
 * @param warmUp the last result of every warm-up check (empty once it is no longer Provisioning)
 * @param activation why the worker is not activating itself, or what it did; never null
 * @param nodesVersion the newest nodes-configuration version this worker has seen
 * @param replicas every partition replica that exists here and serves (or is starting: a placeholder with
 *     role {@code staging}), by partition; a group being removed is not one of them
 * @param removals every group this worker is removing or whose files are not deleted yet, by partition.
 *     Replicas and removals together are everything whose data is on this node; a broken group is in
 *     neither while it is repaired
 * @param disk the data directory's free space as last checked and what the worker does about it; since the
 *     disk rule (docs/worker.md, "Disk space"), {@code null} in a status built without it
 * @param clients what the data routes answered over the last ten seconds; since issue 13, {@code null} from older
 *     workers
 * @param shutdown the graceful shutdown under way, {@code null} while the worker serves; since issue 14 (older
 *     workers leave it out). A worker shutting down is no target for replicas or leaderships
 * @param placements how the worker reads its placements and whether its first load finished, with what it waits
 *     for when not; since the placement index (docs/worker.md, "Placements"), {@code null} from older workers and
 *     before the worker registered
 * @param routing how the copy of every placement loads that a worker reading its own through the index keeps for
 *     routing (source {@code every-placement}), with its last failure while one is failing; {@code null} before the
 *     first routing request, in a worker that reads every placement anyway, and from older workers
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WorkerStatus(
        String name,
        GenerationalNodeId node,
        WorkerState state,
        boolean ready,
        List<WarmUpResult> warmUp,
        String activation,
        long nodesVersion,
        List<ReplicaStatus> replicas,
        List<RemovalStatus> removals,
        Instant at,
        DiskStatus disk,
        ClientWindow clients,
        ShutdownStatus shutdown,
        PlacementLoad placements,
        PlacementLoad routing) {

    /** Where every worker serves this report over HTTP: the controller polls it, the admin API and the chaos harness read it. */
    public static final String PATH = "/internal/v1/status";

    public WorkerStatus {
        warmUp = Lists.copyOrEmpty(warmUp);
        replicas = Lists.copyOrEmpty(replicas);
        removals = Lists.copyOrEmpty(removals);
    }

    /** A status without removals, as reported before they were; for callers that describe a stopped node. */
    public WorkerStatus(String name, GenerationalNodeId node, WorkerState state, boolean ready, List<WarmUpResult> warmUp, String activation,
            long nodesVersion, List<ReplicaStatus> replicas, Instant at) {
        this(name, node, state, ready, warmUp, activation, nodesVersion, replicas, List.of(), at, null, null, null, null, null);
    }

    /** A status without the disk, as reported before the disk rule. */
    public WorkerStatus(String name, GenerationalNodeId node, WorkerState state, boolean ready, List<WarmUpResult> warmUp, String activation,
            long nodesVersion, List<ReplicaStatus> replicas, List<RemovalStatus> removals, Instant at) {
        this(name, node, state, ready, warmUp, activation, nodesVersion, replicas, removals, at, null, null, null, null, null);
    }

    /** A status without its clients' window, as reported before the worker counted them. */
    public WorkerStatus(String name, GenerationalNodeId node, WorkerState state, boolean ready, List<WarmUpResult> warmUp, String activation,
            long nodesVersion, List<ReplicaStatus> replicas, List<RemovalStatus> removals, Instant at, DiskStatus disk) {
        this(name, node, state, ready, warmUp, activation, nodesVersion, replicas, removals, at, disk, null, null, null, null);
    }

    /** A status without a shutdown, as reported before graceful shutdown existed or while the worker serves. */
    public WorkerStatus(String name, GenerationalNodeId node, WorkerState state, boolean ready, List<WarmUpResult> warmUp, String activation,
            long nodesVersion, List<ReplicaStatus> replicas, List<RemovalStatus> removals, Instant at, DiskStatus disk, ClientWindow clients) {
        this(name, node, state, ready, warmUp, activation, nodesVersion, replicas, removals, at, disk, clients, null, null, null);
    }

    /** A status without its placement load, as reported before the placement index. */
    public WorkerStatus(String name, GenerationalNodeId node, WorkerState state, boolean ready, List<WarmUpResult> warmUp, String activation,
            long nodesVersion, List<ReplicaStatus> replicas, List<RemovalStatus> removals, Instant at, DiskStatus disk, ClientWindow clients,
            ShutdownStatus shutdown) {
        this(name, node, state, ready, warmUp, activation, nodesVersion, replicas, removals, at, disk, clients, shutdown, null, null);
    }

    /** A status without the routing copy's load, as reported before it was. */
    public WorkerStatus(String name, GenerationalNodeId node, WorkerState state, boolean ready, List<WarmUpResult> warmUp, String activation,
            long nodesVersion, List<ReplicaStatus> replicas, List<RemovalStatus> removals, Instant at, DiskStatus disk, ClientWindow clients,
            ShutdownStatus shutdown, PlacementLoad placements) {
        this(name, node, state, ready, warmUp, activation, nodesVersion, replicas, removals, at, disk, clients, shutdown, placements, null);
    }
}
