package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.MoveFailure;
import java.time.Instant;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Something the data plane answered, delivered to the controller's thread. Completions of status polls
 * and Raft calls run on other threads; they only {@linkplain Inbox#post post} one of these, and the next
 * pass applies it — the rule Kafka's QuorumController states: one thread decides and changes state,
 * everything else hands it events.
 */
sealed interface ControllerEvent {

    /** A worker answered a status poll. */
    record StatusAnswered(NodeReplicas report) implements ControllerEvent {}

    /** A status poll failed (refused, timed out, unreadable). */
    record StatusFailed(NodeId node, String detail, Instant at) implements ControllerEvent {}

    /** The call {@code callId} for {@code partition} succeeded. */
    record CallSucceeded(PartitionId partition, long callId, Instant at) implements ControllerEvent {}

    /** The call {@code callId} for {@code partition} failed. */
    record CallFailed(PartitionId partition, long callId, MoveFailure failure, Instant at) implements ControllerEvent {}

    /**
     * Where events wait for the controller's thread. Unbounded as a queue, bounded in practice: at most
     * one status poll per worker and one call per partition are outstanding, and each posts one event.
     */
    final class Inbox {
        private final Queue<ControllerEvent> events = new ConcurrentLinkedQueue<>();
        private final Runnable requestPass;

        Inbox(Runnable requestPass) {
            this.requestPass = Objects.requireNonNull(requestPass, "requestPass");
        }

        /** Called from any thread. */
        void post(ControllerEvent event) {
            events.add(event);
            requestPass.run();
        }

        /** The next event, or {@code null}; called on the controller's thread only. */
        ControllerEvent poll() {
            return events.poll();
        }
    }
}
