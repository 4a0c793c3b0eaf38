package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.raft.MoveFailure;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The step one partition's replica-set change is at, as a value: what the controller waits for or does
 * next. {@link MoveStepper} decides it on every pass from the placement, what the workers report and the
 * partition's {@link MoveMemory}; the status, drain progress and stall reasons are read off it, never off
 * text. The table in {@code docs/controller.md} lists the same kinds in the same order (a test checks).
 *
 * <p>Steps that {@linkplain #isAction() act} start a data-plane call (or, for {@link Complete}, write the
 * placement); while the call runs the partition is {@link InFlight}. A call's completion comes back to the
 * controller's thread as an event and is recorded in the memory, so the next pass steps on from there.
 */
public sealed interface MoveStep {

    /** The kinds, in the order {@link MoveStepper} checks for them; the docs' step table lists exactly these, in this order. */
    enum Kind {
        STEP_DOWN,
        IN_FLIGHT,
        BACK_OFF,
        COMPLETE,
        AWAIT_JOINER,
        AWAIT_LEADER,
        SHED_LEADERSHIP,
        CHANGE_CONFIGURATION,
        CONFIRM;

        @com.fasterxml.jackson.annotation.JsonValue
        public String wireName() {
            return dev.sluice.model.WireNames.of(this);
        }
    }

    Kind kind();

    /** One line for operators ({@code partitions show}, the dashboard's map, logs). */
    String describe();

    /**
     * What it is called when a partition stays at this step with no progress for the stall period; empty
     * when staying here is never a stall (an action about to start, or a write).
     */
    Optional<StallReason> stallReason();

    /** Whether this step starts something (a data-plane call or the completing write) rather than waits. */
    default boolean isAction() {
        return switch (kind()) {
            case STEP_DOWN, SHED_LEADERSHIP, CHANGE_CONFIGURATION, CONFIRM, COMPLETE -> true;
            case AWAIT_JOINER, AWAIT_LEADER, IN_FLIGHT, BACK_OFF -> false;
        };
    }

    /**
     * Asking {@code leader} to step down so that the group elects again: Ratis keeps a configuration change
     * in progress while it stages a new member, and gives up on a member that stopped answering only when
     * the group has had no writes for a whole election timeout. Under client load such a change never ends
     * and every later change is refused; a leader that steps down drops it. Taken when a change in flight
     * stages a member that no longer answers, or when changes have been refused as in progress for a whole
     * reconfiguration timeout without progress. <b>Done when</b> the call succeeds; the next report says who
     * leads.
     */
    record StepDown(NodeId leader, String why) implements MoveStep {
        public Kind kind() {
            return Kind.STEP_DOWN;
        }

        public String describe() {
            return "asking " + leader + " to step down (" + why + ")";
        }

        public Optional<StallReason> stallReason() {
            return Optional.empty();
        }
    }

    /**
     * Waiting for a joining member to host the group. The worker creates it when it sees itself in the
     * placement's next set. <b>Done when</b> the joiner's status report lists the group.
     *
     * @param reporting whether the joiner answers status polls; if not, the stall is the worker's, not the group's
     */
    record AwaitJoiner(NodeId joiner, boolean reporting) implements MoveStep {
        public Kind kind() {
            return Kind.AWAIT_JOINER;
        }

        public String describe() {
            return reporting ? "waiting for " + joiner + " to create the group" : "waiting for " + joiner + ", which does not report";
        }

        public Optional<StallReason> stallReason() {
            return Optional.of(reporting ? StallReason.JOINER_NOT_HOSTING : StallReason.WORKER_NOT_REPORTING);
        }
    }

    /** Waiting for the group to elect a leader. <b>Done when</b> a live member reports itself leader. */
    record AwaitLeader() implements MoveStep {
        public Kind kind() {
            return Kind.AWAIT_LEADER;
        }

        public String describe() {
            return "waiting for the group to elect a leader";
        }

        public Optional<StallReason> stallReason() {
            return Optional.of(StallReason.LEADERLESS);
        }
    }

    /**
     * Moving leadership from {@code from} to {@code to}, a healthy member that stays, before the
     * configuration drops {@code from} (or because changes keep failing under it). <b>Done when</b> the
     * transfer call succeeds; a failed transfer is never repeated towards the same target.
     */
    record ShedLeadership(NodeId from, NodeId to, String why) implements MoveStep {
        public Kind kind() {
            return Kind.SHED_LEADERSHIP;
        }

        public String describe() {
            return "moving leadership " + from + " → " + to + " (" + why + ")";
        }

        public Optional<StallReason> stallReason() {
            return Optional.empty();
        }
    }

    /**
     * Asking the leader to change the configuration from {@code from} to {@code to}; Raft stages new
     * members until they have caught up. {@code lastLeg} is false on the way through the union of both
     * sets, which Raft needs when the new members would be half or more of the new configuration.
     * <b>Done when</b> the call confirms {@code to} committed.
     */
    record ChangeConfiguration(Set<NodeId> from, Set<NodeId> to, boolean lastLeg) implements MoveStep {
        public ChangeConfiguration {
            from = Set.copyOf(from);
            to = Set.copyOf(to);
        }

        public Kind kind() {
            return Kind.CHANGE_CONFIGURATION;
        }

        public String describe() {
            return "changing configuration " + new TreeSet<>(from) + " → " + new TreeSet<>(to) + (lastLeg ? "" : " (through the union of both)");
        }

        public Optional<StallReason> stallReason() {
            return Optional.empty();
        }
    }

    /**
     * The leader reports the wanted configuration, but this controller has not seen it committed: ask
     * for it again, which Raft answers at once when it is committed and stable. <b>Done when</b> the call
     * succeeds.
     */
    record Confirm(Set<NodeId> configuration) implements MoveStep {
        public Confirm {
            configuration = Set.copyOf(configuration);
        }

        public Kind kind() {
            return Kind.CONFIRM;
        }

        public String describe() {
            return "confirming configuration " + new TreeSet<>(configuration);
        }

        public Optional<StallReason> stallReason() {
            return Optional.empty();
        }
    }

    /**
     * A data-plane call started by {@code action} is running. <b>Done when</b> its completion arrives
     * (success or a typed failure), or its deadline passes, which counts as a
     * {@link MoveFailure.Timeout}.
     */
    record InFlight(MoveStep action, Instant since, Instant deadline) implements MoveStep {
        public Kind kind() {
            return Kind.IN_FLIGHT;
        }

        public String describe() {
            return action.describe();
        }

        public Optional<StallReason> stallReason() {
            return switch (action.kind()) {
                case STEP_DOWN, SHED_LEADERSHIP -> Optional.of(StallReason.LEADERSHIP_TRANSFER_FAILING);
                case CHANGE_CONFIGURATION, CONFIRM -> Optional.of(StallReason.CATCH_UP_NOT_ADVANCING);
                case AWAIT_JOINER, AWAIT_LEADER, IN_FLIGHT, BACK_OFF, COMPLETE -> Optional.empty();
            };
        }
    }

    /**
     * The last call failed; nothing is tried before {@code until}. <b>Done when</b> {@code until} has
     * passed; then the stepper decides afresh, escalating (another leader, another target) if the same
     * failure repeats.
     *
     * @param failures consecutive failures so far
     */
    record BackOff(Instant until, MoveFailure failure, int failures) implements MoveStep {
        public Kind kind() {
            return Kind.BACK_OFF;
        }

        public String describe() {
            return "retrying after " + failure.kind().wireName() + " (" + failures + " in a row): " + failure.detail();
        }

        public Optional<StallReason> stallReason() {
            return Optional.of(StallReason.of(failure));
        }
    }

    /**
     * The data plane confirmed the group's committed configuration is the placement's next set: write
     * the placement {@code {current: next}} (the leaving members then drop the group). <b>Done when</b>
     * the write succeeds.
     *
     * @param leader the leader to record, or {@code null} if unknown
     */
    record Complete(NodeId leader) implements MoveStep {
        public Kind kind() {
            return Kind.COMPLETE;
        }

        public String describe() {
            return "completing";
        }

        public Optional<StallReason> stallReason() {
            return Optional.empty();
        }
    }
}
