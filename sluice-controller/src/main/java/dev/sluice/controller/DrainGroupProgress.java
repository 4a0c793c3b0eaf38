package dev.sluice.controller;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a group drain stands: the one object the API, the CLI and the dashboard show for it. Computed by the
 * controller every pass from the group's stored document and its members' {@link DrainProgress}: in total the replicas
 * at start and remaining, moves in flight and done, the rate since the group began, the ETA, the stalls, and how it
 * stands against its deadline. Each member's own progress is its drain's document, not repeated here: a zone's group
 * would carry thousands of them.
 *
 * @param memberStates each member's worker state now, in the group's order
 * @param etaSeconds time to finish at the group's rate, {@code 0} once ended, {@code null} before the first move
 *     completed or while a stall makes it unknown
 * @param stalledPartitions every member's stalled partitions, at most {@link #MAX_STALLED_SHOWN}
 * @param deadlineStatus how it stands against its deadline ({@link DrainDeadline#judge})
 * @param timeLeftSeconds seconds until the deadline (negative past it), or {@code null} without one
 */
public record DrainGroupProgress(
        String id,
        String reason,
        String zone,
        DrainGroup.State state,
        List<NodeId> nodes,
        List<String> names,
        List<WorkerState> memberStates,
        Instant startedAt,
        Instant endedAt,
        int replicasAtStart,
        int replicasRemaining,
        int leadershipsRemaining,
        int movesInFlight,
        int movesDone,
        double ratePerMinute,
        Long etaSeconds,
        boolean stalled,
        List<DrainProgress.StalledPartition> stalledPartitions,
        Instant deadline,
        DrainDeadline deadlineStatus,
        Long timeLeftSeconds,
        Instant updatedAt) {

    /** Stalled partitions a group's progress lists; each member's own progress has all of its own. */
    public static final int MAX_STALLED_SHOWN = 50;

    public DrainGroupProgress {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        nodes = List.copyOf(nodes);
        names = List.copyOf(names);
        memberStates = List.copyOf(memberStates);
        stalledPartitions = stalledPartitions == null ? List.of() : List.copyOf(stalledPartitions);
        Objects.requireNonNull(deadlineStatus, "deadlineStatus");
    }

    /**
     * The group's progress now: {@code drains} are the members' progress objects of this pass (by node; a member
     * without one is not picked up yet and counts nothing), {@code nodes} the configuration of this pass.
     */
    static DrainGroupProgress of(DrainGroup group, Map<NodeId, DrainProgress> drains, NodesConfiguration nodes, Instant now) {
        List<WorkerState> states = new ArrayList<>();
        int atStart = 0;
        int remaining = 0;
        int leaderships = 0;
        int inFlight = 0;
        int done = 0;
        boolean stalled = false;
        List<DrainProgress.StalledPartition> stalls = new ArrayList<>();
        for (DrainGroup.Member member : group.members()) {
            DrainProgress drain = drains.get(member.node());
            if (drain != null && !isOf(drain, group)) {
                drain = null;
            }
            states.add(nodes.find(member.node()).map(NodeConfig::workerState).orElse(WorkerState.DISABLED));
            if (drain == null) {
                continue;
            }
            atStart += drain.replicasAtStart();
            remaining += drain.replicasRemaining();
            leaderships += drain.leadershipsRemaining();
            inFlight += drain.movesInFlight();
            done += drain.movesDone();
            if (drain.state() == WorkerState.DRAINING && drain.stalled()) {
                stalled = true;
                for (DrainProgress.StalledPartition stall : drain.stalledPartitions()) {
                    if (stalls.size() < MAX_STALLED_SHOWN) {
                        stalls.add(stall);
                    }
                }
            }
        }
        boolean running = !group.state().ended();
        Instant until = running ? now : group.endedAt();
        Duration elapsed = Duration.between(group.startedAt(), until);
        double perMinute = elapsed.toMillis() <= 0 ? 0 : done * 60_000.0 / elapsed.toMillis();
        Long eta = !running ? Long.valueOf(0) : stalled || done == 0 ? null : Long.valueOf(Math.round(remaining * 60.0 / perMinute));
        DrainDeadline status = DrainDeadline.judge(group.deadline(), now, running ? null : group.endedAt(), eta, running && stalled);
        Long timeLeft = group.deadline() == null ? null : Duration.between(now, group.deadline()).toSeconds();
        return new DrainGroupProgress(group.id(), group.reason(), group.zone(), group.state(), group.nodes(),
                group.members().stream().map(DrainGroup.Member::name).toList(), states, group.startedAt(), group.endedAt(), atStart,
                remaining, leaderships, inFlight, done, perMinute, eta, running && stalled, stalls, group.deadline(), status, timeLeft, now);
    }

    /** Whether {@code drain}, of a member of {@code group}, is this group's: a member's progress from an earlier drain of the same worker is not. */
    public static boolean isOf(DrainProgress drain, DrainGroup group) {
        return drain.startedAt() == null || !drain.startedAt().isBefore(group.startedAt().minusSeconds(1));
    }

    /** A one-line summary, for logs and events. */
    public String summary() {
        StringBuilder text = new StringBuilder().append("drain ").append(id).append(' ').append(state).append(": ")
                .append(replicasRemaining).append('/').append(replicasAtStart).append(" replicas left on ").append(nodes.size()).append(" worker(s), ")
                .append(movesInFlight).append(" moving");
        if (etaSeconds != null) {
            text.append(", eta ").append(etaSeconds).append(" s");
        }
        if (deadline != null) {
            text.append(", deadline ").append(deadline).append(' ').append(deadlineStatus);
        }
        if (stalled) {
            text.append(", STALLED");
        }
        return text.toString();
    }
}
