package dev.sluice.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.NodeId;
import dev.sluice.model.WireNames;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A rolling restart as the cluster stores it ({@code controller/rollout}): the workers to restart, in order,
 * and how far each got. An operator writes it (start, cancel); the controller leader steps it on, one worker
 * at a time — maintenance, leaderships away, graceful shutdown, back with a new generation, caught up — and
 * writes each step before acting on it, so a CLI that goes away loses nothing and a controller that fails
 * over resumes the step where it stands. Immutable.
 *
 * @param id unique per rollout; with a node it names that node's maintenance request, so a retried start
 *     recognises its own write
 * @param nodeTimeout how long one worker may take to shut down, or to come back and catch up, before the
 *     rollout stops and says so
 * @param stoppedBecause why it stopped or was cancelled, or {@code null}
 */
public record Rollout(
        String id,
        String reason,
        Instant startedAt,
        Duration nodeTimeout,
        List<Step> steps,
        State state,
        String stoppedBecause,
        Instant endedAt,
        Instant updatedAt) {

    /** The longest a rollout lets one worker take, either way. */
    public static final Duration MAX_NODE_TIMEOUT = Duration.ofHours(1);
    /** How long a worker's leaderships may take to leave before it is shut down anyway (its own shutdown hands over the rest). */
    static final Duration SHED_TIMEOUT = Duration.ofSeconds(30);

    public Rollout {
        Objects.requireNonNull(id, "id");
        reason = reason == null ? "" : reason;
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(nodeTimeout, "nodeTimeout");
        steps = List.copyOf(steps);
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a rollout restarts at least one worker");
        }
    }

    /** Where a rollout stands. */
    public enum State {
        RUNNING,
        COMPLETED,
        /** It stopped by itself: a worker did not come back, or a pre-check refused the next one. */
        STOPPED,
        CANCELLED;

        public boolean ended() {
            return this != RUNNING;
        }

        @JsonValue
        public String wireName() {
            return WireNames.of(this);
        }

        @JsonCreator
        public static State parse(String text) {
            return WireNames.parse(State.class, "rollout state", text);
        }

        @Override
        public String toString() {
            return wireName();
        }
    }

    /** How far one worker got, in the order the rollout takes them. */
    public enum Phase {
        WAITING,
        /** In maintenance; its leaderships are moving to other members. */
        SHEDDING_LEADERSHIPS,
        /** Asked to shut down gracefully; waiting for its process to go. */
        SHUTTING_DOWN,
        /** Its process is gone; waiting for the supervisor to start it again (a new generation). */
        RESTARTING,
        /** Back with a new generation; waiting for its replicas to catch up and its maintenance to end. */
        CATCHING_UP,
        DONE;

        @JsonValue
        public String wireName() {
            return WireNames.of(this);
        }

        @JsonCreator
        public static Phase parse(String text) {
            return WireNames.parse(Phase.class, "rollout phase", text);
        }

        @Override
        public String toString() {
            return wireName();
        }
    }

    /**
     * One worker's part.
     *
     * @param generationBefore its generation when its turn began, or {@code 0} before; back means newer
     * @param phaseSince when it entered {@code phase}
     * @param startedAt when its turn began, or {@code null} before
     * @param waitingFor what its phase waits for, in one line, or {@code null}
     */
    public record Step(NodeId node, String name, Phase phase, int generationBefore, Instant phaseSince, Instant startedAt, Instant doneAt,
            String waitingFor) {
        public Step {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(phase, "phase");
        }

        static Step waiting(NodeId node, String name) {
            return new Step(node, name, Phase.WAITING, 0, null, null, null, null);
        }

        Step entering(Phase next, Instant now) {
            return new Step(node, name, next, generationBefore, now, startedAt, next == Phase.DONE ? now : doneAt, null);
        }

        Step begun(int generation, Instant now) {
            return new Step(node, name, Phase.SHEDDING_LEADERSHIPS, generation, now, now, null, null);
        }

        Step waitingFor(String what) {
            return new Step(node, name, phase, generationBefore, phaseSince, startedAt, doneAt, what);
        }
    }

    /** The step under way, or the next one to begin; empty once every step is done. */
    public Optional<Step> current() {
        return steps.stream().filter(step -> step.phase() != Phase.DONE).findFirst();
    }

    public long done() {
        return steps.stream().filter(step -> step.phase() == Phase.DONE).count();
    }

    /** The maintenance request id of {@code node}'s turn. */
    String maintenanceRequestId(NodeId node) {
        return "rollout-" + id + "-" + node;
    }

    Rollout withStep(Step step, Instant now) {
        List<Step> next = new ArrayList<>(steps);
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i).node().equals(step.node())) {
                next.set(i, step);
            }
        }
        boolean allDone = next.stream().allMatch(s -> s.phase() == Phase.DONE);
        return new Rollout(id, reason, startedAt, nodeTimeout, next, allDone ? State.COMPLETED : state, stoppedBecause, allDone ? now : endedAt, now);
    }

    Rollout ended(State how, String because, Instant now) {
        return new Rollout(id, reason, startedAt, nodeTimeout, steps, how, because, now, now);
    }
}
