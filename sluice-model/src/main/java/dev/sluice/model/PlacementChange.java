package dev.sluice.model;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A change to one partition's placement, as a value. The controller decides changes; one writer applies
 * them with {@link #apply} and stores the result with a compare-and-set, so the rules of what a change
 * may do live here, once, and tests, replays and the live path share them.
 *
 * <p>{@link #apply} is pure: it returns the next placement and the event that describes the change (if
 * operators should hear of it), or throws {@link IllegalStateException} when the change does not fit the
 * placement it is applied to — a bug in the caller, since every change is decided on the placement it is
 * applied to.
 */
public sealed interface PlacementChange {

    PartitionId partition();

    /** The placement after the change, and its event. */
    record Applied(Placement placement, Optional<ClusterEvent> event) {
        public Applied {
            Objects.requireNonNull(placement, "placement");
            Objects.requireNonNull(event, "event");
        }
    }

    /**
     * Applies this change to {@code before} (absent only for {@link Initial}).
     *
     * @throws IllegalStateException if the change does not fit {@code before}
     */
    Applied apply(Optional<Placement> before, Instant now);

    /** A partition's first replica set. */
    record Initial(PartitionId partition, List<NodeId> replicas, NodeId preferredLeader, Version basedOn) implements PlacementChange {
        public Initial {
            replicas = List.copyOf(replicas);
        }

        @Override
        public Applied apply(Optional<Placement> before, Instant now) {
            if (before.isPresent()) {
                throw new IllegalStateException("BUG: " + partition + " already has a placement: " + before.get());
            }
            return new Applied(Placement.stable(partition, replicas, preferredLeader, basedOn), Optional.empty());
        }
    }

    /**
     * A replica-set change begins: {@code next} is written on a placement that has none.
     *
     * @param why the scheduler's kind of change, in wire form ({@code drain}, {@code repair} …)
     */
    record StartMove(PartitionId partition, List<NodeId> next, Version basedOn, String why) implements PlacementChange {
        public StartMove {
            next = requireNext(partition, next);
        }

        @Override
        public Applied apply(Optional<Placement> before, Instant now) {
            Placement current = before.orElseThrow(() -> new IllegalStateException("BUG: " + partition + " has no placement to move"));
            if (current.hasNext()) {
                throw new IllegalStateException("BUG: " + partition + " is already moving to " + current.next() + "; revise the move instead");
            }
            return started(current, current.withNext(next, basedOn, now), why, now);
        }
    }

    /** A move under way gets another {@code next}; it keeps its start time, so its duration stays honest. */
    record ReviseMove(PartitionId partition, List<NodeId> next, Version basedOn) implements PlacementChange {
        public ReviseMove {
            next = requireNext(partition, next);
        }

        @Override
        public Applied apply(Optional<Placement> before, Instant now) {
            Placement current = before.orElseThrow(() -> new IllegalStateException("BUG: " + partition + " has no placement to move"));
            if (!current.hasNext()) {
                throw new IllegalStateException("BUG: " + partition + " has no move under way to revise");
            }
            Instant startedAt = current.changeStartedAt() != null ? current.changeStartedAt() : now;
            return started(current, current.withNext(next, basedOn, startedAt), "revised", now);
        }
    }

    private static List<NodeId> requireNext(PartitionId partition, List<NodeId> next) {
        List<NodeId> copy = List.copyOf(next);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException(partition + ": a move needs a next replica set");
        }
        return copy;
    }

    private static Applied started(Placement before, Placement after, String why, Instant now) {
        List<NodeId> leaving = after.leaving();
        ClusterEvent event = ClusterEvent.of(now, EventKind.PARTITION_MOVE_STARTED, leaving.isEmpty() ? null : leaving.getFirst(), after.partition(),
                after.partition() + " " + why + ": " + before.current() + " → " + after.next()
                        + (leaving.isEmpty() ? "" : " (" + leaving + " leave, " + after.joining() + " join)"),
                Map.of());
        return new Applied(after, Optional.of(event));
    }

    /**
     * The change is done: next becomes current, because the data plane confirmed the group's committed
     * configuration is next.
     *
     * @param leader the member that leads now, kept when it stays, or {@code null}
     */
    record CompleteMove(PartitionId partition, List<NodeId> confirmedConfiguration, NodeId leader) implements PlacementChange {
        public CompleteMove {
            confirmedConfiguration = List.copyOf(confirmedConfiguration);
        }

        @Override
        public Applied apply(Optional<Placement> before, Instant now) {
            Placement placement = before.orElseThrow(() -> new IllegalStateException("BUG: " + partition + " has no placement to complete"));
            if (!placement.hasNext()) {
                throw new IllegalStateException("BUG: " + partition + " has no move under way to complete");
            }
            if (!new java.util.HashSet<>(placement.next()).equals(new java.util.HashSet<>(confirmedConfiguration))) {
                throw new IllegalStateException("BUG: " + partition + " completes to " + placement.next() + " but the confirmed configuration is "
                        + confirmedConfiguration);
            }
            Placement done = placement.completed().withLeader(leader != null && placement.next().contains(leader) ? leader : null);
            Duration took = placement.changeStartedAt() == null ? Duration.ZERO : Duration.between(placement.changeStartedAt(), now);
            List<NodeId> leaving = placement.leaving();
            ClusterEvent event = ClusterEvent.of(now, EventKind.PARTITION_MOVED, leaving.isEmpty() ? null : leaving.getFirst(), partition,
                    partition + " moved " + leaving + " → " + placement.joining() + " in " + took.toMillis() + " ms",
                    Map.of("durationMillis", took.toMillis()));
            return new Applied(done, Optional.of(event));
        }
    }

    /**
     * An operator's override for one partition ({@link PartitionPolicy}): freeze or unfreeze its replica set, pin or
     * unpin its leader. The scheduler reads the policy on its next pass; this only records it. A policy equal to the
     * placement's is not a change: the caller answers it without writing.
     *
     * @param credential the API credential that asked, named in the event; {@code null} when none did
     * @param pinnedLabel how surfaces name the pinned node ({@code N2 (worker-2)}), or {@code null} when none is pinned
     */
    record SetPolicy(PartitionId partition, PartitionPolicy policy, Actor actor, String reason, CredentialName credential, String pinnedLabel)
            implements PlacementChange {
        public SetPolicy {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(actor, "actor");
            reason = reason == null ? "" : reason;
        }

        @Override
        public Applied apply(Optional<Placement> before, Instant now) {
            Placement placement = before.orElseThrow(() -> new IllegalStateException("BUG: " + partition + " has no placement"));
            PartitionPolicy old = placement.policy();
            if (old.equals(policy)) {
                throw new IllegalStateException("BUG: " + partition + " already has the policy " + policy);
            }
            if (policy.pinnedLeader() != null && !policy.pinnedLeader().equals(old.pinnedLeader()) && !placement.current().contains(policy.pinnedLeader())) {
                throw new IllegalStateException("BUG: " + partition + " cannot pin its leader to " + policy.pinnedLeader() + ", which is not in "
                        + placement.current());
            }
            List<String> what = new java.util.ArrayList<>();
            if (old.frozen() != policy.frozen()) {
                what.add(policy.frozen() ? "frozen: its replica set changes no more until it is unfrozen" : "unfrozen");
            }
            if (!Objects.equals(old.pinnedLeader(), policy.pinnedLeader())) {
                what.add(policy.pinnedLeader() == null ? "leader unpinned"
                        : "leader pinned to " + (pinnedLabel == null ? policy.pinnedLeader() : pinnedLabel));
            }
            ClusterEvent event = ClusterEvent.of(now, EventKind.PARTITION_POLICY_CHANGED, policy.pinnedLeader(), partition,
                    partition + " " + String.join(", ", what) + " by " + actor + (credential == null ? "" : " with credential " + credential)
                            + (reason.isEmpty() ? "" : ": " + reason),
                    Map.of());
            return new Applied(placement.withPolicy(policy), Optional.of(event));
        }
    }

    /**
     * Keeps the placement's leader field in step with what the workers report, for readers of the
     * placements (clients' routing hints, the API). A leader the placement does not name is refused.
     */
    record RecordLeader(PartitionId partition, NodeId leader) implements PlacementChange {
        public RecordLeader {
            Objects.requireNonNull(leader, "leader");
        }

        @Override
        public Applied apply(Optional<Placement> before, Instant now) {
            Placement placement = before.orElseThrow(() -> new IllegalStateException("BUG: " + partition + " has no placement"));
            if (!placement.names(leader)) {
                throw new IllegalStateException("BUG: " + leader + " leads " + partition + " but its placement does not name it: " + placement);
            }
            return new Applied(placement.withLeader(leader), Optional.empty());
        }
    }
}
