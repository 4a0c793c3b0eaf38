package dev.sluice.model;

import java.time.Instant;
import java.util.List;
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
     * @param credential the API credential that asked, recorded in the audit record; {@code null} when none did
     */
    record TransitionWorker(
            GenerationalNodeId node,
            WorkerState target,
            Actor actor,
            String reason,
            boolean force,
            GuardFacts facts,
            String requestId,
            Instant at,
            CredentialName credential) implements NodesChange {

        /** A transition no credential asked for: the controller's, a node's own, or one on a node without credentials. */
        public TransitionWorker(GenerationalNodeId node, WorkerState target, Actor actor, String reason, boolean force, GuardFacts facts,
                String requestId, Instant at) {
            this(node, target, actor, reason, force, facts, requestId, at, null);
        }

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
            return new TransitionWorker(node, target, actor, reason, force, newFacts, requestId, at, credential);
        }
    }

    /**
     * Several workers change state together, in one write of the nodes configuration (one version): a group
     * drain ({@code draining}) or its cancel ({@code active}). All or nothing: if one member's transition is
     * refused, nothing is written and the refusal names that member; a stale generation of any member refuses
     * the whole change. Each member's transition is judged by {@link TransitionTable} as alone, except the
     * drain pre-check, which is judged once for the set ({@code combinedPrecheck}): draining three workers that
     * hold the replicas of one partition may be refused although each alone would be allowed.
     *
     * @param nodes the incarnations the request was decided against, at least one, each once, at most
     *     {@link #MAX_MEMBERS}
     * @param force drain although the set's pre-check found blocking partitions (each member's audit record says forced)
     * @param group the group's id, named in the events; each member's state change carries {@code requestId}
     * @param combinedPrecheck the scheduler's pre-check of draining the whole set, or {@code null} if not run
     *     (a drain then refuses)
     * @param facts each member's other guard facts (liveness, for a disabled member going back to active)
     * @param credential the API credential that asked, recorded in every member's audit record; {@code null} when none did
     */
    record TransitionWorkers(
            List<GenerationalNodeId> nodes,
            WorkerState target,
            Actor actor,
            String reason,
            boolean force,
            String group,
            GuardFacts.DrainPrecheck combinedPrecheck,
            java.util.Map<NodeId, GuardFacts> facts,
            String requestId,
            Instant at,
            CredentialName credential) implements NodesChange {

        /** The most workers one change may name: far above a zone of any cluster Sluice runs, and a bound on the document written. */
        public static final int MAX_MEMBERS = 256;

        public TransitionWorkers {
            nodes = List.copyOf(nodes);
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(at, "at");
            reason = reason == null ? "" : reason;
            facts = facts == null ? java.util.Map.of() : java.util.Map.copyOf(facts);
            if (nodes.isEmpty() || nodes.size() > MAX_MEMBERS) {
                throw new IllegalArgumentException("a change of several workers names 1 to " + MAX_MEMBERS + " of them, got " + nodes.size());
            }
            if (nodes.stream().map(GenerationalNodeId::id).distinct().count() != nodes.size()) {
                throw new IllegalArgumentException("a change of several workers names each once: " + nodes);
            }
            if (target != WorkerState.DRAINING && target != WorkerState.ACTIVE) {
                throw new IllegalArgumentException("workers change state together only to draining (a group drain) or active (its cancel), not " + target);
            }
        }
    }

    /**
     * Several workers' own transitions written in one version of the nodes configuration: each judged as
     * {@link TransitionWorker} alone, those allowed written together, those refused or already done left out (the others
     * are written all the same). The controller disables the workers a pass found drained this way: one write each, a
     * zone of 3,334 workers was 3,334 writes of the configuration, 60 % of the controller's CPU in that drain.
     *
     * @param transitions at least one, each naming another worker, at most {@link TransitionWorkers#MAX_MEMBERS}
     */
    record TransitionEach(List<TransitionWorker> transitions) implements NodesChange {

        public TransitionEach {
            transitions = List.copyOf(transitions);
            if (transitions.isEmpty() || transitions.size() > TransitionWorkers.MAX_MEMBERS) {
                throw new IllegalArgumentException("a change of several workers names 1 to " + TransitionWorkers.MAX_MEMBERS + " of them, got "
                        + transitions.size());
            }
            if (transitions.stream().map(transition -> transition.node().id()).distinct().count() != transitions.size()) {
                throw new IllegalArgumentException("a change of several workers names each once: " + transitions.stream().map(TransitionWorker::node).toList());
            }
        }

        @Override
        public Instant at() {
            return transitions.getFirst().at();
        }
    }

    /**
     * An operator declares that an Active worker goes away for a while and comes back with its data
     * ({@link Maintenance}). Asked again while an intent lasts, it replaces that intent's reason and time limit
     * and keeps its start, so an operator can extend a maintenance that takes longer.
     *
     * @param node the incarnation the request was decided against
     * @param blocking the partitions the maintenance pre-check found at risk, or {@code null} if it was not run
     * @param force go ahead although the pre-check found partitions at risk
     * @param credential the API credential that asked, recorded with the intent; {@code null} when none did
     */
    record StartMaintenance(
            GenerationalNodeId node,
            Actor actor,
            String reason,
            Instant until,
            boolean force,
            List<BlockingPartition> blocking,
            String requestId,
            Instant at,
            CredentialName credential) implements NodesChange {

        /** A maintenance no credential asked for. */
        public StartMaintenance(GenerationalNodeId node, Actor actor, String reason, Instant until, boolean force, List<BlockingPartition> blocking,
                String requestId, Instant at) {
            this(node, actor, reason, until, force, blocking, requestId, at, null);
        }

        public StartMaintenance {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(until, "until");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(at, "at");
            reason = reason == null ? "" : reason;
            blocking = blocking == null ? null : List.copyOf(blocking);
        }

        public StartMaintenance withBlocking(List<BlockingPartition> value) {
            return new StartMaintenance(node, actor, reason, until, force, value, requestId, at, credential);
        }
    }

    /**
     * Ends a node's maintenance intent. Ending a node that has none lasting is a no-op success.
     *
     * @param intent the request id of the intent to end, or {@code null} for whichever lasts: the controller
     *     names the intent it judged, so it never ends a newer one an operator started in between
     * @param note what the event should add that only the caller knows (the node is still away), or empty
     */
    record EndMaintenance(NodeId node, Actor actor, Maintenance.EndCause cause, String intent, String note, Instant at) implements NodesChange {
        public EndMaintenance {
            note = note == null ? "" : note;
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * An operator cordons a worker: it receives no new replica and no new leadership, and keeps what it holds
     * ({@link Cordon}). Cordoning a cordoned worker changes nothing (the first cordon's who, when and why stay).
     *
     * @param node the incarnation the request was decided against
     * @param credential the API credential that asked, recorded with the cordon; {@code null} when none did
     */
    record CordonNode(GenerationalNodeId node, Actor actor, String reason, String requestId, Instant at, CredentialName credential)
            implements NodesChange {
        public CordonNode {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(at, "at");
            reason = reason == null ? "" : reason;
        }
    }

    /** Lifts a worker's cordon; a worker without one is a no-op success. */
    record UncordonNode(NodeId node, Actor actor, Instant at, CredentialName credential) implements NodesChange {
        public UncordonNode {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * Removes a disabled node for good, leaving a tombstone so its id is never reused; its name registers again
     * as a new node. Refused unless the node is disabled (or has no worker role), is not running, and no
     * placement names it, as {@code facts} say.
     *
     * @param node the incarnation the request was decided against
     * @param facts what the caller saw beyond the nodes configuration, gathered fresh for each attempt; {@code null}
     *     if nobody looked, which refuses
     * @param credential the API credential that asked, named in the event; {@code null} when none did
     */
    record RemoveNode(GenerationalNodeId node, Actor actor, String reason, RemovalFacts facts, Instant at, CredentialName credential)
            implements NodesChange {
        public RemoveNode {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(at, "at");
            reason = reason == null ? "" : reason;
        }
    }

    /**
     * What a removal is judged on besides the configuration: whether the node's process runs, and how many
     * placements still name it (in a current or next replica set) or say it leads.
     *
     * @param alive whether the node holds a liveness entry, or {@code null} if unknown (which refuses)
     */
    record RemovalFacts(Boolean alive, int replicaSetsNamingNode, int partitionsLed) {
        public RemovalFacts {
            if (replicaSetsNamingNode < 0 || partitionsLed < 0) {
                throw new IllegalArgumentException("counts must not be negative: " + replicaSetsNamingNode + ", " + partitionsLed);
            }
        }
    }

    /**
     * An operator replaces worker {@code old} by worker {@code replacement} ({@link Replacement}): {@code old} goes from
     * active to draining with the replacement recorded, so each of its replicas moves to {@code replacement} and nowhere
     * else. Judged on {@code facts}, gathered fresh for each attempt of the write.
     *
     * @param old the incarnation of the worker being replaced the request was decided against
     * @param replacement the incarnation of the worker receiving its replicas the request was decided against
     * @param facts what the caller saw beyond the nodes configuration, or {@code null} if nobody looked, which refuses
     * @param credential the API credential that asked, recorded in the audit record; {@code null} when none did
     */
    record ReplaceWorker(GenerationalNodeId old, GenerationalNodeId replacement, Actor actor, String reason, ReplaceFacts facts, String requestId,
            Instant at, CredentialName credential) implements NodesChange {
        public ReplaceWorker {
            Objects.requireNonNull(old, "old");
            Objects.requireNonNull(replacement, "replacement");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(at, "at");
            reason = reason == null ? "" : reason;
        }

        public ReplaceWorker withFacts(ReplaceFacts value) {
            return new ReplaceWorker(old, replacement, actor, reason, value, requestId, at, credential);
        }
    }

    /**
     * What a replace is judged on besides the configuration.
     *
     * @param replacementAlive whether the receiving worker holds a liveness entry, or {@code null} if unknown (which refuses)
     * @param blocking the partitions the replace pre-check found that could not move to the receiving worker (it holds
     *     a replica already, the zone spread would break, a move is under way, the partition is frozen); {@code null}
     *     if the pre-check was not run, which refuses
     */
    record ReplaceFacts(Boolean replacementAlive, List<BlockingPartition> blocking) {
        public ReplaceFacts {
            blocking = blocking == null ? null : List.copyOf(blocking);
        }
    }
}
