package dev.sluice.controller;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.scheduler.Explanation;
import dev.sluice.wire.ClientImpactView;
import java.time.Instant;
import java.util.List;

/**
 * What the controller leader last published: who leads, what is moving, how every drain stands and what
 * the scheduler could not do. Every node reads it from the metadata store to answer the API, so it does
 * not matter which node an operator asks.
 *
 * @param leader the participant id (node name) of the controller leader
 * @param epoch the leader's fencing epoch
 * @param passes passes run by this leader
 * @param lastPassMillis how long the last pass took
 * @param moves the replica-set changes under way, at most {@link #MAX_MOVES} of them: those failing first, then the longest
 *     under way (listed by partition)
 * @param movesLeftOut how many more changes are under way than the status lists (since the status was bounded; 0 in
 *     a status from a controller before it)
 * @param explanations the scheduler's explanations, the first {@link #MAX_EXPLANATIONS} of them (by partition)
 * @param explanationsLeftOut how many more explanations the scheduler gave than the status lists
 * @param workers every worker's replicas and leaderships, counted in the same pass as the drains (with
 *     {@link Emptiness}'s rule for who leads), so the API, CLI and dashboard show one set of numbers
 * @param clients the workers' client windows added up ({@link ClientImpact}), already in the shape the admin API
 *     serves, so the API passes it on instead of computing anything; since issue 13, {@code null} in a status
 *     from a controller that does not add them up
 * @param drainGroups every group drain running, or ended in the last {@link DrainGroups#SHOWN_AFTER_END} (since the group
 *     drains; empty in a status from a controller without them)
 * @param drains the drains, at most {@link #MAX_DRAINS} of them: the stalled first, then the running, then the most recently
 *     ended (listed by node). Each drain also has a document of its own ({@link ControllerDocuments#drainProgress}),
 *     which the API reads for a drain this list leaves out
 * @param throttles the throttles the last pass planned with (the operator's runtime settings over the flags); since the
 *     runtime settings, {@code null} in a status from a controller that does not publish them
 * @param drainsLeftOut how many more drains there are than the status lists (0 in a status from a controller before
 *     drain documents)
 */
public record ControllerStatus(
        String leader,
        long epoch,
        Instant updatedAt,
        long passes,
        long lastPassMillis,
        List<MoveInFlight> moves,
        @JsonSetter(nulls = Nulls.AS_EMPTY) int movesLeftOut,
        List<DrainProgress> drains,
        List<Explanation> explanations,
        @JsonSetter(nulls = Nulls.AS_EMPTY) int explanationsLeftOut,
        List<WorkerCounts> workers,
        ClientImpactView clients,
        List<DrainGroupProgress> drainGroups,
        Throttles throttles,
        @JsonSetter(nulls = Nulls.AS_EMPTY) int drainsLeftOut) {

    /**
     * Explanations a status lists. The scheduler explains every partition it cannot place, so a cluster of
     * 100,000 partitions whose workers have not answered yet has 200,000 of them (45 MB), far over the
     * store's {@link dev.sluice.metadata.MetadataStore#MAX_VALUE_BYTES}; a few hundred bytes each, this many
     * keep the status well under it.
     */
    public static final int MAX_EXPLANATIONS = 1_000;
    /**
     * Changes under way a status lists. A drain of a hundred workers at once runs thousands (the cluster's throttle
     * allows up to 100,000), a quarter of a kilobyte each: at ten thousand the status was over the store's
     * {@link dev.sluice.metadata.MetadataStore#MAX_VALUE_BYTES} and stopped being written, so every surface showed a
     * status from before the drain.
     */
    public static final int MAX_MOVES = 500;
    /**
     * Drains a status lists. Draining a whole zone of a 10,000-worker cluster made a status of 3,334 drains, 2.1 MB, which
     * the store refused, so every surface showed the status from before the drain; each drain's own document has it all.
     */
    public static final int MAX_DRAINS = 50;

    public ControllerStatus {
        moves = moves == null ? List.of() : moves;
        if (moves.size() > MAX_MOVES) {
            movesLeftOut += moves.size() - MAX_MOVES;
            moves = mostTelling(moves, MAX_MOVES);
        }
        moves = List.copyOf(moves);
        drains = drains == null ? List.of() : drains;
        if (drains.size() > MAX_DRAINS) {
            drainsLeftOut += drains.size() - MAX_DRAINS;
            drains = mostTellingDrains(drains, MAX_DRAINS);
        }
        drains = List.copyOf(drains);
        workers = workers == null ? List.of() : List.copyOf(workers);
        drainGroups = drainGroups == null ? List.of() : List.copyOf(drainGroups);
        explanations = explanations == null ? List.of() : explanations;
        if (explanations.size() > MAX_EXPLANATIONS) {
            explanationsLeftOut += explanations.size() - MAX_EXPLANATIONS;
            explanations = explanations.subList(0, MAX_EXPLANATIONS);
        }
        explanations = List.copyOf(explanations);
    }

    /** A status listing at most {@link #MAX_EXPLANATIONS} of {@code explanations} and counting the rest. */
    public ControllerStatus(String leader, long epoch, Instant updatedAt, long passes, long lastPassMillis, List<MoveInFlight> moves,
            List<DrainProgress> drains, List<Explanation> explanations) {
        this(leader, epoch, updatedAt, passes, lastPassMillis, moves, 0, drains, explanations, 0, List.of(), null, List.of(), null, 0);
    }

    /** The same with every part given; {@code drains} are all drains, of which the status lists at most {@link #MAX_DRAINS}. */
    public ControllerStatus(String leader, long epoch, Instant updatedAt, long passes, long lastPassMillis, List<MoveInFlight> moves, int movesLeftOut,
            List<DrainProgress> drains, List<Explanation> explanations, int explanationsLeftOut, List<WorkerCounts> workers, ClientImpactView clients,
            List<DrainGroupProgress> drainGroups, Throttles throttles) {
        this(leader, epoch, updatedAt, passes, lastPassMillis, moves, movesLeftOut, drains, explanations, explanationsLeftOut, workers, clients, drainGroups,
                throttles, 0);
    }

    /** How many drains there are: those listed and those left out. */
    public int drainCount() {
        return drains.size() + drainsLeftOut;
    }

    /**
     * The {@code limit} drains an operator most needs to see: stalled ones first, then running ones, then those ended most
     * recently; by node.
     */
    private static List<DrainProgress> mostTellingDrains(List<DrainProgress> drains, int limit) {
        return drains.stream()
                .sorted(java.util.Comparator.comparing((DrainProgress drain) -> !(drain.stalled() && drain.completedAt() == null))
                        .thenComparing(drain -> drain.completedAt() != null)
                        .thenComparing(DrainProgress::completedAt, java.util.Comparator.nullsFirst(java.util.Comparator.reverseOrder()))
                        .thenComparing(DrainProgress::node))
                .limit(limit)
                .sorted(java.util.Comparator.comparing(DrainProgress::node))
                .toList();
    }

    /** How many changes are under way: those listed and those left out. */
    public int movesInFlight() {
        return moves.size() + movesLeftOut;
    }

    /** The {@code limit} moves an operator most needs to see, failing ones first, then the longest under way; by partition. */
    private static List<MoveInFlight> mostTelling(List<MoveInFlight> moves, int limit) {
        return moves.stream()
                .sorted(java.util.Comparator.comparing((MoveInFlight move) -> move.lastError() == null)
                        .thenComparing(MoveInFlight::startedAt, java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder()))
                        .thenComparing(MoveInFlight::partition))
                .limit(limit)
                .sorted(java.util.Comparator.comparing(MoveInFlight::partition))
                .toList();
    }

    /**
     * The same status listing at most {@code moveLimit} moves, {@code explanationLimit} explanations and {@code drainLimit}
     * drains, the rest counted as left out: for a status too large for the store with everything listed.
     */
    public ControllerStatus listingAtMost(int moveLimit, int explanationLimit, int drainLimit) {
        List<MoveInFlight> listedMoves = moves.size() > moveLimit ? mostTelling(moves, moveLimit) : moves;
        List<Explanation> listedExplanations = explanations.size() > explanationLimit ? explanations.subList(0, explanationLimit) : explanations;
        List<DrainProgress> listedDrains = drains.size() > drainLimit ? mostTellingDrains(drains, drainLimit) : drains;
        return new ControllerStatus(leader, epoch, updatedAt, passes, lastPassMillis, listedMoves, movesLeftOut + moves.size() - listedMoves.size(),
                listedDrains, listedExplanations, explanationsLeftOut + explanations.size() - listedExplanations.size(), workers, clients, drainGroups,
                throttles, drainsLeftOut + drains.size() - listedDrains.size());
    }

    /** The same, with every worker's counts. */
    public ControllerStatus(String leader, long epoch, Instant updatedAt, long passes, long lastPassMillis, List<MoveInFlight> moves,
            List<DrainProgress> drains, List<Explanation> explanations, List<WorkerCounts> workers) {
        this(leader, epoch, updatedAt, passes, lastPassMillis, moves, 0, drains, explanations, 0, workers, null, List.of(), null, 0);
    }

    /** The same, with every worker's counts and the client impact. */
    public ControllerStatus(String leader, long epoch, Instant updatedAt, long passes, long lastPassMillis, List<MoveInFlight> moves,
            List<DrainProgress> drains, List<Explanation> explanations, List<WorkerCounts> workers, ClientImpactView clients) {
        this(leader, epoch, updatedAt, passes, lastPassMillis, moves, 0, drains, explanations, 0, workers, clients, List.of(), null, 0);
    }

    /** How many replica sets (current or next) name {@code node}, and how many partitions it leads. */
    public record WorkerCounts(NodeId node, int replicas, int leaderships) {}

    public java.util.Optional<WorkerCounts> counts(NodeId node) {
        return workers.stream().filter(w -> w.node().equals(node)).findFirst();
    }

    /**
     * A replica-set change under way, and the step it is at.
     *
     * @param stepKind the kind of step, for programs; {@code step} says it for people
     * @param lastError the last failure since the last success, or {@code null}
     */
    public record MoveInFlight(PartitionId partition, List<NodeId> current, List<NodeId> next, Instant startedAt, MoveStep.Kind stepKind, String step,
            String lastError) {}

    /** The same status with the group drains' progress. */
    public ControllerStatus withDrainGroups(List<DrainGroupProgress> groups) {
        return new ControllerStatus(leader, epoch, updatedAt, passes, lastPassMillis, moves, movesLeftOut, drains, explanations, explanationsLeftOut, workers,
                clients, groups, throttles, drainsLeftOut);
    }

    public java.util.Optional<DrainGroupProgress> drainGroup(String id) {
        return drainGroups.stream().filter(g -> g.id().equals(id)).findFirst();
    }

    /** {@code node}'s drain if the status lists it; {@link ControllerDocuments#drainProgress} has every drain. */
    public java.util.Optional<DrainProgress> drain(NodeId node) {
        return drains.stream().filter(d -> d.node().equals(node)).findFirst();
    }
}
