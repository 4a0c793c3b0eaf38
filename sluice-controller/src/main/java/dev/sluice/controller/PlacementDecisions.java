package dev.sluice.controller;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.PlacementChange;
import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.ReplicaSetChange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns what a pass decided — the scheduler's replica-set changes, the moves that completed, the leaders
 * the workers report — into {@link PlacementChange}s, writes them through the {@link PlacementWriter} in
 * as few commits as it can, and books the completed moves as done.
 */
final class PlacementDecisions {

    private final PlacementWriter writer;
    private final MoveBook moves;
    private final StatusPublisher publisher;
    private final ControllerMetrics metrics;

    PlacementDecisions(PlacementWriter writer, MoveBook moves, StatusPublisher publisher, ControllerMetrics metrics) {
        this.writer = writer;
        this.moves = moves;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    /**
     * Writes the plan's replica-set changes, and {@code completions} with them in the same batch. A partition
     * whose move completes in this batch gets no new change; the next pass plans it on the stored record.
     */
    void write(Plan plan, Map<PartitionId, VersionedPlacement> placements, NodesConfiguration nodes,
            boolean firstPlacementsAllowed, List<PlacementChange.CompleteMove> completions, Instant now) {
        int initial = 0;
        Set<PartitionId> completing = new HashSet<>();
        completions.forEach(completion -> completing.add(completion.partition()));
        List<PlacementChange> decisions = new ArrayList<>();
        for (ReplicaSetChange change : plan.replicaSetChanges()) {
            if (completing.contains(change.partition())) {
                continue;
            }
            VersionedPlacement before = placements.get(change.partition());
            PlacementChange decided;
            if (before == null) {
                if (!firstPlacementsAllowed) {
                    continue;
                }
                decided = new PlacementChange.Initial(change.partition(), change.next(), change.preferredLeader(), nodes.version());
                initial++;
            } else if (before.placement().hasNext()) {
                decided = new PlacementChange.ReviseMove(change.partition(), change.next(), nodes.version());
            } else {
                decided = new PlacementChange.StartMove(change.partition(), change.next(), nodes.version(), change.kind().wireName());
            }
            decisions.add(decided);
        }
        writeWithCompletions(completions, decisions, placements, now);
        if (initial > 0) {
            publisher.firstPlacements(initial, now);
        }
    }

    /** Writes {@code completions} on their own (moves that completed after the pass planned). */
    void complete(List<PlacementChange.CompleteMove> completions, Map<PartitionId, VersionedPlacement> placements, Instant now) {
        writeWithCompletions(completions, List.of(), placements, now);
    }

    /** Writes completions and decisions in one batch, and books the completions that were written as done. */
    private void writeWithCompletions(List<PlacementChange.CompleteMove> completions, List<PlacementChange> decisions,
            Map<PartitionId, VersionedPlacement> placements, Instant now) {
        Map<PartitionId, Instant> startedAt = new HashMap<>();
        completions.forEach(completion -> startedAt.put(completion.partition(), placements.get(completion.partition()).placement().changeStartedAt()));
        List<PlacementChange> batch = new ArrayList<>(completions);
        batch.addAll(decisions);
        for (PartitionId partition : writer.writeAll(batch, placements, now).keySet()) {
            if (startedAt.containsKey(partition)) {
                moves.stepsDone(partition);
                Instant started = startedAt.get(partition);
                metrics.moveCompleted(started == null ? Duration.ZERO : Duration.between(started, now));
            }
        }
    }

    /**
     * Keeps each placement's leader field in step with what the workers report, for readers of the placements. Only
     * {@code candidates} can be out of step (their placement or their observed leader changed since they were last
     * looked at). Leaves {@code candidates} as they are: the caller forgets them once this returns, so a write that fails
     * leaves them for the next pass.
     */
    void recordLeaders(Map<PartitionId, VersionedPlacement> placements, Map<PartitionId, NodeId> leaders, Set<PartitionId> candidates,
            Instant now) {
        List<PlacementChange> records = new ArrayList<>();
        for (PartitionId partition : new java.util.TreeSet<>(candidates)) {
            VersionedPlacement versioned = placements.get(partition);
            if (versioned == null) {
                continue;
            }
            Placement placement = versioned.placement();
            NodeId leader = leaders.get(partition);
            if (leader != null && !leader.equals(placement.leader()) && placement.names(leader)) {
                records.add(new PlacementChange.RecordLeader(partition, leader));
            }
        }
        writer.writeAll(records, placements, now);
    }

    /** The placements {@code completions} change, as they are once written (for planning; versions unchanged). */
    static Map<PartitionId, VersionedPlacement> completed(Map<PartitionId, VersionedPlacement> placements,
            List<PlacementChange.CompleteMove> completions, Instant now) {
        Map<PartitionId, VersionedPlacement> completed = new TreeMap<>();
        for (PlacementChange.CompleteMove completion : completions) {
            VersionedPlacement before = placements.get(completion.partition());
            completed.put(completion.partition(), new VersionedPlacement(completion.apply(Optional.of(before.placement()), now).placement(), before.version()));
        }
        return completed;
    }
}
