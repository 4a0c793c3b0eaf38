package dev.sluice.model;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A change to the nodes configuration, as a value. {@link NodesConfiguration#apply} is the one pure
 * function that turns a configuration and a change into the next configuration (or a refusal); live
 * writes, retries, replays and tests all go through it.
 */
public sealed interface NodesChange {

    /** The time the change is stamped with. */
    Instant at();

    /**
     * A node process announces itself. A new name gets a fresh plain id and generation 1 and starts
     * {@link WorkerState#PROVISIONING}; a known name keeps its id and state and gets the next generation.
     *
     * @param expectedGeneration the generation the process saw before registering, or {@code null} if it
     *     saw no node of that name; a different generation at write time means another process registered
     *     the same name concurrently
     * @param incarnation a random token identifying this process start
     */
    record RegisterNode(
            String name,
            NodeAddresses addresses,
            Set<Role> roles,
            Location location,
            Integer expectedGeneration,
            String incarnation,
            Instant at) implements NodesChange {

        public RegisterNode {
            NodeConfig.requireValidName(name);
            Objects.requireNonNull(addresses, "addresses");
            Objects.requireNonNull(location, "location");
            Objects.requireNonNull(incarnation, "incarnation");
            Objects.requireNonNull(at, "at");
            if (roles == null || roles.isEmpty()) {
                throw new IllegalArgumentException("node '" + name + "' must have at least one role");
            }
            roles = Set.copyOf(roles);
            if (incarnation.isBlank()) {
                throw new IllegalArgumentException("incarnation must not be blank");
            }
        }
    }

    /**
     * Someone asks to move a worker to another state. Judged by {@link TransitionTable} against the node's
     * state at write time, on the facts given.
     *
     * @param node the incarnation the request was decided against
     * @param requestId unique per request, so a retry recognises its own earlier write
     */
    record TransitionWorker(
            GenerationalNodeId node,
            WorkerState target,
            Actor actor,
            String reason,
            boolean force,
            GuardFacts facts,
            String requestId,
            Instant at) implements NodesChange {

        public TransitionWorker {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(at, "at");
            reason = reason == null ? "" : reason;
            facts = facts == null ? GuardFacts.NONE : facts;
        }

        public TransitionWorker withFacts(GuardFacts newFacts) {
            return new TransitionWorker(node, target, actor, reason, force, newFacts, requestId, at);
        }
    }

    /** Removes a disabled node for good, leaving a tombstone so its id is never reused. */
    record RemoveNode(GenerationalNodeId node, Instant at) implements NodesChange {
        public RemoveNode {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(at, "at");
        }
    }
}
