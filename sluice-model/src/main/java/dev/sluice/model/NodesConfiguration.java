package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The versioned document of every node in the cluster, live ones and tombstones of removed ones.
 * Immutable; every change goes through {@link #apply(NodesChange)}, which yields the next version. Each
 * live node's worker state is the stored operator intent the scheduler acts on.
 */
public final class NodesConfiguration {

    private static final NodesConfiguration EMPTY = new NodesConfiguration(Version.INVALID, List.of(), List.of());

    private final Version version;
    private final List<NodeConfig> nodes;
    private final List<Tombstone> tombstones;
    private final Map<NodeId, NodeConfig> byId;
    private final Map<String, NodeConfig> byName;
    /** {@link #workers()}, made on first use: a controller pass asks for it about ten times, at 10,000 nodes a walk each. */
    private List<NodeConfig> workers;

    /**
     * @throws IllegalArgumentException if the document is inconsistent (duplicate ids or names, a
     *     tombstoned id in use, nodes without a version)
     */
    @JsonCreator
    public NodesConfiguration(
            @JsonProperty("version") Version version,
            @JsonProperty("nodes") List<NodeConfig> nodes,
            @JsonProperty("tombstones") List<Tombstone> tombstones) {
        this.version = Objects.requireNonNull(version, "version");
        List<NodeConfig> sortedNodes = new ArrayList<>(nodes == null ? List.of() : nodes);
        sortedNodes.sort(Comparator.comparing(NodeConfig::nodeId));
        List<Tombstone> sortedTombstones = new ArrayList<>(tombstones == null ? List.of() : tombstones);
        sortedTombstones.sort(Comparator.comparing(Tombstone::id));
        this.nodes = List.copyOf(sortedNodes);
        this.tombstones = List.copyOf(sortedTombstones);
        Map<NodeId, NodeConfig> ids = new HashMap<>();
        Map<String, NodeConfig> names = new HashMap<>();
        for (NodeConfig node : this.nodes) {
            if (ids.put(node.nodeId(), node) != null) {
                throw new IllegalArgumentException("nodes configuration " + version + " lists " + node.nodeId() + " twice");
            }
            if (names.put(node.name(), node) != null) {
                throw new IllegalArgumentException("nodes configuration " + version + " lists the name '" + node.name() + "' twice");
            }
        }
        for (Tombstone tombstone : this.tombstones) {
            if (ids.containsKey(tombstone.id())) {
                throw new IllegalArgumentException("nodes configuration " + version + " has " + tombstone.id() + " both live and removed");
            }
        }
        if (!version.isValid() && !(this.nodes.isEmpty() && this.tombstones.isEmpty())) {
            throw new IllegalArgumentException("nodes configuration without a version must be empty");
        }
        this.byId = Map.copyOf(ids);
        this.byName = Map.copyOf(names);
    }

    /** The configuration before any node registered ({@link Version#INVALID}). */
    public static NodesConfiguration empty() {
        return EMPTY;
    }

    @JsonProperty("version")
    public Version version() {
        return version;
    }

    /** Live nodes, by id. */
    @JsonProperty("nodes")
    public List<NodeConfig> nodes() {
        return nodes;
    }

    /** Removed nodes, by id. */
    @JsonProperty("tombstones")
    public List<Tombstone> tombstones() {
        return tombstones;
    }

    public Optional<NodeConfig> find(NodeId id) {
        return Optional.ofNullable(byId.get(id));
    }

    public Optional<NodeConfig> findByName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * Finds the node an operator's {@code reference} names: a name (ignoring case when that is unambiguous),
     * a plain id like {@code N3}, or a current generational id like {@code N3:7}; see {@link NodeResolution}.
     */
    public NodeResolution resolve(String reference) {
        return NodeReferences.resolve(this, reference);
    }

    /**
     * {@code id} as operator surfaces print it, {@code N1 (worker-3)}; a removed node keeps the name it had,
     * since ids are never reused. An id this configuration never had prints bare.
     */
    public String label(NodeId id) {
        NodeConfig node = byId.get(id);
        if (node != null) {
            return NodeResolution.label(node);
        }
        return tombstones.stream().filter(t -> t.id().equals(id)).findFirst().map(t -> id + " (" + t.name() + ")").orElse(id.toString());
    }

    /** Live nodes with the worker role, by id. */
    public List<NodeConfig> workers() {
        // A race makes the same list twice; an immutable list's fields are final, so any thread sees it whole.
        List<NodeConfig> made = workers;
        if (made == null) {
            made = nodes.stream().filter(NodeConfig::isWorker).toList();
            workers = made;
        }
        return made;
    }

    public boolean isRemoved(NodeId id) {
        return tombstones.stream().anyMatch(t -> t.id().equals(id));
    }

    /** The id the next new node name gets: one past every id ever used, live or removed. */
    public NodeId nextNodeId() {
        int highest = 0;
        for (NodeConfig node : nodes) {
            highest = Math.max(highest, node.nodeId().value());
        }
        for (Tombstone tombstone : tombstones) {
            highest = Math.max(highest, tombstone.id().value());
        }
        return new NodeId(highest + 1);
    }

    /** The pure transition function: this configuration plus {@code change} gives the result. */
    public ChangeResult apply(NodesChange change) {
        return switch (change) {
            case NodesChange.RegisterNode register -> applyRegister(register);
            case NodesChange.TransitionWorker transition -> applyTransition(transition);
            case NodesChange.TransitionWorkers transitions -> applyTransitions(transitions);
            case NodesChange.TransitionEach each -> applyEach(each);
            case NodesChange.RemoveNode remove -> applyRemove(remove);
            case NodesChange.StartMaintenance start -> applyStartMaintenance(start);
            case NodesChange.EndMaintenance end -> applyEndMaintenance(end);
            case NodesChange.CordonNode cordon -> applyCordon(cordon);
            case NodesChange.UncordonNode uncordon -> applyUncordon(uncordon);
            case NodesChange.ReplaceWorker replace -> applyReplace(replace);
        };
    }

    private ChangeResult applyRegister(NodesChange.RegisterNode register) {
        Version nextVersion = version.next();
        NodeConfig existing = byName.get(register.name());
        if (existing != null && existing.incarnation().equals(register.incarnation())) {
            return new ChangeResult.Unchanged(existing, true);
        }
        Integer expected = register.expectedGeneration();
        if (existing == null) {
            if (expected != null) {
                return refusedRegistration(null, "node name '" + register.name() + "' was removed while this process registered; start it again");
            }
            GenerationalNodeId id = new GenerationalNodeId(nextNodeId(), GenerationalNodeId.FIRST_GENERATION);
            NodeConfig created = new NodeConfig(register.name(), id, register.addresses(), register.roles(), register.location(),
                    WorkerState.PROVISIONING, new StateChange(register.at(), Actor.NODE, "registered", nextVersion, ""),
                    register.incarnation(), null);
            ClusterEvent event = ClusterEvent.of(register.at(), EventKind.NODE_REGISTERED, id.id(), null,
                    id + " (" + register.name() + ") registered as a new node, state " + created.workerState(), Map.of("generation", (long) id.generation()));
            return new ChangeResult.Changed(withNode(nextVersion, created), created, event);
        }
        if (expected == null || expected != existing.id().generation()) {
            return refusedRegistration(existing.nodeId(), "node name '" + register.name() + "' was registered concurrently by another process as "
                    + existing.id() + "; two processes must not share a node name");
        }
        GenerationalNodeId id = existing.id().nextGeneration();
        NodeConfig restarted = new NodeConfig(existing.name(), id, register.addresses(), register.roles(), register.location(),
                existing.workerState(), existing.lastStateChange(), register.incarnation(), existing.maintenance(), existing.cordon(), existing.replacement());
        ClusterEvent event = ClusterEvent.of(register.at(), EventKind.NODE_REGISTERED, id.id(), null,
                id + " (" + register.name() + ") registered again, state " + restarted.workerState(), Map.of("generation", (long) id.generation()));
        return new ChangeResult.Changed(withNode(nextVersion, restarted), restarted, event);
    }

    private static ChangeResult refusedRegistration(NodeId node, String message) {
        return new ChangeResult.Refused(Refusal.simple(RefusalKind.REGISTRATION_CONFLICT, node, message));
    }

    /**
     * One worker's transition judged against this configuration: refused or unchanged ({@code result}), or allowed
     * ({@code node} and {@code event} as the next version has them).
     */
    private record Judged(ChangeResult result, NodeConfig node, ClusterEvent event) {
        static Judged not(ChangeResult result) {
            return new Judged(result, null, null);
        }

        boolean allowed() {
            return result == null;
        }
    }

    private ChangeResult applyTransition(NodesChange.TransitionWorker request) {
        Judged judged = judge(request);
        return judged.allowed() ? new ChangeResult.Changed(withNode(version.next(), judged.node()), judged.node(), judged.event()) : judged.result();
    }

    /**
     * Several workers' transitions in one version, each judged alone; those refused or unchanged are left out. Unless
     * one is allowed, the first one's own result.
     */
    private ChangeResult applyEach(NodesChange.TransitionEach request) {
        TreeMap<NodeId, NodeConfig> updated = new TreeMap<>(byId);
        List<ClusterEvent> events = new ArrayList<>();
        NodeConfig firstChanged = null;
        ChangeResult firstResult = null;
        for (NodesChange.TransitionWorker transition : request.transitions()) {
            Judged judged = judge(transition);
            if (!judged.allowed()) {
                firstResult = firstResult == null ? judged.result() : firstResult;
                continue;
            }
            updated.put(judged.node().nodeId(), judged.node());
            events.add(judged.event());
            firstChanged = firstChanged == null ? judged.node() : firstChanged;
        }
        if (events.isEmpty()) {
            return firstResult;
        }
        NodesConfiguration next = new NodesConfiguration(version.next(), List.copyOf(updated.values()), tombstones);
        return new ChangeResult.Changed(next, firstChanged, events.getFirst(), events.subList(1, events.size()));
    }

    private Judged judge(NodesChange.TransitionWorker request) {
        NodeConfig node = byId.get(request.node().id());
        if (node == null) {
            String why = isRemoved(request.node().id()) ? " (it was removed)" : "";
            return Judged.not(new ChangeResult.Refused(Refusal.simple(RefusalKind.UNKNOWN_NODE, request.node().id(),
                    "unknown node " + request.node().id() + why)));
        }
        WorkerState from = node.workerState();
        WorkerState to = request.target();
        if (from == to && node.lastStateChange().requestId().equals(request.requestId())) {
            return Judged.not(new ChangeResult.Unchanged(node, true));
        }
        if (node.id().generation() != request.node().generation()) {
            return Judged.not(refuse(RefusalKind.STALE_GENERATION, node, request,
                    "node " + node.id().id() + " restarted since the request was made (request for " + request.node()
                            + ", now " + node.id() + "); look at its state again and retry", List.of()));
        }
        TransitionTable.Cell cell = TransitionTable.cell(from, to);
        if (cell.isNoOp()) {
            return Judged.not(new ChangeResult.Unchanged(node, false));
        }
        if (!cell.legal()) {
            return Judged.not(refuse(RefusalKind.ILLEGAL_TRANSITION, node, request,
                    "cannot move " + node.id().id() + " from " + from + " to " + to + ": " + cell.hint(), List.of()));
        }
        TransitionTable.Permission permission = cell.permission(request.actor());
        if (permission == TransitionTable.Permission.NOT_PERMITTED) {
            return Judged.not(refuse(RefusalKind.ACTOR_NOT_PERMITTED, node, request,
                    "the " + request.actor() + " may not move " + node.id().id() + " from " + from + " to " + to
                            + (cell.hint().isEmpty() ? "" : ": " + cell.hint()), List.of()));
        }
        boolean forced = false;
        if (permission == TransitionTable.Permission.FORCE_ONLY) {
            if (!request.force()) {
                return Judged.not(refuse(RefusalKind.NEEDS_FORCE, node, request,
                        node.id().id() + " goes from " + from + " to " + to + " only when forced: " + cell.hint(), List.of()));
            }
            forced = true;
        }
        String guardFailure = guardFailure(cell.guard(), node, request.facts());
        if (guardFailure != null) {
            boolean skip = request.force() && request.actor() == Actor.OPERATOR && cell.guard().skippableByForce();
            if (!skip) {
                List<BlockingPartition> blocking = cell.guard() == TransitionTable.Guard.DRAIN_PRECHECK && request.facts().drainPrecheck() != null
                        ? request.facts().drainPrecheck().blocking()
                        : List.of();
                String forceHint = cell.guard().skippableByForce() && request.actor() == Actor.OPERATOR ? "; forcing it does it anyway" : "";
                return Judged.not(refuse(RefusalKind.GUARD_FAILED, node, request,
                        node.id().id() + " cannot go from " + from + " to " + to + " now: " + guardFailure + forceHint, blocking));
            }
            forced = true;
        }
        Version nextVersion = version.next();
        NodeConfig changed = node.withWorkerState(to, new StateChange(request.at(), request.actor(), request.reason(), nextVersion, request.requestId(),
                request.credential()));
        AuditRecord record = new AuditRecord(node.id(), node.name(), from, to, request.actor(), request.reason(), forced,
                request.at(), nextVersion, request.requestId(), request.credential());
        ClusterEvent event = ClusterEvent.transition(record);
        if (node.replacement() != null) {
            // A replace lasts as long as its drain: finishing the drain (disabled) finishes it, cancelling it (active)
            // cancels it, and what already moved to the receiving worker stays there.
            changed = changed.withReplacement(null);
            event = event.withMessage(event.message() + "; its replace by " + label(node.replacement().by())
                    + (to == WorkerState.DISABLED ? " is finished" : " is cancelled"));
        }
        Maintenance maintenance = node.maintenance();
        if (maintenance != null && maintenance.end() == null && !to.keepsReplicas()) {
            // Intents only escalate: a drain (or a disable) takes the node out for good, so the temporary intent
            // ends with it, and cancelling the drain later does not bring it back.
            Maintenance.EndCause cause = to == WorkerState.DRAINING ? Maintenance.EndCause.REPLACED_BY_DRAIN : Maintenance.EndCause.REPLACED_BY_STATE_CHANGE;
            changed = changed.withMaintenance(maintenance.ended(request.at(), cause, request.actor()));
            event = event.withMessage(event.message() + "; its maintenance ends (" + cause + ")");
        }
        return new Judged(null, changed, event);
    }

    /**
     * Judges each member's transition as {@link #applyTransition} would alone, against this configuration, and
     * writes them all in one version, or none. The drain pre-check is the set's, judged once.
     */
    private ChangeResult applyTransitions(NodesChange.TransitionWorkers request) {
        boolean drain = request.target() == WorkerState.DRAINING;
        List<BlockingPartition> blocking = drain && request.combinedPrecheck() != null ? request.combinedPrecheck().blocking() : List.of();
        boolean forcedPastPrecheck = false;
        if (drain && request.combinedPrecheck() == null) {
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.GUARD_FAILED, request.nodes().getFirst().id(),
                    "the drain pre-check of the set was not run"));
        }
        if (drain && !blocking.isEmpty()) {
            if (!request.force() || request.actor() != Actor.OPERATOR) {
                List<String> names = request.nodes().stream().map(id -> label(id.id())).toList();
                NodeConfig first = byId.get(request.nodes().getFirst().id());
                long partitions = blocking.stream().map(BlockingPartition::partition).distinct().count();
                return new ChangeResult.Refused(new Refusal(RefusalKind.GUARD_FAILED, "draining " + String.join(", ", names) + " together: "
                        + partitions + (partitions == 1 ? " partition" : " partitions") + " would have no compliant replacement: "
                        + BlockingPartition.summary(blocking, 3), request.nodes().getFirst().id(), first == null ? null : first.workerState(),
                        WorkerState.DRAINING, List.of(), List.of(), blocking));
            }
            forcedPastPrecheck = true;
        }
        Version nextVersion = version.next();
        TreeMap<NodeId, NodeConfig> updated = new TreeMap<>(byId);
        List<ClusterEvent> events = new ArrayList<>();
        NodeConfig firstChanged = null;
        int own = 0;
        for (GenerationalNodeId member : request.nodes()) {
            GuardFacts facts = request.facts().getOrDefault(member.id(), GuardFacts.NONE);
            if (drain) {
                facts = facts.withDrainPrecheck(GuardFacts.DrainPrecheck.PASSED);
            }
            // Judged without building a configuration per member: the group's one is built once, below.
            Judged one = judge(new NodesChange.TransitionWorker(member, request.target(), request.actor(), request.reason(),
                    request.force() && !drain, facts, request.requestId(), request.at(), request.credential()));
            if (one.result() instanceof ChangeResult.Refused refused) {
                return refused;
            }
            if (one.result() instanceof ChangeResult.Unchanged unchanged) {
                if (unchanged.ownEarlierWrite()) {
                    own++;
                } else if (drain) {
                    // Already draining by another request: it belongs to another drain, and a group is all or nothing.
                    return new ChangeResult.Refused(new Refusal(RefusalKind.INVALID_REQUEST, label(member.id()) + " is already "
                            + unchanged.node().workerState() + " (another drain); a group drain takes active workers only",
                            member.id(), unchanged.node().workerState(), request.target(), List.of(), List.of(), List.of()));
                }
                continue;
            }
            AuditRecord record = one.event().transition();
            if (forcedPastPrecheck && record != null && !record.forced()) {
                record = new AuditRecord(record.node(), record.nodeName(), record.from(), record.to(), record.actor(), record.reason(), true,
                        record.at(), record.version(), record.requestId(), record.credential());
            }
            updated.put(one.node().nodeId(), one.node());
            events.add(record == null ? one.event() : ClusterEvent.transition(record).withMessage(one.event().message()
                    + (forcedPastPrecheck && !one.event().message().contains("(forced)") ? " (forced past the set's pre-check)" : "")));
            if (firstChanged == null) {
                firstChanged = one.node();
            }
        }
        if (events.isEmpty()) {
            NodeConfig first = byId.get(request.nodes().getFirst().id());
            return new ChangeResult.Unchanged(first, own == request.nodes().size());
        }
        List<String> names = request.nodes().stream().map(id -> label(id.id())).toList();
        ClusterEvent summary = ClusterEvent.of(request.at(), drain ? EventKind.DRAIN_GROUP_STARTED : EventKind.DRAIN_GROUP_CANCELLED, null, null,
                "drain " + request.group() + (drain ? " of " + String.join(", ", names) + " started" : " cancelled: " + events.size()
                        + " of " + names.size() + " worker(s) back to active") + " by " + request.actor()
                        + (request.credential() == null ? "" : " with credential " + request.credential())
                        + (request.reason().isEmpty() ? "" : ": " + request.reason()),
                java.util.Map.of("workers", (long) names.size(), "changed", (long) events.size()));
        NodesConfiguration next = new NodesConfiguration(nextVersion, List.copyOf(updated.values()), tombstones);
        List<ClusterEvent> more = new ArrayList<>(events.subList(1, events.size()));
        more.add(summary);
        return new ChangeResult.Changed(next, firstChanged, events.getFirst(), more);
    }

    /**
     * A replace: OLD goes from active to draining with the replacement recorded. Refused, writing nothing, unless OLD
     * is an active worker, NEW is another active, alive worker that is not in maintenance and takes part in no other
     * replace (a cordoned NEW is accepted: the operator named it, and cordoning it keeps a new worker empty until the
     * replace), and the pre-check found no partition that could not move to NEW. There is no force: a
     * replace that cannot be done as asked is a drain, which may be forced.
     */
    private ChangeResult applyReplace(NodesChange.ReplaceWorker request) {
        NodeConfig old = byId.get(request.old().id());
        NodeConfig by = byId.get(request.replacement().id());
        if (old == null || by == null) {
            NodeId missing = old == null ? request.old().id() : request.replacement().id();
            String why = isRemoved(missing) ? " (it was removed)" : "";
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.UNKNOWN_NODE, missing, "unknown node " + missing + why));
        }
        if (old.replacement() != null && old.replacement().requestId().equals(request.requestId())) {
            return new ChangeResult.Unchanged(old, true);
        }
        for (NodeConfig named : List.of(old, by)) {
            GenerationalNodeId asked = named == old ? request.old() : request.replacement();
            if (named.id().generation() != asked.generation()) {
                return replaceRefusal(RefusalKind.STALE_GENERATION, old, "node " + named.nodeId() + " restarted since the request was made (request for "
                        + asked + ", now " + named.id() + "); look at it again and retry", List.of());
            }
            if (!named.isWorker()) {
                return replaceRefusal(RefusalKind.INVALID_REQUEST, old, NodeResolution.label(named) + " has no worker role; only a worker replaces a worker",
                        List.of());
            }
        }
        String oldLabel = NodeResolution.label(old);
        String byLabel = NodeResolution.label(by);
        if (old.nodeId().equals(by.nodeId())) {
            return replaceRefusal(RefusalKind.INVALID_REQUEST, old, "a worker cannot replace itself; name another worker to receive " + oldLabel + "'s replicas",
                    List.of());
        }
        if (old.workerState() != WorkerState.ACTIVE) {
            String why = switch (old.workerState()) {
                case DRAINING -> old.replacement() != null
                        ? "it is already being replaced by " + label(old.replacement().by()) + "; cancel that first (nodes activate)"
                        : "it is draining already, to any worker; cancel the drain first (nodes activate) to replace it instead";
                case PROVISIONING, DISABLED -> "it is " + old.workerState() + " and holds no replica to hand over";
                case ACTIVE -> throw new IllegalStateException("unreachable");
            };
            return replaceRefusal(RefusalKind.GUARD_FAILED, old, "only an active worker can be replaced; " + oldLabel + ": " + why, List.of());
        }
        if (TransitionTable.cell(WorkerState.ACTIVE, WorkerState.DRAINING).permission(request.actor()) != TransitionTable.Permission.ALLOWED) {
            return replaceRefusal(RefusalKind.ACTOR_NOT_PERMITTED, old, "the " + request.actor() + " may not replace a worker: it moves "
                    + oldLabel + " from active to draining, which only an operator asks for", List.of());
        }
        if (request.facts() == null) {
            return replaceRefusal(RefusalKind.GUARD_FAILED, old, "the replace pre-check was not run", List.of());
        }
        String receiving = receivingFailure(by, request);
        if (receiving != null) {
            return replaceRefusal(RefusalKind.GUARD_FAILED, old, byLabel + " cannot receive " + oldLabel + "'s replicas: " + receiving, List.of());
        }
        if (request.facts().blocking() == null) {
            return replaceRefusal(RefusalKind.GUARD_FAILED, old, "the replace pre-check was not run", List.of());
        }
        List<BlockingPartition> blocking = request.facts().blocking();
        if (!blocking.isEmpty()) {
            return replaceRefusal(RefusalKind.GUARD_FAILED, old, oldLabel + " cannot be replaced by " + byLabel + " now: " + blocking.size()
                    + (blocking.size() == 1 ? " partition" : " partitions") + " could not move to it: " + BlockingPartition.summary(blocking, 3), blocking);
        }
        Version nextVersion = version.next();
        String reason = "replaced by " + byLabel + (request.reason().isEmpty() ? "" : ": " + request.reason());
        NodeConfig changed = old.withWorkerState(WorkerState.DRAINING, new StateChange(request.at(), request.actor(), reason, nextVersion, request.requestId(),
                request.credential())).withReplacement(new Replacement(by.nodeId(), request.reason(), request.actor(), request.at(), request.requestId(),
                request.credential()));
        AuditRecord record = new AuditRecord(old.id(), old.name(), WorkerState.ACTIVE, WorkerState.DRAINING, request.actor(), reason, false,
                request.at(), nextVersion, request.requestId(), request.credential());
        ClusterEvent event = ClusterEvent.transition(record);
        Maintenance maintenance = old.maintenance();
        if (maintenance != null && maintenance.end() == null) {
            changed = changed.withMaintenance(maintenance.ended(request.at(), Maintenance.EndCause.REPLACED_BY_DRAIN, request.actor()));
            event = event.withMessage(event.message() + "; its maintenance ends (" + Maintenance.EndCause.REPLACED_BY_DRAIN + ")");
        }
        return new ChangeResult.Changed(withNode(nextVersion, changed), changed, event);
    }

    /** Why {@code by} cannot receive a replaced worker's replicas, or {@code null} if it can. */
    private String receivingFailure(NodeConfig by, NodesChange.ReplaceWorker request) {
        if (by.workerState() != WorkerState.ACTIVE) {
            return "it is " + by.workerState() + "; only an active worker receives replicas";
        }
        if (by.inMaintenanceAt(request.at())) {
            return "it is in maintenance until " + by.maintenance().until();
        }
        if (by.replacement() != null) {
            return "it is itself being replaced by " + label(by.replacement().by());
        }
        for (NodeConfig other : nodes) {
            if (other.replacement() != null && other.replacement().by().equals(by.nodeId())) {
                return "it already receives the replicas of " + NodeResolution.label(other) + "; one replace per receiving worker at a time";
            }
            if (other.replacement() != null && other.replacement().by().equals(request.old().id())) {
                return "the worker it would replace receives the replicas of " + NodeResolution.label(other) + " now";
            }
        }
        if (request.facts().replacementAlive() == null) {
            return "its liveness is unknown";
        }
        if (!request.facts().replacementAlive()) {
            return "its process is not running; start it first";
        }
        return null;
    }

    private static ChangeResult replaceRefusal(RefusalKind kind, NodeConfig old, String message, List<BlockingPartition> blocking) {
        return new ChangeResult.Refused(new Refusal(kind, message, old.nodeId(), old.workerState(), WorkerState.DRAINING, List.of(), List.of(), blocking));
    }

    private ChangeResult applyStartMaintenance(NodesChange.StartMaintenance start) {
        NodeConfig node = byId.get(start.node().id());
        if (node == null) {
            String why = isRemoved(start.node().id()) ? " (it was removed)" : "";
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.UNKNOWN_NODE, start.node().id(), "unknown node " + start.node().id() + why));
        }
        Maintenance lasting = node.maintenance();
        if (lasting != null && lasting.requestId().equals(start.requestId())) {
            return new ChangeResult.Unchanged(node, true);
        }
        if (node.id().generation() != start.node().generation()) {
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.STALE_GENERATION, node, "node " + node.nodeId() + " restarted since the request was made (request for "
                    + start.node() + ", now " + node.id() + "); look at it again and retry", List.of()));
        }
        if (!node.isWorker()) {
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.INVALID_REQUEST, node,
                    NodeResolution.label(node) + " has no worker role; maintenance is for workers", List.of()));
        }
        if (node.workerState() != WorkerState.ACTIVE) {
            String why = switch (node.workerState()) {
                case DRAINING -> "it is draining, which already keeps leaderships and new replicas off it for good; cancel the drain first if it should come back";
                case PROVISIONING, DISABLED -> "it is " + node.workerState() + " and holds no partition, so it can be stopped without one";
                case ACTIVE -> throw new IllegalStateException("unreachable");
            };
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.GUARD_FAILED, node,
                    "only an active worker goes into maintenance; " + NodeResolution.label(node) + ": " + why, List.of()));
        }
        if (!start.until().isAfter(start.at())) {
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.INVALID_REQUEST, node,
                    "a maintenance must end in the future; " + start.until() + " is not after " + start.at(), List.of()));
        }
        if (java.time.Duration.between(start.at(), start.until()).compareTo(Maintenance.MAX_DURATION) > 0) {
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.INVALID_REQUEST, node,
                    "a maintenance lasts at most " + Maintenance.MAX_DURATION.toDays() + " days; a node away for longer should be drained", List.of()));
        }
        if (start.blocking() == null) {
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.GUARD_FAILED, node, "the maintenance pre-check was not run", List.of()));
        }
        boolean forced = false;
        if (!start.blocking().isEmpty()) {
            if (!(start.force() && start.actor() == Actor.OPERATOR)) {
                return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.GUARD_FAILED, node, NodeResolution.label(node) + " cannot go into maintenance now: "
                        + start.blocking().size() + (start.blocking().size() == 1 ? " partition" : " partitions") + " would be at risk while it is away: "
                        + BlockingPartition.summary(start.blocking(), 3) + "; forcing it does it anyway", start.blocking()));
            }
            forced = true;
        }
        boolean extended = lasting != null && lasting.activeAt(start.at());
        Maintenance intent = extended
                ? new Maintenance(start.reason(), start.actor(), lasting.since(), start.until(), lasting.generation(), start.requestId(), null,
                        start.credential())
                : new Maintenance(start.reason(), start.actor(), start.at(), start.until(), node.id().generation(), start.requestId(), null,
                        start.credential());
        NodeConfig changed = node.withMaintenance(intent);
        String message = NodeResolution.label(node) + (extended ? " stays in maintenance, now until " : " in maintenance until ") + start.until()
                + " by " + start.actor() + (start.credential() == null ? "" : " with credential " + start.credential())
                + (forced ? " (forced past the pre-check)" : "") + (start.reason().isEmpty() ? "" : ": " + start.reason());
        ClusterEvent event = ClusterEvent.of(start.at(), EventKind.MAINTENANCE_STARTED, node.nodeId(), null, message,
                Map.of("untilEpochMillis", start.until().toEpochMilli(), "generation", (long) intent.generation()));
        Version nextVersion = version.next();
        return new ChangeResult.Changed(withNode(nextVersion, changed), changed, event);
    }

    private static Refusal maintenanceRefusal(RefusalKind kind, NodeConfig node, String message, List<BlockingPartition> blocking) {
        // Not a transition: no current/requested state, so no surface offers "allowed next" states that have nothing to do with it.
        return new Refusal(kind, message, node.nodeId(), null, null, List.of(), List.of(), blocking);
    }

    private ChangeResult applyEndMaintenance(NodesChange.EndMaintenance end) {
        NodeConfig node = byId.get(end.node());
        if (node == null) {
            String why = isRemoved(end.node()) ? " (it was removed)" : "";
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.UNKNOWN_NODE, end.node(), "unknown node " + end.node() + why));
        }
        Maintenance intent = node.maintenance();
        if (intent == null || intent.end() != null || end.intent() != null && !end.intent().equals(intent.requestId())) {
            return new ChangeResult.Unchanged(node, false);
        }
        NodeConfig changed = node.withMaintenance(intent.ended(end.at(), end.cause(), end.actor()));
        String how = switch (end.cause()) {
            case ENDED_BY_OPERATOR -> "ended by the operator";
            case CAUGHT_UP -> "ended: the node is back (generation " + node.id().generation() + ") and its replicas caught up";
            case EXPIRED -> "ran out at " + intent.until();
            case REPLACED_BY_DRAIN, REPLACED_BY_STATE_CHANGE -> "ended: " + end.cause();
        };
        EventKind kind = end.cause() == Maintenance.EndCause.EXPIRED ? EventKind.MAINTENANCE_EXPIRED : EventKind.MAINTENANCE_ENDED;
        ClusterEvent event = ClusterEvent.of(end.at(), kind, node.nodeId(), null,
                "maintenance of " + NodeResolution.label(node) + " " + how + (end.note().isEmpty() ? "" : "; " + end.note()),
                Map.of("durationMillis", java.time.Duration.between(intent.since(), changed.maintenance().endsAt()).toMillis()));
        Version nextVersion = version.next();
        return new ChangeResult.Changed(withNode(nextVersion, changed), changed, event);
    }

    /** Why {@code guard} does not hold, or {@code null} if it holds. */
    private static String guardFailure(TransitionTable.Guard guard, NodeConfig node, GuardFacts facts) {
        return switch (guard) {
            case NONE -> null;
            case DRAIN_PRECHECK -> {
                GuardFacts.DrainPrecheck precheck = facts.drainPrecheck();
                if (precheck == null) {
                    yield "the drain pre-check was not run";
                }
                yield precheck.passed() ? null
                        : precheck.blocking().size() + (precheck.blocking().size() == 1 ? " partition" : " partitions")
                                + " would have no compliant replacement: " + BlockingPartition.summary(precheck.blocking(), 3);
            }
            case EMPTIED_WHILE_DRAINING -> {
                GuardFacts.EmptiedEvidence emptied = facts.emptied();
                if (emptied == null) {
                    yield "nobody checked that it holds nothing";
                }
                if (emptied.replicaSetsNamingNode() > 0 || emptied.partitionsLed() > 0) {
                    yield "it is still in " + emptied.replicaSetsNamingNode() + " replica set(s) and leads " + emptied.partitionsLed() + " partition(s)";
                }
                if (emptied.stillHeld() != null) {
                    yield emptied.stillHeld();
                }
                Version drainedAt = node.lastStateChange().version();
                yield emptied.placementsBasedOn().isAtLeast(drainedAt) ? null
                        : "the placements looked at (based on " + emptied.placementsBasedOn() + ") predate the drain (" + drainedAt + ")";
            }
            case NODE_ALIVE -> facts.alive() == null ? "its liveness is unknown"
                    : facts.alive() ? null : "its process is not running; start it first";
        };
    }

    private static ChangeResult refuse(RefusalKind kind, NodeConfig node, NodesChange.TransitionWorker request, String message,
            List<BlockingPartition> blocking) {
        WorkerState current = node.workerState();
        List<WorkerState> allowed = new ArrayList<>(TransitionTable.allowedNext(current, request.actor()));
        List<WorkerState> withForce = new ArrayList<>(TransitionTable.allowedNextWithForce(current, request.actor()));
        if (kind == RefusalKind.GUARD_FAILED && allowed.remove(request.target())) {
            // The table allows it, its guard does not, now: listing it as allowed next, right after refusing
            // it, would send the operator round in a circle. Force is what gets past a skippable guard.
            TransitionTable.Cell cell = TransitionTable.cell(current, request.target());
            if (cell.guard().skippableByForce() && request.actor() == Actor.OPERATOR && !withForce.contains(request.target())) {
                withForce.add(request.target());
            }
        }
        return new ChangeResult.Refused(new Refusal(kind, message, node.nodeId(), current, request.target(), allowed, withForce, blocking));
    }

    private ChangeResult applyCordon(NodesChange.CordonNode request) {
        NodeConfig node = byId.get(request.node().id());
        if (node == null) {
            String why = isRemoved(request.node().id()) ? " (it was removed)" : "";
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.UNKNOWN_NODE, request.node().id(), "unknown node " + request.node().id() + why));
        }
        if (node.isCordoned()) {
            // The first cordon's who, when and why stay: a second operator cordoning it again changes nothing they need to know.
            return new ChangeResult.Unchanged(node, node.cordon().requestId().equals(request.requestId()));
        }
        if (node.id().generation() != request.node().generation()) {
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.STALE_GENERATION, node, "node " + node.nodeId()
                    + " restarted since the request was made (request for " + request.node() + ", now " + node.id() + "); look at it again and retry",
                    List.of()));
        }
        if (!node.isWorker()) {
            return new ChangeResult.Refused(maintenanceRefusal(RefusalKind.INVALID_REQUEST, node,
                    NodeResolution.label(node) + " has no worker role, so it never receives replicas; there is nothing to cordon", List.of()));
        }
        Cordon cordon = new Cordon(request.reason(), request.actor(), request.at(), request.requestId(), request.credential());
        NodeConfig changed = node.withCordon(cordon);
        String effect = switch (node.workerState()) {
            case ACTIVE -> "it keeps its replicas and leaderships and receives no new ones";
            case PROVISIONING -> "once active it receives no replica or leadership until it is uncordoned";
            case DRAINING, DISABLED -> "it receives nothing while " + node.workerState() + " anyway; the cordon holds if it becomes active again";
        };
        ClusterEvent event = ClusterEvent.of(request.at(), EventKind.NODE_CORDONED, node.nodeId(), null,
                NodeResolution.label(node) + " cordoned by " + request.actor() + (request.credential() == null ? "" : " with credential " + request.credential())
                        + (request.reason().isEmpty() ? "" : ": " + request.reason()) + "; " + effect, Map.of());
        return new ChangeResult.Changed(withNode(version.next(), changed), changed, event);
    }

    private ChangeResult applyUncordon(NodesChange.UncordonNode request) {
        NodeConfig node = byId.get(request.node());
        if (node == null) {
            String why = isRemoved(request.node()) ? " (it was removed)" : "";
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.UNKNOWN_NODE, request.node(), "unknown node " + request.node() + why));
        }
        if (!node.isCordoned()) {
            return new ChangeResult.Unchanged(node, false);
        }
        Cordon cordon = node.cordon();
        NodeConfig changed = node.withCordon(null);
        ClusterEvent event = ClusterEvent.of(request.at(), EventKind.NODE_UNCORDONED, node.nodeId(), null,
                NodeResolution.label(node) + " uncordoned by " + request.actor() + (request.credential() == null ? "" : " with credential " + request.credential())
                        + " (cordoned since " + cordon.since() + (cordon.reason().isEmpty() ? "" : ": " + cordon.reason()) + ")"
                        + (node.workerState() == WorkerState.ACTIVE ? "; it may receive replicas again" : ""),
                Map.of("durationMillis", Math.max(0, java.time.Duration.between(cordon.since(), request.at()).toMillis())));
        return new ChangeResult.Changed(withNode(version.next(), changed), changed, event);
    }

    private ChangeResult applyRemove(NodesChange.RemoveNode remove) {
        NodeConfig node = byId.get(remove.node().id());
        if (node == null) {
            String why = isRemoved(remove.node().id()) ? " (it was removed already)" : "";
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.UNKNOWN_NODE, remove.node().id(), "unknown node " + remove.node().id() + why));
        }
        if (node.id().generation() != remove.node().generation()) {
            return new ChangeResult.Refused(Refusal.simple(RefusalKind.STALE_GENERATION, node.nodeId(),
                    "node " + node.nodeId() + " restarted since the request was made (request for " + remove.node() + ", now " + node.id() + ")"));
        }
        String label = NodeResolution.label(node);
        if (node.isWorker() && node.workerState() != WorkerState.DISABLED) {
            String next = switch (node.workerState()) {
                case ACTIVE -> "drain it first; it becomes disabled by itself once empty";
                case DRAINING -> "its drain has not finished; it becomes disabled by itself once empty";
                case PROVISIONING -> "disable it first (it holds nothing yet)";
                case DISABLED -> throw new IllegalStateException("unreachable");
            };
            return new ChangeResult.Refused(new Refusal(RefusalKind.GUARD_FAILED,
                    "only a disabled node can be removed; " + label + " is " + node.workerState() + ": " + next,
                    node.nodeId(), node.workerState(), null, List.of(), List.of(), List.of()));
        }
        String guardFailure = removalFailure(remove.facts());
        if (guardFailure != null) {
            return new ChangeResult.Refused(new Refusal(RefusalKind.GUARD_FAILED, label + " cannot be removed now: " + guardFailure,
                    node.nodeId(), node.isWorker() ? node.workerState() : null, null, List.of(), List.of(), List.of()));
        }
        Version nextVersion = version.next();
        List<NodeConfig> remaining = nodes.stream().filter(n -> !n.nodeId().equals(node.nodeId())).toList();
        List<Tombstone> graves = new ArrayList<>(tombstones);
        graves.add(new Tombstone(node.nodeId(), node.name(), node.id().generation(), remove.at()));
        ClusterEvent event = ClusterEvent.of(remove.at(), EventKind.NODE_REMOVED, node.nodeId(), null,
                node.id() + " (" + node.name() + ") removed by " + remove.actor() + (remove.credential() == null ? "" : " with credential " + remove.credential())
                        + (remove.reason().isEmpty() ? "" : ": " + remove.reason())
                        + "; its id stays reserved, and the name '" + node.name() + "' registers again as a new node",
                Map.of("generation", (long) node.id().generation()));
        return new ChangeResult.Changed(new NodesConfiguration(nextVersion, remaining, graves), null, event);
    }

    /** Why the removal's facts forbid it, or {@code null} if they allow it. An unknown fact forbids it: removal cannot be undone. */
    private static String removalFailure(NodesChange.RemovalFacts facts) {
        if (facts == null) {
            return "nobody checked that it holds nothing and is stopped";
        }
        if (facts.alive() == null) {
            return "its liveness is unknown";
        }
        if (facts.alive()) {
            return "it is still registered alive; stop its process first (a running process would register its name again as a new node)";
        }
        if (facts.replicaSetsNamingNode() > 0 || facts.partitionsLed() > 0) {
            return "it still holds data: it is in " + facts.replicaSetsNamingNode() + " replica set(s) and leads " + facts.partitionsLed()
                    + " partition(s); drain it (or wait for the controller to replace them) first";
        }
        return null;
    }

    private NodesConfiguration withNode(Version nextVersion, NodeConfig node) {
        TreeMap<NodeId, NodeConfig> updated = new TreeMap<>(byId);
        updated.put(node.nodeId(), node);
        return new NodesConfiguration(nextVersion, List.copyOf(updated.values()), tombstones);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NodesConfiguration that
                && version.equals(that.version) && nodes.equals(that.nodes) && tombstones.equals(that.tombstones);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, nodes, tombstones);
    }

    @Override
    public String toString() {
        return "NodesConfiguration{" + version + ", nodes=" + nodes.stream().map(n -> n.id() + "=" + n.workerState()).toList()
                + ", tombstones=" + tombstones.stream().map(Tombstone::id).toList() + "}";
    }
}
